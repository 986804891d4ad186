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
 * - `mixture`: ℓ = Σ_i w_i · ℓ_i over component losses, each resolved by name through the registry
 *
 * Every loss, built-in or a plugin's, is made by `defineLoss`, which adds the input checks (lengths, shapes,
 * classes, label range, teacher presence) shared by all of them; the registry is the only name → loss lookup.
 */
import * as tf from '@tensorflow/tfjs';
import type { ComponentFactory, ComponentKind, DistillationLoss, Registry } from '@gdfo/spec';
import { createContainer, GdfoError, SPEC_VERSION } from '@gdfo/core';
import { ceRows, checkLogits, hingeRow, logSumExp } from './fitness.js';

/** A loss with both the reference and the tfjs implementation. `value` also accepts Float64Array. */
export interface TfDistillationLoss extends DistillationLoss<tf.Tensor> {
  value(student: ArrayLike<number>, teacher: ArrayLike<number> | null, labels: ArrayLike<number>, classes: number): number;
  /** student, teacher: rows × classes float tensors; labels: int32 [rows]. Returns a scalar (mean over rows). */
  tensor(student: tf.Tensor, teacher: tf.Tensor | null, labels: tf.Tensor): tf.Scalar;
}

/** What `defineLoss` returns: a complete loss, with the one-line description its registration uses. */
export interface DefinedLoss extends TfDistillationLoss {
  readonly description: string;
}

export type LossName = 'ce' | 'hinge' | 'kl' | 'mse' | 'kd' | 'mixture';
export const LOSS_NAMES: readonly LossName[] = ['ce', 'hinge', 'kl', 'mse', 'kd', 'mixture'];

/** The per-row form of a loss: lets a mixture add weighted row terms before the mean (the built-ins have it). */
export interface LossRows {
  /** Adds weight · ℓ_r to out[r] for every row (out has one entry per row). */
  into(student: ArrayLike<number>, teacher: ArrayLike<number> | null, labels: ArrayLike<number>, classes: number, weight: number, out: Float64Array): void;
  /** ℓ_r as a [rows] tensor. */
  tensor(student: tf.Tensor2D, teacher: tf.Tensor2D | null, labels: tf.Tensor1D): tf.Tensor1D;
}

/**
 * A loss for `defineLoss`. Give `value` and `tensor` (the mean over rows, on inputs already checked), or
 * `rows` (the per-row term; the mean is taken for you), or both. `teacher` is non-null whenever `usesTeacher`.
 */
export interface LossDefinition {
  readonly name: string;
  readonly description?: string;
  /** Hyperparameters, for reports and cache keys (default {}). */
  readonly params?: Readonly<Record<string, number | string>>;
  /** Whether the loss reads the teacher logits; when true a missing teacher is refused before `value` runs. */
  readonly usesTeacher: boolean;
  /** Whether the loss reads the labels (default true); when true each label is checked to be in 0..classes−1. */
  readonly usesLabels?: boolean;
  /** float64 reference: the mean over rows. student, teacher: rows × classes row-major; labels: one per row. */
  value?(student: ArrayLike<number>, teacher: ArrayLike<number> | null, labels: ArrayLike<number>, classes: number): number;
  /** tfjs: a scalar, the mean over rows (runs inside tf.tidy; labels are int32 [rows]). */
  tensor?(student: tf.Tensor2D, teacher: tf.Tensor2D | null, labels: tf.Tensor1D): tf.Scalar;
  readonly rows?: LossRows;
}

// ---------------------------------------------------------------------------------------------------------
// Checks shared by every loss
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
    throw new GdfoError('BAD_SHAPE', `loss ${name}: labels has ${labels.length} entries, expected one per row (${rows})`);
  }
  if (usesTeacher) {
    if (!teacher) throw new GdfoError('BAD_SHAPE', `loss ${name}: teacher logits are required (got null)`);
    if (teacher.length !== student.length) {
      throw new GdfoError('BAD_SHAPE', `loss ${name}: teacher has ${teacher.length} entries, expected ${student.length} (rows × classes like student)`);
    }
  }
  return rows;
}

