/**
 * IPOP-CMA-ES and BIPOP-CMA-ES — restart wrappers around `CMAES`.
 *
 * References:
 * - IPOP: A. Auger & N. Hansen, "A Restart CMA Evolution Strategy With Increasing Population Size", CEC 2005.
 *   Each time a run meets a local termination criterion, CMA-ES restarts with the population size multiplied
 *   by `incPopSize` (2) and the initial step size sigma0.
 * - BIPOP: N. Hansen, "Benchmarking a BI-Population CMA-ES on the BBOB-2009 Function Testbed", GECCO 2009.
 *   After a first run with the default λ_def, two regimes alternate: the large regime doubles its population
 *   each time (λ_L = λ_def·2^i, sigma0), the small regime draws λ_S = ⌊λ_def·(λ_L/(2λ_def))^{U²}⌋ and
 *   σ_S = sigma0·10^{−2U} (U uniform in [0, 1], λ_L the last large population). The next run is a small one
 *   while the evaluations spent in small runs are below those spent in large runs (the first run counts as
 *   large).
 *
 * Restart points: the first run starts at x0; restarts start uniformly in [restartLower, restartUpper]ⁿ when
 * both are given, else uniformly in the bounds when all bounds are finite, else at x0 again.
 * Local termination = any reason of the inner `stop()` except maxfevals/ftarget; the wrapper's `stop()`
 * reports maxfevals (options.maxEvaluations), ftarget, and the last run's reasons once `maxRestarts` (9)
 * restarts were used (for BIPOP: large-regime restarts).
 *
 * Strategy options: maxRestarts (9), incPopSize (2), restartLower, restartUpper, plus every CMA-ES option
 * (passed to each run).
 */
import type { Candidate, MeanBasedOptimizer, OptimizerOptions, Rng, StateValue, TerminationReason } from '@gdfo/spec';
import { BestTracker, SPEC_VERSION } from './base.js';
import { clipInto, isFiniteBox, resolveBounds, resolveSigma0, resolveX0, uniformIn, type Box } from './box.js';
import { defaultPopSize } from './cma-base.js';
import { CMAES } from './cmaes.js';
import { OptionReader, checkCommon, optionError } from './options.js';
import { bestField, checkHeader, field, numberField, restoreRng, stateHeader, vectorField } from './state.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { floor, max } = Math;

const GLOBAL_REASONS: readonly TerminationReason[] = ['maxfevals', 'ftarget'];

export type RestartRegime = 'ipop' | 'bipop';

/** A finished run: popSize, sigma0, evaluations, best f, why it stopped. */
export interface RunRecord {
  popSize: number;
  sigma0: number;
  evaluations: number;
  bestF: number | null;
  reasons: string;
}

export class RestartCMAES implements MeanBasedOptimizer {
  readonly specVersion = SPEC_VERSION;
  readonly name: string;
  readonly dim: number;
  readonly regime: RestartRegime;
  readonly defaultPopSize: number;

  private readonly rng: Rng;
  private readonly base: OptimizerOptions;
  private readonly cmaOptions: Record<string, unknown>;
  private readonly box: Box | undefined;
  private readonly x0: Float64Array;
  private readonly sigma0: number;
  private readonly maxRestarts: number;
  private readonly incPopSize: number;
  private readonly restartRegion: { lower: number; upper: number } | undefined;
  private readonly maxEvaluations: number;
  private readonly ftarget: number;

  private inner: CMAES;
  private runX0: Float64Array;
  private runSigma0: number;
  private runPopSize: number;
  private runIsLarge = true;
  private restartCount = 0;
  private largeRestarts = 0;
  private lastLargePop: number;
  private budgetLarge = 0;
  private budgetSmall = 0;
  private evalsBefore = 0;
  private gensBefore = 0;
  private nonFiniteBefore = 0;
  private exhausted = false;
  private readonly bestTracker = new BestTracker();
  /** Per run: popSize, evaluations, best f, stop reasons (for reports). */
  private runs: RunRecord[] = [];

