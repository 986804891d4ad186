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
import type { Candidate, MeanBasedOptimizer, OptimizerOptions, Rng, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { BoxTransform } from './bounds.js';
import {
  BestTracker,
  OptionReader,
  SPEC_VERSION,
  checkAskCount,
  checkCommon,
  checkHeader,
  checkTell,
  field,
  isF64,
  isNum,
  optionError,
  rankOrder,
  resolveBounds,
  resolveSigma0,
  resolveX0,
  sameVector,
  stateError,
  isFloat64Array,
} from './common.js';
import { FitnessHistory } from './history.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { abs, ceil, exp, floor, log, max, min, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

interface Pending {
  readonly x: Float64Array;
  readonly xg: Float64Array;
  readonly z: Float64Array;
  readonly meanVersion: number;
}

export class SepCMAES implements MeanBasedOptimizer {
  readonly specVersion = SPEC_VERSION;
  readonly name = 'sep-cma-es';
  readonly dim: number;
  readonly popSize: number;
  readonly mu: number;
  readonly weights: Float64Array;
  readonly mueff: number;
  readonly cs: number;
  readonly damps: number;
  readonly cc: number;
  readonly c1: number;
  readonly cmu: number;
  readonly chiN: number;
  readonly sigma0: number;

  private readonly rng: Rng;
  private readonly transform: BoxTransform | undefined;
  private readonly m: Float64Array;
  private _sigma: number;
  /** Diagonal of C. */
  private readonly C: Float64Array;
  private readonly pc: Float64Array;
  private readonly ps: Float64Array;
  private gen = 0;
  private evals = 0;
  private meanVersion = 0;
  private nonFinite = 0;
  private pending: Pending[] = [];
  private readonly bestTracker = new BestTracker();
  private readonly history: FitnessHistory;
  private readonly maxEvaluations: number;
  private readonly maxIterations: number;
  private readonly ftarget: number;
  private readonly tolfun: number;
  private readonly tolx: number;
  private readonly tolConditionCov: number;
  private readonly tolStagnation: number;
  private readonly tolUpSigma: number;

  constructor(options: OptimizerOptions) {
    const name = this.name;
    checkCommon(name, options);
    const n = options.dim;
    this.dim = n;
    this.rng = options.rng;
    const box = resolveBounds(name, options);
    this.transform = box ? new BoxTransform(box) : undefined;
    const x0 = resolveX0(name, options, box);
    this.sigma0 = resolveSigma0(options, box);
    const lambda = options.popSize ?? 4 + floor(3 * log(n));
    if (!Number.isInteger(lambda) || lambda < 2) optionError(name, `options.popSize must be an integer ≥ 2, got ${lambda}`);
    this.popSize = lambda;
    const r = new OptionReader(name, options.options);
    const mu = r.number('mu', floor(lambda / 2), { integer: true, min: 1, max: lambda });
    this.mu = mu;
    this.tolfun = r.number('tolfun', 1e-11, { min: 0 });
    this.tolx = r.number('tolx', 1e-11, { min: 0 });
    this.tolConditionCov = r.number('tolConditionCov', 1e14, { min: 1 });
    this.tolStagnation = r.number('tolStagnation', floor(100 + (100 * n ** 1.5) / lambda), { min: 0 });
    this.tolUpSigma = r.number('tolUpSigma', 1e20, { min: 0, exclusiveMin: true });
    this.ftarget = r.number('ftarget', -Infinity);
    this.maxIterations = r.number('maxIterations', floor(100 + (150 * (n + 3) ** 2) / sqrt(lambda)), { min: 1 });
    r.finish();
    this.maxEvaluations = options.maxEvaluations ?? Infinity;

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

    this.m = new Float64Array(n);
    if (this.transform) this.transform.toGeno(x0, this.m);
    else this.m.set(x0);
    this._sigma = this.sigma0;
    this.C = new Float64Array(n).fill(1);
    this.pc = new Float64Array(n);
    this.ps = new Float64Array(n);
    this.history = new FitnessHistory(10 + ceil((30 * n) / lambda));
  }

  get sigma(): number {
    return this._sigma;
  }
  get generation(): number {
    return this.gen;
  }
  get evaluations(): number {
    return this.evals;
  }
  get best(): Candidate | undefined {
    return this.bestTracker.best;
  }
  get nonFiniteEvaluations(): number {
    return this.nonFinite;
  }

  mean(): Float64Array {
    const out = new Float64Array(this.dim);
    return this.transform ? this.transform.toPheno(this.m, out) : (out.set(this.m), out);
  }

  setMean(mean: Float64Array): void {
    if (!isFloat64Array(mean) || mean.length !== this.dim) {
      throw new GdfoError('BAD_ARGUMENT', `${this.name}.setMean: mean must be a Float64Array of length ${this.dim}`);
    }
    for (let i = 0; i < this.dim; i++) {
      if (!isFiniteNumber(mean[i])) throw new GdfoError('BAD_ARGUMENT', `${this.name}.setMean: mean[${i}] is ${mean[i]}`);
    }
    if (this.transform) this.transform.toGeno(mean, this.m);
    else this.m.set(mean);
    this.meanVersion++;
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
    checkTell(this.name, this.dim, points, fitness);
    const n = this.dim;
    const count = points.length;
    if (count < this.mu) throw new GdfoError('BAD_ARGUMENT', `${this.name}.tell: got ${count} points; at least mu = ${this.mu} are needed`);
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
    this.nonFinite += nonFinite;
    const mu = this.mu;
    const zw = new Float64Array(n);
    for (let r = 0; r < mu; r++) {
      const w = this.weights[r] as number;
      const z = zs[order[r] as number] as Float64Array;
      for (let i = 0; i < n; i++) zw[i] = (zw[i] as number) + w * (z[i] as number);
    }
    // y_w = D·z_w; mean, paths
    const csn = sqrt(this.cs * (2 - this.cs) * this.mueff);
    let psn2 = 0;
    for (let i = 0; i < n; i++) {
      const v = (1 - this.cs) * (this.ps[i] as number) + csn * (zw[i] as number);
      this.ps[i] = v;
      psn2 += v * v;
    }
    const psNorm = sqrt(psn2);
    const hsig = psNorm / sqrt(1 - (1 - this.cs) ** (2 * (this.gen + 1))) < (1.4 + 2 / (n + 1)) * this.chiN ? 1 : 0;
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
    this._sigma = sigma * exp((this.cs / this.damps) * (psNorm / this.chiN - 1));
    if (!(this._sigma <= 1e32)) this._sigma = 1e32;
    this.gen++;
    this.evals += count;
    for (let k = 0; k < count; k++) this.bestTracker.offer(points[k] as Float64Array, fitness[k] as number);
    const sorted: number[] = [];
    for (const k of order) if (isFiniteNumber(fitness[k])) sorted.push(fitness[k] as number);
    this.history.record(this.gen, sorted, nonFinite > 0);
    this.pending = [];
  }

  stop(): TerminationReason[] {
    const n = this.dim;
    const out: TerminationReason[] = [];
    if (this.evals >= this.maxEvaluations) out.push('maxfevals');
    if (this.gen >= this.maxIterations) out.push('maxiter');
    const b = this.bestTracker.best;
    if (b && b.f <= this.ftarget) out.push('ftarget');
    if (this.gen > 0 && this.history.range() < this.tolfun) out.push('tolfun');
    const s = this._sigma;
    let allSmall = true;
    let noEffectCoord = false;
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const c = this.C[i] as number;
      const sd = sqrt(c);
      lo = min(lo, c);
      hi = max(hi, c);
      if (s * max(abs(this.pc[i] as number), sd) >= this.tolx) allSmall = false;
      const mi = this.m[i] as number;
      if (mi === mi + 0.2 * s * sd) noEffectCoord = true;
    }
    if (allSmall) out.push('tolx');
    if (hi / lo > this.tolConditionCov) out.push('conditioncov');
    if (this.gen > 0) {
      const ax = this.gen % n;
      const mi = this.m[ax] as number;
      if (mi === mi + 0.1 * s * sqrt(this.C[ax] as number)) out.push('noeffectaxis');
    }
    if (noEffectCoord) out.push('noeffectcoord');
    if (this.gen > this.tolStagnation && this.history.stagnation()) out.push('tolstagnation');
    if (s / this.sigma0 > this.tolUpSigma * sqrt(hi)) out.push('tolupsigma');
    return out;
  }

  state(): StateValue {
    const n = this.dim;
    const flat = (get: (p: Pending) => Float64Array): Float64Array => {
      const out = new Float64Array(this.pending.length * n);
      this.pending.forEach((p, k) => out.set(get(p), k * n));
      return out;
    };
    return {
      strategy: this.name,
      version: 1,
      dim: n,
      popSize: this.popSize,
      mean: Float64Array.from(this.m),
      sigma: this._sigma,
      C: Float64Array.from(this.C),
      pc: Float64Array.from(this.pc),
      ps: Float64Array.from(this.ps),
      generation: this.gen,
      evaluations: this.evals,
      meanVersion: this.meanVersion,
      nonFinite: this.nonFinite,
      pendingX: flat((p) => p.x),
      pendingXg: flat((p) => p.xg),
      pendingZ: flat((p) => p.z),
      pendingMeanVersion: this.pending.map((p) => p.meanVersion),
      best: this.bestTracker.state(),
      history: this.history.state(),
      rng: this.rng.state(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    checkHeader(name, state, n);
    const ps = field<number>(name, state, 'popSize', isNum, 'a number');
    if (ps !== this.popSize) stateError(name, `state has popSize ${ps}, this optimizer has ${this.popSize}`);
    const s = state as Record<string, StateValue>;
    this.m.set(field<Float64Array>(name, state, 'mean', isF64(n), `a Float64Array of length ${n}`));
    this._sigma = field<number>(name, state, 'sigma', isNum, 'a number');
    this.C.set(field<Float64Array>(name, state, 'C', isF64(n), `a Float64Array of length ${n}`));
    this.pc.set(field<Float64Array>(name, state, 'pc', isF64(n), `a Float64Array of length ${n}`));
    this.ps.set(field<Float64Array>(name, state, 'ps', isF64(n), `a Float64Array of length ${n}`));
    this.gen = field<number>(name, state, 'generation', isNum, 'a number');
    this.evals = field<number>(name, state, 'evaluations', isNum, 'a number');
    this.meanVersion = field<number>(name, state, 'meanVersion', isNum, 'a number');
    this.nonFinite = field<number>(name, state, 'nonFinite', isNum, 'a number');
    const px = field<Float64Array>(name, state, 'pendingX', isF64(), 'a Float64Array');
    const pxg = field<Float64Array>(name, state, 'pendingXg', isF64(px.length), 'a Float64Array');
    const pz = field<Float64Array>(name, state, 'pendingZ', isF64(px.length), 'a Float64Array');
    const pmv = s.pendingMeanVersion as readonly number[];
    this.pending = [];
    for (let k = 0; k * n < px.length; k++) {
      const sl = (a: Float64Array): Float64Array => a.slice(k * n, (k + 1) * n);
      this.pending.push({ x: sl(px), xg: sl(pxg), z: sl(pz), meanVersion: pmv[k] as number });
    }
    this.bestTracker.restore(s.best as StateValue);
    this.history.restore(s.history as StateValue);
    this.rng.restore(s.rng as StateValue);
  }
}

export function createSepCMAES(options: OptimizerOptions): SepCMAES {
  return new SepCMAES(options);
}
