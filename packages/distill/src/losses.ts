/**
 * Distillation and task losses, each with an exact float64 reference (`value`) and a tfjs implementation
 * (`tensor`) of the same function. Inputs: student logits s and teacher logits t (rows × classes), labels y.
 * Every loss is a mean over rows of a per-row term ℓ(s_r, t_r, y_r):
 *
 * - `ce`:      ℓ = −log softmax(s)_y = logsumexp(s) − s_y
 * - `hinge`:   ℓ = Σ_{j≠y} max(0, s_j − s_y + margin)             (BBT's form; margin 2; not divided by C)
 * - `kl`:      ℓ = τ² · Σ_c p_c (log p_c − log q_c),  p = softmax(t/τ), q = softmax(s/τ)   (KL(teacher‖student))
 * - `mse`:     ℓ = (1/C) Σ_c (s_c − t_c)²        (with `center`, each row's mean is subtracted from s and t first)
 * - `kd`:      ℓ = (1−β)·CE(y, s) + β·τ²·KL(softmax(t/τ) ‖ softmax(s/τ))   (defaults β = 0.5, τ = 2)
 * - `mixture`: ℓ = Σ_i w_i · ℓ_i over component losses
 */
import * as tf from '@tensorflow/tfjs';
import type { ComponentFactory, DistillationLoss, Registry } from '@gdfo/spec';
import { ceRows, checkLogits, hingeRow, logSumExp } from './fitness.js';

import { SPEC_VERSION } from '@gdfo/core';

/** A loss with both the reference and the tfjs implementation. `value` also accepts Float64Array. */
export interface TfDistillationLoss extends DistillationLoss<tf.Tensor> {
  value(student: ArrayLike<number>, teacher: ArrayLike<number> | null, labels: ArrayLike<number>, classes: number): number;
  /** student, teacher: rows × classes float tensors; labels: int32 [rows]. Returns a scalar (mean over rows). */
  tensor(student: tf.Tensor, teacher: tf.Tensor | null, labels: tf.Tensor): tf.Scalar;
}

export type LossName = 'ce' | 'hinge' | 'kl' | 'mse' | 'kd' | 'mixture';
export const LOSS_NAMES: readonly LossName[] = ['ce', 'hinge', 'kl', 'mse', 'kd', 'mixture'];

// ---------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------

function checkValueInputs(
  name: string,
  student: ArrayLike<number>,
  teacher: ArrayLike<number> | null,
  labels: ArrayLike<number>,
  classes: number,
  usesTeacher: boolean,
  usesLabels: boolean,
): number {
  const rows = checkLogits(`loss ${name}`, student, usesLabels ? labels : null, classes);
  if (!usesLabels && labels.length !== rows) {
    throw new Error(`loss ${name}: labels has ${labels.length} entries, expected one per row (${rows})`);
  }
  if (usesTeacher) {
    if (!teacher) throw new Error(`loss ${name}: teacher logits are required (got null)`);
    if (teacher.length !== student.length) {
      throw new Error(`loss ${name}: teacher has ${teacher.length} entries, expected ${student.length} (rows × classes like student)`);
    }
  }
  return rows;
}

function checkTensorInputs(
  name: string,
  student: tf.Tensor,
  teacher: tf.Tensor | null,
  labels: tf.Tensor,
  usesTeacher: boolean,
): void {
  if (student.rank !== 2) throw new Error(`loss ${name}: student must be a rows × classes tensor, got shape [${student.shape}]`);
  if (labels.rank !== 1 || labels.shape[0] !== student.shape[0]) {
    throw new Error(`loss ${name}: labels must have shape [${student.shape[0]}], got [${labels.shape}]`);
  }
  if (labels.dtype !== 'int32') throw new Error(`loss ${name}: labels must be an int32 tensor, got ${labels.dtype}`);
  if (usesTeacher) {
    if (!teacher) throw new Error(`loss ${name}: teacher logits are required (got null)`);
    if (teacher.shape.length !== 2 || teacher.shape[0] !== student.shape[0] || teacher.shape[1] !== student.shape[1]) {
      throw new Error(`loss ${name}: teacher must have shape [${student.shape}] like student, got [${teacher.shape}]`);
    }
  }
}

