/**
 * The run context (long-lived pieces of one run) and the generation record that flows through the operator
 * chain. Every stateful piece is captured by `captureState` / put back by `restoreState`: a checkpoint is
 * their union, and resuming from it continues bit-identically.
 */
import type {
  DistillationLoss,
  Example,
  MeanBasedOptimizer,
  MetricName,
  Optimizer,
  PromptSpace,
  StateValue,
  Student,
  Task,
  Teacher,
} from '@gdfo/spec';
import { GdfoError, type BudgetMeter, type CheckpointStore, type Clock, type RunEventBus, type Xoshiro128 } from '@gdfo/core';
import type { ReplayBuffer } from './buffer.js';

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
  readonly clock: Clock;
  readonly store?: CheckpointStore;
  readonly config: PipelineConfig;
  readonly tracking: Tracking;
  /** Labels of the training set, for fitness. */
  readonly trainLabels: Int32Array;
}

/** One generation as it moves through the chain. */
export interface Generation {
  readonly ctx: RunContext;
  points: Float64Array[];
  fitness: number[];
  logits: Float32Array[];
  /** The strategy's mean before `tell` (mean-based strategies). */
  meanBefore?: Float64Array;
  /** Student task loss on `points`, predicted before the student trained on them. */
  studentLoss?: number[];
  /** Indices of points that a harmonizer injected (not sampled by the strategy). */
  injected: number[];
  distillLoss?: number;
  /** Set when the run must end after this generation. */
  done?: string;
}

/**
 * A harmonizer couples the student's gradient with the DFO strategy. Each hook is optional; `none` has none.
 * Hooks run inside the chain's `harmonize*` operators.
 */
export interface Harmonizer {
  readonly name: string;
  /** May replace the strategy's `ask` (e.g. screen κ·λ samples down to λ). */
  ask?(gen: Generation): Promise<Float64Array[]>;
  /** Edits the candidates before the teacher sees them (e.g. inject a gradient sample). */
  beforeEvaluate?(gen: Generation): Promise<void>;
  /** Acts after `tell` and distillation (e.g. move the mean along −ĝ). */
  afterTell?(gen: Generation): Promise<void>;
  state?(): StateValue;
  restore?(state: StateValue): void;
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
