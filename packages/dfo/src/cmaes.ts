/**
 * CMA-ES — Covariance Matrix Adaptation Evolution Strategy with full covariance matrix.
 *
 * Reference: N. Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772 (2016), Table 1 and
 * Appendix A (weights with negative "active" values, CSA step-size control, rank-one + rank-μ update, h_σ
 * stall of the rank-one update). Implementation choices follow pycma (N. Hansen et al., `cma` package):
 * - the eigendecomposition C = B·D²·Bᵀ is updated lazily, only when at least
 *   0.5·λ / ((c1 + cμ)·n) evaluations (`lazyGapEvals`) passed since the last one (sampling and C^{-1/2} use the
 *   last decomposition meanwhile);
 * - `tell` accepts points that were not asked (an injected gradient sample, a repaired point): their step
 *   y = (x − m)/σ is clipped to Mahalanobis length √n + 2n/(n + 2) (pycma `repair_genotype`), and their
 *   negative (active) weight is multiplied by `activeInjected` = 0 (pycma `CMA_active_injected`);
 * - `inject(points)` queues points that the next `ask` returns first; a direction longer than
 *   `injectKeepLen`·√n in Mahalanobis norm is rescaled to the length of a random N(0, I) vector (pycma
 *   `inject` / `CMA_injections_threshold_keep_len`);
 * - any number of points may be told in any order (at least μ); ranks beyond μ take the negative weights from
 *   the worst end (the worst told point gets the most negative weight); more than λ points: the middle ranks
 *   get weight 0 (as pycma).
 * - NaN and ±Infinity fitness rank last (they take the most negative weights) and are counted in
 *   `nonFiniteEvaluations`; `best` only holds finite values.
 *
 * Defaults (n = dim): λ = 4 + ⌊3 ln n⌋, μ = ⌊λ/2⌋, w'_i = ln((λ+1)/2) − ln i, c_m = 1,
 * c_σ = (μeff + 2)/(n + μeff + 5), d_σ = 1 + 2·max(0, √((μeff − 1)/(n + 1)) − 1) + c_σ,
 * c_c = (4 + μeff/n)/(n + 4 + 2μeff/n), c1 = 2/((n + 1.3)² + μeff),
 * cμ = min(1 − c1, 2(μeff − 2 + 1/μeff)/((n + 2)² + μeff)), negative weights scaled by
 * min(1 + c1/cμ, 1 + 2μeff⁻/(μeff + 2), (1 − c1 − cμ)/(n·cμ)).
 * x0 defaults to the box centre (or 0), sigma0 to 0.3 × mean box width (or 1).
 *
 * Boundary handling (options.bounds): the linear–quadratic periodic transformation of `bounds.ts` (pycma's
 * BoxConstraintsLinQuadTransformation): the distribution lives in an unbounded genotype space, asked points
 * are its image in the box; told points outside the box are clipped before being mapped back.
 *
 * Termination (`stop()`, pycma defaults): maxfevals (options.maxEvaluations), maxiter
 * (`maxIterations`, default 100 + 150(n + 3)²/√λ), ftarget (`ftarget`), tolfun (1e-11), tolx (1e-11),
 * conditioncov (`tolConditionCov`, 1e14), noeffectaxis, noeffectcoord, tolstagnation (⌊100 + 100·n^1.5/λ⌋
 * generations), tolupsigma (1e20).
 *
 * Strategy options (OptimizerOptions.options): mu, active (true), lazyGapEvals, tolfun, tolx,
 * tolConditionCov, tolStagnation, tolUpSigma, ftarget, maxIterations, injectKeepLen (1), activeInjected (0).
 */
import type { MeanBasedOptimizer, OptimizerOptions, StateValue } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { CmaBase, type CmaPending, type CmaTermination } from './cma-base.js';
import { OptionReader } from './options.js';
import { field, isArrayOf, numberField, rowsField, vectorField } from './state.js';
import { checkAskCount, rankOrder } from './tell.js';
import { extent, flatten, isFloat64Array, sameVector } from './vectors.js';
import { EighWorkspace, eighUpper, matVec } from './linalg.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { exp, floor, log, max, min, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

