/**
 * What CMA-ES (full covariance) and sep-CMA-ES (diagonal covariance) share: the mean (in the genotype space
 * of the box transformation when bounds are set), the step size and the two evolution paths; the default
 * population size; the termination options and pycma's termination tests over a covariance the subclass
 * describes (`variance`, `conditionNumber`, `maxStd`, `noEffectAxis`); the start and the end of `tell`; the
 * fields that begin and end both states.
 */
import type { OptimizerOptions, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { BoxTransform } from './bounds.js';
import {
  OptionReader,
  StrategyBase,
  checkHeader,
  checkTell,
  optionError,
  resolveBounds,
  resolveSigma0,
  resolveX0,
  stateError,
  stateHeader,
  numberField,
  vectorField,
} from './common.js';
import { FitnessHistory } from './history.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { abs, ceil, floor, log, max, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

/** λ = 4 + ⌊3 ln n⌋. */
export function defaultPopSize(n: number): number {
  return 4 + floor(3 * log(n));
}

/** Termination options of the CMA-ES family (pycma defaults). */
export interface CmaTermination {
  readonly tolfun: number;
  readonly tolx: number;
  readonly tolConditionCov: number;
  readonly tolStagnation: number;
  readonly tolUpSigma: number;
  readonly ftarget: number;
  readonly maxIterations: number;
}

/** Reads the termination options, in this order (the first bad one is the one reported). */
export function readCmaTermination(r: OptionReader, n: number, lambda: number): CmaTermination {
  return {
    tolfun: r.number('tolfun', 1e-11, { min: 0 }),
    tolx: r.number('tolx', 1e-11, { min: 0 }),
    tolConditionCov: r.number('tolConditionCov', 1e14, { min: 1 }),
    tolStagnation: r.number('tolStagnation', floor(100 + (100 * n ** 1.5) / lambda), { min: 0 }),
    tolUpSigma: r.number('tolUpSigma', 1e20, { min: 0, exclusiveMin: true }),
    ftarget: r.number('ftarget', -Infinity),
    maxIterations: r.number('maxIterations', floor(100 + (150 * (n + 3) ** 2) / sqrt(lambda)), { min: 1 }),
  };
}

export abstract class CmaBase<P> extends StrategyBase {
  readonly popSize: number;
  readonly sigma0: number;
  protected readonly transform: BoxTransform | undefined;
  /** Distribution mean (genotype). */
  protected readonly m: Float64Array;
  protected _sigma: number;
  protected readonly pc: Float64Array;
  protected readonly ps: Float64Array;
  /** Bumped by `setMean`: pending points of an older mean are told as not asked. */
  protected meanVersion = 0;
  protected pending: P[] = [];
  protected readonly history: FitnessHistory;
  /** Set by the subclass constructor (`readCmaTermination`, where its options are read). */
  protected abstract readonly termination: CmaTermination;

  /** Common options, bounds, x0, sigma0 and popSize (≥ 2); the mean at x0, σ = sigma0, zero paths. */
  protected constructor(name: string, options: OptimizerOptions) {
    super(name, options);
    const n = this.dim;
    const box = resolveBounds(name, options);
    this.transform = box ? new BoxTransform(box) : undefined;
    const x0 = resolveX0(name, options, box);
    this.sigma0 = resolveSigma0(options, box);
    const lambda = options.popSize ?? defaultPopSize(n);
    if (!Number.isInteger(lambda) || lambda < 2) optionError(name, `options.popSize must be an integer ≥ 2, got ${lambda}`);
    this.popSize = lambda;
    this.m = new Float64Array(n);
    if (this.transform) this.transform.toGeno(x0, this.m);
    else this.m.set(x0);
    this._sigma = this.sigma0;
    this.pc = new Float64Array(n);
    this.ps = new Float64Array(n);
    this.history = new FitnessHistory(10 + ceil((30 * n) / lambda));
  }

  protected get ftarget(): number {
    return this.termination.ftarget;
  }
  protected get maxIterations(): number {
    return this.termination.maxIterations;
  }
  get sigma(): number {
    return this._sigma;
  }

  /** Distribution mean, in the box when bounds are set. */
  mean(): Float64Array {
    const out = new Float64Array(this.dim);
    return this.transform ? this.transform.toPheno(this.m, out) : (out.set(this.m), out);
  }

  setMean(mean: Float64Array): void {
    this.checkMean(mean, true);
    if (this.transform) this.transform.toGeno(mean, this.m);
    else this.m.set(mean);
    this.meanVersion++;
  }

  /** C_ii, the variance of coordinate i before σ². */
  protected abstract variance(i: number): number;
  /** The condition number of C compared with `tolConditionCov`. */
  protected abstract conditionNumber(): number;
  /** The largest standard deviation of C (before σ), for `tolupsigma`. */
  protected abstract maxStd(): number;
  /** Whether adding 0.1·σ times the principal axis `ax` leaves the mean unchanged. */
  protected abstract noEffectAxis(ax: number, sigma: number): boolean;

  /**
   * pycma's termination tests, in this order: maxfevals, maxiter, ftarget, tolfun, tolx, conditioncov,
   * noeffectaxis (axis gen mod n), noeffectcoord, tolstagnation, tolupsigma.
   */
  override stop(): TerminationReason[] {
    const n = this.dim;
    const t = this.termination;
    const out = super.stop();
    if (this.gen > 0 && this.history.range() < t.tolfun) out.push('tolfun');
    const s = this._sigma;
    let allSmall = true;
    let noEffectCoord = false;
    for (let i = 0; i < n; i++) {
      const sd = sqrt(this.variance(i));
      if (s * max(abs(this.pc[i] as number), sd) >= t.tolx) allSmall = false;
      const mi = this.m[i] as number;
      if (mi === mi + 0.2 * s * sd) noEffectCoord = true;
    }
    if (allSmall) out.push('tolx');
    if (this.conditionNumber() > t.tolConditionCov) out.push('conditioncov');
    if (this.gen > 0 && this.noEffectAxis(this.gen % n, s)) out.push('noeffectaxis');
    if (noEffectCoord) out.push('noeffectcoord');
    if (this.gen > t.tolStagnation && this.history.stagnation()) out.push('tolstagnation');
    if (s / this.sigma0 > t.tolUpSigma * this.maxStd()) out.push('tolupsigma');
    return out;
  }

  /** Checks the arguments of `tell`, and that at least μ points are told. */
  protected checkTellCount(points: readonly Float64Array[], fitness: readonly number[], mu: number): void {
    checkTell(this.name, this.dim, points, fitness);
    if (points.length < mu) {
      throw new GdfoError('BAD_ARGUMENT', `${this.name}.tell: got ${points.length} points; at least mu = ${mu} are needed`);
    }
  }

  /**
   * The end of `tell`: the new step size (capped at 1e32), the counters and best, the generation's finite
   * values (`order`: told indices ranked, `nonFinite` of them last) in the fitness history; clears pending.
   */
  protected endTell(points: readonly Float64Array[], fitness: readonly number[], order: readonly number[], nonFinite: number, sigma: number): void {
    this._sigma = sigma;
    if (!(this._sigma <= 1e32)) this._sigma = 1e32;
    this.gen++;
    this.recordTold(points, fitness);
    const sorted: number[] = [];
    for (const k of order) if (isFiniteNumber(fitness[k])) sorted.push(fitness[k] as number);
    this.history.record(this.gen, sorted, nonFinite > 0);
    this.pending = [];
  }

  /** The fields that begin the state: header, popSize, mean (genotype), sigma. */
  protected stateStart(): Record<string, StateValue> {
    return {
      ...stateHeader(this.name, this.dim),
      popSize: this.popSize,
      mean: Float64Array.from(this.m),
      sigma: this._sigma,
    };
  }

  /** The fields that end the state: best, history, rng. */
  protected stateEnd(): Record<string, StateValue> {
    return { best: this.bestTracker.state(), history: this.history.state(), rng: this.rng.state() };
  }

  /** Restores the fields of `stateStart`, in the same order. */
  protected restoreStart(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    checkHeader(name, state, n);
    const ps = numberField(name, state, 'popSize');
    if (ps !== this.popSize) stateError(name, `state has popSize ${ps}, this optimizer has ${this.popSize}`);
    this.m.set(vectorField(name, state, 'mean', n));
    this._sigma = numberField(name, state, 'sigma');
  }

  /** Restores the fields of `stateEnd`. */
  protected restoreEnd(state: StateValue): void {
    const s = state as Record<string, StateValue>;
    this.bestTracker.restore(s.best as StateValue);
    this.history.restore(s.history as StateValue);
    this.rng.restore(s.rng as StateValue);
  }
}