function finitePositive(name: string, key: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`loss ${name}: ${key} must be a positive number, got ${String(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Row terms (float64) and tensor terms (per-row vectors)
// ---------------------------------------------------------------------------------------------------------

interface Term {
  readonly name: string;
  readonly params: Readonly<Record<string, number | string>>;
  readonly usesTeacher: boolean;
  readonly usesLabels: boolean;
  /** Adds weight · ℓ_r to out[r] for every row. */
  rowsInto(s: ArrayLike<number>, t: ArrayLike<number> | null, y: ArrayLike<number>, classes: number, weight: number, out: Float64Array): void;
  /** Per-row ℓ as a [rows] tensor. */
  rowTensor(s: tf.Tensor2D, t: tf.Tensor2D | null, y: tf.Tensor1D): tf.Tensor1D;
}

function ceTerm(): Term {
  return {
    name: 'ce',
    params: {},
    usesTeacher: false,
    usesLabels: true,
    rowsInto(s, _t, y, classes, w, out) {
      const per = new Float64Array(out.length);
      ceRows(s, y, classes, per);
      for (let r = 0; r < out.length; r++) out[r] = (out[r] as number) + w * (per[r] as number);
    },
    rowTensor(s, _t, y) {
      const classes = s.shape[1];
      return tf.neg(tf.sum(tf.mul(tf.oneHot(y, classes).toFloat(), tf.logSoftmax(s)), 1)) as tf.Tensor1D;
    },
  };
}

function hingeTerm(margin: number): Term {
  return {
    name: 'hinge',
    params: { margin },
    usesTeacher: false,
    usesLabels: true,
    rowsInto(s, _t, y, classes, w, out) {
      for (let r = 0; r < out.length; r++) out[r] = (out[r] as number) + w * hingeRow(s, r * classes, y[r] as number, classes, margin);
    },
    rowTensor(s, _t, y) {
      const oh = tf.oneHot(y, s.shape[1]).toFloat();
      const sy = tf.sum(tf.mul(s, oh), 1, true);
      const viol = tf.relu(tf.add(tf.sub(s, sy), margin));
      return tf.sum(tf.mul(viol, tf.sub(1, oh)), 1) as tf.Tensor1D;
    },
  };
}

function klTerm(tau: number): Term {
  const t2 = tau * tau;
  return {
    name: 'kl',
    params: { tau },
    usesTeacher: true,
    usesLabels: false,
    rowsInto(s, t, _y, classes, w, out) {
      const tt = t as ArrayLike<number>;
      for (let r = 0; r < out.length; r++) {
        const off = r * classes;
        const lp = logSumExp(tt, off, classes, 1 / tau);
        const lq = logSumExp(s, off, classes, 1 / tau);
        let kl = 0;
        for (let c = 0; c < classes; c++) {
          const logp = (tt[off + c] as number) / tau - lp;
          const logq = (s[off + c] as number) / tau - lq;
          const p = Math.exp(logp);
          if (p > 0) kl += p * (logp - logq);
        }
        out[r] = (out[r] as number) + w * t2 * kl;
      }
    },
    rowTensor(s, t) {
      const tt = t as tf.Tensor2D;
      const logp = tf.logSoftmax(tf.div(tt, tau));
      const logq = tf.logSoftmax(tf.div(s, tau));
      return tf.mul(tf.sum(tf.mul(tf.exp(logp), tf.sub(logp, logq)), 1), t2);
    },
  };
}

function mseTerm(center: boolean): Term {
  return {
    name: 'mse',
    params: { center: center ? 1 : 0 },
    usesTeacher: true,
    usesLabels: false,
    rowsInto(s, t, _y, classes, w, out) {
      const tt = t as ArrayLike<number>;
      for (let r = 0; r < out.length; r++) {
        const off = r * classes;
        let ms = 0;
        let mt = 0;
        if (center) {
          for (let c = 0; c < classes; c++) {
            ms += s[off + c] as number;
            mt += tt[off + c] as number;
          }
          ms /= classes;
          mt /= classes;
        }
        let acc = 0;
        for (let c = 0; c < classes; c++) {
          const d = (s[off + c] as number) - ms - ((tt[off + c] as number) - mt);
          acc += d * d;
        }
        out[r] = (out[r] as number) + (w * acc) / classes;
      }
    },
    rowTensor(s, t) {
      let a: tf.Tensor2D = s;
      let b = t as tf.Tensor2D;
      if (center) {
        a = tf.sub(s, tf.mean(s, 1, true));
        b = tf.sub(b, tf.mean(b, 1, true));
      }
      return tf.mean(tf.squaredDifference(a, b), 1);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Losses
// ---------------------------------------------------------------------------------------------------------

interface WeightedTerm {
  readonly weight: number;
  readonly term: Term;
}

class TermLoss implements TfDistillationLoss {
  readonly specVersion = SPEC_VERSION;
  readonly usesTeacher: boolean;
  private readonly usesLabels: boolean;

  constructor(
    readonly name: string,
    readonly params: Readonly<Record<string, number | string>>,
    /** The weighted per-row terms (internal; mixtures flatten them). */
    readonly terms: readonly WeightedTerm[],
  ) {
    this.usesTeacher = terms.some((t) => t.term.usesTeacher && t.weight !== 0);
    this.usesLabels = terms.some((t) => t.term.usesLabels && t.weight !== 0);
  }

  value(student: ArrayLike<number>, teacher: ArrayLike<number> | null, labels: ArrayLike<number>, classes: number): number {
    const rows = checkValueInputs(this.name, student, teacher, labels, classes, this.usesTeacher, this.usesLabels);
    const per = new Float64Array(rows);
    for (const { weight, term } of this.terms) {
      if (weight !== 0) term.rowsInto(student, teacher, labels, classes, weight, per);
    }
    let sum = 0;
    for (const v of per) sum += v;
    return sum / rows;
  }

  tensor(student: tf.Tensor, teacher: tf.Tensor | null, labels: tf.Tensor): tf.Scalar {
    checkTensorInputs(this.name, student, teacher, labels, this.usesTeacher);
    return tf.tidy(() => {
      const s = student as tf.Tensor2D;
      const t = teacher as tf.Tensor2D | null;
      const y = labels as tf.Tensor1D;
      let per: tf.Tensor1D | null = null;
      for (const { weight, term } of this.terms) {
        if (weight === 0) continue;
        const r = term.rowTensor(s, t, y);
        const wr = weight === 1 ? r : (tf.mul(r, weight) as tf.Tensor1D);
        per = per ? (tf.add(per, wr) as tf.Tensor1D) : wr;
      }
      if (!per) return tf.scalar(0);
      return tf.mean(per) as tf.Scalar;
    });
  }
}

/** Cross-entropy of the student logits against the labels. */
export function ceLoss(): TfDistillationLoss {
  return new TermLoss('ce', {}, [{ weight: 1, term: ceTerm() }]);
}

/** BBT's hinge loss Σ_{j≠y} max(0, s_j − s_y + margin), mean over rows (default margin 2). */
export function hingeLoss(options: { margin?: number } = {}): TfDistillationLoss {
  const margin = options.margin ?? 2;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0) {
    throw new Error(`loss hinge: margin must be a non-negative number, got ${String(margin)}`);
  }
  return new TermLoss('hinge', { margin }, [{ weight: 1, term: hingeTerm(margin) }]);
}

/** τ² · KL(softmax(t/τ) ‖ softmax(s/τ)), mean over rows (default τ = 1, i.e. the plain KL). */
export function klLoss(options: { tau?: number } = {}): TfDistillationLoss {
  const tau = finitePositive('kl', 'tau', options.tau ?? 1);
  return new TermLoss('kl', { tau }, [{ weight: 1, term: klTerm(tau) }]);
}

/** Mean squared difference of the logits; `center` subtracts each row's mean first (logit-shift invariant). */
export function mseLoss(options: { center?: boolean } = {}): TfDistillationLoss {
  const center = options.center ?? false;
  if (typeof center !== 'boolean') throw new Error(`loss mse: center must be a boolean, got ${String(center)}`);
  return new TermLoss('mse', { center: center ? 1 : 0 }, [{ weight: 1, term: mseTerm(center) }]);
}

/** The method's L_KD = (1−β)·CE(y, s) + β·τ²·KL(softmax(t/τ) ‖ softmax(s/τ)); defaults β = 0.5, τ = 2. */
export function kdLoss(options: { beta?: number; tau?: number } = {}): TfDistillationLoss {
  const beta = options.beta ?? 0.5;
  if (typeof beta !== 'number' || !(beta >= 0 && beta <= 1)) throw new Error(`loss kd: beta must be a number in [0, 1], got ${String(beta)}`);
  const tau = finitePositive('kd', 'tau', options.tau ?? 2);
  return new TermLoss('kd', { beta, tau }, [
    { weight: 1 - beta, term: ceTerm() },
    { weight: beta, term: klTerm(tau) },
  ]);
}

export interface MixtureComponent {
  /** A loss name other than `mixture`. */
  readonly name: Exclude<LossName, 'mixture'>;
  readonly weight: number;
  /** That loss's options (e.g. `{ tau: 2 }`). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Σ_i w_i · loss_i. `params.formula` reads e.g. `0.5*ce + 0.5*kl(tau=2)`. */
export function mixtureLoss(components: readonly MixtureComponent[]): TfDistillationLoss {
  if (!Array.isArray(components) || components.length === 0) {
    throw new Error('loss mixture: components must be a non-empty array of { name, weight, options? }');
  }
  const terms: WeightedTerm[] = [];
  const parts: string[] = [];
  components.forEach((c, i) => {
    if (!c || typeof c !== 'object') throw new Error(`loss mixture: components[${i}] must be an object { name, weight, options? }`);
    if ((c.name as string) === 'mixture') throw new Error(`loss mixture: components[${i}] cannot itself be a mixture`);
    if (typeof c.weight !== 'number' || !Number.isFinite(c.weight) || c.weight < 0) {
      throw new Error(`loss mixture: components[${i}].weight must be a non-negative number, got ${String(c.weight)}`);
    }
    const inner = createLoss(c.name, c.options ?? {}) as TermLoss;
    for (const t of inner.terms) {
      terms.push({ weight: c.weight * t.weight, term: t.term });
    }
    const ps = Object.entries(inner.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    parts.push(`${c.weight}*${c.name}${ps ? `(${ps})` : ''}`);
  });
  return new TermLoss('mixture', { formula: parts.join(' + ') }, terms);
}

// ---------------------------------------------------------------------------------------------------------
// Factories by name
// ---------------------------------------------------------------------------------------------------------

const ALLOWED: Record<LossName, readonly string[]> = {
  ce: [],
  hinge: ['margin'],
  kl: ['tau'],
  mse: ['center'],
  kd: ['beta', 'tau'],
  mixture: ['components'],
};

/** Builds a loss by name from config options; unknown names or options are one-line errors. */
export function createLoss(name: string, options: Readonly<Record<string, unknown>> = {}): TfDistillationLoss {
  const allowed = (ALLOWED as Record<string, readonly string[] | undefined>)[name];
  if (!allowed) throw new Error(`loss: unknown loss "${name}"; expected one of ${LOSS_NAMES.join(', ')}`);
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new Error(`loss ${name}: unknown option "${key}"; expected ${allowed.length ? allowed.join(', ') : 'no options'}`);
    }
  }
  const num = (key: string): number | undefined => {
    const v = options[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') throw new Error(`loss ${name}: ${key} must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  switch (name as LossName) {
    case 'ce':
      return ceLoss();
    case 'hinge':
      return hingeLoss(opt({ margin: num('margin') }));
    case 'kl':
      return klLoss(opt({ tau: num('tau') }));
    case 'mse': {
      const c = options.center;
      if (c !== undefined && typeof c !== 'boolean') throw new Error(`loss mse: center must be a boolean, got ${JSON.stringify(c)}`);
      return mseLoss(opt({ center: c }));
    }
    case 'kd':
      return kdLoss(opt({ beta: num('beta'), tau: num('tau') }));
    case 'mixture':
      return mixtureLoss(options.components as readonly MixtureComponent[]);
  }
}

function opt<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

const DESCRIPTIONS: Record<LossName, string> = {
  ce: 'cross-entropy of the student logits on the labels',
  hinge: "BBT's multi-class hinge Σ_{j≠y} max(0, s_j − s_y + margin), margin 2",
  kl: 'τ²·KL(softmax(t/τ) ‖ softmax(s/τ)), τ default 1',
  mse: 'mean squared difference of logits (center: subtract row means)',
  kd: '(1−β)·CE + β·τ²·KL, β 0.5, τ 2',
  mixture: 'weighted sum of losses: components [{ name, weight, options }]',
};

/** Registers every loss by name (kind 'loss'). */
export function registerLosses(registry: Registry): void {
  for (const name of LOSS_NAMES) {
    const factory: ComponentFactory<TfDistillationLoss> = (options) => createLoss(name, options);
    registry.register('loss', name, factory, DESCRIPTIONS[name]);
  }
}
