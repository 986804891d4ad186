/**
 * Vector helpers on Float64Array shared by the strategies: the cross-realm type check, flattening k vectors
 * into one array (how states store them) and back, content equality (how told points are matched to asked
 * ones), and the median of the finite values.
 */
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { max, min } = Math;
const isFiniteNumber = Number.isFinite;

/** Float64Array check that also accepts arrays from another realm (vm contexts, structuredClone in jest). */
export function isFloat64Array(v: unknown): v is Float64Array {
  return ArrayBuffer.isView(v) && Object.prototype.toString.call(v) === '[object Float64Array]';
}

/** Flattens k vectors of length n into one Float64Array (k × n). */
export function flatten(vs: readonly Float64Array[], n: number): Float64Array {
  const out = new Float64Array(vs.length * n);
  for (let k = 0; k < vs.length; k++) out.set(vs[k] as Float64Array, k * n);
  return out;
}

/** The rows of a flattened k × n array (copies); a trailing partial row is dropped. */
export function unflatten(flat: Float64Array, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let k = 0; k + n <= flat.length; k += n) out.push(flat.slice(k, k + n));
  return out;
}

/** Same length and the same values (NaN equals NaN). */
export function sameVector(a: Float64Array, b: Float64Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** The smallest and the largest of non-negative values (lo = Infinity, hi = 0 when empty; NaN propagates). */
export function extent(values: Float64Array): { lo: number; hi: number } {
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    lo = min(lo, v);
    hi = max(hi, v);
  }
  return { lo, hi };
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
