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
 * x ← x − lr_t·m̂/(√v̂ + ε) with bias corrections m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), and lr_t = lr·lrDecay^(t−1)
 * (the `Adam` of @gdfo/core, given lr_t and the scale 1/(2μN); its moments and t are the state's m1, m2, t).
 *
 * Defaults: popSize = 2N = 4 + ⌊3 ln n⌋ rounded up to even; μ = sigma0 (0.3 × mean box width or 1);
 * learningRate = 0.1·sigma0; lrDecay = 1; β1 = 0.9, β2 = 0.999 (both in [0, 1)), ε = 1e-8 (> 0).
 * Pairs are matched by content; points that were not asked and pairs with a non-finite value only update
 * `best` (non-finite values are counted). With box bounds, x and the asked points are clipped into the box
 * (the estimate is then biased at the boundary).
 * Strategy options: learningRate, lrDecay, beta1, beta2, epsilon, ftarget, maxIterations.
 */
import type { MeanBasedOptimizer, OptimizerOptions, StateValue } from '@gdfo/spec';
import { Adam } from '@gdfo/core';
import { PointStrategy } from './base.js';
import { defaultPopSize } from './cma-base.js';
import { clipInto, resolveSigma0 } from './box.js';
import { OptionReader } from './options.js';
import { askPairs, checkPairPopSize, pointPair, visitToldPairs, type PointPair } from './pairs.js';
import { numberField, rowsField, vectorField } from './state.js';
import { flatten } from './vectors.js';

/** An antithetic pair x ± μ·u and its direction u. */
interface DirectionPair extends PointPair {
  readonly u: Float64Array;
}

export class GaussianSmoothing extends PointStrategy implements MeanBasedOptimizer {
  declare readonly name: 'gaussian-smoothing';
  readonly popSize: number;
  readonly smoothing: number;
  readonly learningRate: number;
  readonly lrDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** The Adam moments (m1, m2) and step count t. */
  private readonly adam: Adam;
  private pending: DirectionPair[] = [];

  constructor(options: OptimizerOptions) {
    super('gaussian-smoothing', options);
    const name = this.name;
    const n = this.dim;
    this.smoothing = resolveSigma0(options, this.box);
    const def = defaultPopSize(n);
    this.popSize = checkPairPopSize(name, options.popSize ?? def + (def % 2), 'antithetic pairs');
    const r = new OptionReader(name, options.options);
    this.learningRate = r.number('learningRate', 0.1 * this.smoothing, { min: 0, exclusiveMin: true });
    this.lrDecay = r.number('lrDecay', 1, { min: 0, max: 1, exclusiveMin: true });
    this.beta1 = r.number('beta1', 0.9, { min: 0, max: 1, exclusiveMax: true });
    this.beta2 = r.number('beta2', 0.999, { min: 0, max: 1, exclusiveMax: true });
    this.epsilon = r.number('epsilon', 1e-8, { min: 0, exclusiveMin: true });
    this.readStops(r);
    r.finish();
    this.adam = new Adam(n, { lr: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon });
  }

  /** The smoothing radius μ. */
  get sigma(): number {
    return this.smoothing;
  }

  ask(count: number = this.popSize): Float64Array[] {
    const n = this.dim;
    const mu = this.smoothing;
    return askPairs(this.name, count, this.pending, () => {
      const u = new Float64Array(n);
      const pair = pointPair(this.x, this.box, (i) => {
        const g = this.rng.gaussian();
        u[i] = g;
        return mu * g;
      });
      return { u, ...pair };
    });
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    this.told(points, fitness);
    const n = this.dim;
    const g = new Float64Array(n);
    const pairs = visitToldPairs(this.pending, points, fitness, ({ u }, fp, fm) => {
      const d = fp - fm;
      for (let i = 0; i < n; i++) g[i] = (g[i] as number) + d * (u[i] as number);
    });
    this.pending = [];
    this.gen++;
    if (pairs === 0) return;
    // Adam on ĝ = g / (2μ·pairs), with lr_t = lr·lrDecay^(t−1) for step t.
    const lr = this.learningRate * this.lrDecay ** this.adam.steps;
    const delta = this.adam.step(g, lr, 1 / (2 * this.smoothing * pairs));
    for (let i = 0; i < n; i++) this.x[i] = (this.x[i] as number) - (delta[i] as number);
    if (this.box) clipInto(this.x, this.box);
  }

  state(): StateValue {
    const n = this.dim;
    const { m, v, t } = this.adam.state();
    return {
      ...this.stateHead(),
      x: Float64Array.from(this.x),
      m1: m,
      m2: v,
      t,
      pending: flatten(this.pending.flatMap((p) => [p.u, p.plus, p.minus]), n),
      ...this.stateTail(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    this.restoreHead(state);
    this.x.set(vectorField(name, state, 'x', n));
    const t = numberField(name, state, 't');
    this.adam.restore({ m: vectorField(name, state, 'm1', n), v: vectorField(name, state, 'm2', n), t });
    const vs = rowsField(name, state, 'pending', n);
    this.pending = [];
    for (let q = 0; 3 * q + 3 <= vs.length; q++) {
      this.pending.push({ u: vs[3 * q] as Float64Array, plus: vs[3 * q + 1] as Float64Array, minus: vs[3 * q + 2] as Float64Array });
    }
    this.restoreTail(state);
  }
}

export function createGaussianSmoothing(options: OptimizerOptions): GaussianSmoothing {
  return new GaussianSmoothing(options);
}
