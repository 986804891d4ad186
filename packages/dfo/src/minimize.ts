/**
 * `minimize(optimizer, f, limits)`: the plain ask/tell loop for a synchronous objective — asks, evaluates,
 * tells, until a target value, an evaluation budget or one of the optimizer's own stop reasons.
 */
import type { Candidate, Optimizer, TerminationReason } from '@gdfo/spec';

export interface MinimizeLimits {
  /** Stop once the best value is below this (default: none). */
  readonly target?: number;
  /** Evaluation budget (default 1e6). */
  readonly maxEvaluations?: number;
  /** Also stop on the optimizer's `stop()` reasons (default true). */
  readonly honourStop?: boolean;
}

export interface MinimizeResult {
  readonly best: Candidate | undefined;
  readonly evaluations: number;
  readonly generations: number;
  /** Evaluations when the target was first reached (undefined when it was not). */
  readonly evaluationsToTarget: number | undefined;
  readonly reasons: TerminationReason[];
}

export function minimize(opt: Optimizer, f: (x: Float64Array) => number, limits: MinimizeLimits = {}): MinimizeResult {
  const target = limits.target ?? -Infinity;
  const maxEvaluations = limits.maxEvaluations ?? 1e6;
  const honourStop = limits.honourStop ?? true;
  let reasons: TerminationReason[] = [];
  let hit: number | undefined;
  while (opt.evaluations < maxEvaluations) {
    const xs = opt.ask();
    opt.tell(xs, xs.map(f));
    if (opt.best && opt.best.f < target) {
      hit = opt.evaluations;
      reasons = ['ftarget'];
      break;
    }
    if (honourStop) {
      reasons = opt.stop();
      if (reasons.length > 0) break;
    }
  }
  if (hit === undefined && reasons.length === 0) reasons = ['maxfevals'];
  return { best: opt.best, evaluations: opt.evaluations, generations: opt.generation, evaluationsToTarget: hit, reasons };
}
