/**
 * sep-CMA-ES — CMA-ES with a diagonal covariance matrix: O(n) time and memory per sample.
 *
 * Reference: R. Ros & N. Hansen, "A Simple Modification in CMA-ES Achieving Linear Time and Space
 * Complexity", PPSN X (2008). Learning rates of that paper: the full-covariance c_cov
 *   c_cov = (1/μcov)·2/(n + √2)² + (1 − 1/μcov)·min(1, (2μcov − 1)/((n + 2)² + μcov)), μcov = μeff,
 * is multiplied by (n + 2)/3 (capped at 1); the rank-one part gets c_cov/μcov, the rank-μ part
 * c_cov·(1 − 1/μcov). Positive weights only, w_i ∝ ln(μ + 1) − ln i; c_σ = (μeff + 2)/(n + μeff + 3),
 * d_σ = 1 + 2·max(0, √((μeff − 1)/(n + 1)) − 1) + c_σ, c_c = 4/(n + 4); λ = 4 + ⌊3 ln n⌋, μ = ⌊λ/2⌋.
 *
 * Same contract as `CMAES`: points that were not asked are clipped to Mahalanobis length √n + 2n/(n + 2);
 * non-finite fitness ranks last (weight 0 here, since all weights are positive) and is counted; box bounds
 * use the same linear–quadratic transformation; termination criteria as CMA-ES (condition number of the
 * diagonal, no-effect-axis = no-effect along the coordinate axis gen mod n).
 *
 * Strategy options: mu, tolfun (1e-11), tolx (1e-11), tolConditionCov (1e14), tolStagnation, tolUpSigma (1e20),
 * ftarget, maxIterations (default 100 + 150(n + 3)²/√λ).
 */
