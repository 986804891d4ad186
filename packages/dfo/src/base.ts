/**
 * `StrategyBase`, the bookkeeping every single-run strategy shares, and `BestTracker`, the best-so-far.
 * A strategy that extends `StrategyBase` gets the common option checks, the counters and their getters,
 * `best`, the budget stop tests, the checked start of `tell`, and the header, counters, best and rng parts
 * of `state()` / `restore()` with validation; it writes its own fields in between.
 */
import type { Candidate, OptimizerOptions, Rng, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { clipInto, resolveBounds, resolveX0, type Box } from './box.js';
import { checkCommon, type OptionReader } from './options.js';
import { bestField, checkHeader, numberField, restoreRng, stateHeader } from './state.js';
import { checkTell } from './tell.js';
import { isFloat64Array } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const isFiniteNumber = Number.isFinite;

export const SPEC_VERSION = '1.0' as const;

/** Best-so-far (finite fitness only). */
export class BestTracker {
  best: Candidate | undefined;
  offer(x: Float64Array, f: number): boolean {
    if (!isFiniteNumber(f)) return false;
    if (this.best === undefined || f < this.best.f) {
      this.best = { x: Float64Array.from(x), f };
      return true;
    }
    return false;
  }
  state(): StateValue {
    return this.best ? { x: Float64Array.from(this.best.x), f: this.best.f } : null;
  }
  /** Restores what `state()` wrote (validate it first with `bestField`). */
  restore(s: StateValue): void {
    if (s === null) {
      this.best = undefined;
      return;
    }
    const o = s as { x: Float64Array; f: number };
    this.best = { x: Float64Array.from(o.x), f: o.f };
  }
}

/**
 * The bookkeeping every single-run strategy shares: name, dim, RNG, bounds and evaluation budget; the
 * generation, evaluation and non-finite counters with their getters; the best-so-far; the counting side of
 * `tell`; the budget termination tests; the header, counters, best and rng parts of `state()` / `restore()`.
 */
export abstract class StrategyBase {
  readonly specVersion = SPEC_VERSION;
  readonly name: string;
  readonly dim: number;
  protected readonly rng: Rng;
  /** options.maxEvaluations (Infinity when not given). */
  protected readonly maxEvaluations: number;
  /** options.bounds per coordinate (`resolveBounds`); undefined without bounds. */
  protected readonly box: Box | undefined;
  /** Stop once the best value is at most this (`ftarget` option, see `readStops`). */
  protected ftarget = -Infinity;
  /** Stop after this many generations (`maxIterations` option, see `readStops`). */
  protected maxIterations = Infinity;
  protected gen = 0;
  protected evals = 0;
  protected nonFinite = 0;
  protected readonly bestTracker = new BestTracker();

  /** Validates the common options (`checkCommon`) and the bounds (`resolveBounds`), errors naming `name`. */
  protected constructor(name: string, options: OptimizerOptions) {
    checkCommon(name, options);
    this.name = name;
    this.dim = options.dim;
    this.rng = options.rng;
    this.maxEvaluations = options.maxEvaluations ?? Infinity;
    this.box = resolveBounds(name, options);
  }

  /** Reads the options `ftarget` (default −∞) and `maxIterations` (≥ 1, default `maxIterations`), in this order. */
  protected readStops(r: OptionReader, maxIterations = Infinity): void {
    this.ftarget = r.number('ftarget', -Infinity);
    this.maxIterations = r.number('maxIterations', maxIterations, { min: 1 });
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
  /** Told fitness values that were NaN or ±Infinity. */
  get nonFiniteEvaluations(): number {
    return this.nonFinite;
  }

  /** Counts the told points and their non-finite values; offers the finite ones to `best` in told order. */
  protected recordTold(points: readonly Float64Array[], fitness: readonly number[]): void {
    for (let k = 0; k < points.length; k++) {
      const f = fitness[k] as number;
      if (!isFiniteNumber(f)) this.nonFinite++;
      else this.bestTracker.offer(points[k] as Float64Array, f);
    }
    this.evals += points.length;
  }

  /** The start of `tell`: checks the arguments (`checkTell`), then `recordTold`. */
  protected told(points: readonly Float64Array[], fitness: readonly number[]): void {
    checkTell(this.name, this.dim, points, fitness);
    this.recordTold(points, fitness);
  }

  /** The termination tests every strategy makes, in this order: maxfevals, maxiter, ftarget (subclasses add theirs). */
  stop(): TerminationReason[] {
    const out: TerminationReason[] = [];
    if (this.evals >= this.maxEvaluations) out.push('maxfevals');
    if (this.gen >= this.maxIterations) out.push('maxiter');
    const b = this.bestTracker.best;
    if (b && b.f <= this.ftarget) out.push('ftarget');
    return out;
  }

  /** Checks the argument of `setMean` (and that it is finite when `finite`). */
  protected checkMean(mean: Float64Array, finite: boolean): void {
    if (!isFloat64Array(mean) || mean.length !== this.dim) {
      throw new GdfoError(
        'BAD_ARGUMENT',
        `${this.name}.setMean: mean must be a Float64Array of length ${this.dim}`,
      );
    }
    if (!finite) return;
    for (let i = 0; i < this.dim; i++) {
      if (!isFiniteNumber(mean[i]))
        throw new GdfoError('BAD_ARGUMENT', `${this.name}.setMean: mean[${i}] is ${mean[i]}`);
    }
  }

  /** The header and the counters as state fields, in this order (the generation under `genKey`). */
  protected stateHead(genKey = 'generation'): Record<string, StateValue> {
    return { ...stateHeader(this.name, this.dim), ...this.countersState(genKey) };
  }

  /** Checks the header (`checkHeader`: strategy name and dim) and restores the counters of `stateHead`. */
  protected restoreHead(state: StateValue, genKey = 'generation'): void {
    checkHeader(this.name, state, this.dim);
    this.restoreCounters(state, genKey);
  }

  /** The counters as state fields, in this order (the generation under `genKey`). */
  protected countersState(genKey = 'generation'): Record<string, number> {
    return { [genKey]: this.gen, evaluations: this.evals, nonFinite: this.nonFinite };
  }

  /** Restores the counters written by `countersState`, in the same order. */
  protected restoreCounters(state: StateValue, genKey = 'generation'): void {
    this.gen = numberField(this.name, state, genKey);
    this.evals = numberField(this.name, state, 'evaluations');
    this.nonFinite = numberField(this.name, state, 'nonFinite');
  }

  /** The fields that end a state: best and rng. */
  protected stateTail(): { best: StateValue; rng: StateValue } {
    return { best: this.bestTracker.state(), rng: this.rng.state() };
  }

  /** Restores `best` (validated by `bestField`). */
  protected restoreBest(state: StateValue): void {
    this.bestTracker.restore(bestField(this.name, state, this.dim));
  }

  /** Restores the fields of `stateTail`, validated. */
  protected restoreTail(state: StateValue): void {
    this.restoreBest(state);
    restoreRng(this.name, state, this.rng);
  }
}

/**
 * A strategy whose mean is one point, the iterate `x` (starts at `resolveX0`: x0, else the box centre, else 0):
 * `mean()` returns a copy, `setMean(m)` checks m and moves x there, clipped into the box.
 */
export abstract class PointStrategy extends StrategyBase {
  protected readonly x: Float64Array;

  protected constructor(name: string, options: OptimizerOptions) {
    super(name, options);
    this.x = resolveX0(name, options, this.box);
  }

  mean(): Float64Array {
    return Float64Array.from(this.x);
  }

  setMean(mean: Float64Array): void {
    this.checkMean(mean, false);
    this.x.set(mean);
    if (this.box) clipInto(this.x, this.box);
  }
}
