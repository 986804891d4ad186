/**
 * The run context (long-lived pieces of one run) and the generation record that flows through the operator
 * chain. Every stateful piece is captured by `captureState` / put back by `restoreState`: a checkpoint is
 * their union, and resuming from it continues bit-identically.
 */
import type {
  DistillationLoss,
  Example,
  Harmonizer,
  HarmonizerGeneration,
  MeanBasedOptimizer,
  MetricName,
  Optimizer,
  PromptSpace,
  StateValue,
  Student,
  Task,
  Teacher,
} from '@gdfo/spec';
import { GdfoError, type BudgetMeter, type CheckpointStore, type Clock, type RunEventBody, type RunEventBus, type Xoshiro128 } from '@gdfo/core';
import type { ReplayBuffer } from './buffer.js';

export type { Harmonizer, HarmonizerGeneration };

export interface DistillConfig {
  /** Adam steps per generation (K). */
  steps: number;
  /** (z, example) rows per step. */
  batchSize: number;
}

export interface PipelineConfig {
  /** Evaluate the current best z on dev every this many calls (BBT: 100). */
  evalEvery: number;
  /** Save a checkpoint every this many generations (0 = never). */
  checkpointEvery: number;
  /**
   * Also score the selected (best-on-dev) prompt on test at every dev check, for curves of the test metric
   * against calls (benchmarks). Counted as evaluation calls, never charged. Default false.
   */
  testCurve?: boolean;
  distill: DistillConfig;
}

export const DEFAULT_PIPELINE_CONFIG: PipelineConfig = {
  evalEvery: 100,
  checkpointEvery: 10,
  distill: { steps: 32, batchSize: 32 },
};

export interface BestPoint {
  z: Float64Array;
  value: number;
  calls: number;
}

/** What the run has learnt so far (all serializable). */
export interface Tracking {
  /** Generations completed: the stage that updates the search (`tell`) sets it to the generation's index + 1. */
  generation: number;
  bestTrain: BestPoint | undefined;
  bestDev: BestPoint | undefined;
  lastDevCalls: number;
  devHistory: { calls: number; value: number; loss: number }[];
  /**
   * Test metric (and loss) of the selected prompt at each dev check (when `testCurve` is on). The test set is
   * scored again only when the selection changed; otherwise the previous entry's numbers are repeated.
   */
  testHistory: { calls: number; value: number; loss?: number }[];
  trainHistory: { calls: number; best: number; mean: number }[];
  agreement: { generation: number; spearman: number; cosine: number }[];
}

export interface RunContext {
  readonly runId: string;
  readonly method: string;
  readonly task: Task;
  /** The black box, already wrapped with budget (and any other) middleware. */
  readonly teacher: Teacher;
  readonly budget: BudgetMeter;
  readonly space: PromptSpace;
  readonly strategy: Optimizer;
  /** Fitness of a teacher evaluation (BBT: cross-entropy; hinge for pairs). */
  readonly fitnessLoss: DistillationLoss;
  readonly student?: Student;
  readonly distillLoss?: DistillationLoss;
  readonly buffer?: ReplayBuffer;
  readonly harmonizer: Harmonizer;
  readonly rng: Xoshiro128;
  readonly events: RunEventBus;
  /** Emits an event on `events`, stamped with the run id and the clock's time (core's `eventEmitter`). */
  readonly emit: (body: RunEventBody) => void;
  readonly clock: Clock;
  readonly store?: CheckpointStore;
  readonly config: PipelineConfig;
  readonly tracking: Tracking;
  /** Labels of the training set, for fitness. */
  readonly trainLabels: Int32Array;
}

/**
 * One generation as it moves through the chain. It is also what a harmonizer sees (the spec's
 * `HarmonizerGeneration`): the candidates, the strategy, and the student's view of the task.
 */
export class Generation implements HarmonizerGeneration {
  points: Float64Array[] = [];
  fitness: number[] = [];
  logits: Float32Array[] = [];
  /** The strategy's mean before `tell` (mean-based strategies). */
  meanBefore?: Float64Array;
  /** Student task loss on `points`, predicted before the student trained on them. */
  studentLoss?: number[];
  /** Indices of points that a harmonizer injected (not sampled by the strategy). */
  injected: number[] = [];
  distillLoss?: number;
  /** Set when the run must end after this generation. */
  done?: string;

  constructor(
    readonly ctx: RunContext,
    /** 0-based; the agreement records, the generation event and `every(n, …)` key on it. */
    readonly index: number = ctx.tracking.generation,
  ) {}

  get strategy(): Optimizer {
    return this.ctx.strategy;
  }

  get studentReady(): boolean {
    return !!this.ctx.student && !!this.ctx.buffer && this.ctx.buffer.size > 0;
  }

  agreement(): number | undefined {
    const a = this.ctx.tracking.agreement.find((r) => r.generation === this.index);
    return a && Number.isFinite(a.spearman) ? a.spearman : undefined;
  }

  studentLosses(points: readonly Float64Array[]): Promise<number[]> {
    return studentLosses(this.ctx, points);
  }

  async studentGradient(z: Float64Array): Promise<Float64Array> {
    const { student } = requireStudent(this.ctx, 'the student gradient');
    return (await student.gradient(z, this.ctx.task.train, this.ctx.fitnessLoss)).grad;
  }
}

