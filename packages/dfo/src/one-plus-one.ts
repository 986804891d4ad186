/**
 * (1+1)-ES with the 1/5th success rule.
 *
 * Reference: N. Hansen, D. V. Arnold & A. Auger, "Evolution Strategies", in Springer Handbook of
 * Computational Intelligence (2015), Algorithm 2 (after Rechenberg 1973, Kern et al. 2004):
 *   x' = x + σ·N(0, I);  if f(x') ≤ f(x): x ← x';  σ ← σ·exp((1{f(x') ≤ f(x)} − 1/5)/d),  d = √(n + 1).
 *
 * Population view: the first `ask` also returns the parent x0 (its fitness is needed once); `ask(count)` with
 * count > 1 makes a (1+λ) generation: the best told point competes with the parent and one success/failure
 * is applied to σ per `tell`. Any told point (asked or not, e.g. an injected gradient step) can replace the
 * parent when it is at least as good. Non-finite fitness never wins and is counted. With box bounds, offspring
 * are clipped into the box.
 *
 * Defaults: popSize 1, sigma0 = 0.3 × mean box width or 1, x0 = box centre or 0.
 * Strategy options: successTarget (0.2), damping (√(n + 1)), ftarget, tolx (1e-12: σ below it stops),
 * maxIterations.
 */
import type { MeanBasedOptimizer, OptimizerOptions, StateValue, TerminationReason } from '@gdfo/spec';
import { PointStrategy } from './base.js';
import { clipInto, gaussianAround, resolveSigma0 } from './box.js';
import { OptionReader, checkPopSize } from './options.js';
import { numberField, optionalNumberField, vectorField } from './state.js';
import { checkAskCount } from './tell.js';
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { exp, sqrt } = Math;
const isFiniteNumber = Number.isFinite;

export class OnePlusOneES extends PointStrategy implements MeanBasedOptimizer {
  declare readonly name: 'one-plus-one-es';
  readonly popSize: number;
  private fx: number | undefined;
  private _sigma: number;
  private successes = 0;
  private needParent = true;
  private readonly successTarget: number;
  private readonly damping: number;
  private readonly tolx: number;

  constructor(options: OptimizerOptions) {
    super('one-plus-one-es', options);
    const name = this.name;
    this._sigma = resolveSigma0(options, this.box);
    this.popSize = checkPopSize(name, options.popSize, 1, 1);
    const r = new OptionReader(name, options.options);
    this.successTarget = r.number('successTarget', 0.2, { min: 0, max: 1, exclusiveMin: true });
    this.damping = r.number('damping', sqrt(this.dim + 1), { min: 0, exclusiveMin: true });
    this.tolx = r.number('tolx', 1e-12, { min: 0 });
    this.readStops(r);
    r.finish();
  }

  get sigma(): number {
    return this._sigma;
  }
  /** Successful generations so far. */
  get successCount(): number {
    return this.successes;
  }
  /** Moves the parent; its fitness becomes unknown and the next ask returns it first. */
  override setMean(mean: Float64Array): void {
    super.setMean(mean);
    this.fx = undefined;
    this.needParent = true;
  }

  ask(count: number = this.popSize): Float64Array[] {
    checkAskCount(this.name, count);
    const out: Float64Array[] = [];
    if (this.needParent) out.push(Float64Array.from(this.x));
    while (out.length < count) out.push(gaussianAround(this.rng, this.x, this._sigma, this.box));
    return out;
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    this.told(points, fitness);
    let bi = -1;
    for (let k = 0; k < points.length; k++) {
      const f = fitness[k] as number;
      if (isFiniteNumber(f) && (bi < 0 || f < (fitness[bi] as number))) bi = k;
    }
    this.gen++;
    if (this.fx === undefined) {
      // the parent's value is not known yet: adopt the best told point, no step-size change
      if (bi >= 0) {
        this.x.set(points[bi] as Float64Array);
        if (this.box) clipInto(this.x, this.box);
        this.fx = fitness[bi] as number;
        this.needParent = false;
      }
      return;
    }
    const success = bi >= 0 && (fitness[bi] as number) <= this.fx;
    if (success) {
      this.x.set(points[bi] as Float64Array);
      if (this.box) clipInto(this.x, this.box);
      this.fx = fitness[bi] as number;
      this.successes++;
    }
    this._sigma *= exp(((success ? 1 : 0) - this.successTarget) / this.damping);
  }

  override stop(): TerminationReason[] {
    const out = super.stop();
    if (this._sigma < this.tolx) out.push('tolx');
    return out;
  }

  state(): StateValue {
    return {
      ...this.stateHead(),
      x: Float64Array.from(this.x),
      fx: this.fx === undefined ? null : this.fx,
      sigma: this._sigma,
      successes: this.successes,
      needParent: this.needParent,
      ...this.stateTail(),
    };
  }

  restore(state: StateValue): void {
    const name = this.name;
    this.restoreHead(state);
    this.x.set(vectorField(name, state, 'x', this.dim));
    this.fx = optionalNumberField(name, state, 'fx');
    this._sigma = numberField(name, state, 'sigma');
    this.successes = numberField(name, state, 'successes');
    this.needParent = (state as Record<string, StateValue>).needParent === true;
    this.restoreTail(state);
  }
}

export function createOnePlusOneES(options: OptimizerOptions): OnePlusOneES {
  return new OnePlusOneES(options);
}