  constructor(options: OptimizerOptions, regime: RestartRegime) {
    const name = regime === 'ipop' ? 'ipop-cma-es' : 'bipop-cma-es';
    this.name = name;
    this.regime = regime;
    checkCommon(name, options);
    this.dim = options.dim;
    this.rng = options.rng;
    this.base = options;
    this.box = resolveBounds(name, options);
    this.x0 = resolveX0(name, options, this.box);
    this.sigma0 = resolveSigma0(options, this.box);
    const opts = { ...(options.options ?? {}) };
    const r = new OptionReader(name, opts);
    this.maxRestarts = r.number('maxRestarts', 9, { integer: true, min: 0 });
    this.incPopSize = r.number('incPopSize', 2, { min: 1, exclusiveMin: true });
    const lo = r.optionalNumber('restartLower');
    const hi = r.optionalNumber('restartUpper');
    if ((lo === undefined) !== (hi === undefined)) optionError(name, 'options.options.restartLower and restartUpper must be given together');
    if (lo !== undefined && hi !== undefined && !(lo < hi)) optionError(name, `options.options.restartLower (${lo}) must be < restartUpper (${hi})`);
    this.restartRegion = lo !== undefined && hi !== undefined ? { lower: lo, upper: hi } : undefined;
    this.ftarget = typeof opts.ftarget === 'number' ? opts.ftarget : -Infinity;
    delete opts.maxRestarts;
    delete opts.incPopSize;
    delete opts.restartLower;
    delete opts.restartUpper;
    this.cmaOptions = opts;
    this.maxEvaluations = options.maxEvaluations ?? Infinity;
    this.defaultPopSize = options.popSize ?? defaultPopSize(this.dim);
    this.runX0 = Float64Array.from(this.x0);
    this.runSigma0 = this.sigma0;
    this.runPopSize = this.defaultPopSize;
    this.lastLargePop = this.defaultPopSize;
    this.inner = this.makeInner();
  }

  private makeInner(): CMAES {
    const o: OptimizerOptions = {
      dim: this.dim,
      rng: this.rng,
      x0: this.runX0,
      sigma0: this.runSigma0,
      popSize: this.runPopSize,
      ...(this.base.bounds ? { bounds: this.base.bounds } : {}),
      options: this.cmaOptions,
    };
    return new CMAES(o, this.name);
  }

  /** The CMA-ES run in progress. */
  get current(): CMAES {
    return this.inner;
  }
  get popSize(): number {
    return this.inner.popSize;
  }
  get generation(): number {
    return this.gensBefore + this.inner.generation;
  }
  get evaluations(): number {
    return this.evalsBefore + this.inner.evaluations;
  }
  get best(): Candidate | undefined {
    return this.bestTracker.best;
  }
  get sigma(): number {
    return this.inner.sigma;
  }
  get restarts(): number {
    return this.restartCount;
  }
  get nonFiniteEvaluations(): number {
    return this.nonFiniteBefore + this.inner.nonFiniteEvaluations;
  }
  /** Finished runs (population size, step size, evaluations, best f, why it stopped). */
  history(): readonly RunRecord[] {
    return this.runs;
  }
  mean(): Float64Array {
    return this.inner.mean();
  }
  setMean(mean: Float64Array): void {
    this.inner.setMean(mean);
  }
  inject(points: readonly Float64Array[]): void {
    this.inner.inject(points);
  }

  ask(count?: number): Float64Array[] {
    return this.inner.ask(count);
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    this.inner.tell(points, fitness);
    for (let k = 0; k < points.length; k++) this.bestTracker.offer(points[k] as Float64Array, fitness[k] as number);
    if (this.exhausted) return;
    const local = this.inner.stop().filter((r) => !GLOBAL_REASONS.includes(r));
    if (local.length === 0 || this.globalStop().length > 0) return;
    this.restart(local);
  }

