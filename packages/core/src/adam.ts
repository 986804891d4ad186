/**
 * One Adam step for every gradient-descent loop of the project (the white-box prompt, the students, the
 * Gaussian-smoothing strategy): Kingma & Ba 2015, Algorithm 1, in float64.
 *
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  Δ = lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
 *
 * `step` returns Δ; the caller subtracts it from its parameters (which may be split over several arrays).
 * The moments and the step count are state, so a resumed run continues bit for bit.
 */
import { GdfoError } from './errors.js';

export interface AdamOptions {
  /** Learning rate (default 1e-2); `step` may override it per call (a decaying rate). */
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
}

export interface AdamState {
  readonly t: number;
  readonly m: Float64Array;
  readonly v: Float64Array;
}

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private t = 0;
  private m: Float64Array;
  private v: Float64Array;
  private readonly delta: Float64Array;

  constructor(
    readonly size: number,
    options: AdamOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new GdfoError('BAD_OPTION', `adam size: expected an integer ≥ 1, got ${size}`);
    this.lr = options.lr ?? 1e-2;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    for (const [field, v, lo, hi] of [
      ['lr', this.lr, 0, Infinity],
      ['beta1', this.beta1, 0, 1],
      ['beta2', this.beta2, 0, 1],
      ['epsilon', this.epsilon, 0, Infinity],
    ] as const) {
      if (!(v > lo && v < hi) && !(field.startsWith('beta') && v === 0)) {
        throw new GdfoError('BAD_OPTION', `adam ${field}: expected a number in (${lo}, ${hi}), got ${v}`);
      }
    }
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    this.delta = new Float64Array(size);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * One step on gradient `grad` (length `size`, multiplied by `scale` first); returns the update Δ to
   * subtract (a view reused by the next call).
   */
  step(grad: ArrayLike<number>, lr: number = this.lr, scale = 1): Float64Array {
    if (grad.length !== this.size) throw new GdfoError('BAD_SHAPE', `adam gradient: expected ${this.size} values, got ${grad.length}`);
    this.t++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < this.size; i++) {
      const g = grad[i]! * scale;
      const m = b1 * this.m[i]! + (1 - b1) * g;
      const v = b2 * this.v[i]! + (1 - b2) * g * g;
      this.m[i] = m;
      this.v[i] = v;
      this.delta[i] = (lr * (m / c1)) / (Math.sqrt(v / c2) + this.epsilon);
    }
    return this.delta;
  }

  /** One step applied to `params` in place (params −= Δ). */
  apply(params: Float64Array | Float32Array, grad: ArrayLike<number>, lr: number = this.lr, scale = 1): void {
    if (params.length !== this.size) throw new GdfoError('BAD_SHAPE', `adam parameters: expected ${this.size} values, got ${params.length}`);
    const d = this.step(grad, lr, scale);
    for (let i = 0; i < this.size; i++) params[i]! -= d[i]!;
  }

  state(): AdamState {
    return { t: this.t, m: Float64Array.from(this.m), v: Float64Array.from(this.v) };
  }

  restore(state: AdamState): void {
    if (!Number.isInteger(state.t) || state.t < 0) throw new GdfoError('BAD_STATE', `adam state t: expected an integer ≥ 0, got ${String(state.t)}`);
    if (state.m?.length !== this.size || state.v?.length !== this.size) {
      throw new GdfoError('BAD_STATE', `adam state m/v: expected ${this.size} values each, got ${state.m?.length} and ${state.v?.length}`);
    }
    this.t = state.t;
    this.m = Float64Array.from(state.m);
    this.v = Float64Array.from(state.v);
  }
}
