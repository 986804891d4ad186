/**
 * Pure random search — the baseline every other strategy must beat.
 *
 * Reference: J. Bergstra & Y. Bengio, "Random Search for Hyper-Parameter Optimization", JMLR 13 (2012);
 * the classic pure random search of Brooks (1958).
 * Points are drawn uniformly in the box when all bounds are finite, otherwise from N(x0, sigma0²·I) (clipped
 * into any finite bounds). Nothing is learned; `best` is the best finite value told (asked or not).
 *
 * Defaults: popSize 10 (points per `ask`), x0 = box centre or 0, sigma0 = 0.3 × mean box width or 1.
 * Strategy options: ftarget, maxIterations.
 */
import type { Candidate, Optimizer, OptimizerOptions, Rng, StateValue, TerminationReason } from '@gdfo/spec';
import {
  BestTracker,
  OptionReader,
  SPEC_VERSION,
  checkAskCount,
  checkCommon,
  checkHeader,
  checkTell,
  clipInto,
  field,
  isNum,
  optionError,
  resolveBounds,
  resolveSigma0,
  resolveX0,
  uniformIn,
  type Box,
} from './common.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const isFiniteNumber = Number.isFinite;

export class RandomSearch implements Optimizer {
  readonly specVersion = SPEC_VERSION;
  readonly name = 'random-search';
  readonly dim: number;
  readonly popSize: number;
  private readonly rng: Rng;
  private readonly box: Box | undefined;
  private readonly uniform: boolean;
  private readonly x0: Float64Array;
  private readonly sigma0: number;
  private gen = 0;
  private evals = 0;
  private nonFinite = 0;
  private readonly bestTracker = new BestTracker();
  private readonly ftarget: number;
  private readonly maxIterations: number;
  private readonly maxEvaluations: number;

  constructor(options: OptimizerOptions) {
    const name = this.name;
    checkCommon(name, options);
    this.dim = options.dim;
    this.rng = options.rng;
    this.box = resolveBounds(name, options);
    this.uniform = !!this.box && this.box.lower.every(isFiniteNumber) && this.box.upper.every(isFiniteNumber);
    this.x0 = resolveX0(name, options, this.box);
    this.sigma0 = resolveSigma0(options, this.box);
    this.popSize = options.popSize ?? 10;
    if (!Number.isInteger(this.popSize) || this.popSize < 1) optionError(name, `options.popSize must be an integer ≥ 1, got ${this.popSize}`);
    const r = new OptionReader(name, options.options);
    this.ftarget = r.number('ftarget', -Infinity);
    this.maxIterations = r.number('maxIterations', Infinity, { min: 1 });
    r.finish();
    this.maxEvaluations = options.maxEvaluations ?? Infinity;
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

  ask(count: number = this.popSize): Float64Array[] {
    checkAskCount(this.name, count);
    const out: Float64Array[] = [];
    for (let k = 0; k < count; k++) {
      const x = new Float64Array(this.dim);
      if (this.uniform && this.box) uniformIn(this.rng, this.box.lower, this.box.upper, x);
      else {
        for (let i = 0; i < this.dim; i++) x[i] = (this.x0[i] as number) + this.sigma0 * this.rng.gaussian();
        if (this.box) clipInto(x, this.box);
      }
      out.push(x);
    }
    return out;
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    checkTell(this.name, this.dim, points, fitness);
    for (let k = 0; k < points.length; k++) {
      const f = fitness[k] as number;
      if (!isFiniteNumber(f)) this.nonFinite++;
      else this.bestTracker.offer(points[k] as Float64Array, f);
    }
    this.evals += points.length;
    this.gen++;
  }

  stop(): TerminationReason[] {
    const out: TerminationReason[] = [];
    if (this.evals >= this.maxEvaluations) out.push('maxfevals');
    if (this.gen >= this.maxIterations) out.push('maxiter');
    const b = this.bestTracker.best;
    if (b && b.f <= this.ftarget) out.push('ftarget');
    return out;
  }

  state(): StateValue {
    return {
      strategy: this.name,
      version: 1,
      dim: this.dim,
      generation: this.gen,
      evaluations: this.evals,
      nonFinite: this.nonFinite,
      best: this.bestTracker.state(),
      rng: this.rng.state(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    checkHeader(name, state, this.dim);
    const s = state as Record<string, StateValue>;
    this.gen = field<number>(name, state, 'generation', isNum, 'a number');
    this.evals = field<number>(name, state, 'evaluations', isNum, 'a number');
    this.nonFinite = field<number>(name, state, 'nonFinite', isNum, 'a number');
    this.bestTracker.restore(s.best as StateValue);
    this.rng.restore(s.rng as StateValue);
  }
}

export function createRandomSearch(options: OptimizerOptions): RandomSearch {
  return new RandomSearch(options);
}
