/**
 * Nelder–Mead simplex method with dimension-adaptive coefficients, for low dimensions (n ≲ 20).
 *
 * References: J. A. Nelder & R. Mead, "A simplex method for function minimization", Computer Journal 7 (1965);
 * J. C. Lagarias et al., "Convergence properties of the Nelder–Mead simplex method in low dimensions",
 * SIAM J. Optim. 9 (1998) (the step logic used here); F. Gao & L. Han, "Implementing the Nelder-Mead simplex
 * algorithm with adaptive parameters", Comput. Optim. Appl. 51 (2012) (the coefficients).
 *
 * Coefficients (adaptive, n ≥ 2): reflection α = 1, expansion β = 1 + 2/n, contraction γ = 0.75 − 1/(2n),
 * shrink δ = 1 − 1/n; for n = 1 or `adaptive: false` the standard 1, 2, 1/2, 1/2.
 * Initial simplex: x0 and x0 + h_i·e_i with h_i = sigma0 when given, else 0.05·x0_i (0.00025 where x0_i = 0),
 * as MATLAB's fminsearch; vertices are clipped into the box when bounds are set (and mirrored to x0 − h_i when
 * clipping would collapse them).
 *
 * Population view: `ask()` returns the points the current step needs — the n + 1 vertices first, then one
 * point per reflection/expansion/contraction step, n points after a shrink (popSize is reported as 1;
 * `ask(count)` returns at most `count` of them). Points may be told in any order and over several tells;
 * the step proceeds once all its points are known. A told point that was not asked replaces the worst vertex
 * when it is better (the step in progress is then restarted from a reflection). Non-finite values rank as
 * +Infinity and are counted.
 *
 * Termination: tolx (max vertex distance to the best, ∞-norm, default 1e-10), tolfun (max |f_i − f_best|,
 * default 1e-12), ftarget, maxfevals, maxiter. Strategy options: adaptive (true), tolx, tolfun, ftarget,
 * maxIterations.
 */
import type { Optimizer, OptimizerOptions, StateValue, TerminationReason } from '@gdfo/spec';
import { StrategyBase } from './base.js';
import { clipInto, resolveX0 } from './box.js';
import { OptionReader } from './options.js';
import { field, isArrayOf, rowsField, stateError, vectorField } from './state.js';
import { checkAskCount } from './tell.js';
import { flatten, sameVector } from './vectors.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { abs, max } = Math;
const isFiniteNumber = Number.isFinite;

type Phase = 'init' | 'reflect' | 'expand' | 'outside' | 'inside' | 'shrink';
const PHASES: readonly Phase[] = ['init', 'reflect', 'expand', 'outside', 'inside', 'shrink'];

export class NelderMead extends StrategyBase implements Optimizer {
  declare readonly name: 'nelder-mead';
  readonly popSize = 1;
  readonly alpha: number;
  readonly beta: number;
  readonly gamma: number;
  readonly delta: number;
  private phase: Phase = 'init';
  private vertices: Float64Array[] = [];
  private values: number[] = [];
  private pendingX: Float64Array[] = [];
  private pendingF: (number | null)[] = [];
  private centroid: Float64Array;
  private xr: Float64Array;
  private fr = Infinity;
  private readonly tolx: number;
  private readonly tolfun: number;

  constructor(options: OptimizerOptions) {
    super('nelder-mead', options);
    const n = this.dim;
    const x0 = resolveX0(this.name, options, this.box);
    const r = new OptionReader(this.name, options.options);
    const adaptive = r.boolean('adaptive', true) && n >= 2;
    this.tolx = r.number('tolx', 1e-10, { min: 0 });
    this.tolfun = r.number('tolfun', 1e-12, { min: 0 });
    this.readStops(r);
    r.finish();
    this.alpha = 1;
    this.beta = adaptive ? 1 + 2 / n : 2;
    this.gamma = adaptive ? 0.75 - 1 / (2 * n) : 0.5;
    this.delta = adaptive ? 1 - 1 / n : 0.5;
    this.centroid = new Float64Array(n);
    this.xr = new Float64Array(n);
    // initial simplex
    this.pendingX.push(Float64Array.from(x0));
    for (let i = 0; i < n; i++) {
      const v = Float64Array.from(x0);
      const xi = x0[i] as number;
      const h = options.sigma0 ?? (xi !== 0 ? 0.05 * xi : 0.00025);
      v[i] = xi + h;
      if (this.box) {
        clipInto(v, this.box);
        if (v[i] === xi) v[i] = max(this.box.lower[i] as number, xi - h);
      }
      this.pendingX.push(v);
    }
    this.pendingF = this.pendingX.map(() => null);
  }

