/**
 * Helpers shared by the strategies: option reading with one-line errors, bounds, ranking with non-finite
 * fitness last, best-so-far tracking, state (de)serialization checks, the `StrategyBase` class that holds the
 * bookkeeping every strategy shares, and the antithetic-pair helpers of SPSA and Gaussian smoothing.
 */
import type { Candidate, OptimizerOptions, Rng, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { max, min } = Math;
const isFiniteNumber = Number.isFinite;

export const SPEC_VERSION = '1.0' as const;

/** Float64Array check that also accepts arrays from another realm (vm contexts, structuredClone in jest). */
export function isFloat64Array(v: unknown): v is Float64Array {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Float64Array]';
}

/** Throws the package's one-line option error. */
export function optionError(strategy: string, message: string): never {
  throw new GdfoError('BAD_OPTION', `${strategy}: ${message}`);
}

/** Throws the package's one-line state error (restore of an incompatible snapshot). */
export function stateError(strategy: string, message: string): never {
  throw new GdfoError('BAD_STATE', `${strategy}.restore: ${message}`);
}

interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  /** Strictly greater than `min`. */
  readonly exclusiveMin?: boolean;
  readonly integer?: boolean;
}

/** Reads `OptimizerOptions.options` (strategy-specific options) and refuses unknown keys. */
export class OptionReader {
  private readonly used = new Set<string>();
  constructor(
    private readonly strategy: string,
    private readonly options: Readonly<Record<string, unknown>> = {},
  ) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      optionError(strategy, `options.options must be an object, got ${JSON.stringify(options)}`);
    }
  }

  number(key: string, fallback: number, rule: NumberRule = {}): number {
    this.used.add(key);
    const v = this.options[key];
    if (v === undefined) return fallback;
    return checkNumber(this.strategy, `options.options.${key}`, v, rule);
  }

  optionalNumber(key: string, rule: NumberRule = {}): number | undefined {
    this.used.add(key);
    const v = this.options[key];
    if (v === undefined) return undefined;
    return checkNumber(this.strategy, `options.options.${key}`, v, rule);
  }

  boolean(key: string, fallback: boolean): boolean {
    this.used.add(key);
    const v = this.options[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') optionError(this.strategy, `options.options.${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  choice<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    this.used.add(key);
    const v = this.options[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      optionError(this.strategy, `options.options.${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  /** Any value, unchecked (the caller validates). */
  raw(key: string): unknown {
    this.used.add(key);
    return this.options[key];
  }

  /** Throws on keys that no reader asked for (typos). */
  finish(): void {
    const unknown = Object.keys(this.options).filter((k) => !this.used.has(k));
    if (unknown.length > 0) {
      optionError(
        this.strategy,
        `unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `options.options.${k}`).join(', ')}; expected one of ${[...this.used].sort().join(', ')}`,
      );
    }
  }
}

export function checkNumber(strategy: string, field: string, v: unknown, rule: NumberRule = {}): number {
  const what = `${rule.integer ? 'an integer' : 'a number'}${
    rule.min !== undefined ? ` ${rule.exclusiveMin ? '>' : '≥'} ${rule.min}` : ''
  }${rule.max !== undefined ? ` ≤ ${rule.max}` : ''}`;
  if (typeof v !== 'number' || Number.isNaN(v)) optionError(strategy, `${field} must be ${what}, got ${JSON.stringify(v)}`);
  if (rule.integer && !Number.isInteger(v)) optionError(strategy, `${field} must be ${what}, got ${v}`);
  if (rule.min !== undefined && (rule.exclusiveMin ? v <= rule.min : v < rule.min)) {
    optionError(strategy, `${field} must be ${what}, got ${v}`);
  }
  if (rule.max !== undefined && v > rule.max) optionError(strategy, `${field} must be ${what}, got ${v}`);
  return v;
}

/** Validates the common fields of OptimizerOptions. */
export function checkCommon(strategy: string, o: OptimizerOptions): void {
  if (o === null || typeof o !== 'object') optionError(strategy, `options must be an object, got ${JSON.stringify(o)}`);
  checkNumber(strategy, 'options.dim', o.dim, { integer: true, min: 1 });
  if (!o.rng || typeof o.rng.gaussian !== 'function' || typeof o.rng.uniform !== 'function') {
    optionError(strategy, 'options.rng must be an Rng (use createRng(seed) from @gdfo/core)');
  }
  if (o.sigma0 !== undefined) checkNumber(strategy, 'options.sigma0', o.sigma0, { min: 0, exclusiveMin: true });
  if (o.sigma0 !== undefined && !isFiniteNumber(o.sigma0)) optionError(strategy, `options.sigma0 must be finite, got ${o.sigma0}`);
  if (o.maxEvaluations !== undefined) checkNumber(strategy, 'options.maxEvaluations', o.maxEvaluations, { min: 1 });
  if (o.x0 !== undefined) {
    if (!isFloat64Array(o.x0) || o.x0.length !== o.dim) {
      optionError(strategy, `options.x0 must be a Float64Array of length dim = ${o.dim}`);
    }
    for (let i = 0; i < o.x0.length; i++) {
      if (!isFiniteNumber(o.x0[i])) optionError(strategy, `options.x0[${i}] must be finite, got ${o.x0[i]}`);
    }
  }
}

/** Box bounds resolved per coordinate (±Infinity where a side is open). */
export interface Box {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export function resolveBounds(strategy: string, o: OptimizerOptions): Box | undefined {
  const b = o.bounds;
  if (b === undefined) return undefined;
  const n = o.dim;
  const side = (v: unknown, name: string, open: number): Float64Array => {
    if (v === undefined || v === null) return new Float64Array(n).fill(open);
    if (typeof v === 'number') {
      if (Number.isNaN(v)) optionError(strategy, `options.bounds.${name} must be a number or a Float64Array, got NaN`);
      return new Float64Array(n).fill(v);
    }
    if (isFloat64Array(v) && v.length === n) {
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(v[i])) optionError(strategy, `options.bounds.${name}[${i}] is NaN`);
      }
      return Float64Array.from(v);
    }
    return optionError(strategy, `options.bounds.${name} must be a number or a Float64Array of length ${n}`);
  };
  const lower = side(b.lower, 'lower', -Infinity);
  const upper = side(b.upper, 'upper', Infinity);
  for (let i = 0; i < n; i++) {
    if (!((lower[i] as number) < (upper[i] as number))) {
      optionError(strategy, `options.bounds: lower[${i}] = ${lower[i]} must be < upper[${i}] = ${upper[i]}`);
    }
  }
  return { lower, upper };
}

/** x0, defaulting to the centre of finite bounds (a finite bound on one side only: that bound), else 0. */
export function resolveX0(strategy: string, o: OptimizerOptions, box: Box | undefined): Float64Array {
  const n = o.dim;
  if (o.x0) {
    const x0 = Float64Array.from(o.x0);
    if (box) {
      for (let i = 0; i < n; i++) {
        if ((x0[i] as number) < (box.lower[i] as number) || (x0[i] as number) > (box.upper[i] as number)) {
          optionError(strategy, `options.x0[${i}] = ${x0[i]} lies outside the bounds [${box.lower[i]}, ${box.upper[i]}]`);
        }
      }
    }
    return x0;
  }
  const x0 = new Float64Array(n);
  if (box) {
    for (let i = 0; i < n; i++) {
      const lo = box.lower[i] as number;
      const hi = box.upper[i] as number;
      if (isFiniteNumber(lo) && isFiniteNumber(hi)) x0[i] = (lo + hi) / 2;
      else if (isFiniteNumber(lo)) x0[i] = max(lo, 0);
      else if (isFiniteNumber(hi)) x0[i] = min(hi, 0);
    }
  }
  return x0;
}

/** sigma0, defaulting to 0.3 × the mean width of finite bounds, else 1. */
export function resolveSigma0(o: OptimizerOptions, box: Box | undefined): number {
  if (o.sigma0 !== undefined) return o.sigma0;
  if (box) {
    let s = 0;
    let k = 0;
    for (let i = 0; i < o.dim; i++) {
      const w = (box.upper[i] as number) - (box.lower[i] as number);
      if (isFiniteNumber(w)) {
        s += w;
        k++;
      }
    }
    if (k > 0) return (0.3 * s) / k;
  }
  return 1;
}

/** Checks the arguments of `tell`. */
export function checkTell(strategy: string, dim: number, points: readonly Float64Array[], fitness: readonly number[]): void {
  if (!Array.isArray(points) || !Array.isArray(fitness)) {
    throw new GdfoError('BAD_ARGUMENT', `${strategy}.tell: points and fitness must be arrays`);
  }
  if (points.length !== fitness.length) {
    throw new GdfoError(
      'BAD_ARGUMENT',
      `${strategy}.tell: got ${points.length} points but ${fitness.length} fitness values; expected one value per point`,
    );
  }
  for (let k = 0; k < points.length; k++) {
    const p = points[k];
    if (!isFloat64Array(p) || p.length !== dim) {
      throw new GdfoError('BAD_ARGUMENT', `${strategy}.tell: points[${k}] must be a Float64Array of length ${dim}`);
    }
    if (typeof fitness[k] !== 'number') {
      throw new GdfoError('BAD_ARGUMENT', `${strategy}.tell: fitness[${k}] must be a number, got ${JSON.stringify(fitness[k])}`);
    }
  }
}

export function checkAskCount(strategy: string, count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new GdfoError('BAD_ARGUMENT', `${strategy}.ask: count must be a positive integer, got ${count}`);
  }
}

/**
 * Indices sorted by fitness, ascending; non-finite values (NaN, ±Infinity) rank last in told order.
 * Ties keep told order (stable).
 */
export function rankOrder(fitness: readonly number[]): { order: number[]; nonFinite: number } {
  const finite: number[] = [];
  const bad: number[] = [];
  for (let i = 0; i < fitness.length; i++) (isFiniteNumber(fitness[i]) ? finite : bad).push(i);
  finite.sort((a, b) => (fitness[a] as number) - (fitness[b] as number) || a - b);
  return { order: finite.concat(bad), nonFinite: bad.length };
}

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
  restore(s: StateValue): void {
    if (s === null) {
      this.best = undefined;
      return;
    }
    const o = s as { x: Float64Array; f: number };
    this.best = { x: Float64Array.from(o.x), f: o.f };
  }
}

/** Reads a typed field of a state object, with a one-line error naming it. */
export function field<T>(strategy: string, s: StateValue, key: string, check: (v: unknown) => boolean, what: string): T {
  if (s === null || typeof s !== 'object' || Array.isArray(s) || ArrayBuffer.isView(s)) stateError(strategy, 'expected a state object');
  const v = (s as Record<string, unknown>)[key];
  if (!check(v)) stateError(strategy, `field "${key}" must be ${what}`);
  return v as T;
}

export const isNum = (v: unknown): boolean => typeof v === 'number';
export const isF64 =
  (len?: number) =>
  (v: unknown): boolean =>
    isFloat64Array(v) && (len === undefined || v.length === len);

/** A number field of a state. */
export function numberField(strategy: string, s: StateValue, key: string): number {
  return field<number>(strategy, s, key, isNum, 'a number');
}

/** A Float64Array field of length `len` of a state. */
export function vectorField(strategy: string, s: StateValue, key: string, len: number): Float64Array {
  return field<Float64Array>(strategy, s, key, isF64(len), `a Float64Array of length ${len}`);
}

/** Checks the header common to every strategy state. */
export function checkHeader(strategy: string, s: StateValue, dim: number): void {
  const kind = field<string>(strategy, s, 'strategy', (v) => typeof v === 'string', 'a string');
  if (kind !== strategy) stateError(strategy, `state is of strategy "${kind}", expected "${strategy}"`);
  const d = field<number>(strategy, s, 'dim', isNum, 'a number');
  if (d !== dim) stateError(strategy, `state has dim ${d}, this optimizer has dim ${dim}`);
}

/** Copies a snapshot's RNG state back into the strategy's generator. */
export function restoreRng(rng: Rng, s: StateValue): void {
  rng.restore(s);
}

/** Flattens k vectors of length n into one Float64Array (k × n). */
export function flatten(vs: readonly Float64Array[], n: number): Float64Array {
  const out = new Float64Array(vs.length * n);
  for (let k = 0; k < vs.length; k++) out.set(vs[k] as Float64Array, k * n);
  return out;
}

export function unflatten(flat: Float64Array, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let k = 0; k + n <= flat.length; k += n) out.push(flat.slice(k, k + n));
  return out;
}

export function sameVector(a: Float64Array, b: Float64Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** Uniform sample in [lo, hi) coordinate-wise. */
export function uniformIn(rng: Rng, lower: Float64Array, upper: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) {
    const lo = lower[i] as number;
    const hi = upper[i] as number;
    out[i] = lo + (hi - lo) * rng.uniform();
  }
  return out;
}

/** Clips x into the box in place. */
export function clipInto(x: Float64Array, box: Box): Float64Array {
  for (let i = 0; i < x.length; i++) {
    const lo = box.lower[i] as number;
    const hi = box.upper[i] as number;
    const v = x[i] as number;
    x[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return x;
}

/** Median of a copy of `values` (finite values only; NaN if none). */
export function median(values: ArrayLike<number>): number {
  const a: number[] = [];
  for (let i = 0; i < values.length; i++) if (isFiniteNumber(values[i])) a.push(values[i] as number);
  if (a.length === 0) return NaN;
  a.sort((x, y) => x - y);
  const h = a.length >> 1;
  return a.length % 2 ? (a[h] as number) : ((a[h - 1] as number) + (a[h] as number)) / 2;
}

/** The three fields every strategy state begins with. */
export function stateHeader(strategy: string, dim: number): { strategy: string; version: 1; dim: number } {
  return { strategy, version: 1, dim };
}

/**
 * The bookkeeping every single-run strategy shares: name, dim, RNG and evaluation budget; the generation,
 * evaluation and non-finite counters with their getters; the best-so-far; the counting side of `tell`; the
 * budget termination tests; the counters' part of `state()` / `restore()`.
 */
export abstract class StrategyBase {
  readonly specVersion = SPEC_VERSION;
  readonly name: string;
  readonly dim: number;
  protected readonly rng: Rng;
  /** options.maxEvaluations (Infinity when not given). */
  protected readonly maxEvaluations: number;
  /** Stop once the best value is at most this (`ftarget` option). */
  protected abstract readonly ftarget: number;
  /** Stop after this many generations (`maxIterations` option). */
  protected abstract readonly maxIterations: number;
  protected gen = 0;
  protected evals = 0;
  protected nonFinite = 0;
  protected readonly bestTracker = new BestTracker();

  /** Validates the common options (`checkCommon`), errors naming `name`. */
  protected constructor(name: string, options: OptimizerOptions) {
    checkCommon(name, options);
    this.name = name;
    this.dim = options.dim;
    this.rng = options.rng;
    this.maxEvaluations = options.maxEvaluations ?? Infinity;
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

  /** The termination tests every strategy makes, in this order: maxfevals, maxiter, ftarget (subclasses add theirs). */
  stop(): TerminationReason[] {
    const out: TerminationReason[] = [];
    if (this.evals >= this.maxEvaluations) out.push('maxfevals');
    if (this.gen >= this.maxIterations) out.push('maxiter');
    const b = this.bestTracker.best;
    if (b && b.f <= this.ftarget) out.push('ftarget');
    return out;
  }

  /** `setMean` of a strategy whose mean is the point `x`: checks `mean`, copies it into x, clips x into the box. */
  protected moveMean(x: Float64Array, mean: Float64Array, box: Box | undefined): void {
    this.checkMean(mean, false);
    x.set(mean);
    if (box) clipInto(x, box);
  }

  /** Checks the argument of `setMean` (and that it is finite when `finite`). */
  protected checkMean(mean: Float64Array, finite: boolean): void {
    if (!isFloat64Array(mean) || mean.length !== this.dim) {
      throw new GdfoError('BAD_ARGUMENT', `${this.name}.setMean: mean must be a Float64Array of length ${this.dim}`);
    }
    if (!finite) return;
    for (let i = 0; i < this.dim; i++) {
      if (!isFiniteNumber(mean[i])) throw new GdfoError('BAD_ARGUMENT', `${this.name}.setMean: mean[${i}] is ${mean[i]}`);
    }
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
}

/** A perturbation pair centre ± d of SPSA and Gaussian smoothing. */
export interface PointPair {
  readonly plus: Float64Array;
  readonly minus: Float64Array;
}

/** Checks the count of an `ask` that returns pairs. */
export function checkPairCount(strategy: string, count: number): void {
  if (!Number.isInteger(count) || count < 2 || count % 2 !== 0) {
    throw new GdfoError('BAD_ARGUMENT', `${strategy}.ask: count must be an even integer ≥ 2, got ${count}`);
  }
}

/** Checks an even popSize ≥ 2 (`what`: what the pairs are, for the message). */
export function checkPairPopSize(strategy: string, popSize: number, what: string): number {
  if (!Number.isInteger(popSize) || popSize < 2 || popSize % 2 !== 0) {
    optionError(strategy, `options.popSize must be an even integer ≥ 2 (${what}), got ${popSize}`);
  }
  return popSize;
}

/** The pair centre ± d, d_i = offset(i) called for i = 0…n−1 in order, both points clipped into the box. */
export function pointPair(centre: Float64Array, box: Box | undefined, offset: (i: number) => number): PointPair {
  const n = centre.length;
  const plus = new Float64Array(n);
  const minus = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = offset(i);
    plus[i] = (centre[i] as number) + d;
    minus[i] = (centre[i] as number) - d;
  }
  if (box) {
    clipInto(plus, box);
    clipInto(minus, box);
  }
  return { plus, minus };
}

/**
 * Calls `visit(pair, f(plus), f(minus))` for each pending pair whose two points were told (matched by content)
 * with finite values, in pending order; returns how many pairs it visited.
 */
export function visitToldPairs<P extends PointPair>(
  pending: readonly P[],
  points: readonly Float64Array[],
  fitness: readonly number[],
  visit: (pair: P, fPlus: number, fMinus: number) => void,
): number {
  const find = (x: Float64Array): number => {
    for (let k = 0; k < points.length; k++) if (sameVector(points[k] as Float64Array, x)) return fitness[k] as number;
    return NaN;
  };
  let pairs = 0;
  for (const pair of pending) {
    const fp = find(pair.plus);
    const fm = find(pair.minus);
    if (!isFiniteNumber(fp) || !isFiniteNumber(fm)) continue;
    pairs++;
    visit(pair, fp, fm);
  }
  return pairs;
}
