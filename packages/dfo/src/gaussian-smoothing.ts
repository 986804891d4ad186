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
import type { MeanBasedOptimizer, OptimizerOptions, StateValue } from '@gdfo/spec';
import { defaultPopSize } from './cma-base.js';
import {
  OptionReader,
  StrategyBase,
  checkHeader,
  checkPairCount,
  checkPairPopSize,
  checkTell,
  clipInto,
  field,
  flatten,
  isF64,
  pointPair,
  resolveBounds,
  resolveSigma0,
  resolveX0,
  stateHeader,
  unflatten,
  visitToldPairs,
  numberField,
  vectorField,
  type Box,
  type PointPair,
} from './common.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { sqrt } = Math;

/** An antithetic pair x ± μ·u and its direction u. */
interface DirectionPair extends PointPair {
  readonly u: Float64Array;
}

export class GaussianSmoothing extends StrategyBase implements MeanBasedOptimizer {
  declare readonly name: 'gaussian-smoothing';
  readonly popSize: number;
  readonly smoothing: number;
  readonly learningRate: number;
  readonly lrDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private readonly box: Box | undefined;
  private readonly x: Float64Array;
  private readonly m1: Float64Array;
  private readonly m2: Float64Array;
  private t = 0;
  private pending: DirectionPair[] = [];
  protected readonly ftarget: number;
  protected readonly maxIterations: number;

  constructor(options: OptimizerOptions) {
    super('gaussian-smoothing', options);
    const name = this.name;
    const n = this.dim;
    this.box = resolveBounds(name, options);
    this.x = resolveX0(name, options, this.box);
    this.smoothing = resolveSigma0(options, this.box);
    const def = defaultPopSize(n);
    this.popSize = checkPairPopSize(name, options.popSize ?? def + (def % 2), 'antithetic pairs');
    const r = new OptionReader(name, options.options);
    this.learningRate = r.number('learningRate', 0.1 * this.smoothing, { min: 0, exclusiveMin: true });
    this.lrDecay = r.number('lrDecay', 1, { min: 0, max: 1, exclusiveMin: true });
    this.beta1 = r.number('beta1', 0.9, { min: 0, max: 1 });
    this.beta2 = r.number('beta2', 0.999, { min: 0, max: 1 });
    this.epsilon = r.number('epsilon', 1e-8, { min: 0 });
    this.ftarget = r.number('ftarget', -Infinity);
    this.maxIterations = r.number('maxIterations', Infinity, { min: 1 });
    r.finish();
    this.m1 = new Float64Array(n);
    this.m2 = new Float64Array(n);
  }

  /** The smoothing radius μ. */
  get sigma(): number {
    return this.smoothing;
  }
  mean(): Float64Array {
    return Float64Array.from(this.x);
  }
  setMean(mean: Float64Array): void {
    this.moveMean(this.x, mean, this.box);
  }

  ask(count: number = this.popSize): Float64Array[] {
    checkPairCount(this.name, count);
    const n = this.dim;
    const mu = this.smoothing;
    const out: Float64Array[] = [];
    for (let q = 0; q < count / 2; q++) {
      const u = new Float64Array(n);
      const pair = pointPair(this.x, this.box, (i) => {
        const g = this.rng.gaussian();
        u[i] = g;
        return mu * g;
      });
      this.pending.push({ u, ...pair });
      out.push(Float64Array.from(pair.plus), Float64Array.from(pair.minus));
    }
    return out;
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    checkTell(this.name, this.dim, points, fitness);
    const n = this.dim;
    this.recordTold(points, fitness);
    const g = new Float64Array(n);
    const pairs = visitToldPairs(this.pending, points, fitness, ({ u }, fp, fm) => {
      const d = fp - fm;
      for (let i = 0; i < n; i++) g[i] = (g[i] as number) + d * (u[i] as number);
    });
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

  state(): StateValue {
    const n = this.dim;
    return {
      ...stateHeader(this.name, n),
      x: Float64Array.from(this.x),
      m1: Float64Array.from(this.m1),
      m2: Float64Array.from(this.m2),
      t: this.t,
      ...this.countersState(),
      pending: flatten(this.pending.flatMap((p) => [p.u, p.plus, p.minus]), n),
      best: this.bestTracker.state(),
      rng: this.rng.state(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    checkHeader(name, state, n);
    const s = state as Record<string, StateValue>;
    this.x.set(vectorField(name, state, 'x', n));
    this.m1.set(vectorField(name, state, 'm1', n));
    this.m2.set(vectorField(name, state, 'm2', n));
    this.t = numberField(name, state, 't');
    this.restoreCounters(state);
    const vs = unflatten(field<Float64Array>(name, state, 'pending', isF64(), 'a Float64Array'), n);
    this.pending = [];
    for (let q = 0; 3 * q + 3 <= vs.length; q++) {
      this.pending.push({ u: vs[3 * q] as Float64Array, plus: vs[3 * q + 1] as Float64Array, minus: vs[3 * q + 2] as Float64Array });
    }
    this.bestTracker.restore(s.best as StateValue);
    this.rng.restore(s.rng as StateValue);
  }
}

export function createGaussianSmoothing(options: OptimizerOptions): GaussianSmoothing {
  return new GaussianSmoothing(options);
}
