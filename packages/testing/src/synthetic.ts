/**
 * A synthetic black box whose behaviour a student can represent exactly — for tests, demos and for studying
 * harmonizers without a language model.
 *
 * Each example i has a fixed feature vector x_i ∈ R^k (seeded from its id). For a prompt u ∈ R^k the model's
 * class logits are  s_c = Σ_j W[c, j] · x_ij · tanh(u_j),  with W ∈ R^{C×k} fixed.
 * Teacher: u = P·z + p0 (P, p0 hidden from the optimizer). Labels come from a hidden optimum z*: y_i =
 * argmax_c s_c(P·z* + p0, x_i). Student: the same W and x with a trainable generator u = B·z + q, so it
 * represents the teacher exactly when B = P and q = p0. Its gradients are written by hand; the loss's
 * gradient with respect to the logits is taken by central differences of `DistillationLoss.value`, so any
 * loss works.
 */
import type {
  ContinuousShallowPrompt,
  DistillationLoss,
  DistillBatch,
  Example,
  GradientResult,
  PromptSpace,
  ScoreRequest,
  ScoreResult,
  StateValue,
  Student,
  StudentTrainResult,
  Task,
  Teacher,
} from '@gdfo/spec';
import { Adam, createRng, GdfoError } from '@gdfo/core';

export interface SyntheticOptions {
  /** Dimension of z. */
  dim: number;
  /** Width k of the prompt vector. */
  width: number;
  classes: number;
  seed: number | string;
  /** Norm of the hidden optimum z* relative to √dim (default 1). */
  optimumScale?: number;
  /** Scale of the readout W (default 1): larger makes the classes separable with a smaller loss. */
  logitScale?: number;
}

export class SyntheticWorld {
  readonly W: Float64Array;
  readonly P: Float64Array;
  readonly p0: Float64Array;
  readonly zStar: Float64Array;
  constructor(readonly options: SyntheticOptions) {
    const rng = createRng(`${options.seed}/synthetic-world`);
    const { dim, width, classes } = options;
    this.W = Float64Array.from({ length: classes * width }, () => (options.logitScale ?? 1) * rng.gaussian());
    this.P = Float64Array.from({ length: width * dim }, () => rng.gaussian() / Math.sqrt(dim));
    this.p0 = Float64Array.from({ length: width }, () => 0.1 * rng.gaussian());
    this.zStar = Float64Array.from({ length: dim }, () => (options.optimumScale ?? 1) * rng.gaussian());
  }

  features(example: Example): Float64Array {
    const rng = createRng(`${this.options.seed}/features/${example.id}`);
    return Float64Array.from({ length: this.options.width }, () => rng.gaussian());
  }

  /** Teacher prompt u = P·z + p0. */
  teacherPrompt(z: Float64Array): Float64Array {
    const { dim, width } = this.options;
    const u = Float64Array.from(this.p0);
    for (let j = 0; j < width; j++) for (let a = 0; a < dim; a++) u[j]! += this.P[j * dim + a]! * z[a]!;
    return u;
  }

  logits(u: ArrayLike<number>, x: Float64Array, out: Float64Array): void {
    const { width, classes } = this.options;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < width; j++) s += this.W[c * width + j]! * x[j]! * Math.tanh(u[j]!);
      out[c] = s;
    }
  }

  /** A labelled task: labels from the hidden optimum z*. */
  task(sizes: { train: number; dev: number; test: number }): Task {
    const u = this.teacherPrompt(this.zStar);
    const out = new Float64Array(this.options.classes);
    const make = (split: string, n: number): Example[] =>
      Array.from({ length: n }, (_v, i) => {
        const ex: Example = { id: `${split}-${i}`, text: `synthetic ${split} ${i}`, label: 0 };
        this.logits(u, this.features(ex), out);
        let best = 0;
        for (let c = 1; c < out.length; c++) if (out[c]! > out[best]!) best = c;
        return { ...ex, label: best };
      });
    return {
      specVersion: '1.0',
      name: 'synthetic',
      classes: Array.from({ length: this.options.classes }, (_v, c) => `class-${c}`),
      template: { specVersion: '1.0', text: '{text} {mask}' },
      verbalizer: { specVersion: '1.0', words: Array.from({ length: this.options.classes }, (_v, c) => `w${c}`) },
      metric: 'accuracy',
      train: make('train', sizes.train),
      dev: make('dev', sizes.dev),
      test: make('test', sizes.test),
      source: `synthetic world seed ${this.options.seed}`,
    };
  }
}