  private restart(reasons: readonly TerminationReason[]): void {
    const used = this.inner.evaluations;
    if (this.runIsLarge) this.budgetLarge += used;
    else this.budgetSmall += used;
    const ib = this.inner.best;
    this.runs.push({
      popSize: this.inner.popSize,
      sigma0: this.runSigma0,
      evaluations: used,
      bestF: ib ? ib.f : null,
      reasons: reasons.join(','),
    });
    let large: boolean;
    if (this.regime === 'ipop') large = true;
    else large = this.budgetSmall >= this.budgetLarge;
    if (large && this.largeRestarts >= this.maxRestarts) {
      this.exhausted = true;
      return;
    }
    this.evalsBefore += used;
    this.gensBefore += this.inner.generation;
    this.nonFiniteBefore += this.inner.nonFiniteEvaluations;
    this.restartCount++;
    if (large) {
      this.largeRestarts++;
      this.runPopSize = floor(this.defaultPopSize * this.incPopSize ** this.largeRestarts);
      this.lastLargePop = this.runPopSize;
      this.runSigma0 = this.sigma0;
    } else {
      const u = this.rng.uniform();
      const ratio = max(1, this.lastLargePop / (2 * this.defaultPopSize));
      this.runPopSize = max(2, floor(this.defaultPopSize * ratio ** (u * u)));
      this.runSigma0 = this.sigma0 * 10 ** (-2 * this.rng.uniform());
    }
    this.runIsLarge = large;
    this.runX0 = this.restartPoint();
    this.inner = this.makeInner();
  }

  private restartPoint(): Float64Array {
    const n = this.dim;
    const x = new Float64Array(n);
    if (this.restartRegion) {
      const { lower, upper } = this.restartRegion;
      uniformIn(this.rng, new Float64Array(n).fill(lower), new Float64Array(n).fill(upper), x);
      return this.box ? clipInto(x, this.box) : x;
    }
    if (isFiniteBox(this.box)) return uniformIn(this.rng, this.box.lower, this.box.upper, x);
    x.set(this.x0);
    return x;
  }

  private globalStop(): TerminationReason[] {
    const out: TerminationReason[] = [];
    if (this.evaluations >= this.maxEvaluations) out.push('maxfevals');
    const b = this.bestTracker.best;
    if (b && b.f <= this.ftarget) out.push('ftarget');
    return out;
  }

  stop(): TerminationReason[] {
    const out = this.globalStop();
    if (this.exhausted) {
      for (const r of this.inner.stop()) if (!out.includes(r)) out.push(r);
    }
    return out;
  }

  state(): StateValue {
    return {
      ...stateHeader(this.name, this.dim),
      runX0: Float64Array.from(this.runX0),
      runSigma0: this.runSigma0,
      runPopSize: this.runPopSize,
      runIsLarge: this.runIsLarge,
      restartCount: this.restartCount,
      largeRestarts: this.largeRestarts,
      lastLargePop: this.lastLargePop,
      budgetLarge: this.budgetLarge,
      budgetSmall: this.budgetSmall,
      evalsBefore: this.evalsBefore,
      gensBefore: this.gensBefore,
      nonFiniteBefore: this.nonFiniteBefore,
      exhausted: this.exhausted,
      runs: this.runs.map((r) => ({ ...r })),
      best: this.bestTracker.state(),
      inner: this.inner.state(),
      rng: this.rng.state(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    checkHeader(name, state, this.dim);
    const s = state as Record<string, StateValue>;
    this.runX0 = Float64Array.from(vectorField(name, state, 'runX0', this.dim));
    this.runSigma0 = numberField(name, state, 'runSigma0');
    this.runPopSize = numberField(name, state, 'runPopSize');
    this.runIsLarge = s.runIsLarge === true;
    this.restartCount = numberField(name, state, 'restartCount');
    this.largeRestarts = numberField(name, state, 'largeRestarts');
    this.lastLargePop = numberField(name, state, 'lastLargePop');
    this.budgetLarge = numberField(name, state, 'budgetLarge');
    this.budgetSmall = numberField(name, state, 'budgetSmall');
    this.evalsBefore = numberField(name, state, 'evalsBefore');
    this.gensBefore = numberField(name, state, 'gensBefore');
    this.nonFiniteBefore = numberField(name, state, 'nonFiniteBefore');
    this.exhausted = s.exhausted === true;
    this.runs = field<RunRecord[]>(name, state, 'runs', Array.isArray, 'an array').map((r) => ({ ...r }));
    this.bestTracker.restore(bestField(name, state, this.dim));
    this.inner = this.makeInner();
    this.inner.restore(s.inner as StateValue);
    restoreRng(name, state, this.rng);
  }
}

export function createIPOPCMAES(options: OptimizerOptions): RestartCMAES {
  return new RestartCMAES(options, 'ipop');
}

export function createBIPOPCMAES(options: OptimizerOptions): RestartCMAES {
  return new RestartCMAES(options, 'bipop');
}
