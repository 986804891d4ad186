/**
 * The generation loop: an RxJS `expand` over generations, each one pushed through the method's composed
 * chain of stages, until a stage ends it (the budget, the strategy) or an abort does; then the best-on-dev
 * prompt is scored on test.
 */
import { defer, EMPTY, lastValueFrom, of, expand, type Observable } from 'rxjs';
import type { DistillationLoss, Optimizer, PromptSpace, Student, Task, Teacher, TeacherMiddleware } from '@gdfo/spec';
import {
  BudgetMeter,
  CheckpointStore,
  composeTeacher,
  createRng,
  eventEmitter,
  GdfoError,
  RunEventBus,
  systemClock,
  withBudget,
  type Clock,
  type FileOps,
} from '@gdfo/core';
import { metricFromLogits } from '@gdfo/tasks';
import { ReplayBuffer } from './buffer.js';
import {
  DEFAULT_PIPELINE_CONFIG,
  Generation,
  labelsOf,
  newTracking,
  restoreState,
  type Harmonizer,
  type MethodResult,
  type PipelineConfig,
  type RunContext,
} from './context.js';
import { devCheck, saveCheckpoint, scorePoint, type Stage } from './operators.js';
import { compose, type ChainItem, type Link } from './stages.js';
import { noneHarmonizer } from './harmonizers.js';

export interface RunSetup {
  runId?: string;
  method: string;
  task: Task;
  /** The raw teacher; budget middleware (and `middleware`) are added here. */
  teacher: Teacher;
  middleware?: TeacherMiddleware[];
  budget: BudgetMeter;
  space: PromptSpace;
  strategy: Optimizer;
  fitnessLoss: DistillationLoss;
  student?: Student;
  distillLoss?: DistillationLoss;
  harmonizer?: Harmonizer;
  seed: number | string;
  config?: Partial<PipelineConfig>;
  events?: RunEventBus;
  clock?: Clock;
  /** Directory for checkpoints; none when absent. */
  checkpointDir?: string;
  /** Resume from `checkpointDir`'s latest checkpoint when it exists. */
  resume?: boolean;
  /** File operations of the checkpoint store (tests inject failures: a full disk, a crash). */
  checkpointFileOps?: FileOps;
  signal?: AbortSignal;
}

export function createContext(setup: RunSetup): RunContext {
  const config: PipelineConfig = {
    ...DEFAULT_PIPELINE_CONFIG,
    ...setup.config,
    distill: { ...DEFAULT_PIPELINE_CONFIG.distill, ...setup.config?.distill },
  };
  const classes = setup.task.verbalizer.words.length;
  const teacher = composeTeacher(setup.teacher, withBudget(setup.budget), ...(setup.middleware ?? []));
  const runId = setup.runId ?? `${setup.method}-${setup.task.name}-${setup.seed}`;
  const events = setup.events ?? new RunEventBus();
  const clock = setup.clock ?? systemClock;
  const ctx: RunContext = {
    runId,
    method: setup.method,
    task: setup.task,
    teacher,
    budget: setup.budget,
    space: setup.space,
    strategy: setup.strategy,
    fitnessLoss: setup.fitnessLoss,
    ...(setup.student ? { student: setup.student, buffer: new ReplayBuffer(setup.space.dim, setup.task.train.length, classes) } : {}),
    ...(setup.distillLoss ? { distillLoss: setup.distillLoss } : {}),
    harmonizer: setup.harmonizer ?? noneHarmonizer(),
    rng: createRng(`${setup.seed}/pipeline`),
    events,
    emit: eventEmitter(events, runId, clock),
    clock,
    ...(setup.checkpointDir ? { store: new CheckpointStore(setup.checkpointDir, setup.checkpointFileOps) } : {}),
    config,
    tracking: newTracking(),
    trainLabels: labelsOf(setup.task.train),
  };
  if (setup.student && setup.student.info.dim !== setup.space.dim) {
    throw new GdfoError('BAD_DIM', `student: its prompt generator takes z of dimension ${setup.student.info.dim}, but the prompt space has ${setup.space.dim}`);
  }
  if (setup.strategy.dim !== setup.space.dim) {
    throw new GdfoError('BAD_DIM', `strategy "${setup.strategy.name}" has dimension ${setup.strategy.dim}, but the prompt space has ${setup.space.dim}`);
  }
  return ctx;
}

