/**
 * Option checks with one-line `GdfoError('BAD_OPTION')` errors naming the field and what was expected: the
 * common fields of `OptimizerOptions` (`checkCommon`), a population size (`checkPopSize`), and the
 * strategy-specific `options.options` (`OptionReader`, which also refuses unknown keys).
 */
import type { OptimizerOptions } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { isFloat64Array } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const isFiniteNumber = Number.isFinite;

/** Throws the package's one-line option error: `<strategy>: <message>`. */
export function optionError(strategy: string, message: string): never {
  throw new GdfoError('BAD_OPTION', `${strategy}: ${message}`);
}

/** What a number option must be. */
export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  /** Strictly greater than `min`. */
  readonly exclusiveMin?: boolean;
  /** Strictly less than `max`. */
  readonly exclusiveMax?: boolean;
  readonly integer?: boolean;
}

/** Checks a number against `rule`; the error names `field`. */
export function checkNumber(strategy: string, field: string, v: unknown, rule: NumberRule = {}): number {
  const what = `${rule.integer ? 'an integer' : 'a number'}${
    rule.min !== undefined ? ` ${rule.exclusiveMin ? '>' : '≥'} ${rule.min}` : ''
  }${rule.max !== undefined ? ` ${rule.exclusiveMax ? '<' : '≤'} ${rule.max}` : ''}`;
  if (typeof v !== 'number' || Number.isNaN(v))
    optionError(strategy, `${field} must be ${what}, got ${JSON.stringify(v)}`);
  if (rule.integer && !Number.isInteger(v)) optionError(strategy, `${field} must be ${what}, got ${v}`);
  if (rule.min !== undefined && (rule.exclusiveMin ? v <= rule.min : v < rule.min)) {
    optionError(strategy, `${field} must be ${what}, got ${v}`);
  }
  if (rule.max !== undefined && (rule.exclusiveMax ? v >= rule.max : v > rule.max)) {
    optionError(strategy, `${field} must be ${what}, got ${v}`);
  }
  return v;
}

/** Reads `OptimizerOptions.options` (strategy-specific options) and refuses unknown keys (`finish`). */
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
    return this.optionalNumber(key, rule) ?? fallback;
  }

  optionalNumber(key: string, rule: NumberRule = {}): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    return checkNumber(this.strategy, `options.options.${key}`, v, rule);
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean')
      optionError(this.strategy, `options.options.${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  choice<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      optionError(
        this.strategy,
        `options.options.${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`,
      );
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

/** Validates the common fields of OptimizerOptions: dim, rng, sigma0, maxEvaluations, x0. */
export function checkCommon(strategy: string, o: OptimizerOptions): void {
  if (o === null || typeof o !== 'object')
    optionError(strategy, `options must be an object, got ${JSON.stringify(o)}`);
  checkNumber(strategy, 'options.dim', o.dim, { integer: true, min: 1 });
  if (!o.rng || typeof o.rng.gaussian !== 'function' || typeof o.rng.uniform !== 'function') {
    optionError(strategy, 'options.rng must be an Rng (use createRng(seed) from @gdfo/core)');
  }
  if (o.sigma0 !== undefined)
    checkNumber(strategy, 'options.sigma0', o.sigma0, { min: 0, exclusiveMin: true });
  if (o.sigma0 !== undefined && !isFiniteNumber(o.sigma0))
    optionError(strategy, `options.sigma0 must be finite, got ${o.sigma0}`);
  if (o.maxEvaluations !== undefined)
    checkNumber(strategy, 'options.maxEvaluations', o.maxEvaluations, { min: 1 });
  if (o.x0 !== undefined) {
    if (!isFloat64Array(o.x0) || o.x0.length !== o.dim) {
      optionError(strategy, `options.x0 must be a Float64Array of length dim = ${o.dim}`);
    }
    for (let i = 0; i < o.x0.length; i++) {
      if (!isFiniteNumber(o.x0[i])) optionError(strategy, `options.x0[${i}] must be finite, got ${o.x0[i]}`);
    }
  }
}

/** `options.popSize`, or `fallback` when not given: an integer ≥ `min` (`why`: a reason for the message). */
export function checkPopSize(
  strategy: string,
  popSize: number | undefined,
  fallback: number,
  min: number,
  why = '',
): number {
  const p = popSize ?? fallback;
  if (!Number.isInteger(p) || p < min)
    optionError(strategy, `options.popSize must be an integer ≥ ${min}${why && ` (${why})`}, got ${p}`);
  return p;
}