/** Student task loss (the fitness loss) of each point on the training set. */
export async function studentLosses(ctx: RunContext, points: readonly Float64Array[]): Promise<number[]> {
  const { student } = requireStudent(ctx, 'the student loss');
  const dim = ctx.space.dim;
  const z = new Float64Array(points.length * dim);
  points.forEach((p, i) => z.set(p, i * dim));
  const n = ctx.task.train.length;
  const classes = ctx.task.verbalizer.words.length;
  const logits = await student.predict(z, points.length, ctx.task.train);
  return points.map((_p, i) => ctx.fitnessLoss.value(logits.subarray(i * n * classes, (i + 1) * n * classes), null, ctx.trainLabels, classes));
}

export function isMeanBased(o: Optimizer): o is MeanBasedOptimizer {
  const m = o as Partial<MeanBasedOptimizer>;
  return typeof m.mean === 'function' && typeof m.setMean === 'function' && typeof m.sigma === 'number';
}

export function requireStudent(ctx: RunContext, who: string): { student: Student; loss: DistillationLoss } {
  if (!ctx.student || !ctx.distillLoss) {
    throw new GdfoError('NO_STUDENT', `${who} needs a student and a distillation loss; the method "${ctx.method}" has none`);
  }
  return { student: ctx.student, loss: ctx.distillLoss };
}

export function labelsOf(examples: readonly Example[]): Int32Array {
  return Int32Array.from(examples, (e) => e.label);
}

export function newTracking(): Tracking {
  return { generation: 0, bestTrain: undefined, bestDev: undefined, lastDevCalls: -Infinity, devHistory: [], testHistory: [], trainHistory: [], agreement: [] };
}

export function captureState(ctx: RunContext): StateValue {
  return {
    format: 'gdfo-run/1',
    runId: ctx.runId,
    method: ctx.method,
    strategy: ctx.strategy.state(),
    rng: ctx.rng.state(),
    budget: ctx.budget.state(),
    student: ctx.student ? ctx.student.state() : null,
    buffer: ctx.buffer ? ctx.buffer.state() : null,
    harmonizer: ctx.harmonizer.state ? ctx.harmonizer.state() : null,
    tracking: trackingState(ctx.tracking),
  };
}

function trackingState(t: Tracking): StateValue {
  const best = (b: BestPoint | undefined) => (b ? { z: Float64Array.from(b.z), value: b.value, calls: b.calls } : null);
  return {
    generation: t.generation,
    bestTrain: best(t.bestTrain),
    bestDev: best(t.bestDev),
    lastDevCalls: t.lastDevCalls,
    devHistory: t.devHistory.map((h) => ({ ...h })),
    testHistory: t.testHistory.map((h) => ({ ...h })),
    trainHistory: t.trainHistory.map((h) => ({ ...h })),
    agreement: t.agreement.map((h) => ({ ...h })),
  };
}

export function restoreState(ctx: RunContext, state: StateValue): void {
  const s = state as Record<string, StateValue> & { format?: string; method?: string };
  if (s?.format !== 'gdfo-run/1') throw new GdfoError('BAD_CHECKPOINT', `run checkpoint: format "${String(s?.format)}", expected "gdfo-run/1"`);
  if (s.method !== ctx.method) {
    throw new GdfoError('BAD_CHECKPOINT', `run checkpoint: written by method "${String(s.method)}", cannot resume as "${ctx.method}"`);
  }
  ctx.strategy.restore(s['strategy'] as StateValue);
  ctx.rng.restore(s['rng'] as StateValue);
  ctx.budget.restore(s['budget'] as StateValue);
  if (ctx.student && s['student'] !== null) ctx.student.restore(s['student'] as StateValue);
  if (ctx.buffer && s['buffer'] !== null) ctx.buffer.restore(s['buffer'] as StateValue);
  if (ctx.harmonizer.restore && s['harmonizer'] !== null) ctx.harmonizer.restore(s['harmonizer'] as StateValue);
  const t = s['tracking'] as unknown as Tracking & { bestTrain: BestPoint | null; bestDev: BestPoint | null };
  Object.assign(ctx.tracking, {
    generation: t.generation,
    bestTrain: t.bestTrain ?? undefined,
    bestDev: t.bestDev ?? undefined,
    lastDevCalls: t.lastDevCalls,
    devHistory: t.devHistory,
    testHistory: t.testHistory ?? [],
    trainHistory: t.trainHistory,
    agreement: t.agreement,
  });
}

export interface MethodResult {
  readonly method: string;
  readonly task: string;
  readonly metric: MetricName;
  /** Teacher calls charged to the budget. */
  readonly calls: number;
  readonly evalCalls: number;
  readonly generations: number;
  readonly bestTrainFitness: number | null;
  readonly dev: number | null;
  readonly test: number | null;
  readonly testLoss: number | null;
  /** The selected (best-on-dev) point z. */
  readonly bestZ: number[] | null;
  readonly stopReason: string;
  readonly devHistory: Tracking['devHistory'];
  readonly testHistory: Tracking['testHistory'];
  readonly trainHistory: Tracking['trainHistory'];
  readonly agreement: Tracking['agreement'];
}
