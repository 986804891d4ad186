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
 * Built on the strategy kit of @gdfo/dfo (`kit.StrategyBase`, `kit.OptionReader`, the state readers): the option,
 * tell and restore checks, the counters, `best`, the budget stops and the state header are the built-ins', with
 * their error codes (BAD_OPTION, BAD_ARGUMENT, BAD_STATE).
 */
import type { Optimizer, OptimizerOptions, StateValue, TerminationReason } from '@gdfo/spec';
import { kit } from '@gdfo/dfo';

const { OptionReader, checkAskCount, checkPopSize, field, flatten, gaussianAround, isFiniteBox, isF64 } = kit;
const { numberField, rowsField, sameNumberField, stateError, uniformIn, vectorField } = kit;

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
  /** Stop ('ftarget') once the best value is at most this (default −∞). */
  ftarget?: number;
  /** Stop ('maxiter') after this many generations (tells; default ∞). */
  maxIterations?: number;
}

interface Pending {
  x: Float64Array;
  /** Index of the target it competes with; −1 for an initial point. */
  target: number;
  F: number;
  CR: number;
}

/** The bytes of a point, as a map key for matching told points to asked ones. */
function keyOf(x: Float64Array): string {
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('base64');
}

export class DifferentialEvolution extends kit.StrategyBase implements Optimizer {
  readonly popSize: number;

  private readonly x0: Float64Array;
  private readonly sigma0: number;
  /** The initial population is uniform in the box (finite bounds and no x0), else x0 + σ0·N(0, I). */
  private readonly uniformInit: boolean;
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
    const name = variant === 'jade' ? 'jade' : 'de-rand-1-bin';
    super(name, options);
    const dim = this.dim;
    const why = 'DE draws three others besides the target';
    this.popSize = checkPopSize(name, options.popSize, Math.min(100, Math.max(20, 5 * dim)), 4, why);
    this.x0 = options.x0 ? Float64Array.from(options.x0) : new Float64Array(dim);
    this.sigma0 = options.sigma0 ?? 1;
    this.uniformInit = isFiniteBox(this.box) && this.x0.every((v) => v === 0);
    const r = new OptionReader(name, options.options);
    this.F = r.number('F', 0.5, { min: 0, max: 2 });
    this.CR = r.number('CR', 0.9, { min: 0, max: 1 });
    this.muF = r.number('muF', 0.5, { min: 0, max: 1 });
    this.muCR = r.number('muCR', 0.5, { min: 0, max: 1 });
    this.p = r.number('p', 0.05, { min: 0, max: 1 });
    this.c = r.number('c', 0.1, { min: 0, max: 1 });
    this.useArchive = r.boolean('archive', true);
    this.tolFun = r.number('tolFun', 1e-12, { min: 0 });
    this.tolX = r.number('tolX', 1e-12, { min: 0 });
    this.readStops(r);
    r.finish();
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
    checkAskCount(this.name, count);
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
    const box = this.box;
    const x = this.uniformInit && box ? uniformIn(this.rng, box.lower, box.upper, new Float64Array(this.dim)) : gaussianAround(this.rng, this.x0, this.sigma0, box);
    return { x, target: -1, F: NaN, CR: NaN };
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
    if (this.box) {
      const { lower, upper } = this.box;
      for (let j = 0; j < this.dim; j++) {
        if (u[j]! < lower[j]!) u[j] = (lower[j]! + x[j]!) / 2;
        else if (u[j]! > upper[j]!) u[j] = (upper[j]! + x[j]!) / 2;
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
    // Checks the arguments, counts the evaluations and non-finite values, offers the told points to `best`.
    this.told(points, fitness);
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
    this.pending = [];
    this.gen++;
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

  /** maxfevals, maxiter, ftarget (the kit's), then tolfun and tolx once the population is complete. */
  override stop(): TerminationReason[] {
    const out = super.stop();
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
    const rows = (xs: readonly Float64Array[]): Float64Array => flatten(xs, this.dim);
    return {
      ...this.stateHead(),
      popSize: this.popSize,
      cursor: this.cursor,
      muF: this.muF,
      muCR: this.muCR,
      pop: rows(this.pop),
      fit: Float64Array.from(this.fit),
      archive: rows(this.archive),
      pendingX: rows(this.pending.map((p) => p.x)),
      pendingTarget: Float64Array.from(this.pending.map((p) => p.target)),
      pendingF: Float64Array.from(this.pending.map((p) => p.F)),
      pendingCR: Float64Array.from(this.pending.map((p) => p.CR)),
      ...this.stateTail(),
    };
  }

  /** Validates the whole snapshot (header, sizes, every array's length) before it changes anything but the counters. */
  restore(state: StateValue): void {
    const name = this.name;
    const n = this.dim;
    const size = this.popSize;
    this.restoreHead(state);
    sameNumberField(name, state, 'popSize', size);
    const inRange = (lo: number) => (v: unknown) => Number.isInteger(v) && (v as number) >= lo && (v as number) < size;
    const cursor = field<number>(name, state, 'cursor', inRange(0), `an integer in [0, ${size})`);
    const muF = numberField(name, state, 'muF');
    const muCR = numberField(name, state, 'muCR');
    const pop = rowsField(name, state, 'pop', n);
    if (pop.length > size) stateError(name, `field "pop" must hold at most popSize = ${size} points, got ${pop.length}`);
    const fit = vectorField(name, state, 'fit', pop.length);
    const archive = rowsField(name, state, 'archive', n);
    const pendingX = rowsField(name, state, 'pendingX', n);
    const k = pendingX.length;
    const isTargets = (v: unknown) => isF64(k)(v) && (v as Float64Array).every(inRange(-1));
    const targets = field<Float64Array>(name, state, 'pendingTarget', isTargets, `a Float64Array of ${k} targets in [-1, ${size})`);
    const pF = vectorField(name, state, 'pendingF', k);
    const pCR = vectorField(name, state, 'pendingCR', k);
    this.restoreTail(state);
    this.cursor = cursor;
    this.muF = muF;
    this.muCR = muCR;
    this.pop = pop;
    this.fit = Array.from(fit);
    this.archive = archive;
    this.pending = pendingX.map((x, i) => ({ x, target: targets[i]!, F: pF[i]!, CR: pCR[i]! }));
    this.order = undefined;
  }
}
