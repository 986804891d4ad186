/**
 * An example strategy: (1, λ) random search around the best point so far with a step size that grows after
 * a success and shrinks after a failure (the 1/5th-rule idea). Small, but a complete `Optimizer`: ask/tell,
 * stop reasons, and exact `state()` / `restore()`. Replace it with your own component.
 */
import type { Candidate, Optimizer, OptimizerOptions, Rng, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';

export class LocalRandomSearch implements Optimizer {
  readonly specVersion = '1.0' as const;
  readonly dim: number;
  readonly popSize: number;
  generation = 0;
  evaluations = 0;
  best: Candidate | undefined;
  sigma: number;
  private readonly rng: Rng;
  private center: Float64Array;
  private readonly maxEvaluations: number;

  constructor(
    readonly name: string,
    options: OptimizerOptions,
  ) {
    if (!Number.isInteger(options.dim) || options.dim < 1) throw new GdfoError('BAD_OPTION', `strategy ${name}: dim must be a positive integer, got ${options.dim}`);
    this.dim = options.dim;
    this.popSize = options.popSize ?? 10;
    this.sigma = options.sigma0 ?? 1;
    this.rng = options.rng;
    this.center = options.x0 ? Float64Array.from(options.x0) : new Float64Array(this.dim);
    this.maxEvaluations = options.maxEvaluations ?? Infinity;
  }

  ask(count: number = this.popSize): Float64Array[] {
    return Array.from({ length: count }, () => this.center.map((c) => c + this.sigma * this.rng.gaussian()));
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    let improved = false;
    points.forEach((x, i) => {
      const f = fitness[i]!;
      if (Number.isFinite(f) && (!this.best || f < this.best.f)) {
        this.best = { x: Float64Array.from(x), f };
        improved = true;
      }
    });
    if (this.best) this.center = Float64Array.from(this.best.x);
    this.sigma *= improved ? 1.5 : 0.85;
    this.evaluations += points.length;
    this.generation++;
  }

  stop(): TerminationReason[] {
    const out: TerminationReason[] = [];
    if (this.evaluations >= this.maxEvaluations) out.push('maxfevals');
    if (this.sigma < 1e-12) out.push('tolx');
    return out;
  }

  state(): StateValue {
    return {
      generation: this.generation,
      evaluations: this.evaluations,
      sigma: this.sigma,
      center: Float64Array.from(this.center),
      best: this.best ? { x: Float64Array.from(this.best.x), f: this.best.f } : null,
      rng: this.rng.state(),
    };
  }

  restore(state: StateValue): void {
    const s = state as { generation: number; evaluations: number; sigma: number; center: Float64Array; best: { x: Float64Array; f: number } | null; rng: StateValue };
    this.generation = s.generation;
    this.evaluations = s.evaluations;
    this.sigma = s.sigma;
    this.center = Float64Array.from(s.center);
    this.best = s.best ? { x: Float64Array.from(s.best.x), f: s.best.f } : undefined;
    this.rng.restore(s.rng);
  }
}