  /** The current simplex (n + 1 vertices, best first) and their values; empty before initialization. */
  simplex(): { vertices: Float64Array[]; values: number[] } {
    return { vertices: this.vertices.map((v) => Float64Array.from(v)), values: [...this.values] };
  }

  ask(count?: number): Float64Array[] {
    if (count !== undefined) checkAskCount(this.name, count);
    const out: Float64Array[] = [];
    for (let k = 0; k < this.pendingX.length; k++) {
      if (this.pendingF[k] === null) out.push(Float64Array.from(this.pendingX[k] as Float64Array));
      if (count !== undefined && out.length >= count) break;
    }
    return out;
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    this.told(points, fitness);
    const extras: { x: Float64Array; f: number }[] = [];
    for (let k = 0; k < points.length; k++) {
      const x = points[k] as Float64Array;
      const raw = fitness[k] as number;
      const f = isFiniteNumber(raw) ? raw : Infinity;
      let matched = false;
      for (let j = 0; j < this.pendingX.length; j++) {
        if (this.pendingF[j] === null && sameVector(this.pendingX[j] as Float64Array, x)) {
          this.pendingF[j] = f;
          matched = true;
          break;
        }
      }
      if (!matched) extras.push({ x: Float64Array.from(x), f });
    }
    this.gen++;
    if (this.pendingF.every((f) => f !== null)) this.advance();
    if (this.phase !== 'init' && extras.length > 0) {
      let replaced = false;
      for (const e of extras) {
        const w = this.values.length - 1;
        if (e.f < (this.values[w] as number)) {
          if (this.box) clipInto(e.x, this.box);
          this.vertices[w] = e.x;
          this.values[w] = e.f;
          this.sortSimplex();
          replaced = true;
        }
      }
      if (replaced) this.startReflect();
    }
  }

  private sortSimplex(): void {
    const idx = this.values.map((_, i) => i);
    idx.sort((a, b) => (this.values[a] as number) - (this.values[b] as number) || a - b);
    this.vertices = idx.map((i) => this.vertices[i] as Float64Array);
    this.values = idx.map((i) => this.values[i] as number);
  }

  private point(base: Float64Array, dir: Float64Array, t: number): Float64Array {
    // base + t·(dir − base)
    const n = this.dim;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = (base[i] as number) + t * ((dir[i] as number) - (base[i] as number));
    if (this.box) clipInto(out, this.box);
    return out;
  }

  private setPending(xs: Float64Array[]): void {
    this.pendingX = xs;
    this.pendingF = xs.map(() => null);
  }

