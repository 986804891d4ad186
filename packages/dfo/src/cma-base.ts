/**
 * What CMA-ES (full covariance) and sep-CMA-ES (diagonal covariance) share: the mean (in the genotype space
 * of the box transformation when bounds are set), the step size and the two evolution paths; the default
 * population size; the termination options and pycma's termination tests over a covariance the subclass
 * describes (`variance`, `conditionNumber`, `maxStd`, `noEffectAxis`); the start and the end of `tell`; the
 * fields that begin and end both states.
 */
import type { OptimizerOptions, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { StrategyBase } from './base.js';
import { BoxTransform } from './bounds.js';
import { resolveSigma0, resolveX0 } from './box.js';
import { checkPopSize, type OptionReader } from './options.js';
import { field, isArrayOf, numberField, rowsField, sameNumberField, vectorField } from './state.js';
import { checkTell } from './tell.js';
import { flatten } from './vectors.js';
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
}

/** What CMA-ES and sep-CMA-ES record of an asked point. */
export interface CmaPending {
  /** Phenotype as returned by ask (private copy). */
  readonly x: Float64Array;
  /** Genotype. */
  readonly xg: Float64Array;
  /** Standard normal coordinates of the sample. */
  readonly z: Float64Array;
  /** `meanVersion` when it was asked. */
  readonly meanVersion: number;
}

export abstract class CmaBase<P extends CmaPending> extends StrategyBase {
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
  /** Set by the subclass constructor (`readTermination`, where its options are read). */
  protected abstract readonly termination: CmaTermination;

  /** Common options, bounds, x0, sigma0 and popSize (≥ 2); the mean at x0, σ = sigma0, zero paths. */
  protected constructor(name: string, options: OptimizerOptions) {
    super(name, options);
    const n = this.dim;
    const box = this.box;
    this.transform = box ? new BoxTransform(box) : undefined;
    const x0 = resolveX0(name, options, box);
    this.sigma0 = resolveSigma0(options, box);
    const lambda = checkPopSize(name, options.popSize, defaultPopSize(n), 2);
    this.popSize = lambda;
    this.m = new Float64Array(n);
    if (this.transform) this.transform.toGeno(x0, this.m);
    else this.m.set(x0);
    this._sigma = this.sigma0;
    this.pc = new Float64Array(n);
    this.ps = new Float64Array(n);
    this.history = new FitnessHistory(10 + ceil((30 * n) / lambda));
  }

  /**
   * Reads the termination options (pycma defaults) in this order, the first bad one being the one reported:
   * tolfun, tolx, tolConditionCov, tolStagnation, tolUpSigma, then ftarget and maxIterations (`readStops`).
   */
  protected readTermination(r: OptionReader): CmaTermination {
    const n = this.dim;
    const lambda = this.popSize;
    const t = {
      tolfun: r.number('tolfun', 1e-11, { min: 0 }),
      tolx: r.number('tolx', 1e-11, { min: 0 }),
      tolConditionCov: r.number('tolConditionCov', 1e14, { min: 1 }),
      tolStagnation: r.number('tolStagnation', floor(100 + (100 * n ** 1.5) / lambda), { min: 0 }),
      tolUpSigma: r.number('tolUpSigma', 1e20, { min: 0, exclusiveMin: true }),
    };
    this.readStops(r, floor(100 + (150 * (n + 3) ** 2) / sqrt(lambda)));
    return t;
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

  /**
   * The step-size path of CSA: ps ← (1 − cs)·ps + √(cs(2 − cs)·μeff)·v, with v = C^{-1/2}·y_w; returns ‖ps‖ and
   * h_σ (0 when ‖ps‖ is too long for the generation: the rank-one update then stalls).
   */
  protected stepSizePath(v: Float64Array, cs: number, mueff: number, chiN: number): { psNorm: number; hsig: number } {
    const n = this.dim;
    const csn = sqrt(cs * (2 - cs) * mueff);
    let psn2 = 0;
    for (let i = 0; i < n; i++) {
      const p = (1 - cs) * (this.ps[i] as number) + csn * (v[i] as number);
      this.ps[i] = p;
      psn2 += p * p;
    }
    const psNorm = sqrt(psn2);
    const hsig = psNorm / sqrt(1 - (1 - cs) ** (2 * (this.gen + 1))) < (1.4 + 2 / (n + 1)) * chiN ? 1 : 0;
    return { psNorm, hsig };
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

  /**
   * The fields that begin the state: header, popSize, mean (genotype), sigma, the paths, the counters,
   * meanVersion and the pending points' x, xg, z and meanVersion.
   */
  protected stateStart(): Record<string, StateValue> {
    const pend = this.pending;
    const rows = (get: (p: P) => Float64Array): Float64Array => flatten(pend.map(get), this.dim);
    return {
      ...this.stateHead(),
      popSize: this.popSize,
      mean: Float64Array.from(this.m),
      sigma: this._sigma,
      pc: Float64Array.from(this.pc),
      ps: Float64Array.from(this.ps),
      meanVersion: this.meanVersion,
      pendingX: rows((p) => p.x),
      pendingXg: rows((p) => p.xg),
      pendingZ: rows((p) => p.z),
      pendingMeanVersion: pend.map((p) => p.meanVersion),
    };
  }

  /** The fields that end the state: best, history, rng. */
  protected stateEnd(): Record<string, StateValue> {
    return { ...this.stateTail(), history: this.history.state() };
  }

  /** Restores the fields of `stateStart` but the pending points, which it returns (the subclass adds its own). */
  protected restoreStart(state: StateValue): CmaPending[] {
    const name = this.name;
    const n = this.dim;
    this.restoreHead(state);
    sameNumberField(name, state, 'popSize', this.popSize);
    this.m.set(vectorField(name, state, 'mean', n));
    this._sigma = numberField(name, state, 'sigma');
    this.pc.set(vectorField(name, state, 'pc', n));
    this.ps.set(vectorField(name, state, 'ps', n));
    this.meanVersion = numberField(name, state, 'meanVersion');
    const x = rowsField(name, state, 'pendingX', n);
    const xg = rowsField(name, state, 'pendingXg', n, x.length);
    const z = rowsField(name, state, 'pendingZ', n, x.length);
    const mv = field<readonly number[]>(name, state, 'pendingMeanVersion', isArrayOf(x.length), `an array of ${x.length} numbers`);
    return x.map((xk, k) => ({ x: xk, xg: xg[k] as Float64Array, z: z[k] as Float64Array, meanVersion: mv[k] as number }));
  }

  /** Restores the fields of `stateEnd`. */
  protected restoreEnd(state: StateValue): void {
    this.restoreTail(state);
    this.history.restore((state as Record<string, StateValue>).history as StateValue);
  }
}
