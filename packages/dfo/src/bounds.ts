/**
 * Box boundary handling for the CMA-ES family: a smooth, periodic, linear–quadratic transformation from an
 * unbounded genotype to the bounded phenotype, after pycma's `BoxConstraintsLinQuadTransformation`
 * (N. Hansen, `cma` package, `transformations.py`). The algorithm adapts its distribution in genotype space
 * and every point it asks for lies in the box; no penalty, no resampling.
 *
 * Per coordinate with bounds [lb, ub] and margins al = min((ub − lb)/2, (1 + |lb|)/20),
 * au = min((ub − lb)/2, (1 + |ub|)/20):
 * - the genotype y is first folded into [lb − al, ub + au] by mirroring at both ends (period
 *   2·(ub + au − lb + al));
 * - then mapped by f(y) = lb + (y − (lb − al))² / (4·al) on [lb − al, lb + al], identity on
 *   [lb + al, ub − au], and ub − (y − (ub + au))² / (4·au) on [ub − au, ub + au]. f is C¹ and maps onto [lb, ub].
 * With one finite side only, the fold is a single mirror at that side. The inverse (phenotype → genotype, used
 * when a point that was not asked for is told) clips into [lb, ub] and inverts f on the central branch.
 */
import type { Box } from './box.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { abs, min, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

export class BoxTransform {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  private readonly al: Float64Array;
  private readonly au: Float64Array;
  private readonly n: number;

  constructor(box: Box) {
    this.n = box.lower.length;
    this.lower = Float64Array.from(box.lower);
    this.upper = Float64Array.from(box.upper);
    this.al = new Float64Array(this.n);
    this.au = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const lb = this.lower[i] as number;
      const ub = this.upper[i] as number;
      const half = (ub - lb) / 2; // Infinity when a side is open
      this.al[i] = isFiniteNumber(lb) ? min(half, (1 + abs(lb)) / 20) : 0;
      this.au[i] = isFiniteNumber(ub) ? min(half, (1 + abs(ub)) / 20) : 0;
    }
  }

  /** Genotype → phenotype (in the box). `out` may alias `y`. */
  toPheno(y: Float64Array, out: Float64Array): Float64Array {
    for (let i = 0; i < this.n; i++) out[i] = this.pheno1(y[i] as number, i);
    return out;
  }

  /** Phenotype → genotype on the central branch (points outside the box are clipped first). */
  toGeno(x: Float64Array, out: Float64Array): Float64Array {
    for (let i = 0; i < this.n; i++) out[i] = this.geno1(x[i] as number, i);
    return out;
  }

  /** Whether the phenotype lies in the box. */
  contains(x: Float64Array): boolean {
    for (let i = 0; i < this.n; i++) {
      const v = x[i] as number;
      if (!(v >= (this.lower[i] as number) && v <= (this.upper[i] as number))) return false;
    }
    return true;
  }

  private pheno1(y: number, i: number): number {
    const lb = this.lower[i] as number;
    const ub = this.upper[i] as number;
    const al = this.al[i] as number;
    const au = this.au[i] as number;
    const finL = isFiniteNumber(lb);
    const finU = isFiniteNumber(ub);
    if (!finL && !finU) return y;
    let v = y;
    const L = lb - al;
    const U = ub + au;
    if (finL && finU) {
      const width = U - L;
      const period = 2 * width;
      let t = (v - L) % period;
      if (t < 0) t += period;
      if (t > width) t = period - t;
      v = L + t;
    } else if (finL) {
      if (v < L) v = 2 * L - v;
    } else if (v > U) {
      v = 2 * U - v;
    }
    if (finL && v < lb + al) {
      const d = v - L;
      return lb + (d * d) / (4 * al);
    }
    if (finU && v > ub - au) {
      const d = v - U;
      return ub - (d * d) / (4 * au);
    }
    return v;
  }

  private geno1(x: number, i: number): number {
    const lb = this.lower[i] as number;
    const ub = this.upper[i] as number;
    const al = this.al[i] as number;
    const au = this.au[i] as number;
    let v = x;
    if (v < lb) v = lb;
    if (v > ub) v = ub;
    if (isFiniteNumber(lb) && v < lb + al) return lb - al + 2 * sqrt(al * (v - lb));
    if (isFiniteNumber(ub) && v > ub - au) return ub + au - 2 * sqrt(au * (ub - v));
    return v;
  }
}