/** The prompt space of the synthetic teacher: it receives z itself as a 1×dim "prompt". */
export function syntheticSpace(dim: number): PromptSpace {
  return {
    specVersion: '1.0',
    kind: 'continuous-shallow',
    dim,
    toTeacher: (z): ContinuousShallowPrompt => ({ kind: 'continuous-shallow', mode: 'add', length: 1, width: dim, values: Float32Array.from(z) }),
  };
}

export function createSyntheticTeacher(world: SyntheticWorld): Teacher {
  const { classes } = world.options;
  return {
    specVersion: '1.0',
    info: { id: `synthetic-${world.options.seed}`, accepts: ['continuous-shallow', 'none'], width: world.options.dim, maxPromptLength: 1, scale: { embedding: 1 } },
    async score(request: ScoreRequest): Promise<ScoreResult> {
      const p = request.prompt;
      let z: Float64Array;
      if (p.kind === 'none') z = new Float64Array(world.options.dim);
      else if (p.kind === 'continuous-shallow' && p.values.length === world.options.dim) z = Float64Array.from(p.values);
      else throw new GdfoError('BAD_PROMPT', `synthetic teacher: expected a 1×${world.options.dim} shallow prompt`);
      const u = world.teacherPrompt(z);
      const logits = new Float32Array(request.examples.length * classes);
      const out = new Float64Array(classes);
      request.examples.forEach((ex, i) => {
        world.logits(u, world.features(ex), out);
        logits.set(out, i * classes);
      });
      return { logits, rows: request.examples.length, classes };
    },
  };
}

export interface SyntheticStudentOptions {
  lr?: number;
  seed: number | string;
  /** Initial std of B's entries (default 1/√dim, the teacher's own scale). */
  initStd?: number;
  /**
   * How much the student knows before distillation, in [0, 1]: B starts as w·P + √(1−w²)·R with R random
   * (default 0: a student that knows nothing of the teacher's projection). Stands in for a student
   * pretrained on the same kind of data as the teacher.
   */
  prior?: number;
}

/** Exact-capacity student with a trainable generator (B, q) and Adam. */
export class SyntheticStudent implements Student {
  readonly specVersion = '1.0' as const;
  readonly info;
  private B: Float64Array;
  private q: Float64Array;
  /** One optimizer over (B, q) concatenated: B's entries first, then q's. */
  private readonly optimizer: Adam;
  private readonly featureCache = new Map<string, Float64Array>();

  constructor(
    readonly world: SyntheticWorld,
    options: SyntheticStudentOptions,
  ) {
    const { dim, width, classes } = world.options;
    const rng = createRng(`${options.seed}/synthetic-student`);
    const std = options.initStd ?? 1 / Math.sqrt(dim);
    const w = options.prior ?? 0;
    if (!(w >= 0 && w <= 1)) throw new GdfoError('BAD_OPTION', `synthetic student: prior must be in [0, 1], got ${w}`);
    const noise = Math.sqrt(1 - w * w);
    this.B = Float64Array.from({ length: width * dim }, (_v, i) => w * world.P[i]! + noise * std * rng.gaussian());
    this.q = world.p0.map((v) => w * v);
    this.optimizer = new Adam(width * dim + width, { lr: options.lr ?? 1e-2 });
    this.info = { id: 'synthetic-student', dim, classes, parameters: width * dim + width };
  }

  private x(ex: Example): Float64Array {
    let f = this.featureCache.get(ex.id);
    if (!f) {
      f = this.world.features(ex);
      this.featureCache.set(ex.id, f);
    }
    return f;
  }

  private prompt(z: Float64Array, offset: number): Float64Array {
    const { dim, width } = this.world.options;
    const u = Float64Array.from(this.q);
    for (let j = 0; j < width; j++) {
      let s = 0;
      for (let a = 0; a < dim; a++) s += this.B[j * dim + a]! * z[offset + a]!;
      u[j]! += s;
    }
    return u;
  }

