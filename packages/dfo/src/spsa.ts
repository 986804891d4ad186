/**
 * SPSA — Simultaneous Perturbation Stochastic Approximation.
 *
 * Reference: J. C. Spall, "Implementation of the Simultaneous Perturbation Algorithm for Stochastic
 * Optimization", IEEE Trans. Aerospace and Electronic Systems 34(3), 1998 (gain sequences and their
 * defaults); J. C. Spall, "Multivariate stochastic approximation using a simultaneous perturbation gradient
 * approximation", IEEE TAC 37(3), 1992.
 *
 * Iteration k (0-based): Δ has independent ±1 (Rademacher) entries, c_k = c/(k + 1)^γ, a_k = a/(k + 1 + A)^α,
 *   ĝ_i = (f(θ + c_kΔ) − f(θ − c_kΔ)) / (2c_kΔ_i),   θ ← θ − a_k·ĝ.
 * `ask(count)` returns count/2 perturbation pairs (count even, default popSize = 2); their estimates are
 * averaged. With box bounds the perturbed points and θ are clipped into the box and ĝ_i uses the actual
 * difference x⁺_i − x⁻_i (0 where it vanished).
 *
 * Defaults: α = 0.602, γ = 0.101 (Spall 1998), c = 0.1·sigma0, A = 10 % of the expected number of
 * iterations (maxEvaluations/popSize when given, else 10). `a` is calibrated on the first iteration as Spall
 * recommends: a = initialStep·(A + 1)^α / mean_i |ĝ_0,i|, so that the first step moves each coordinate by
 * about `initialStep` (default 0.1·sigma0); pass `a` to fix it.
 *
 * Safeguard (not in Spall's algorithm): the Euclidean length of a step is clipped to `maxStep` (default
 * sigma0), which keeps a gain calibrated in a flat region from blowing up in a steep one.
 *
 * Points that were not asked, and pairs with a non-finite value, only update `best` (non-finite ones are
 * counted). `best` holds the best *evaluated* point (θ ± c_kΔ); the iterate θ itself is `mean()`.
 * Strategy options: a, c, A, alpha, gamma, initialStep, maxStep, ftarget, maxIterations.
 */
import type { MeanBasedOptimizer, OptimizerOptions, StateValue } from '@gdfo/spec';
import { PointStrategy } from './base.js';
import { clipInto, resolveSigma0 } from './box.js';
import { OptionReader } from './options.js';
import { askPairs, checkPairPopSize, pointPair, visitToldPairs, type PointPair } from './pairs.js';
import { optionalNumberField, rowsField, vectorField } from './state.js';
import { flatten } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { abs, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

export class SPSA extends PointStrategy implements MeanBasedOptimizer {
  declare readonly name: 'spsa';
  readonly popSize: number;
  readonly alpha: number;
  readonly gamma: number;
  readonly c: number;
  readonly A: number;
  private a: number | undefined;
  private readonly initialStep: number;
  private readonly maxStep: number;
  private pending: PointPair[] = [];

  constructor(options: OptimizerOptions) {
    super('spsa', options);
    const name = this.name;
    const sigma0 = resolveSigma0(options, this.box);
    this.popSize = checkPairPopSize(name, options.popSize ?? 2, 'perturbation pairs');
    const r = new OptionReader(name, options.options);
    this.alpha = r.number('alpha', 0.602, { min: 0, exclusiveMin: true });
    this.gamma = r.number('gamma', 0.101, { min: 0 });
    this.c = r.number('c', 0.1 * sigma0, { min: 0, exclusiveMin: true });
    const expectedIters = isFiniteNumber(this.maxEvaluations) ? this.maxEvaluations / this.popSize : 100;
    this.A = r.number('A', 0.1 * expectedIters, { min: 0 });
    this.a = r.optionalNumber('a', { min: 0, exclusiveMin: true });
    this.initialStep = r.number('initialStep', 0.1 * sigma0, { min: 0, exclusiveMin: true });
    this.maxStep = r.number('maxStep', sigma0, { min: 0, exclusiveMin: true });
    this.readStops(r);
    r.finish();
  }

  /** Current perturbation size c_k (k = `generation`, the iterations done). */
  get sigma(): number {
    return this.c / (this.gen + 1) ** this.gamma;
  }
  /** Current gain a_k (undefined until calibrated). */
  get gain(): number | undefined {
    return this.a === undefined ? undefined : this.a / (this.gen + 1 + this.A) ** this.alpha;
  }

  ask(count: number = this.popSize): Float64Array[] {
    const ck = this.sigma;
    const rademacher = (): number => (this.rng.uniform() < 0.5 ? -ck : ck);
    return askPairs(this.name, count, this.pending, () => pointPair(this.x, this.box, rademacher));
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    this.told(points, fitness);
    const n = this.dim;
    const g = new Float64Array(n);
    const pairs = visitToldPairs(this.pending, points, fitness, ({ plus, minus }, fp, fm) => {
      for (let i = 0; i < n; i++) {
        const dx = (plus[i] as number) - (minus[i] as number);
        if (dx !== 0) g[i] = (g[i] as number) + (fp - fm) / dx;
      }
    });
    this.pending = [];
    if (pairs === 0) return;
    let gabs = 0;
    for (let i = 0; i < n; i++) {
      g[i] = (g[i] as number) / pairs;
      gabs += abs(g[i] as number);
    }
    gabs /= n;
    if (this.a === undefined) {
      if (gabs === 0) return; // flat so far: calibrate on the next informative iteration
      this.a = (this.initialStep * (this.A + 1) ** this.alpha) / gabs;
    }
    let ak = this.a / (this.gen + 1 + this.A) ** this.alpha;
    let g2 = 0;
    for (let i = 0; i < n; i++) g2 += (g[i] as number) ** 2;
    const len = ak * sqrt(g2);
    if (len > this.maxStep) ak *= this.maxStep / len;
    for (let i = 0; i < n; i++) this.x[i] = (this.x[i] as number) - ak * (g[i] as number);
    if (this.box) clipInto(this.x, this.box);
    this.gen++;
  }

  state(): StateValue {
    return {
      ...this.stateHead('k'),
      theta: Float64Array.from(this.x),
      a: this.a === undefined ? null : this.a,
      pending: flatten(this.pending.flatMap((p) => [p.plus, p.minus]), this.dim),
      ...this.stateTail(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    this.restoreHead(state, 'k');
    this.x.set(vectorField(name, state, 'theta', n));
    this.a = optionalNumberField(name, state, 'a');
    const vs = rowsField(name, state, 'pending', n);
    this.pending = [];
    for (let q = 0; 2 * q + 2 <= vs.length; q++) this.pending.push({ plus: vs[2 * q] as Float64Array, minus: vs[2 * q + 1] as Float64Array });
    this.restoreTail(state);
  }
}

export function createSPSA(options: OptimizerOptions): SPSA {
  return new SPSA(options);
}
