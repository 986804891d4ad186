/**
 * Box bounds and the start of a search: `options.bounds` resolved per coordinate (±Infinity where a side is
 * open), the default x0 and sigma0, and the samplers and clipping every strategy with bounds uses.
 */
import type { OptimizerOptions, Rng } from '@gdfo/spec';
import { optionError } from './options.js';
import { isFloat64Array } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { max, min } = Math;
const isFiniteNumber = Number.isFinite;

/** Box bounds resolved per coordinate (±Infinity where a side is open). */
export interface Box {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

/** `options.bounds` per coordinate; undefined without bounds. Refuses NaN, wrong lengths and lower ≥ upper. */
export function resolveBounds(strategy: string, o: OptimizerOptions): Box | undefined {
  const b = o.bounds;
  if (b === undefined) return undefined;
  const n = o.dim;
  const side = (v: unknown, name: string, open: number): Float64Array => {
    if (v === undefined || v === null) return new Float64Array(n).fill(open);
    if (typeof v === 'number') {
      if (Number.isNaN(v))
        optionError(strategy, `options.bounds.${name} must be a number or a Float64Array, got NaN`);
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

/** Whether every bound of the box is finite (a box one can sample uniformly). */
export function isFiniteBox(box: Box | undefined): box is Box {
  return !!box && box.lower.every(isFiniteNumber) && box.upper.every(isFiniteNumber);
}

/** x0, defaulting to the centre of finite bounds (a finite bound on one side only: that bound), else 0. */
export function resolveX0(strategy: string, o: OptimizerOptions, box: Box | undefined): Float64Array {
  const n = o.dim;
  if (o.x0) {
    const x0 = Float64Array.from(o.x0);
    if (box) {
      for (let i = 0; i < n; i++) {
        if ((x0[i] as number) < (box.lower[i] as number) || (x0[i] as number) > (box.upper[i] as number)) {
          optionError(
            strategy,
            `options.x0[${i}] = ${x0[i]} lies outside the bounds [${box.lower[i]}, ${box.upper[i]}]`,
          );
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

/** Uniform sample in [lo, hi) coordinate-wise (one `rng.uniform()` per coordinate, in order). */
export function uniformIn(
  rng: Rng,
  lower: Float64Array,
  upper: Float64Array,
  out: Float64Array,
): Float64Array {
  for (let i = 0; i < out.length; i++) {
    const lo = lower[i] as number;
    const hi = upper[i] as number;
    out[i] = lo + (hi - lo) * rng.uniform();
  }
  return out;
}

/** x_i = centre_i + sigma·N(0, 1) (one `rng.gaussian()` per coordinate, in order), clipped into the box. */
export function gaussianAround(
  rng: Rng,
  centre: Float64Array,
  sigma: number,
  box: Box | undefined,
): Float64Array {
  const n = centre.length;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = (centre[i] as number) + sigma * rng.gaussian();
  return box ? clipInto(x, box) : x;
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