function checkTensorInputs(name: string, student: tf.Tensor, teacher: tf.Tensor | null, labels: tf.Tensor, usesTeacher: boolean): void {
  if (student.rank !== 2) throw new GdfoError('BAD_SHAPE', `loss ${name}: student must be a rows × classes tensor, got shape [${student.shape}]`);
  if (labels.rank !== 1 || labels.shape[0] !== student.shape[0]) {
    throw new GdfoError('BAD_SHAPE', `loss ${name}: labels must have shape [${student.shape[0]}], got [${labels.shape}]`);
  }
  if (labels.dtype !== 'int32') throw new GdfoError('BAD_SHAPE', `loss ${name}: labels must be an int32 tensor, got ${labels.dtype}`);
  if (usesTeacher) {
    if (!teacher) throw new GdfoError('BAD_SHAPE', `loss ${name}: teacher logits are required (got null)`);
    if (teacher.shape.length !== 2 || teacher.shape[0] !== student.shape[0] || teacher.shape[1] !== student.shape[1]) {
      throw new GdfoError('BAD_SHAPE', `loss ${name}: teacher must have shape [${student.shape}] like student, got [${teacher.shape}]`);
    }
  }
}

function finitePositive(name: string, key: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new GdfoError('BAD_OPTION', `loss ${name}: ${key} must be a positive number, got ${String(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// defineLoss
// ---------------------------------------------------------------------------------------------------------

interface WeightedRows {
  readonly weight: number;
  readonly rows: LossRows;
  readonly usesTeacher: boolean;
  readonly usesLabels: boolean;
}

/** The unchecked implementation behind a defined loss (a mixture calls it after checking once). */
interface Impl {
  readonly usesLabels: boolean;
  /** Weighted row terms, when every part has a per-row form. */
  readonly terms: readonly WeightedRows[] | undefined;
  value(s: ArrayLike<number>, t: ArrayLike<number> | null, y: ArrayLike<number>, classes: number): number;
  tensor(s: tf.Tensor2D, t: tf.Tensor2D | null, y: tf.Tensor1D): tf.Scalar;
}

const IMPLS = new WeakMap<object, Impl>();

function rowsValue(terms: readonly WeightedRows[], s: ArrayLike<number>, t: ArrayLike<number> | null, y: ArrayLike<number>, classes: number): number {
  const per = new Float64Array(s.length / classes);
  for (const { weight, rows } of terms) if (weight !== 0) rows.into(s, t, y, classes, weight, per);
  let sum = 0;
  for (const v of per) sum += v;
  return sum / per.length;
}

function rowsTensor(terms: readonly WeightedRows[], s: tf.Tensor2D, t: tf.Tensor2D | null, y: tf.Tensor1D): tf.Scalar {
  let per: tf.Tensor1D | null = null;
  for (const { weight, rows } of terms) {
    if (weight === 0) continue;
    const r = rows.tensor(s, t, y);
    const wr = weight === 1 ? r : (tf.mul(r, weight) as tf.Tensor1D);
    per = per ? (tf.add(per, wr) as tf.Tensor1D) : wr;
  }
  return per ? (tf.mean(per) as tf.Scalar) : tf.scalar(0);
}

function fromImpl(name: string, description: string, params: Readonly<Record<string, number | string>>, usesTeacher: boolean, impl: Impl): DefinedLoss {
  const loss: DefinedLoss = {
    specVersion: SPEC_VERSION,
    name,
    description,
    params,
    usesTeacher,
    value(student, teacher, labels, classes) {
      checkValueInputs(name, student, teacher, labels, classes, usesTeacher, impl.usesLabels);
      return impl.value(student, teacher, labels, classes);
    },
    tensor(student, teacher, labels) {
      checkTensorInputs(name, student, teacher, labels, usesTeacher);
      return tf.tidy(() => impl.tensor(student as tf.Tensor2D, teacher as tf.Tensor2D | null, labels as tf.Tensor1D));
    },
  };
  IMPLS.set(loss, impl);
  return loss;
}

/**
 * A complete `DistillationLoss` (float64 `value` and tfjs `tensor`) from a definition, with the input checks
 * every built-in loss uses: wrong lengths, shapes, classes, label range, label dtype or a missing teacher are
 * refused in one line (`GdfoError` code BAD_SHAPE) before the definition runs. Register it with
 * `registry.register('loss', loss.name, () => loss, loss.description)` (or a factory that reads options).
 */
export function defineLoss(def: LossDefinition): DefinedLoss {
  if (!def || typeof def !== 'object') throw new GdfoError('BAD_LOSS', 'defineLoss: expected an object { name, usesTeacher, value, tensor }');
  const { name } = def;
  if (typeof name !== 'string' || name === '') throw new GdfoError('BAD_LOSS', `defineLoss: name must be a non-empty string, got ${JSON.stringify(name)}`);
  if (typeof def.usesTeacher !== 'boolean') throw new GdfoError('BAD_LOSS', `defineLoss ${name}: usesTeacher must be true or false, got ${String(def.usesTeacher)}`);
  const rows = def.rows;
  if (rows !== undefined && (typeof rows.into !== 'function' || typeof rows.tensor !== 'function')) {
    throw new GdfoError('BAD_LOSS', `defineLoss ${name}: rows must be { into(s, t, y, classes, weight, out), tensor(s, t, y) }`);
  }
  if (typeof def.value !== 'function' && !rows) throw new GdfoError('BAD_LOSS', `defineLoss ${name}: needs value(student, teacher, labels, classes) or rows`);
  if (typeof def.tensor !== 'function' && !rows) throw new GdfoError('BAD_LOSS', `defineLoss ${name}: needs tensor(student, teacher, labels) or rows`);
  const usesLabels = def.usesLabels ?? true;
  const terms = rows ? [{ weight: 1, rows, usesTeacher: def.usesTeacher, usesLabels }] : undefined;
  const impl: Impl = {
    usesLabels,
    terms,
    value: def.value ? def.value.bind(def) : (s, t, y, classes) => rowsValue(terms!, s, t, y, classes),
    tensor: def.tensor ? def.tensor.bind(def) : (s, t, y) => rowsTensor(terms!, s, t, y),
  };
  return fromImpl(name, def.description ?? '', def.params ?? {}, def.usesTeacher, impl);
}

// ---------------------------------------------------------------------------------------------------------
// Weighted sums (kd, mixture)
// ---------------------------------------------------------------------------------------------------------

interface Weighted {
  readonly weight: number;
  readonly loss: DistillationLoss;
}

/** The unchecked implementation of any loss: a defined loss's own, or (a foreign object) its public methods. */
function implOf(loss: DistillationLoss): Impl {
  const known = IMPLS.get(loss);
  if (known) return known;
  return {
    usesLabels: false,
    terms: undefined,
    value: (s, t, y, classes) => loss.value(s as Float32Array, t as Float32Array | null, y as Int32Array, classes),
    tensor: (s, t, y) => {
      if (typeof loss.tensor !== 'function') throw new GdfoError('BAD_LOSS', `loss ${loss.name}: has no tensor implementation`);
      return loss.tensor(s, t, y) as tf.Scalar;
    },
  };
}

/**
 * Σ_i w_i · loss_i. When every part has a per-row form the rows are summed before the mean (so `kd` equals
 * the mixture of `ce` and `kl` exactly); otherwise the parts' means are summed (the same number up to rounding).
 */
function weightedSum(name: string, description: string, params: Readonly<Record<string, number | string>>, parts: readonly Weighted[]): DefinedLoss {
  const live = parts.filter((p) => p.weight !== 0);
  const impls = live.map((p) => implOf(p.loss));
  const usesTeacher = live.some((p) => p.loss.usesTeacher);
  const usesLabels = impls.some((i) => i.usesLabels);
  let terms: WeightedRows[] | undefined = [];
  for (let i = 0; i < live.length && terms; i++) {
    const inner = impls[i]!.terms;
    if (!inner) terms = undefined;
    else for (const t of inner) terms.push({ ...t, weight: live[i]!.weight * t.weight });
  }
  const impl: Impl = terms
    ? {
        usesLabels,
        terms,
        value: (s, t, y, classes) => rowsValue(terms!, s, t, y, classes),
        tensor: (s, t, y) => rowsTensor(terms!, s, t, y),
      }
    : {
        usesLabels,
        terms: undefined,
        value: (s, t, y, classes) => live.reduce((acc, p, i) => acc + p.weight * impls[i]!.value(s, t, y, classes), 0),
        tensor: (s, t, y) => {
          let sum: tf.Scalar | null = null;
          live.forEach((p, i) => {
            const v = impls[i]!.tensor(s, t, y);
            const wv = p.weight === 1 ? v : (tf.mul(v, p.weight) as tf.Scalar);
            sum = sum ? (tf.add(sum, wv) as tf.Scalar) : wv;
          });
          return sum ?? tf.scalar(0);
        },
      };
  return fromImpl(name, description, params, usesTeacher, impl);
}

// ---------------------------------------------------------------------------------------------------------
// Built-in losses
// ---------------------------------------------------------------------------------------------------------

const DESCRIPTIONS: Record<LossName, string> = {
  ce: 'cross-entropy of the student logits on the labels',
  hinge: "BBT's multi-class hinge Σ_{j≠y} max(0, s_j − s_y + margin), margin 2",
  kl: 'τ²·KL(softmax(t/τ) ‖ softmax(s/τ)), τ default 1',
  mse: 'mean squared difference of logits (center: subtract row means)',
  kd: '(1−β)·CE + β·τ²·KL, β 0.5, τ 2',
  mixture: 'weighted sum of losses: components [{ name, weight, options }]',
};

/** Cross-entropy of the student logits against the labels. */
export function ceLoss(): DefinedLoss {
  return defineLoss({
    name: 'ce',
    description: DESCRIPTIONS.ce,
    usesTeacher: false,
    rows: {
      into(s, _t, y, classes, w, out) {
        const per = new Float64Array(out.length);
        ceRows(s, y, classes, per);
        for (let r = 0; r < out.length; r++) out[r] = (out[r] as number) + w * (per[r] as number);
      },
      tensor: (s, _t, y) => tf.neg(tf.sum(tf.mul(tf.oneHot(y, s.shape[1]).toFloat(), tf.logSoftmax(s)), 1)) as tf.Tensor1D,
    },
  });
}

/** BBT's hinge loss Σ_{j≠y} max(0, s_j − s_y + margin), mean over rows (default margin 2). */
export function hingeLoss(options: { margin?: number } = {}): DefinedLoss {
  const margin = options.margin ?? 2;
  if (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0) {
    throw new GdfoError('BAD_OPTION', `loss hinge: margin must be a non-negative number, got ${String(margin)}`);
  }
  return defineLoss({
    name: 'hinge',
    description: DESCRIPTIONS.hinge,
    params: { margin },
    usesTeacher: false,
    rows: {
      into(s, _t, y, classes, w, out) {
        for (let r = 0; r < out.length; r++) out[r] = (out[r] as number) + w * hingeRow(s, r * classes, y[r] as number, classes, margin);
      },
      tensor(s, _t, y) {
        const oh = tf.oneHot(y, s.shape[1]).toFloat();
        const sy = tf.sum(tf.mul(s, oh), 1, true);
        const viol = tf.relu(tf.add(tf.sub(s, sy), margin));
        return tf.sum(tf.mul(viol, tf.sub(1, oh)), 1) as tf.Tensor1D;
      },
    },
  });
}

/** τ² · KL(softmax(t/τ) ‖ softmax(s/τ)), mean over rows (default τ = 1, i.e. the plain KL). */
export function klLoss(options: { tau?: number } = {}): DefinedLoss {
  const tau = finitePositive('kl', 'tau', options.tau ?? 1);
  const t2 = tau * tau;
  return defineLoss({
    name: 'kl',
    description: DESCRIPTIONS.kl,
    params: { tau },
    usesTeacher: true,
    usesLabels: false,
    rows: {
      into(s, t, _y, classes, w, out) {
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
      tensor(s, t) {
        const logp = tf.logSoftmax(tf.div(t as tf.Tensor2D, tau));
        const logq = tf.logSoftmax(tf.div(s, tau));
        return tf.mul(tf.sum(tf.mul(tf.exp(logp), tf.sub(logp, logq)), 1), t2);
      },
    },
  });
}

/** Mean squared difference of the logits; `center` subtracts each row's mean first (logit-shift invariant). */
export function mseLoss(options: { center?: boolean } = {}): DefinedLoss {
  const center = options.center ?? false;
  if (typeof center !== 'boolean') throw new GdfoError('BAD_OPTION', `loss mse: center must be a boolean, got ${String(center)}`);
  return defineLoss({
    name: 'mse',
    description: DESCRIPTIONS.mse,
    params: { center: center ? 1 : 0 },
    usesTeacher: true,
    usesLabels: false,
    rows: {
      into(s, t, _y, classes, w, out) {
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
      tensor(s, t) {
        let a: tf.Tensor2D = s;
        let b = t as tf.Tensor2D;
        if (center) {
          a = tf.sub(s, tf.mean(s, 1, true));
          b = tf.sub(b, tf.mean(b, 1, true));
        }
        return tf.mean(tf.squaredDifference(a, b), 1);
      },
    },
  });
}

/** The method's L_KD = (1−β)·CE(y, s) + β·τ²·KL(softmax(t/τ) ‖ softmax(s/τ)); defaults β = 0.5, τ = 2. */
export function kdLoss(options: { beta?: number; tau?: number } = {}): DefinedLoss {
  const beta = options.beta ?? 0.5;
  if (typeof beta !== 'number' || !(beta >= 0 && beta <= 1)) throw new GdfoError('BAD_OPTION', `loss kd: beta must be a number in [0, 1], got ${String(beta)}`);
  const tau = finitePositive('kd', 'tau', options.tau ?? 2);
  return weightedSum('kd', DESCRIPTIONS.kd, { beta, tau }, [
    { weight: 1 - beta, loss: ceLoss() },
    { weight: beta, loss: klLoss({ tau }) },
  ]);
}

export interface MixtureComponent {
  /** A registered loss name other than `mixture` (a built-in or a plugin's). */
  readonly name: string;
  readonly weight: number;
  /** That loss's options (e.g. `{ tau: 2 }`). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/**
 * Σ_i w_i · loss_i. `params.formula` reads e.g. `0.5*ce + 0.5*kl(tau=2)`. Component names are resolved
 * through `registry` (default: the built-in losses), so a plugin's loss can be mixed.
 */
export function mixtureLoss(components: readonly MixtureComponent[], registry?: LossRegistry): DefinedLoss {
  if (!Array.isArray(components) || components.length === 0) {
    throw new GdfoError('BAD_OPTION', 'loss mixture: components must be a non-empty array of { name, weight, options? }');
  }
  const parts: Weighted[] = [];
  const formula: string[] = [];
  components.forEach((c, i) => {
    if (!c || typeof c !== 'object') throw new GdfoError('BAD_OPTION', `loss mixture: components[${i}] must be an object { name, weight, options? }`);
    if (c.name === 'mixture') throw new GdfoError('BAD_OPTION', `loss mixture: components[${i}] cannot itself be a mixture`);
    if (typeof c.weight !== 'number' || !Number.isFinite(c.weight) || c.weight < 0) {
      throw new GdfoError('BAD_OPTION', `loss mixture: components[${i}].weight must be a non-negative number, got ${String(c.weight)}`);
    }
    const inner = createLoss(c.name, c.options ?? {}, registry);
    parts.push({ weight: c.weight, loss: inner });
    const ps = Object.entries(inner.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    formula.push(`${c.weight}*${c.name}${ps ? `(${ps})` : ''}`);
  });
  return weightedSum('mixture', DESCRIPTIONS.mixture, { formula: formula.join(' + ') }, parts);
}

// ---------------------------------------------------------------------------------------------------------
// Registration and lookup by name (the registry is the only name → loss table)
// ---------------------------------------------------------------------------------------------------------

/** A registry that can also build a component synchronously (`ComponentRegistry` from `@gdfo/core`). */
export interface LossRegistry extends Registry {
  resolveSync<T>(kind: ComponentKind, name: string, options?: Readonly<Record<string, unknown>>): T;
}

function canResolve(registry: Registry | undefined): registry is LossRegistry {
  return !!registry && typeof (registry as Partial<LossRegistry>).resolveSync === 'function';
}

/** Reads a built-in loss's options: unknown keys and wrongly typed values are one-line errors. */
function reader(name: string, options: Readonly<Record<string, unknown>>, allowed: readonly string[]) {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new GdfoError('BAD_OPTION', `loss ${name}: unknown option "${key}"; expected ${allowed.length ? allowed.join(', ') : 'no options'}`);
    }
  }
  return {
    num(key: string): number | undefined {
      const v = options[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'number') throw new GdfoError('BAD_OPTION', `loss ${name}: ${key} must be a number, got ${JSON.stringify(v)}`);
      return v;
    },
  };
}

function opt<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** Each built-in's factory from config options; `registry` resolves a mixture's components. */
const FACTORIES: Record<LossName, (options: Readonly<Record<string, unknown>>, registry: LossRegistry | undefined) => DefinedLoss> = {
  ce: (o) => {
    reader('ce', o, []);
    return ceLoss();
  },
  hinge: (o) => hingeLoss(opt({ margin: reader('hinge', o, ['margin']).num('margin') })),
  kl: (o) => klLoss(opt({ tau: reader('kl', o, ['tau']).num('tau') })),
  mse: (o) => {
    reader('mse', o, ['center']);
    const c = o.center;
    if (c !== undefined && typeof c !== 'boolean') throw new GdfoError('BAD_OPTION', `loss mse: center must be a boolean, got ${JSON.stringify(c)}`);
    return mseLoss(opt({ center: c }));
  },
  kd: (o) => {
    const r = reader('kd', o, ['beta', 'tau']);
    return kdLoss(opt({ beta: r.num('beta'), tau: r.num('tau') }));
  },
  mixture: (o, registry) => {
    reader('mixture', o, ['components']);
    return mixtureLoss(o.components as readonly MixtureComponent[], registry);
  },
};

/**
 * Registers every built-in loss by name (kind 'loss') with its description. A mixture resolves its
 * components through the same registry when it can build synchronously (`resolveSync`), else through the
 * built-in losses.
 */
export function registerLosses(registry: Registry): void {
  const resolver = canResolve(registry) ? registry : undefined;
  for (const name of LOSS_NAMES) {
    const factory: ComponentFactory<DefinedLoss> = (options) => FACTORIES[name](options, resolver);
    registry.register('loss', name, factory, DESCRIPTIONS[name]);
  }
}

let builtins: LossRegistry | undefined;

/** A registry holding the built-in losses only (made once). */
export function builtinLossRegistry(): LossRegistry {
  if (!builtins) {
    const { registry } = createContainer();
    registerLosses(registry);
    builtins = registry;
  }
  return builtins;
}

/**
 * Builds a loss by name from config options through `registry` (default: the built-in losses); unknown names
 * or options are one-line errors. Same as `registry.resolveSync('loss', name, options)`, with the names listed
 * in the error.
 */
export function createLoss(name: string, options: Readonly<Record<string, unknown>> = {}, registry: LossRegistry = builtinLossRegistry()): TfDistillationLoss {
  if (!registry.has('loss', name)) {
    const known = registry.names('loss');
    const names = [...LOSS_NAMES.filter((n) => known.includes(n)), ...known.filter((n) => !(LOSS_NAMES as readonly string[]).includes(n))];
    throw new GdfoError('UNKNOWN_COMPONENT', `loss: unknown loss "${name}"; expected one of ${names.join(', ')}`);
  }
  return registry.resolveSync<TfDistillationLoss>('loss', name, options);
}
