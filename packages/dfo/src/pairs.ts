/**
 * Antithetic pairs centre ± d, as SPSA and Gaussian smoothing ask them: the count and popSize checks, making
 * a pair, asking several, and finding the told values of each pending pair.
 */
import { GdfoError } from '@gdfo/core';
import { clipInto, type Box } from './box.js';
import { optionError } from './options.js';
import { sameVector } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const isFiniteNumber = Number.isFinite;

/** A perturbation pair centre ± d. */
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
export function pointPair(
  centre: Float64Array,
  box: Box | undefined,
  offset: (i: number) => number,
): PointPair {
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
 * `ask(count)` of a pair strategy: checks count, makes count/2 pairs with `make` and appends them to `pending`;
 * returns copies of the points, plus then minus of each pair.
 */
export function askPairs<P extends PointPair>(
  strategy: string,
  count: number,
  pending: P[],
  make: () => P,
): Float64Array[] {
  checkPairCount(strategy, count);
  const out: Float64Array[] = [];
  for (let q = 0; q < count / 2; q++) {
    const pair = make();
    pending.push(pair);
    out.push(Float64Array.from(pair.plus), Float64Array.from(pair.minus));
  }
  return out;
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
    for (let k = 0; k < points.length; k++)
      if (sameVector(points[k] as Float64Array, x)) return fitness[k] as number;
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
