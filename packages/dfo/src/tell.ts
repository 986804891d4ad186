/**
 * Checks of the `ask` / `tell` arguments with one-line `GdfoError('BAD_ARGUMENT')` errors, and the ranking of
 * told fitness values with non-finite values last.
 */
import { GdfoError } from '@gdfo/core';
import { isFloat64Array } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const isFiniteNumber = Number.isFinite;

/** Checks the arguments of `tell`: two arrays of one length, Float64Array points of length `dim`, number values. */
export function checkTell(
  strategy: string,
  dim: number,
  points: readonly Float64Array[],
  fitness: readonly number[],
): void {
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
      throw new GdfoError(
        'BAD_ARGUMENT',
        `${strategy}.tell: points[${k}] must be a Float64Array of length ${dim}`,
      );
    }
    if (typeof fitness[k] !== 'number') {
      throw new GdfoError(
        'BAD_ARGUMENT',
        `${strategy}.tell: fitness[${k}] must be a number, got ${JSON.stringify(fitness[k])}`,
      );
    }
  }
}

/** Checks the count of `ask`: a positive integer. */
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
