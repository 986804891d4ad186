/**
 * Gaussian-smoothing zeroth-order gradient descent with Adam.
 *
 * References: Y. Nesterov & V. Spokoiny, "Random Gradient-Free Minimization of Convex Functions", Found.
 * Comput. Math. 17 (2017) (the smoothed-gradient estimator); T. Salimans et al., "Evolution Strategies as a
 * Scalable Alternative to Reinforcement Learning" (2017) (antithetic sampling); D. P. Kingma & J. Ba, "Adam: A
 * Method for Stochastic Optimization", ICLR 2015 (the step).
 *
 * Each generation draws N directions u_i ~ N(0, I) and asks the antithetic pairs x ± μ·u_i; the estimate
 *   ĝ = 1/(2μN) · Σ_i (f(x + μu_i) − f(x − μu_i))·u_i
 * (exact for quadratics, whatever μ) is fed to Adam: m ← β1·m + (1 − β1)ĝ, v ← β2·v + (1 − β2)ĝ²,
 * x ← x − lr_t·m̂/(√v̂ + ε) with bias corrections m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), and lr_t = lr·lrDecay^t.
 *
 * Defaults: popSize = 2N = 4 + ⌊3 ln n⌋ rounded up to even; μ = sigma0 (0.3 × mean box width or 1);
 * learningRate = 0.1·sigma0; lrDecay = 1; β1 = 0.9, β2 = 0.999, ε = 1e-8.
 * Pairs are matched by content; points that were not asked and pairs with a non-finite value only update
 * `best` (non-finite values are counted). With box bounds, x and the asked points are clipped into the box
 * (the estimate is then biased at the boundary).
 * Strategy options: learningRate, lrDecay, beta1, beta2, epsilon, ftarget, maxIterations.
 */