/**
 * Pushes generations through `chain` until one ends the run (sets `done`) or `signal` aborts; returns why it
 * stopped ('interrupted' on abort). `create(index)` makes generation `index`.
 */
export async function loopGenerations<G extends ChainItem>(create: () => G, chain: readonly Link<G>[], signal?: AbortSignal): Promise<string> {
  const run = compose(chain);
  const one = (): Observable<G | { done: string }> =>
    defer(() => (signal?.aborted ? of({ done: 'interrupted' }) : run(create())));
  const last = await lastValueFrom(one().pipe(expand((gen) => (gen.done !== undefined ? EMPTY : one()), 1)));
  return last.done ?? 'completed';
}

/** Runs generations of a DFO-style run through `chain` until done; returns why it stopped. */
export function runGenerations(ctx: RunContext, chain: readonly Stage[], signal?: AbortSignal): Promise<string> {
  return loopGenerations(() => new Generation(ctx), chain, signal);
}

/** Runs a DFO-style method end to end: resume, loop, final dev check, checkpoint, test evaluation. */
export async function runMethodLoop(setup: RunSetup, chain: readonly Stage[]): Promise<MethodResult> {
  const ctx = createContext(setup);
  let resumed = false;
  if (setup.resume && ctx.store?.exists('latest')) {
    restoreState(ctx, ctx.store.load('latest'));
    resumed = true;
  }
  ctx.emit({
    type: 'run-start',
    method: ctx.method,
    config: { task: ctx.task.name, strategy: ctx.strategy.name, harmonizer: ctx.harmonizer.name, dim: ctx.space.dim, resumed },
  });
  const stopReason = await runGenerations(ctx, chain, setup.signal);
  if (stopReason === 'interrupted') {
    saveCheckpoint(ctx);
    throw new GdfoError('INTERRUPTED', `run ${ctx.runId} interrupted after ${ctx.budget.usage().calls} calls; resume from ${ctx.store?.dir ?? '(no checkpoint dir)'}`);
  }
  if (ctx.tracking.lastDevCalls !== ctx.budget.usage().calls) await devCheck(ctx);
  saveCheckpoint(ctx);
  return finishRun(ctx, stopReason);
}

export async function finishRun(ctx: RunContext, stopReason: string): Promise<MethodResult> {
  const chosen = ctx.tracking.bestDev ?? ctx.tracking.bestTrain;
  let test: number | null = null;
  let testLoss: number | null = null;
  if (chosen && ctx.task.test && ctx.task.test.length) {
    // With a test curve, the last dev check already scored this prompt on test.
    const curved = ctx.config.testCurve && chosen === ctx.tracking.bestDev ? ctx.tracking.testHistory.at(-1) : undefined;
    if (curved?.loss !== undefined) {
      test = curved.value;
      testLoss = curved.loss;
    } else {
      const { logits, fitness } = await scorePoint(ctx, chosen.z, ctx.task.test, 'test');
      test = metricFromLogits(ctx.task.metric, logits, labelsOf(ctx.task.test), ctx.task.verbalizer.words.length);
      testLoss = fitness;
    }
    ctx.emit({
      type: 'eval',
      split: 'test',
      calls: ctx.budget.usage().calls,
      metric: ctx.task.metric,
      value: test,
      loss: testLoss,
      improved: false,
    });
  }
  const usage = ctx.budget.usage();
  const result: MethodResult = {
    method: ctx.method,
    task: ctx.task.name,
    metric: ctx.task.metric,
    calls: usage.calls,
    evalCalls: usage.evalCalls,
    generations: ctx.tracking.generation,
    bestTrainFitness: ctx.tracking.bestTrain?.value ?? null,
    dev: ctx.tracking.bestDev?.value ?? null,
    test,
    testLoss,
    bestZ: chosen ? Array.from(chosen.z) : null,
    stopReason,
    devHistory: ctx.tracking.devHistory,
    testHistory: ctx.tracking.testHistory,
    trainHistory: ctx.tracking.trainHistory,
    agreement: ctx.tracking.agreement,
  };
  ctx.emit({
    type: 'run-end',
    status: 'completed',
    result: { method: result.method, calls: result.calls, dev: result.dev, test: result.test, stopReason },
  });
  return result;
}
