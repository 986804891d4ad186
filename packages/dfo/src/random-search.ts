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
import type { Optimizer, OptimizerOptions, StateValue } from '@gdfo/spec';
import {
  OptionReader,
  StrategyBase,
  checkAskCount,
  checkHeader,
  checkTell,
  clipInto,
  optionError,
  resolveBounds,
  resolveSigma0,
  resolveX0,
  stateHeader,
  uniformIn,
  type Box,
} from './common.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const isFiniteNumber = Number.isFinite;

export class RandomSearch extends StrategyBase implements Optimizer {
  declare readonly name: 'random-search';
  readonly popSize: number;
  private readonly box: Box | undefined;
  private readonly uniform: boolean;
  private readonly x0: Float64Array;
  private readonly sigma0: number;
  protected readonly ftarget: number;
  protected readonly maxIterations: number;

  constructor(options: OptimizerOptions) {
    super('random-search', options);
    const name = this.name;
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
    this.recordTold(points, fitness);
    this.gen++;
  }

  state(): StateValue {
    return {
      ...stateHeader(this.name, this.dim),
      ...this.countersState(),
      best: this.bestTracker.state(),
      rng: this.rng.state(),
    };
  }

  restore(state: StateValue): void {
    checkHeader(this.name, state, this.dim);
    const s = state as Record<string, StateValue>;
    this.restoreCounters(state);
    this.bestTracker.restore(s.best as StateValue);
    this.rng.restore(s.rng as StateValue);
  }
}

export function createRandomSearch(options: OptimizerOptions): RandomSearch {
  return new RandomSearch(options);
}