import type { MeanBasedOptimizer, OptimizerOptions, StateValue } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { CmaBase, type CmaPending, type CmaTermination } from './cma-base.js';
import { OptionReader } from './options.js';
import { vectorField } from './state.js';
import { checkAskCount, rankOrder } from './tell.js';
import { extent, sameVector } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { exp, floor, log, max, min, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

export class SepCMAES extends CmaBase<CmaPending> implements MeanBasedOptimizer {
  declare readonly name: 'sep-cma-es';
  readonly mu: number;
  readonly weights: Float64Array;
  readonly mueff: number;
  readonly cs: number;
  readonly damps: number;
  readonly cc: number;
  readonly c1: number;
  readonly cmu: number;
  readonly chiN: number;

  /** Diagonal of C. */
  private readonly C: Float64Array;
  protected readonly termination: CmaTermination;

  constructor(options: OptimizerOptions) {
    super('sep-cma-es', options);
    const name = this.name;
    const n = this.dim;
    const lambda = this.popSize;
    const r = new OptionReader(name, options.options);
    const mu = r.number('mu', floor(lambda / 2), { integer: true, min: 1, max: lambda });
    this.mu = mu;
    this.termination = this.readTermination(r);
    r.finish();

    const w = new Float64Array(mu);
    let sw = 0;
    for (let i = 0; i < mu; i++) {
      w[i] = log(mu + 1) - log(i + 1);
      sw += w[i] as number;
    }
    let sw2 = 0;
    for (let i = 0; i < mu; i++) {
      w[i] = (w[i] as number) / sw;
      sw2 += (w[i] as number) ** 2;
    }
    this.weights = w;
    this.mueff = 1 / sw2;
    const mueff = this.mueff;
    this.cs = (mueff + 2) / (n + mueff + 3);
    this.damps = 1 + 2 * max(0, sqrt((mueff - 1) / (n + 1)) - 1) + this.cs;
    this.cc = 4 / (n + 4);
    const ccov =
      (1 / mueff) * (2 / (n + Math.SQRT2) ** 2) + (1 - 1 / mueff) * min(1, (2 * mueff - 1) / ((n + 2) ** 2 + mueff));
    const ccovSep = min(1, (ccov * (n + 2)) / 3);
    this.c1 = ccovSep / mueff;
    this.cmu = ccovSep * (1 - 1 / mueff);
    this.chiN = sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
    this.C = new Float64Array(n).fill(1);
  }

  /** Diagonal of C. */
  diagC(): Float64Array {
    return Float64Array.from(this.C);
  }

  ask(count: number = this.popSize): Float64Array[] {
    checkAskCount(this.name, count);
    const n = this.dim;
    const out: Float64Array[] = [];
    const s = this._sigma;
    for (let k = 0; k < count; k++) {
      const z = new Float64Array(n);
      const xg = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const g = this.rng.gaussian();
        z[i] = g;
        xg[i] = (this.m[i] as number) + s * sqrt(this.C[i] as number) * g;
      }
      const x = this.transform ? this.transform.toPheno(xg, new Float64Array(n)) : Float64Array.from(xg);
      this.pending.push({ x, xg, z, meanVersion: this.meanVersion });
      out.push(Float64Array.from(x));
    }
    return out;
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    this.checkTellCount(points, fitness, this.mu);
    const n = this.dim;
    const count = points.length;
    const sigma = this._sigma;
    const clipLen = sqrt(n) + (2 * n) / (n + 2);
    const zs: Float64Array[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const x = points[k] as Float64Array;
      const hint = this.pending[k];
      let rec = hint && sameVector(hint.x, x) ? hint : undefined;
      rec ??= this.pending.find((p) => sameVector(p.x, x));
      if (rec && rec.meanVersion === this.meanVersion) {
        zs[k] = rec.z;
        continue;
      }
      const xg = rec ? rec.xg : this.transform ? this.transform.toGeno(x, new Float64Array(n)) : x;
      const z = new Float64Array(n);
      let norm = 0;
      for (let i = 0; i < n; i++) {
        const v = ((xg[i] as number) - (this.m[i] as number)) / (sigma * sqrt(this.C[i] as number));
        if (!isFiniteNumber(v)) throw new GdfoError('BAD_ARGUMENT', `${this.name}.tell: points[${k}] has non-finite coordinates`);
        z[i] = v;
        norm += v * v;
      }
      norm = sqrt(norm);
      if (!rec && norm > clipLen) {
        const f = clipLen / norm;
        for (let i = 0; i < n; i++) z[i] = (z[i] as number) * f;
      }
      zs[k] = z;
    }
    const { order, nonFinite } = rankOrder(fitness);
    const mu = this.mu;
    const zw = new Float64Array(n);
    for (let r = 0; r < mu; r++) {
      const w = this.weights[r] as number;
      const z = zs[order[r] as number] as Float64Array;
      for (let i = 0; i < n; i++) zw[i] = (zw[i] as number) + w * (z[i] as number);
    }
    // y_w = D·z_w; mean, paths
    const { psNorm, hsig } = this.stepSizePath(zw, this.cs, this.mueff, this.chiN);
    const ccn = hsig * sqrt(this.cc * (2 - this.cc) * this.mueff);
    const deltaH = (1 - hsig) * this.cc * (2 - this.cc);
    const decay = 1 - this.c1 - this.cmu + this.c1 * deltaH;
    for (let i = 0; i < n; i++) {
      const d = sqrt(this.C[i] as number);
      const yw = d * (zw[i] as number);
      this.m[i] = (this.m[i] as number) + sigma * yw;
      const pc = (1 - this.cc) * (this.pc[i] as number) + ccn * yw;
      this.pc[i] = pc;
      let rmu = 0;
      for (let r = 0; r < mu; r++) {
        const z = (zs[order[r] as number] as Float64Array)[i] as number;
        rmu += (this.weights[r] as number) * z * z;
      }
      this.C[i] = decay * (this.C[i] as number) + this.c1 * pc * pc + this.cmu * (this.C[i] as number) * rmu;
    }
    this.endTell(points, fitness, order, nonFinite, sigma * exp((this.cs / this.damps) * (psNorm / this.chiN - 1)));
  }

  protected variance(i: number): number {
    return this.C[i] as number;
  }

  /** max C_ii / min C_ii. */
  protected conditionNumber(): number {
    const { lo, hi } = extent(this.C);
    return hi / lo;
  }

  protected maxStd(): number {
    return sqrt(extent(this.C).hi);
  }

  /** Along the coordinate axis `ax`, scaled by 0.1·σ·√C_ax. */
  protected noEffectAxis(ax: number, sigma: number): boolean {
    const mi = this.m[ax] as number;
    return mi === mi + 0.1 * sigma * sqrt(this.C[ax] as number);
  }

  state(): StateValue {
    return { ...this.stateStart(), C: Float64Array.from(this.C), ...this.stateEnd() };
  }

  restore(state: StateValue): void {
    const pending = this.restoreStart(state);
    this.C.set(vectorField(this.name, state, 'C', this.dim));
    this.pending = pending;
    this.restoreEnd(state);
  }
}

export function createSepCMAES(options: OptimizerOptions): SepCMAES {
  return new SepCMAES(options);
}