/** Learning rates and weights of CMA-ES for a given n and λ (Hansen's tutorial, Table 1). */
export interface CMAParameters {
  readonly lambda: number;
  readonly mu: number;
  /** λ weights, ranked best first; positive for the μ best, ≤ 0 after. */
  readonly weights: Float64Array;
  readonly mueff: number;
  readonly cc: number;
  readonly cs: number;
  readonly c1: number;
  readonly cmu: number;
  readonly damps: number;
  readonly cm: number;
  readonly chiN: number;
}

export function cmaParameters(n: number, lambda: number, mu = floor(lambda / 2), active = true): CMAParameters {
  const wp = new Float64Array(lambda);
  for (let i = 0; i < lambda; i++) wp[i] = log((lambda + 1) / 2) - log(i + 1);
  let sp = 0;
  let sp2 = 0;
  for (let i = 0; i < mu; i++) {
    sp += wp[i] as number;
    sp2 += (wp[i] as number) ** 2;
  }
  const mueff = (sp * sp) / sp2;
  let sn = 0;
  let sn2 = 0;
  for (let i = mu; i < lambda; i++) {
    sn += wp[i] as number;
    sn2 += (wp[i] as number) ** 2;
  }
  const mueffMinus = sn2 > 0 ? (sn * sn) / sn2 : 0;
  const alphaCov = 2;
  const c1 = alphaCov / ((n + 1.3) ** 2 + mueff);
  const cmu = min(1 - c1 - 1e-8, (alphaCov * (mueff - 2 + 1 / mueff)) / ((n + 2) ** 2 + (alphaCov * mueff) / 2));
  const alphaMin = min(1 + c1 / cmu, 1 + (2 * mueffMinus) / (mueff + 2), (1 - c1 - cmu) / (n * cmu));
  let posSum = 0;
  let negSum = 0;
  for (let i = 0; i < lambda; i++) {
    const w = wp[i] as number;
    if (i < mu && w > 0) posSum += w;
    else if (w < 0) negSum -= w;
  }
  const weights = new Float64Array(lambda);
  for (let i = 0; i < lambda; i++) {
    const w = wp[i] as number;
    if (i < mu) weights[i] = w > 0 ? w / posSum : 0;
    else weights[i] = active && w < 0 ? (alphaMin * w) / negSum : 0;
  }
  const cs = (mueff + 2) / (n + mueff + 5);
  const damps = 1 + 2 * max(0, sqrt((mueff - 1) / (n + 1)) - 1) + cs;
  const cc = (4 + mueff / n) / (n + 4 + (2 * mueff) / n);
  const chiN = sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n));
  return { lambda, mu, weights, mueff, cc, cs, c1, cmu, damps, cm: 1, chiN };
}

interface Pending extends CmaPending {
  /** y = B·D·z = (xg − m)/σ (z in the decomposition of the generation). */
  readonly y: Float64Array;
  readonly injected: boolean;
}

export interface CMAESInfo {
  readonly eigendecompositions: number;
  readonly conditionNumber: number;
  readonly lazyGapEvals: number;
}

export class CMAES extends CmaBase<Pending> implements MeanBasedOptimizer {
  readonly params: CMAParameters;
  /** Evaluations between two eigendecompositions. */
  readonly lazyGapEvals: number;

  /** Covariance, upper triangle authoritative (row-major, j ≥ i). */
  private readonly C: Float64Array;
  /** Eigenvectors as columns (row-major). */
  private readonly B: Float64Array;
  /** B·diag(D), row-major (derived from B and D). */
  private readonly BD: Float64Array;
  private readonly D: Float64Array;
  private bIdentity = true;
  private evalsAtEigen = 0;
  private eigenCount = 0;
  private injectQueue: Float64Array[] = [];
  private ws: EighWorkspace | undefined;

  // options
  protected readonly termination: CmaTermination;
  private readonly injectKeepLen: number;
  private readonly activeInjected: number;