  private startReflect(): void {
    const n = this.dim;
    const c = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const v = this.vertices[k] as Float64Array;
      for (let i = 0; i < n; i++) c[i] = (c[i] as number) + (v[i] as number);
    }
    for (let i = 0; i < n; i++) c[i] = (c[i] as number) / n;
    this.centroid = c;
    // xr = c + α(c − x_worst) = c + (−α)(x_worst − c)
    this.xr = this.point(c, this.vertices[n] as Float64Array, -this.alpha);
    this.phase = 'reflect';
    this.setPending([this.xr]);
  }

  private accept(x: Float64Array, f: number): void {
    const n = this.dim;
    this.vertices[n] = x;
    this.values[n] = f;
    this.sortSimplex();
    this.startReflect();
  }

  private startShrink(): void {
    const n = this.dim;
    const x0 = this.vertices[0] as Float64Array;
    const xs: Float64Array[] = [];
    for (let k = 1; k <= n; k++) xs.push(this.point(x0, this.vertices[k] as Float64Array, this.delta));
    this.phase = 'shrink';
    this.setPending(xs);
  }

  private advance(): void {
    const n = this.dim;
    const fs = this.pendingF as number[];
    switch (this.phase) {
      case 'init':
        this.vertices = this.pendingX;
        this.values = [...fs];
        this.sortSimplex();
        this.startReflect();
        return;
      case 'reflect': {
        const fr = fs[0] as number;
        this.fr = fr;
        const c = this.centroid;
        if (fr < (this.values[0] as number)) {
          this.phase = 'expand';
          this.setPending([this.point(c, this.xr, this.beta)]);
        } else if (fr < (this.values[n - 1] as number)) {
          this.accept(this.xr, fr);
        } else if (fr < (this.values[n] as number)) {
          this.phase = 'outside';
          this.setPending([this.point(c, this.xr, this.gamma)]);
        } else {
          this.phase = 'inside';
          this.setPending([this.point(c, this.vertices[n] as Float64Array, this.gamma)]);
        }
        return;
      }
      case 'expand': {
        const fe = fs[0] as number;
        if (fe < this.fr) this.accept(this.pendingX[0] as Float64Array, fe);
        else this.accept(this.xr, this.fr);
        return;
      }
      case 'outside': {
        const f = fs[0] as number;
        if (f <= this.fr) this.accept(this.pendingX[0] as Float64Array, f);
        else this.startShrink();
        return;
      }
      case 'inside': {
        const f = fs[0] as number;
        if (f < (this.values[n] as number)) this.accept(this.pendingX[0] as Float64Array, f);
        else this.startShrink();
        return;
      }
      case 'shrink':
        for (let k = 1; k <= n; k++) {
          this.vertices[k] = this.pendingX[k - 1] as Float64Array;
          this.values[k] = fs[k - 1] as number;
        }
        this.sortSimplex();
        this.startReflect();
        return;
    }
  }

  override stop(): TerminationReason[] {
    const out = super.stop();
    if (this.vertices.length > 0) {
      const x0 = this.vertices[0] as Float64Array;
      const f0 = this.values[0] as number;
      let dx = 0;
      let df = 0;
      for (let k = 1; k < this.vertices.length; k++) {
        const v = this.vertices[k] as Float64Array;
        for (let i = 0; i < this.dim; i++) dx = max(dx, abs((v[i] as number) - (x0[i] as number)));
        df = max(df, abs((this.values[k] as number) - f0));
      }
      if (dx <= this.tolx) out.push('tolx');
      if (df <= this.tolfun) out.push('tolfun');
    }
    return out;
  }

  state(): StateValue {
    const n = this.dim;
    return {
      ...this.stateHead(),
      phase: this.phase,
      vertices: flatten(this.vertices, n),
      values: Float64Array.from(this.values),
      pendingX: flatten(this.pendingX, n),
      pendingF: Float64Array.from(this.pendingF.map((f) => (f === null ? NaN : f))),
      pendingKnown: this.pendingF.map((f) => f !== null),
      centroid: Float64Array.from(this.centroid),
      xr: Float64Array.from(this.xr),
      fr: Float64Array.of(this.fr),
      best: this.bestTracker.state(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    this.restoreHead(state);
    const s = state as Record<string, StateValue>;
    const phase = s.phase as Phase;
    if (!PHASES.includes(phase)) stateError(name, `field "phase" must be one of ${PHASES.join(', ')}`);
    const vertices = rowsField(name, state, 'vertices', n);
    const values = vectorField(name, state, 'values', vertices.length);
    const pendingX = rowsField(name, state, 'pendingX', n);
    const pf = vectorField(name, state, 'pendingF', pendingX.length);
    const known = field<readonly boolean[]>(name, state, 'pendingKnown', isArrayOf(pendingX.length), `an array of ${pendingX.length} booleans`);
    this.phase = phase;
    this.vertices = vertices;
    this.values = Array.from(values);
    this.pendingX = pendingX;
    this.pendingF = Array.from(pf).map((f, k) => (known[k] ? f : null));
    this.centroid = Float64Array.from(vectorField(name, state, 'centroid', n));
    this.xr = Float64Array.from(vectorField(name, state, 'xr', n));
    this.fr = vectorField(name, state, 'fr', 1)[0] as number;
    this.restoreBest(state);
  }
}

export function createNelderMead(options: OptimizerOptions): NelderMead {
  return new NelderMead(options);
}
