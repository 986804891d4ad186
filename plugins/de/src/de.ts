/**
 * Differential evolution as ask/tell `Optimizer`s:
 *
 * - `rand-1-bin`: DE/rand/1/bin (Storn & Price 1997): v = x_r1 + F·(x_r2 − x_r3), binomial crossover with CR
 *   and one forced coordinate, one-to-one selection (the trial replaces its target when not worse).
 * - `jade`: JADE (Zhang & Sanderson 2009): DE/current-to-pbest/1 with an archive of replaced parents,
 *   v = x_i + F_i·(x_pbest − x_i) + F_i·(x_r1 − x̃_r2) with x̃_r2 drawn from population ∪ archive, per-target
 *   F_i ~ Cauchy(μF, 0.1) and CR_i ~ N(μCR, 0.1), and μF (Lehmer mean) / μCR (arithmetic mean) adapted from the
 *   successful values with rate c.
 *
 * Built only on the public contracts of @gdfo/spec (Optimizer, OptimizerOptions, Rng) and @gdfo/core errors.
 */
import type { Candidate, Optimizer, OptimizerOptions, Rng, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';

export type DeVariant = 'rand-1-bin' | 'jade';

/** Strategy-specific options (`OptimizerOptions.options`). */
export interface DeOptions {
  /** DE/rand/1/bin: differential weight F (default 0.5). */
  F?: number;
  /** DE/rand/1/bin: crossover rate CR (default 0.9). */
  CR?: number;
  /** JADE: initial μF (default 0.5) and μCR (default 0.5). */
  muF?: number;
  muCR?: number;
  /** JADE: fraction of the population that pbest is drawn from (default 0.05, at least one member). */
  p?: number;
  /** JADE: adaptation rate of μF and μCR (default 0.1). */
  c?: number;
  /** JADE: keep the archive of replaced parents (default true). */
  archive?: boolean;
  /** Stop ('tolfun') when the population's fitness range falls below this (default 1e-12). */
  tolFun?: number;
  /** Stop ('tolx') when every coordinate's range in the population falls below this (default 1e-12). */
  tolX?: number;
}

interface Pending {
  x: Float64Array;
  /** Index of the target it competes with; −1 for an initial point. */
  target: number;
  F: number;
  CR: number;
}

const FORMAT = 'gdfo-plugin-de/1';

function num(options: Readonly<Record<string, unknown>>, key: string, dflt: number, lo: number, hi: number, name: string): number {
  const v = options[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new GdfoError('BAD_OPTION', `strategy ${name}: option "${key}" must be a number in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  }
  return v;
}

/** The bytes of a point, as a map key for matching told points to asked ones. */
function keyOf(x: Float64Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
}

export class DifferentialEvolution implements Optimizer {
  readonly specVersion = '1.0' as const;
  readonly name: string;
  readonly dim: number;
  readonly popSize: number;
  generation = 0;
  evaluations = 0;
  best: Candidate | undefined;

  private readonly rng: Rng;
  private readonly x0: Float64Array;
  private readonly sigma0: number;
  private readonly lower: Float64Array | undefined;
  private readonly upper: Float64Array | undefined;
  private readonly maxEvaluations: number;
  private readonly F: number;
  private readonly CR: number;
  private readonly p: number;
  private readonly c: number;
  private readonly useArchive: boolean;
  private readonly tolFun: number;
  private readonly tolX: number;

  private pop: Float64Array[] = [];
  private fit: number[] = [];
  private archive: Float64Array[] = [];
  private pending: Pending[] = [];
  private cursor = 0;
  private order: number[] | undefined;
  private muF: number;
  private muCR: number;

  constructor(
    options: OptimizerOptions,
    readonly variant: DeVariant,
  ) {
    this.name = variant === 'jade' ? 'jade' : 'de-rand-1-bin';
    const { dim } = options;
    if (!Number.isInteger(dim) || dim < 1) throw new GdfoError('BAD_OPTION', `strategy ${this.name}: dim must be a positive integer, got ${dim}`);
    this.dim = dim;
    this.popSize = options.popSize ?? Math.min(100, Math.max(20, 5 * dim));
    if (!Number.isInteger(this.popSize) || this.popSize < 4) {
      throw new GdfoError('BAD_OPTION', `strategy ${this.name}: popSize must be an integer ≥ 4 (DE draws three others besides the target), got ${this.popSize}`);
    }
    this.rng = options.rng;
    if (options.x0 && options.x0.length !== dim) {
      throw new GdfoError('BAD_OPTION', `strategy ${this.name}: x0 has length ${options.x0.length}, expected dim = ${dim}`);
    }
    this.x0 = options.x0 ? Float64Array.from(options.x0) : new Float64Array(dim);
    this.sigma0 = options.sigma0 ?? 1;
    if (!(this.sigma0 > 0)) throw new GdfoError('BAD_OPTION', `strategy ${this.name}: sigma0 must be positive, got ${this.sigma0}`);
    if (options.bounds) {
      const expand = (b: Float64Array | number) => (typeof b === 'number' ? new Float64Array(dim).fill(b) : Float64Array.from(b));
      this.lower = expand(options.bounds.lower);
      this.upper = expand(options.bounds.upper);
      if (this.lower.length !== dim || this.upper.length !== dim || this.lower.some((l, j) => !(l < this.upper![j]!))) {
        throw new GdfoError('BAD_OPTION', `strategy ${this.name}: bounds must have length ${dim} with lower < upper in every coordinate`);
      }
    }
    this.maxEvaluations = options.maxEvaluations ?? Infinity;
    const o = options.options ?? {};
    const known = ['F', 'CR', 'muF', 'muCR', 'p', 'c', 'archive', 'tolFun', 'tolX'];
    for (const k of Object.keys(o)) {
      if (!known.includes(k)) throw new GdfoError('BAD_OPTION', `strategy ${this.name}: unknown option "${k}"; expected one of ${known.join(', ')}`);
    }
    this.F = num(o, 'F', 0.5, 0, 2, this.name);
    this.CR = num(o, 'CR', 0.9, 0, 1, this.name);
    this.muF = num(o, 'muF', 0.5, 0, 1, this.name);
    this.muCR = num(o, 'muCR', 0.5, 0, 1, this.name);
    this.p = num(o, 'p', 0.05, 0, 1, this.name);
    this.c = num(o, 'c', 0.1, 0, 1, this.name);
    this.tolFun = num(o, 'tolFun', 1e-12, 0, Infinity, this.name);
    this.tolX = num(o, 'tolX', 1e-12, 0, Infinity, this.name);
    if (o['archive'] !== undefined && typeof o['archive'] !== 'boolean') {
      throw new GdfoError('BAD_OPTION', `strategy ${this.name}: option "archive" must be true or false, got ${JSON.stringify(o['archive'])}`);
    }
    this.useArchive = o['archive'] !== false;
  }

  /** Current adaptive means (JADE) or the fixed F and CR (rand-1-bin). */
  get parameters(): { F: number; CR: number } {
    return this.variant === 'jade' ? { F: this.muF, CR: this.muCR } : { F: this.F, CR: this.CR };
  }

  /** Copies of the current population and its fitness. */
  population(): { x: Float64Array[]; f: number[] } {
    return { x: this.pop.map((v) => Float64Array.from(v)), f: [...this.fit] };
  }

  get archiveSize(): number {
    return this.archive.length;
  }

  ask(count: number = this.popSize): Float64Array[] {
    if (!Number.isInteger(count) || count < 1) throw new GdfoError('BAD_ARGUMENT', `${this.name}.ask: count must be a positive integer, got ${count}`);
    const out: Float64Array[] = [];
    this.order = undefined;
    for (let k = 0; k < count; k++) {
      let entry: Pending;
      if (this.pop.length < this.popSize) entry = this.initialPoint();
      else {
        const target = this.cursor;
        this.cursor = (this.cursor + 1) % this.popSize;
        entry = this.variant === 'jade' ? this.jadeTrial(target) : this.randTrial(target);
      }
      this.pending.push(entry);
      out.push(Float64Array.from(entry.x));
    }
    return out;
  }

  private initialPoint(): Pending {
    const x = new Float64Array(this.dim);
    const lo = this.lower;
    const hi = this.upper;
    for (let j = 0; j < this.dim; j++) {
      if (lo && hi && !this.hasX0()) x[j] = lo[j]! + this.rng.uniform() * (hi[j]! - lo[j]!);
      else {
        let v = this.x0[j]! + this.sigma0 * this.rng.gaussian();
        if (lo && hi) v = Math.min(hi[j]!, Math.max(lo[j]!, v));
        x[j] = v;
      }
    }
    return { x, target: -1, F: NaN, CR: NaN };
  }

  private hasX0(): boolean {
    return this.x0.some((v) => v !== 0);
  }

  /** A uniform index in [0, n) different from every index in `not`. */
  private pick(n: number, not: readonly number[]): number {
    for (;;) {
      const r = this.rng.int(n);
      if (!not.includes(r)) return r;
    }
  }

  /** Binomial crossover of `v` into target `i`, then the bound repair of JADE: halfway to the parent. */
  private crossover(i: number, v: Float64Array, CR: number): Float64Array {
    const x = this.pop[i]!;
    const u = new Float64Array(this.dim);
    const jRand = this.rng.int(this.dim);
    for (let j = 0; j < this.dim; j++) u[j] = j === jRand || this.rng.uniform() < CR ? v[j]! : x[j]!;
    if (this.lower && this.upper) {
      for (let j = 0; j < this.dim; j++) {
        if (u[j]! < this.lower[j]!) u[j] = (this.lower[j]! + x[j]!) / 2;
        else if (u[j]! > this.upper[j]!) u[j] = (this.upper[j]! + x[j]!) / 2;
      }
    }
    return u;
  }

  private randTrial(i: number): Pending {
    const r1 = this.pick(this.popSize, [i]);
    const r2 = this.pick(this.popSize, [i, r1]);
    const r3 = this.pick(this.popSize, [i, r1, r2]);
    const a = this.pop[r1]!;
    const b = this.pop[r2]!;
    const c = this.pop[r3]!;
    const v = new Float64Array(this.dim);
    for (let j = 0; j < this.dim; j++) v[j] = a[j]! + this.F * (b[j]! - c[j]!);
    return { x: this.crossover(i, v, this.CR), target: i, F: this.F, CR: this.CR };
  }

  private jadeTrial(i: number): Pending {
    // CR_i ~ N(μCR, 0.1) clipped to [0, 1]; F_i ~ Cauchy(μF, 0.1), 1 when above 1, drawn again when ≤ 0.
    const CR = Math.min(1, Math.max(0, this.muCR + 0.1 * this.rng.gaussian()));
    let F = 0;
    while (F <= 0) F = Math.min(1, this.muF + 0.1 * Math.tan(Math.PI * (this.rng.uniform() - 0.5)));
    const top = Math.max(1, Math.round(this.p * this.popSize));
    // The population does not change during one ask: rank it once.
    const order = (this.order ??= this.fit.map((_f, k) => k).sort((a, b) => this.fit[a]! - this.fit[b]! || a - b));
    const pbest = this.pop[order[this.rng.int(top)]!]!;
    const r1 = this.pick(this.popSize, [i]);
    const union = this.popSize + this.archive.length;
    const r2 = this.pick(union, [i, r1]);
    const x = this.pop[i]!;
    const a = this.pop[r1]!;
    const b = r2 < this.popSize ? this.pop[r2]! : this.archive[r2 - this.popSize]!;
    const v = new Float64Array(this.dim);
    for (let j = 0; j < this.dim; j++) v[j] = x[j]! + F * (pbest[j]! - x[j]!) + F * (a[j]! - b[j]!);
    return { x: this.crossover(i, v, CR), target: i, F, CR };
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    if (points.length !== fitness.length) {
      throw new GdfoError('BAD_ARGUMENT', `${this.name}.tell: ${points.length} points but ${fitness.length} fitness values`);
    }
    for (const p of points) {
      if (p.length !== this.dim) throw new GdfoError('BAD_ARGUMENT', `${this.name}.tell: a point has length ${p.length}, expected dim = ${this.dim}`);
    }
    // Match told points to asked ones by content (in the order asked), so the result does not depend on the
    // order of `points`; unmatched points were injected by someone else.
    const byKey = new Map<string, number[]>();
    points.forEach((p, k) => {
      const key = keyOf(p);
      const list = byKey.get(key);
      if (list) list.push(k);
      else byKey.set(key, [k]);
    });
    const f = (k: number) => (Number.isFinite(fitness[k]!) ? fitness[k]! : Infinity);
    const matched: { entry: Pending; k: number }[] = [];
    for (const entry of this.pending) {
      const list = byKey.get(keyOf(entry.x));
      const k = list?.shift();
      if (k !== undefined) matched.push({ entry, k });
    }
    const injected = [...byKey.values()].flat().sort((a, b) => a - b);
    const successF: number[] = [];
    const successCR: number[] = [];
    for (const { entry, k } of matched) {
      const fk = f(k);
      const x = points[k]!;
      if (entry.target < 0) {
        if (this.pop.length < this.popSize) {
          this.pop.push(Float64Array.from(x));
          this.fit.push(fk);
        } else this.challengeWorst(x, fk);
        continue;
      }
      const i = entry.target;
      if (fk <= this.fit[i]!) {
        if (fk < this.fit[i]!) {
          successF.push(entry.F);
          successCR.push(entry.CR);
          if (this.variant === 'jade' && this.useArchive) this.archive.push(this.pop[i]!);
        }
        this.pop[i] = Float64Array.from(x);
        this.fit[i] = fk;
      }
    }
    for (const k of injected) {
      if (this.pop.length < this.popSize) {
        this.pop.push(Float64Array.from(points[k]!));
        this.fit.push(f(k));
      } else this.challengeWorst(points[k]!, f(k));
    }
    if (this.variant === 'jade') {
      while (this.archive.length > this.popSize) this.archive.splice(this.rng.int(this.archive.length), 1);
      if (successF.length) {
        const sumF = successF.reduce((s, v) => s + v, 0);
        const lehmer = successF.reduce((s, v) => s + v * v, 0) / sumF;
        const meanCR = successCR.reduce((s, v) => s + v, 0) / successCR.length;
        this.muF = (1 - this.c) * this.muF + this.c * lehmer;
        this.muCR = (1 - this.c) * this.muCR + this.c * meanCR;
      }
    }
    points.forEach((x, k) => {
      const fk = fitness[k]!;
      if (Number.isFinite(fk) && (!this.best || fk < this.best.f)) this.best = { x: Float64Array.from(x), f: fk };
    });
    this.pending = [];
    this.evaluations += points.length;
    this.generation++;
  }

  /** An injected point replaces the worst member when it is better (the member goes to the archive). */
  private challengeWorst(x: Float64Array, f: number): void {
    let w = 0;
    for (let i = 1; i < this.popSize; i++) if (this.fit[i]! > this.fit[w]!) w = i;
    if (f < this.fit[w]!) {
      if (this.variant === 'jade' && this.useArchive) this.archive.push(this.pop[w]!);
      this.pop[w] = Float64Array.from(x);
      this.fit[w] = f;
    }
  }

  stop(): TerminationReason[] {
    const out: TerminationReason[] = [];
    if (this.evaluations >= this.maxEvaluations) out.push('maxfevals');
    if (this.pop.length === this.popSize) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of this.fit) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      if (Number.isFinite(hi) && hi - lo < this.tolFun) out.push('tolfun');
      let spread = 0;
      for (let j = 0; j < this.dim; j++) {
        let a = Infinity;
        let b = -Infinity;
        for (const x of this.pop) {
          a = Math.min(a, x[j]!);
          b = Math.max(b, x[j]!);
        }
        spread = Math.max(spread, b - a);
      }
      if (spread < this.tolX) out.push('tolx');
    }
    return out;
  }

  state(): StateValue {
    const flat = (xs: readonly Float64Array[]) => {
      const out = new Float64Array(xs.length * this.dim);
      xs.forEach((x, i) => out.set(x, i * this.dim));
      return out;
    };
    return {
      format: FORMAT,
      variant: this.variant,
      dim: this.dim,
      popSize: this.popSize,
      generation: this.generation,
      evaluations: this.evaluations,
      cursor: this.cursor,
      muF: this.muF,
      muCR: this.muCR,
      pop: flat(this.pop),
      fit: Float64Array.from(this.fit),
      archive: flat(this.archive),
      pendingX: flat(this.pending.map((p) => p.x)),
      pendingTarget: Int32Array.from(this.pending.map((p) => p.target)),
      pendingF: Float64Array.from(this.pending.map((p) => p.F)),
      pendingCR: Float64Array.from(this.pending.map((p) => p.CR)),
      best: this.best ? { x: Float64Array.from(this.best.x), f: this.best.f } : null,
      rng: this.rng.state(),
    };
  }

  restore(state: StateValue): void {
    const s = state as Record<string, StateValue>;
    if (s?.['format'] !== FORMAT) throw new GdfoError('BAD_CHECKPOINT', `strategy ${this.name}: state format ${JSON.stringify(s?.['format'])}, expected "${FORMAT}"`);
    if (s['variant'] !== this.variant || s['dim'] !== this.dim || s['popSize'] !== this.popSize) {
      throw new GdfoError(
        'BAD_CHECKPOINT',
        `strategy ${this.name}: state of ${String(s['variant'])} with dim ${String(s['dim'])}, popSize ${String(s['popSize'])}; this one is ${this.variant} with dim ${this.dim}, popSize ${this.popSize}`,
      );
    }
    const unflat = (a: StateValue) => {
      const v = a as Float64Array;
      return Array.from({ length: v.length / this.dim }, (_u, i) => v.slice(i * this.dim, (i + 1) * this.dim));
    };
    this.generation = s['generation'] as number;
    this.evaluations = s['evaluations'] as number;
    this.cursor = s['cursor'] as number;
    this.muF = s['muF'] as number;
    this.muCR = s['muCR'] as number;
    this.pop = unflat(s['pop']!);
    this.fit = Array.from(s['fit'] as Float64Array);
    this.archive = unflat(s['archive']!);
    const px = unflat(s['pendingX']!);
    const pt = s['pendingTarget'] as Int32Array;
    const pf = s['pendingF'] as Float64Array;
    const pc = s['pendingCR'] as Float64Array;
    this.pending = px.map((x, i) => ({ x, target: pt[i]!, F: pf[i]!, CR: pc[i]! }));
    const b = s['best'] as { x: Float64Array; f: number } | null;
    this.best = b ? { x: Float64Array.from(b.x), f: b.f } : undefined;
    this.rng.restore(s['rng']!);
  }
}
