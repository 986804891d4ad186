/**
 * Strategy states: the header every state begins with (`strategy`, `version`, `dim`), and readers that
 * validate a snapshot field by field before `restore` uses it. Every refusal is one line,
 * `GdfoError('BAD_STATE', '<strategy>.restore: field "<key>" must be <what>')` or a header mismatch.
 */
import type { Rng, StateValue } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { isFloat64Array } from './vectors.js';

/** Throws the package's one-line state error (restore of an incompatible snapshot). */
export function stateError(strategy: string, message: string): never {
  throw new GdfoError('BAD_STATE', `${strategy}.restore: ${message}`);
}

/** The three fields every strategy state begins with. */
export function stateHeader(strategy: string, dim: number): { strategy: string; version: 1; dim: number } {
  return { strategy, version: 1, dim };
}

/** Reads a typed field of a state object, with a one-line error naming it. */
export function field<T>(
  strategy: string,
  s: StateValue,
  key: string,
  check: (v: unknown) => boolean,
  what: string,
): T {
  if (s === null || typeof s !== 'object' || Array.isArray(s) || ArrayBuffer.isView(s))
    stateError(strategy, 'expected a state object');
  const v = (s as Record<string, unknown>)[key];
  if (!check(v)) stateError(strategy, `field "${key}" must be ${what}`);
  return v as T;
}

export const isNum = (v: unknown): boolean => typeof v === 'number';
export const isF64 =
  (len?: number) =>
  (v: unknown): boolean =>
    isFloat64Array(v) && (len === undefined || v.length === len);

/** An array of `len` values (the caller checks what they are). */
export const isArrayOf =
  (len: number) =>
  (v: unknown): boolean =>
    Array.isArray(v) && v.length === len;

/** A number field of a state. */
export function numberField(strategy: string, s: StateValue, key: string): number {
  return field<number>(strategy, s, key, isNum, 'a number');
}

/** A number-or-null field; null reads as undefined. */
export function optionalNumberField(strategy: string, s: StateValue, key: string): number | undefined {
  const v = field<number | null>(strategy, s, key, (x) => x === null || isNum(x), 'a number or null');
  return v === null ? undefined : v;
}

/** A number field that must equal this optimizer's `expected` (a size the state was made for). */
export function sameNumberField(strategy: string, s: StateValue, key: string, expected: number): number {
  const v = numberField(strategy, s, key);
  if (v !== expected) stateError(strategy, `state has ${key} ${v}, this optimizer has ${expected}`);
  return v;
}

/** A Float64Array field of length `len` of a state. */
export function vectorField(strategy: string, s: StateValue, key: string, len: number): Float64Array {
  return field<Float64Array>(strategy, s, key, isF64(len), `a Float64Array of length ${len}`);
}

/**
 * A flattened k × n Float64Array field (as `flatten` writes it) split into its k rows (copies); `rows`, when
 * given, is the k it must have.
 */
export function rowsField(
  strategy: string,
  s: StateValue,
  key: string,
  n: number,
  rows?: number,
): Float64Array[] {
  const what =
    rows === undefined ? `a Float64Array of k × ${n} values` : `a Float64Array of ${rows} × ${n} values`;
  const v = field<Float64Array>(
    strategy,
    s,
    key,
    (a) => isF64(rows === undefined ? undefined : rows * n)(a) && (a as Float64Array).length % n === 0,
    what,
  );
  const out: Float64Array[] = [];
  for (let k = 0; k < v.length; k += n) out.push(v.slice(k, k + n));
  return out;
}

/** Checks the header common to every strategy state: the strategy's name and its dim. */
export function checkHeader(strategy: string, s: StateValue, dim: number): void {
  const kind = field<string>(strategy, s, 'strategy', (v) => typeof v === 'string', 'a string');
  if (kind !== strategy) stateError(strategy, `state is of strategy "${kind}", expected "${strategy}"`);
  const d = field<number>(strategy, s, 'dim', isNum, 'a number');
  if (d !== dim) stateError(strategy, `state has dim ${d}, this optimizer has dim ${dim}`);
}

/** The `best` field as `BestTracker.state()` writes it: null, or { x: Float64Array of length dim, f: number }. */
export function bestField(strategy: string, s: StateValue, dim: number): StateValue {
  return field<StateValue>(
    strategy,
    s,
    'best',
    (v) =>
      v === null ||
      (typeof v === 'object' && isF64(dim)((v as { x?: unknown }).x) && isNum((v as { f?: unknown }).f)),
    `null or { x: Float64Array of length ${dim}, f: number }`,
  );
}

/** Restores `rng` from the `rng` field (as `rng.state()` wrote it); a malformed one is a one-line state error. */
export function restoreRng(strategy: string, s: StateValue, rng: Rng): void {
  const v = field<StateValue>(
    strategy,
    s,
    'rng',
    (r) => r !== null && typeof r === 'object',
    'an rng state (rng.state())',
  );
  try {
    rng.restore(v);
  } catch (e) {
    stateError(strategy, `field "rng": ${(e as Error).message}`);
  }
}
