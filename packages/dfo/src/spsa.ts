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
const { abs, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

export class SPSA implements MeanBasedOptimizer {
  readonly specVersion = SPEC_VERSION;
  readonly name = 'spsa';
  readonly dim: number;
  readonly popSize: number;
  readonly alpha: number;
  readonly gamma: number;
  readonly c: number;
  readonly A: number;
  private readonly rng: Rng;
  private readonly box: Box | undefined;
  private readonly theta: Float64Array;
  private a: number | undefined;
  private readonly initialStep: number;
  private readonly maxStep: number;
  private k = 0;
  private evals = 0;
  private nonFinite = 0;
  private pending: { plus: Float64Array; minus: Float64Array }[] = [];
  private readonly bestTracker = new BestTracker();
  private readonly ftarget: number;
  private readonly maxIterations: number;
  private readonly maxEvaluations: number;

  constructor(options: OptimizerOptions) {
    const name = this.name;
    checkCommon(name, options);
    this.dim = options.dim;
    this.rng = options.rng;
    this.box = resolveBounds(name, options);
    this.theta = resolveX0(name, options, this.box);
    const sigma0 = resolveSigma0(options, this.box);
    this.popSize = options.popSize ?? 2;
    if (!Number.isInteger(this.popSize) || this.popSize < 2 || this.popSize % 2 !== 0) {
      optionError(name, `options.popSize must be an even integer ≥ 2 (perturbation pairs), got ${this.popSize}`);
    }
    this.maxEvaluations = options.maxEvaluations ?? Infinity;
    const r = new OptionReader(name, options.options);
    this.alpha = r.number('alpha', 0.602, { min: 0, exclusiveMin: true });
    this.gamma = r.number('gamma', 0.101, { min: 0 });
    this.c = r.number('c', 0.1 * sigma0, { min: 0, exclusiveMin: true });
    const expectedIters = isFiniteNumber(this.maxEvaluations) ? this.maxEvaluations / this.popSize : 100;
    this.A = r.number('A', 0.1 * expectedIters, { min: 0 });
    this.a = r.optionalNumber('a', { min: 0, exclusiveMin: true });
    this.initialStep = r.number('initialStep', 0.1 * sigma0, { min: 0, exclusiveMin: true });
    this.maxStep = r.number('maxStep', sigma0, { min: 0, exclusiveMin: true });
    this.ftarget = r.number('ftarget', -Infinity);
    this.maxIterations = r.number('maxIterations', Infinity, { min: 1 });
    r.finish();
  }

  /** Current perturbation size c_k. */
  get sigma(): number {
    return this.c / (this.k + 1) ** this.gamma;
  }
  /** Current gain a_k (undefined until calibrated). */
  get gain(): number | undefined {
    return this.a === undefined ? undefined : this.a / (this.k + 1 + this.A) ** this.alpha;
  }
  get generation(): number {
    return this.k;
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
    return Float64Array.from(this.theta);
  }
  setMean(mean: Float64Array): void {
    if (!isFloat64Array(mean) || mean.length !== this.dim) {
      throw new GdfoError('BAD_ARGUMENT', `${this.name}.setMean: mean must be a Float64Array of length ${this.dim}`);
    }
    this.theta.set(mean);
    if (this.box) clipInto(this.theta, this.box);
  }

  ask(count: number = this.popSize): Float64Array[] {
    if (!Number.isInteger(count) || count < 2 || count % 2 !== 0) {
      throw new GdfoError('BAD_ARGUMENT', `${this.name}.ask: count must be an even integer ≥ 2, got ${count}`);
    }
    const n = this.dim;
    const ck = this.sigma;
    const out: Float64Array[] = [];
    for (let q = 0; q < count / 2; q++) {
      const plus = new Float64Array(n);
      const minus = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const d = this.rng.uniform() < 0.5 ? -ck : ck;
        plus[i] = (this.theta[i] as number) + d;
        minus[i] = (this.theta[i] as number) - d;
      }
      if (this.box) {
        clipInto(plus, this.box);
        clipInto(minus, this.box);
      }
      this.pending.push({ plus, minus });
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
    for (const { plus, minus } of this.pending) {
      const fp = find(plus);
      const fm = find(minus);
      if (!isFiniteNumber(fp) || !isFiniteNumber(fm)) continue;
      pairs++;
      for (let i = 0; i < n; i++) {
        const dx = (plus[i] as number) - (minus[i] as number);
        if (dx !== 0) g[i] = (g[i] as number) + (fp - fm) / dx;
      }
    }
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
    let ak = this.a / (this.k + 1 + this.A) ** this.alpha;
    let g2 = 0;
    for (let i = 0; i < n; i++) g2 += (g[i] as number) ** 2;
    const len = ak * sqrt(g2);
    if (len > this.maxStep) ak *= this.maxStep / len;
    for (let i = 0; i < n; i++) this.theta[i] = (this.theta[i] as number) - ak * (g[i] as number);
    if (this.box) clipInto(this.theta, this.box);
    this.k++;
  }

  stop(): TerminationReason[] {
    const out: TerminationReason[] = [];
    if (this.evals >= this.maxEvaluations) out.push('maxfevals');
    if (this.k >= this.maxIterations) out.push('maxiter');
    const b = this.bestTracker.best;
    if (b && b.f <= this.ftarget) out.push('ftarget');
    return out;
  }

  state(): StateValue {
    const n = this.dim;
    const pp = new Float64Array(this.pending.length * 2 * n);
    this.pending.forEach((p, q) => {
      pp.set(p.plus, 2 * q * n);
      pp.set(p.minus, (2 * q + 1) * n);
    });
    return {
      strategy: this.name,
      version: 1,
      dim: n,
      theta: Float64Array.from(this.theta),
      a: this.a === undefined ? null : this.a,
      k: this.k,
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
    this.theta.set(field<Float64Array>(name, state, 'theta', isF64(n), `a Float64Array of length ${n}`));
    this.a = s.a === null ? undefined : field<number>(name, state, 'a', isNum, 'a number or null');
    this.k = field<number>(name, state, 'k', isNum, 'a number');
    this.evals = field<number>(name, state, 'evaluations', isNum, 'a number');
    this.nonFinite = field<number>(name, state, 'nonFinite', isNum, 'a number');
    const pp = field<Float64Array>(name, state, 'pending', isF64(), 'a Float64Array');
    this.pending = [];
    for (let q = 0; (2 * q + 2) * n <= pp.length; q++) {
      this.pending.push({ plus: pp.slice(2 * q * n, (2 * q + 1) * n), minus: pp.slice((2 * q + 1) * n, (2 * q + 2) * n) });
    }
    this.bestTracker.restore(s.best as StateValue);
    this.rng.restore(s.rng as StateValue);
  }
}

export function createSPSA(options: OptimizerOptions): SPSA {
  return new SPSA(options);
}
