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
import { StrategyBase } from './base.js';
import { gaussianAround, isFiniteBox, resolveSigma0, resolveX0, uniformIn } from './box.js';
import { OptionReader, checkPopSize } from './options.js';
import { checkAskCount } from './tell.js';

export class RandomSearch extends StrategyBase implements Optimizer {
  declare readonly name: 'random-search';
  readonly popSize: number;
  private readonly uniform: boolean;
  private readonly x0: Float64Array;
  private readonly sigma0: number;

  constructor(options: OptimizerOptions) {
    super('random-search', options);
    const name = this.name;
    this.uniform = isFiniteBox(this.box);
    this.x0 = resolveX0(name, options, this.box);
    this.sigma0 = resolveSigma0(options, this.box);
    this.popSize = checkPopSize(name, options.popSize, 10, 1);
    const r = new OptionReader(name, options.options);
    this.readStops(r);
    r.finish();
  }

  ask(count: number = this.popSize): Float64Array[] {
    checkAskCount(this.name, count);
    const out: Float64Array[] = [];
    for (let k = 0; k < count; k++) {
      const box = this.box;
      out.push(this.uniform && box ? uniformIn(this.rng, box.lower, box.upper, new Float64Array(this.dim)) : gaussianAround(this.rng, this.x0, this.sigma0, box));
    }
    return out;
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    this.told(points, fitness);
    this.gen++;
  }

  state(): StateValue {
    return { ...this.stateHead(), ...this.stateTail() };
  }

  restore(state: StateValue): void {
    this.restoreHead(state);
    this.restoreTail(state);
  }
}

export function createRandomSearch(options: OptimizerOptions): RandomSearch {
  return new RandomSearch(options);
}