  async predict(z: Float64Array, count: number, examples: readonly Example[]): Promise<Float32Array> {
    const { dim, classes } = this.world.options;
    const out = new Float32Array(count * examples.length * classes);
    const row = new Float64Array(classes);
    for (let i = 0; i < count; i++) {
      const u = this.prompt(z, i * dim);
      examples.forEach((ex, e) => {
        this.world.logits(u, this.x(ex), row);
        out.set(row, (i * examples.length + e) * classes);
      });
    }
    return out;
  }

  /** dL/du for each row, plus the mean loss; rows given by (z offset, example, teacher row, label). */
  private backward(
    rows: { zOff: number; ex: Example; teacher: Float32Array | null }[],
    z: Float64Array,
    loss: DistillationLoss,
  ): { loss: number; dU: Float64Array[] } {
    const { classes, width } = this.world.options;
    const s = new Float64Array(classes);
    let total = 0;
    const dU: Float64Array[] = [];
    for (const r of rows) {
      const u = this.prompt(z, r.zOff);
      const x = this.x(r.ex);
      this.world.logits(u, x, s);
      const label = Int32Array.of(r.ex.label);
      const f = (vals: Float64Array) => loss.value(Float32Array.from(vals), r.teacher, label, classes);
      total += f(s);
      const dS = new Float64Array(classes);
      const h = 1e-3;
      for (let c = 0; c < classes; c++) {
        const plus = Float64Array.from(s);
        const minus = Float64Array.from(s);
        plus[c]! += h;
        minus[c]! -= h;
        dS[c] = (f(plus) - f(minus)) / (2 * h);
      }
      const du = new Float64Array(width);
      for (let j = 0; j < width; j++) {
        let g = 0;
        for (let c = 0; c < classes; c++) g += dS[c]! * this.world.W[c * width + j]!;
        const th = Math.tanh(u[j]!);
        du[j] = g * x[j]! * (1 - th * th);
      }
      dU.push(du);
    }
    return { loss: total / rows.length, dU };
  }

  async trainStep(batch: DistillBatch, loss: DistillationLoss): Promise<StudentTrainResult> {
    const { dim, width, classes } = this.world.options;
    const rows = Array.from(batch.zIndex, (zi, r) => ({
      zOff: zi * dim,
      ex: batch.examples[batch.exampleIndex[r]!]!,
      teacher: loss.usesTeacher ? batch.teacherLogits.subarray(r * classes, (r + 1) * classes) : null,
    }));
    const { loss: value, dU } = this.backward(rows, batch.z, loss);
    const grad = new Float64Array(width * dim + width);
    rows.forEach((r, k) => {
      const du = dU[k]!;
      for (let j = 0; j < width; j++) {
        const g = du[j]! / rows.length;
        for (let a = 0; a < dim; a++) grad[j * dim + a]! += g * batch.z[r.zOff + a]!;
        grad[width * dim + j]! += g;
      }
    });
    this.adam(grad);
    return { loss: value };
  }

  private adam(grad: Float64Array): void {
    const d = this.optimizer.step(grad);
    const n = this.B.length;
    for (let i = 0; i < grad.length; i++) {
      if (i < n) this.B[i]! -= d[i]!;
      else this.q[i - n]! -= d[i]!;
    }
  }

  async gradient(z: Float64Array, examples: readonly Example[], loss: DistillationLoss): Promise<GradientResult> {
    const { dim, width } = this.world.options;
    const { loss: value, dU } = this.backward(examples.map((ex) => ({ zOff: 0, ex, teacher: null })), z, loss);
    const grad = new Float64Array(dim);
    for (const du of dU) {
      for (let j = 0; j < width; j++) {
        const g = du[j]! / examples.length;
        for (let a = 0; a < dim; a++) grad[a]! += g * this.B[j * dim + a]!;
      }
    }
    return { loss: value, grad };
  }

  state(): StateValue {
    const { m, v, t } = this.optimizer.state();
    return { B: Float64Array.from(this.B), q: Float64Array.from(this.q), m, v, t };
  }

  restore(state: StateValue): void {
    const s = state as { B: Float64Array; q: Float64Array; m: Float64Array; v: Float64Array; t: number };
    this.B = Float64Array.from(s.B);
    this.q = Float64Array.from(s.q);
    this.optimizer.restore({ t: s.t, m: s.m, v: s.v });
  }
}