  constructor(options: OptimizerOptions, strategyName = 'cma-es') {
    super(strategyName, options);
    const n = this.dim;
    const lambda = this.popSize;
    const r = new OptionReader(strategyName, options.options);
    const mu = r.number('mu', floor(lambda / 2), { integer: true, min: 1, max: lambda });
    const active = r.boolean('active', true);
    this.params = cmaParameters(n, lambda, mu, active);
    const p = this.params;
    this.lazyGapEvals = r.number('lazyGapEvals', (0.5 * lambda) / ((p.c1 + p.cmu) * n), { min: 0 });
    this.termination = this.readTermination(r);
    this.injectKeepLen = r.number('injectKeepLen', 1, { min: 0 });
    this.activeInjected = r.number('activeInjected', 0, { min: 0, max: 1 });
    r.finish();

    this.C = new Float64Array(n * n);
    this.B = new Float64Array(n * n);
    this.BD = new Float64Array(n * n);
    this.D = new Float64Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      this.C[i * n + i] = 1;
      this.B[i * n + i] = 1;
      this.BD[i * n + i] = 1;
    }
  }

  info(): CMAESInfo {
    return { eigendecompositions: this.eigenCount, conditionNumber: this.conditionNumber(), lazyGapEvals: this.lazyGapEvals };
  }

  /** The diagonal of C (variances before σ²). */
  diagC(): Float64Array {
    const n = this.dim;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.C[i * n + i] as number;
    return out;
  }

  /** The full covariance matrix C (symmetric, row-major copy). */
  covariance(): Float64Array {
    const n = this.dim;
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const v = this.C[i * n + j] as number;
        out[i * n + j] = v;
        out[j * n + i] = v;
      }
    }
    return out;
  }

  /** Queues points to be returned first by the next `ask` (pycma `inject`). */
  inject(points: readonly Float64Array[]): void {
    for (const x of points) {
      if (!isFloat64Array(x) || x.length !== this.dim) {
        throw new GdfoError('BAD_ARGUMENT', `${this.name}.inject: each point must be a Float64Array of length ${this.dim}`);
      }
      const g = new Float64Array(this.dim);
      if (this.transform) this.transform.toGeno(x, g);
      else g.set(x);
      for (let i = 0; i < this.dim; i++) g[i] = (g[i] as number) - (this.m[i] as number);
      this.injectQueue.push(g);
    }
  }

  ask(count: number = this.popSize): Float64Array[] {
    checkAskCount(this.name, count);
    const n = this.dim;
    if (this.pending.length === 0 && this.evals - this.evalsAtEigen >= this.lazyGapEvals && this.gen > 0) {
      this.decompose();
    }
    const out: Float64Array[] = [];
    // injected directions first
    while (out.length < count && this.injectQueue.length > 0) {
      const dir = this.injectQueue.shift() as Float64Array;
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) y[i] = (dir[i] as number) / this._sigma;
      const z = this.whiten(y);
      let norm = 0;
      for (let i = 0; i < n; i++) norm += (z[i] as number) ** 2;
      norm = sqrt(norm);
      if (norm > sqrt(n) * this.injectKeepLen && norm > 0) {
        let chi = 0;
        for (let i = 0; i < n; i++) chi += this.rng.gaussian() ** 2;
        const f = sqrt(chi) / norm;
        for (let i = 0; i < n; i++) {
          y[i] = (y[i] as number) * f;
          z[i] = (z[i] as number) * f;
        }
      }
      out.push(this.register(y, z, true));
    }
    const iid = count - out.length;
    if (iid > 0) {
      const zs: Float64Array[] = [];
      for (let k = 0; k < iid; k++) {
        const z = new Float64Array(n);
        for (let i = 0; i < n; i++) z[i] = this.rng.gaussian();
        zs.push(z);
      }
      const ys = this.colour(zs);
      for (let k = 0; k < iid; k++) out.push(this.register(ys[k] as Float64Array, zs[k] as Float64Array, false));
    }
    return out;
  }

  /** Records a pending point from its y and z; returns the caller's copy of the phenotype. */
  private register(y: Float64Array, z: Float64Array, injected: boolean): Float64Array {
    const n = this.dim;
    const xg = new Float64Array(n);
    const s = this._sigma;
    for (let i = 0; i < n; i++) xg[i] = (this.m[i] as number) + s * (y[i] as number);
    const x = this.transform ? this.transform.toPheno(xg, new Float64Array(n)) : Float64Array.from(xg);
    this.pending.push({ x, xg, z, y, injected, meanVersion: this.meanVersion });
    return Float64Array.from(x);
  }

  /** y_k = B·D·z_k for a batch (4 at a time for register reuse). */
  private colour(zs: readonly Float64Array[]): Float64Array[] {
    const n = this.dim;
    const count = zs.length;
    const ys = zs.map(() => new Float64Array(n));
    if (this.bIdentity) {
      for (let k = 0; k < count; k++) {
        const z = zs[k] as Float64Array;
        const y = ys[k] as Float64Array;
        for (let i = 0; i < n; i++) y[i] = (this.D[i] as number) * (z[i] as number);
      }
      return ys;
    }
    const BD = this.BD;
    let k = 0;
    for (; k + 4 <= count; k += 4) {
      const z0 = zs[k] as Float64Array;
      const z1 = zs[k + 1] as Float64Array;
      const z2 = zs[k + 2] as Float64Array;
      const z3 = zs[k + 3] as Float64Array;
      const y0 = ys[k] as Float64Array;
      const y1 = ys[k + 1] as Float64Array;
      const y2 = ys[k + 2] as Float64Array;
      const y3 = ys[k + 3] as Float64Array;
      for (let i = 0; i < n; i++) {
        const ri = i * n;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < n; j++) {
          const b = BD[ri + j] as number;
          s0 += b * (z0[j] as number);
          s1 += b * (z1[j] as number);
          s2 += b * (z2[j] as number);
          s3 += b * (z3[j] as number);
        }
        y0[i] = s0;
        y1[i] = s1;
        y2[i] = s2;
        y3[i] = s3;
      }
    }
    for (; k < count; k++) matVec(BD, zs[k] as Float64Array, n, ys[k] as Float64Array);
    return ys;
  }

  /** z = D⁻¹·Bᵀ·y (coordinates of y in the current decomposition). */
  private whiten(y: Float64Array): Float64Array {
    const n = this.dim;
    const z = new Float64Array(n);
    if (this.bIdentity) {
      for (let j = 0; j < n; j++) z[j] = (y[j] as number) / (this.D[j] as number);
      return z;
    }
    const B = this.B;
    for (let i = 0; i < n; i++) {
      const yi = y[i] as number;
      if (yi === 0) continue;
      const ri = i * n;
      for (let j = 0; j < n; j++) z[j] = (z[j] as number) + yi * (B[ri + j] as number);
    }
    for (let j = 0; j < n; j++) z[j] = (z[j] as number) / (this.D[j] as number);
    return z;
  }

  /** Finds the pending record of a told point (same content), or undefined. */
  private findPending(x: Float64Array, hint: number): Pending | undefined {
    const h = this.pending[hint];
    if (h && sameVector(h.x, x)) return h;
    const x0 = x[0] as number;
    for (const p of this.pending) if (p.x[0] === x0 && sameVector(p.x, x)) return p;
    return undefined;
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    const p = this.params;
    this.checkTellCount(points, fitness, p.mu);
    const n = this.dim;
    const count = points.length;
    const lambda = p.lambda;
    const mu = p.mu;
    const sigma = this._sigma;
    const clipLen = sqrt(n) + (2 * n) / (n + 2);
    const ys: Float64Array[] = new Array(count);
    const zs: Float64Array[] = new Array(count);
    const injected: boolean[] = new Array(count);
    for (let k = 0; k < count; k++) {
      const x = points[k] as Float64Array;
      const rec = this.findPending(x, k);
      if (rec && rec.meanVersion === this.meanVersion) {
        ys[k] = rec.y;
        zs[k] = rec.z;
        injected[k] = rec.injected;
        continue;
      }
      const xg = rec ? rec.xg : this.transform ? this.transform.toGeno(x, new Float64Array(n)) : x;
      const y = new Float64Array(n);
      let finite = true;
      for (let i = 0; i < n; i++) {
        const v = ((xg[i] as number) - (this.m[i] as number)) / sigma;
        if (!isFiniteNumber(v)) finite = false;
        y[i] = v;
      }
      if (!finite) {
        throw new GdfoError('BAD_ARGUMENT', `${this.name}.tell: points[${k}] has non-finite coordinates`);
      }
      const z = this.whiten(y);
      if (!rec) {
        let norm = 0;
        for (let i = 0; i < n; i++) norm += (z[i] as number) ** 2;
        norm = sqrt(norm);
        if (norm > clipLen) {
          const f = clipLen / norm;
          for (let i = 0; i < n; i++) {
            y[i] = (y[i] as number) * f;
            z[i] = (z[i] as number) * f;
          }
        }
      }
      ys[k] = y;
      zs[k] = z;
      injected[k] = rec ? rec.injected : true;
    }

    const { order, nonFinite } = rankOrder(fitness);
    const weights = new Float64Array(count);
    for (let r = 0; r < count; r++) {
      let w = 0;
      if (r < mu) w = p.weights[r] as number;
      else {
        const idx = lambda - (count - r);
        if (idx >= mu && idx < lambda) w = p.weights[idx] as number;
      }
      const k = order[r] as number;
      if (w < 0 && injected[k]) w *= this.activeInjected;
      weights[r] = w;
    }

    // recombination
    const yw = new Float64Array(n);
    const zw = new Float64Array(n);
    for (let r = 0; r < mu; r++) {
      const w = weights[r] as number;
      if (w === 0) continue;
      const k = order[r] as number;
      const y = ys[k] as Float64Array;
      const z = zs[k] as Float64Array;
      for (let i = 0; i < n; i++) {
        yw[i] = (yw[i] as number) + w * (y[i] as number);
        zw[i] = (zw[i] as number) + w * (z[i] as number);
      }
    }
    const cmSigma = p.cm * sigma;
    for (let i = 0; i < n; i++) this.m[i] = (this.m[i] as number) + cmSigma * (yw[i] as number);

    // step-size path: C^{-1/2}·y_w = B·z_w
    const bz = this.rotate(zw);
    const { psNorm, hsig } = this.stepSizePath(bz, p.cs, p.mueff, p.chiN);
    const ccn = hsig * sqrt(p.cc * (2 - p.cc) * p.mueff);
    for (let i = 0; i < n; i++) this.pc[i] = (1 - p.cc) * (this.pc[i] as number) + ccn * (yw[i] as number);

    // covariance update
    const vecs: Float64Array[] = [this.pc];
    const coefs: number[] = [p.c1];
    let wsum = 0;
    for (let r = 0; r < count; r++) {
      const w = weights[r] as number;
      if (w === 0) continue;
      wsum += w;
      const k = order[r] as number;
      let wc = w;
      if (w < 0) {
        const z = zs[k] as Float64Array;
        let z2 = 0;
        for (let i = 0; i < n; i++) z2 += (z[i] as number) ** 2;
        wc = (w * n) / (z2 + 1e-8);
      }
      vecs.push(ys[k] as Float64Array);
      coefs.push(p.cmu * wc);
    }
    const deltaH = (1 - hsig) * p.cc * (2 - p.cc);
    const decay = 1 + p.c1 * deltaH - p.c1 - p.cmu * wsum;
    this.updateC(decay, vecs, coefs);

    // step size, bookkeeping
    this.endTell(points, fitness, order, nonFinite, sigma * exp((p.cs / p.damps) * (psNorm / p.chiN - 1)));
  }

  /** B·v. */
  private rotate(v: Float64Array): Float64Array {
    const n = this.dim;
    if (this.bIdentity) return Float64Array.from(v);
    return matVec(this.B, v, n, new Float64Array(n));
  }

  /** C ← decay·C + Σ_k coefs[k]·v_k·v_kᵀ on the upper triangle. */
  private updateC(decay: number, vecs: readonly Float64Array[], coefs: readonly number[]): void {
    const n = this.dim;
    const C = this.C;
    const K = vecs.length;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (let j = i; j < n; j++) C[ri + j] = (C[ri + j] as number) * decay;
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const v0 = vecs[k] as Float64Array;
        const v1 = vecs[k + 1] as Float64Array;
        const v2 = vecs[k + 2] as Float64Array;
        const v3 = vecs[k + 3] as Float64Array;
        const u0 = (coefs[k] as number) * (v0[i] as number);
        const u1 = (coefs[k + 1] as number) * (v1[i] as number);
        const u2 = (coefs[k + 2] as number) * (v2[i] as number);
        const u3 = (coefs[k + 3] as number) * (v3[i] as number);
        for (let j = i; j < n; j++) {
          C[ri + j] =
            (C[ri + j] as number) +
            u0 * (v0[j] as number) +
            u1 * (v1[j] as number) +
            u2 * (v2[j] as number) +
            u3 * (v3[j] as number);
        }
      }
      for (; k < K; k++) {
        const v = vecs[k] as Float64Array;
        const u = (coefs[k] as number) * (v[i] as number);
        if (u === 0) continue;
        for (let j = i; j < n; j++) C[ri + j] = (C[ri + j] as number) + u * (v[j] as number);
      }
    }
  }

  /** Recomputes B and D from C (lazy; called from ask). */
  private decompose(): void {
    const n = this.dim;
    this.ws ??= new EighWorkspace(n);
    const values = new Float64Array(n);
    eighUpper(this.C, n, values, this.B, this.ws);
    let hi = 0;
    let lo = Infinity;
    for (let i = 0; i < n; i++) {
      hi = max(hi, values[i] as number);
      lo = min(lo, values[i] as number);
    }
    if (!(hi > 0) || !isFiniteNumber(hi)) {
      throw new GdfoError('NUMERICS', `${this.name}: covariance matrix degenerated (largest eigenvalue ${hi})`);
    }
    const minEig = hi * 1e-20;
    if (lo < minEig) {
      // lift the spectrum so that C stays positive definite (adds δ·I to C)
      const delta = minEig - lo;
      for (let i = 0; i < n; i++) {
        values[i] = (values[i] as number) + delta;
        this.C[i * n + i] = (this.C[i * n + i] as number) + delta;
      }
    }
    for (let i = 0; i < n; i++) this.D[i] = sqrt(values[i] as number);
    this.fillBD();
    this.bIdentity = false;
    this.evalsAtEigen = this.evals;
    this.eigenCount++;
  }

  private fillBD(): void {
    const n = this.dim;
    for (let i = 0; i < n; i++) {
      const ri = i * n;
      for (let j = 0; j < n; j++) this.BD[ri + j] = (this.B[ri + j] as number) * (this.D[j] as number);
    }
  }

  protected variance(i: number): number {
    return this.C[i * this.dim + i] as number;
  }

  /** (max D / min D)². */
  protected conditionNumber(): number {
    const { lo, hi } = extent(this.D);
    return (hi / lo) ** 2;
  }

  protected maxStd(): number {
    return extent(this.D).hi;
  }

  /** Along the eigenvector `ax` (column of B), scaled by 0.1·σ·D_ax. */
  protected noEffectAxis(ax: number, sigma: number): boolean {
    const n = this.dim;
    const f = 0.1 * sigma * (this.D[ax] as number);
    for (let i = 0; i < n; i++) {
      const mi = this.m[i] as number;
      if (mi !== mi + f * (this.B[i * n + ax] as number)) return false;
    }
    return true;
  }

  state(): StateValue {
    const n = this.dim;
    return {
      ...this.stateStart(),
      C: Float64Array.from(this.C),
      B: Float64Array.from(this.B),
      D: Float64Array.from(this.D),
      bIdentity: this.bIdentity,
      evalsAtEigen: this.evalsAtEigen,
      eigenCount: this.eigenCount,
      pendingY: flatten(this.pending.map((p) => p.y), n),
      pendingInjected: this.pending.map((p) => p.injected),
      injectQueue: flatten(this.injectQueue, n),
      ...this.stateEnd(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    const pending = this.restoreStart(state);
    const s = state as Record<string, StateValue>;
    this.C.set(vectorField(name, state, 'C', n * n));
    this.B.set(vectorField(name, state, 'B', n * n));
    this.D.set(vectorField(name, state, 'D', n));
    this.bIdentity = s.bIdentity === true;
    this.fillBD();
    this.evalsAtEigen = numberField(name, state, 'evalsAtEigen');
    this.eigenCount = numberField(name, state, 'eigenCount');
    const py = rowsField(name, state, 'pendingY', n, pending.length);
    const pinj = field<readonly boolean[]>(name, state, 'pendingInjected', isArrayOf(pending.length), `an array of ${pending.length} booleans`);
    this.pending = pending.map((p, k) => ({ ...p, y: py[k] as Float64Array, injected: pinj[k] === true }));
    this.injectQueue = rowsField(name, state, 'injectQueue', n);
    this.restoreEnd(state);
  }
}

/** Factory registered as `cma-es`. */
export function createCMAES(options: OptimizerOptions): CMAES {
  return new CMAES(options);
}
