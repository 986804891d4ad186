/**
 * Fitness histories behind the CMA-ES termination criteria `tolfun` and `tolstagnation` (pycma's
 * definitions):
 * - tolfun: the range of the per-generation best values over the last 10 + ⌈30n/λ⌉ generations and the range
 *   of the current generation's finite values are both below `tolfun`;
 * - tolstagnation: after more than `tolstagnation` generations (default ⌊100 + 100·n^1.5/λ⌋), the median of the
 *   most recent 20 % of the recorded per-generation best and median values is not better than the median of
 *   the oldest 20 % (values recorded every 5 generations, at most 20 000 entries, as pycma ≥ 3).
 */
import type { StateValue } from '@gdfo/spec';
import { isFloat64Array, median } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { floor, max, min } = Math;
const isFiniteNumber = Number.isFinite;

const STRIDE = 5;
const CAP = 20000;

export class FitnessHistory {
  /** Ring of per-generation best values, length `window`. */
  private readonly recent: Float64Array;
  private recentCount = 0;
  private recentPos = 0;
  private lastRange = Infinity;
  private histBest: number[] = [];
  private histMedian: number[] = [];
  private stagnant = false;

  constructor(readonly window: number) {
    this.recent = new Float64Array(window);
  }

  /** Records one generation given its finite fitness values sorted ascending (may be empty). */
  record(generation: number, sortedFinite: readonly number[], anyNonFinite: boolean): void {
    if (sortedFinite.length === 0) {
      this.lastRange = Infinity;
      return;
    }
    const best = sortedFinite[0] as number;
    this.lastRange = anyNonFinite ? Infinity : (sortedFinite[sortedFinite.length - 1] as number) - best;
    this.recent[this.recentPos] = best;
    this.recentPos = (this.recentPos + 1) % this.window;
    this.recentCount = min(this.recentCount + 1, this.window);
    if (generation % STRIDE === 0) {
      this.histBest.push(best);
      this.histMedian.push(median(sortedFinite));
      if (this.histBest.length > CAP) {
        this.histBest.shift();
        this.histMedian.shift();
      }
      this.stagnant = this.computeStagnation();
    }
  }

  /** Range of the recent per-generation bests and of the last generation, the larger of the two. */
  range(): number {
    if (this.recentCount === 0) return Infinity;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.recentCount; i++) {
      const v = this.recent[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return max(hi - lo, this.lastRange);
  }

  /** Whether the stagnation test holds (only meaningful after `tolstagnation` generations). */
  stagnation(): boolean {
    return this.stagnant;
  }

  private computeStagnation(): boolean {
    const l = this.histBest.length;
    if (l < 20) return false;
    const k = floor(0.2 * l);
    // arrays are oldest-first: the most recent 20 % is the tail
    const recentMed = median(this.histMedian.slice(l - k));
    const oldMed = median(this.histMedian.slice(0, k));
    const recentBest = median(this.histBest.slice(l - k));
    const oldBest = median(this.histBest.slice(0, k));
    return recentMed >= oldMed && recentBest >= oldBest;
  }

  state(): StateValue {
    return {
      recent: Float64Array.from(this.recent),
      recentCount: this.recentCount,
      recentPos: this.recentPos,
      lastRange: isFiniteNumber(this.lastRange) ? this.lastRange : null,
      histBest: Float64Array.from(this.histBest),
      histMedian: Float64Array.from(this.histMedian),
      stagnant: this.stagnant,
    };
  }

  restore(s: StateValue): void {
    const o = s as {
      recent: Float64Array;
      recentCount: number;
      recentPos: number;
      lastRange: number | null;
      histBest: Float64Array;
      histMedian: Float64Array;
      stagnant: boolean;
    };
    if (!isFloat64Array(o.recent) || o.recent.length !== this.window) {
      throw new Error(`history.restore: expected a window of ${this.window} values`);
    }
    this.recent.set(o.recent);
    this.recentCount = o.recentCount;
    this.recentPos = o.recentPos;
    this.lastRange = o.lastRange === null ? Infinity : o.lastRange;
    this.histBest = Array.from(o.histBest);
    this.histMedian = Array.from(o.histMedian);
    this.stagnant = o.stagnant;
  }
}