import type { Candidate, MeanBasedOptimizer, OptimizerOptions, Rng, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import {
  BestTracker,
  OptionReader,
  SPEC_VERSION,
  checkCommon,
  checkHeader,
  checkTell,
  clipInto,
  field,
  isF64,
  isNum,
  optionError,
  resolveBounds,
  resolveSigma0,
  resolveX0,
  sameVector,
  type Box,
  isFloat64Array,
} from './common.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { floor, log, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

export class GaussianSmoothing implements MeanBasedOptimizer {
  readonly specVersion = SPEC_VERSION;
  readonly name = 'gaussian-smoothing';
  readonly dim: number;
  readonly popSize: number;
  readonly smoothing: number;
  readonly learningRate: number;
  readonly lrDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly rng: Rng;
  private readonly box: Box | undefined;
  private readonly x: Float64Array;
  private readonly m1: Float64Array;
  private readonly m2: Float64Array;
  private t = 0;
  private gen = 0;
  private evals = 0;
  private nonFinite = 0;
  private pending: { u: Float64Array; plus: Float64Array; minus: Float64Array }[] = [];
  private readonly bestTracker = new BestTracker();
  private readonly ftarget: number;
  private readonly maxIterations: number;
  private readonly maxEvaluations: number;

  constructor(options: OptimizerOptions) {
    const name = this.name;
    checkCommon(name, options);
    const n = options.dim;
    this.dim = n;
    this.rng = options.rng;
    this.box = resolveBounds(name, options);
    this.x = resolveX0(name, options, this.box);
    this.smoothing = resolveSigma0(options, this.box);
    const def = 4 + floor(3 * log(n));
    this.popSize = options.popSize ?? def + (def % 2);
    if (!Number.isInteger(this.popSize) || this.popSize < 2 || this.popSize % 2 !== 0) {
      optionError(name, `options.popSize must be an even integer ≥ 2 (antithetic pairs), got ${this.popSize}`);
    }
    const r = new OptionReader(name, options.options);
    this.learningRate = r.number('learningRate', 0.1 * this.smoothing, { min: 0, exclusiveMin: true });
    this.lrDecay = r.number('lrDecay', 1, { min: 0, max: 1, exclusiveMin: true });
    this.beta1 = r.number('beta1', 0.9, { min: 0, max: 1 });
    this.beta2 = r.number('beta2', 0.999, { min: 0, max: 1 });
    this.epsilon = r.number('epsilon', 1e-8, { min: 0 });
    this.ftarget = r.number('ftarget', -Infinity);
    this.maxIterations = r.number('maxIterations', Infinity, { min: 1 });
    r.finish();
    this.maxEvaluations = options.maxEvaluations ?? Infinity;
    this.m1 = new Float64Array(n);
    this.m2 = new Float64Array(n);
  }

  /** The smoothing radius μ. */
  get sigma(): number {
    return this.smoothing;
  }
  get generation(): number {
    return this.gen;
  }
  get evaluations(): number {
    return this.evals;
  }
  get best(): Candidate | undefined {
    return this.bestTracker.best;
  }
  get nonFiniteEvaluations(): number {
    return this.nonFinite;
  }
  mean(): Float64Array {
    return Float64Array.from(this.x);
  }
  setMean(mean: Float64Array): void {
    if (!isFloat64Array(mean) || mean.length !== this.dim) {
      throw new GdfoError('BAD_ARGUMENT', `${this.name}.setMean: mean must be a Float64Array of length ${this.dim}`);
    }
    this.x.set(mean);
    if (this.box) clipInto(this.x, this.box);
  }

  ask(count: number = this.popSize): Float64Array[] {
    if (!Number.isInteger(count) || count < 2 || count % 2 !== 0) {
      throw new GdfoError('BAD_ARGUMENT', `${this.name}.ask: count must be an even integer ≥ 2, got ${count}`);
    }
    const n = this.dim;
    const mu = this.smoothing;
    const out: Float64Array[] = [];
    for (let q = 0; q < count / 2; q++) {
      const u = new Float64Array(n);
      const plus = new Float64Array(n);
      const minus = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const g = this.rng.gaussian();
        u[i] = g;
        plus[i] = (this.x[i] as number) + mu * g;
        minus[i] = (this.x[i] as number) - mu * g;
      }
      if (this.box) {
        clipInto(plus, this.box);
        clipInto(minus, this.box);
      }
      this.pending.push({ u, plus, minus });
      out.push(Float64Array.from(plus), Float64Array.from(minus));
    }
    return out;
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    checkTell(this.name, this.dim, points, fitness);
    const n = this.dim;
    for (let k = 0; k < points.length; k++) {
      const f = fitness[k] as number;
      if (!isFiniteNumber(f)) this.nonFinite++;
      else this.bestTracker.offer(points[k] as Float64Array, f);
    }
    this.evals += points.length;
    const find = (x: Float64Array): number => {
      for (let k = 0; k < points.length; k++) if (sameVector(points[k] as Float64Array, x)) return fitness[k] as number;
      return NaN;
    };
    const g = new Float64Array(n);
    let pairs = 0;
    for (const { u, plus, minus } of this.pending) {
      const fp = find(plus);
      const fm = find(minus);
      if (!isFiniteNumber(fp) || !isFiniteNumber(fm)) continue;
      pairs++;
      const d = fp - fm;
      for (let i = 0; i < n; i++) g[i] = (g[i] as number) + d * (u[i] as number);
    }
    this.pending = [];
    this.gen++;
    if (pairs === 0) return;
    const scale = 1 / (2 * this.smoothing * pairs);
    this.t++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const lr = this.learningRate * this.lrDecay ** (this.t - 1);
    for (let i = 0; i < n; i++) {
      const gi = (g[i] as number) * scale;
      const m = b1 * (this.m1[i] as number) + (1 - b1) * gi;
      const v = b2 * (this.m2[i] as number) + (1 - b2) * gi * gi;
      this.m1[i] = m;
      this.m2[i] = v;
      this.x[i] = (this.x[i] as number) - (lr * (m / c1)) / (sqrt(v / c2) + this.epsilon);
    }
    if (this.box) clipInto(this.x, this.box);
  }

  stop(): TerminationReason[] {
    const out: TerminationReason[] = [];
    if (this.evals >= this.maxEvaluations) out.push('maxfevals');
    if (this.gen >= this.maxIterations) out.push('maxiter');
    const b = this.bestTracker.best;
    if (b && b.f <= this.ftarget) out.push('ftarget');
    return out;
  }

  state(): StateValue {
    const n = this.dim;
    const pp = new Float64Array(this.pending.length * 3 * n);
    this.pending.forEach((p, q) => {
      pp.set(p.u, 3 * q * n);
      pp.set(p.plus, (3 * q + 1) * n);
      pp.set(p.minus, (3 * q + 2) * n);
    });
    return {
      strategy: this.name,
      version: 1,
      dim: n,
      x: Float64Array.from(this.x),
      m1: Float64Array.from(this.m1),
      m2: Float64Array.from(this.m2),
      t: this.t,
      generation: this.gen,
      evaluations: this.evals,
      nonFinite: this.nonFinite,
      pending: pp,
      best: this.bestTracker.state(),
      rng: this.rng.state(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    checkHeader(name, state, n);
    const s = state as Record<string, StateValue>;
    this.x.set(field<Float64Array>(name, state, 'x', isF64(n), `a Float64Array of length ${n}`));
    this.m1.set(field<Float64Array>(name, state, 'm1', isF64(n), `a Float64Array of length ${n}`));
    this.m2.set(field<Float64Array>(name, state, 'm2', isF64(n), `a Float64Array of length ${n}`));
    this.t = field<number>(name, state, 't', isNum, 'a number');
    this.gen = field<number>(name, state, 'generation', isNum, 'a number');
    this.evals = field<number>(name, state, 'evaluations', isNum, 'a number');
    this.nonFinite = field<number>(name, state, 'nonFinite', isNum, 'a number');
    const pp = field<Float64Array>(name, state, 'pending', isF64(), 'a Float64Array');
    this.pending = [];
    for (let q = 0; (3 * q + 3) * n <= pp.length; q++) {
      this.pending.push({
        u: pp.slice(3 * q * n, (3 * q + 1) * n),
        plus: pp.slice((3 * q + 1) * n, (3 * q + 2) * n),
        minus: pp.slice((3 * q + 2) * n, (3 * q + 3) * n),
      });
    }
    this.bestTracker.restore(s.best as StateValue);
    this.rng.restore(s.rng as StateValue);
  }
}

export function createGaussianSmoothing(options: OptimizerOptions): GaussianSmoothing {
  return new GaussianSmoothing(options);
}
