/**
 * An example strategy: (1, λ) random search around the best point so far with a step size that grows after
 * a success and shrinks after a failure (the 1/5th-rule idea). Small, but a complete `Optimizer`: ask/tell,
 * stop reasons, and exact `state()` / `restore()`. Replace it with your own component.
 *
 * Built on the strategy kit of @gdfo/dfo: `kit.PointStrategy` (a `kit.StrategyBase` whose mean is one point)
 * checks the common options (dim, rng, x0, sigma0, bounds, maxEvaluations), counts evaluations, keeps `best`,
 * stops on maxfevals / maxiter / ftarget, and writes and validates the header, counters, best and rng of the
 * state; `kit.OptionReader` reads `strategy.options` and refuses unknown keys. Errors are the built-ins':
 * BAD_OPTION, BAD_ARGUMENT (ask / tell / setMean), BAD_STATE (restore).
 */
import type { Optimizer, OptimizerOptions, StateValue, TerminationReason } from '@gdfo/spec';
import { kit } from '@gdfo/dfo';

export class LocalRandomSearch extends kit.PointStrategy implements Optimizer {
  readonly popSize: number;
  private readonly grow: number;
  private readonly shrink: number;
  private readonly tolx: number;
  private step: number;

  /** The centre `x` (kit.PointStrategy: `mean()`, `setMean()`) starts at x0, the box centre or 0. */
  constructor(name: string, options: OptimizerOptions) {
    super(name, options);
    this.popSize = kit.checkPopSize(name, options.popSize, 10, 1);
    this.step = kit.resolveSigma0(options, this.box);
    const r = new kit.OptionReader(name, options.options);
    this.grow = r.number('grow', 1.5, { min: 1 });
    this.shrink = r.number('shrink', 0.85, { min: 0, max: 1, exclusiveMin: true });
    this.tolx = r.number('tolx', 1e-12, { min: 0 });
    this.readStops(r); // ftarget, maxIterations
    r.finish();
  }

  get sigma(): number {
    return this.step;
  }

  ask(count: number = this.popSize): Float64Array[] {
    kit.checkAskCount(this.name, count);
    return Array.from({ length: count }, () => kit.gaussianAround(this.rng, this.x, this.step, this.box));
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    const before = this.best;
    this.told(points, fitness); // checks the arguments, counts, offers each finite point to `best`
    const improved = this.best !== before;
    if (this.best) this.x.set(this.best.x);
    this.step *= improved ? this.grow : this.shrink;
    this.gen++;
  }

  /** The kit's stops (maxfevals, maxiter, ftarget), and tolx when the step has become tiny. */
  override stop(): TerminationReason[] {
    return this.step < this.tolx ? [...super.stop(), 'tolx'] : super.stop();
  }

  state(): StateValue {
    return { ...this.stateHead(), sigma: this.step, center: Float64Array.from(this.x), ...this.stateTail() };
  }

  restore(state: StateValue): void {
    this.restoreHead(state); // refuses a state of another strategy or dim
    this.step = kit.numberField(this.name, state, 'sigma');
    this.x.set(kit.vectorField(this.name, state, 'center', this.dim));
    this.restoreTail(state);
  }
}
