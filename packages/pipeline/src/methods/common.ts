/** What the built-in methods share: the prompt spaces, the strategy, losses, the run setup, empty results. */
import type { DistillationLoss, Optimizer, PromptSpace, Task, Teacher } from '@gdfo/spec';
import { BudgetMeter, createRng, GdfoError, type ComponentRegistry } from '@gdfo/core';
import type { Harmonizer, MethodResult } from '../context.js';
import { LayerwiseOptimizer } from '../layerwise.js';
import { DeepProjectionSpace, ShallowProjectionSpace } from '../prompt-space.js';
import type { RunSetup } from '../run.js';
import { METHOD_DEFAULTS, type MethodOptions } from './method.js';

export function loss(registry: ComponentRegistry, name: string, options: Record<string, unknown> = {}): DistillationLoss {
  return registry.resolveSync<DistillationLoss>('loss', name, options);
}

export function strategyFor(o: MethodOptions, dim: number, sigma0: number, label: string): Optimizer {
  return o.registry.resolveSync<Optimizer>('strategy', o.strategy ?? METHOD_DEFAULTS.strategy, {
    dim,
    rng: createRng(`${o.seed}/strategy/${label}`),
    popSize: o.popSize ?? METHOD_DEFAULTS.popSize,
    sigma0,
    options: o.strategyOptions ?? {},
  });
}

function teacherScale(teacher: Teacher, what: string): { width: number; embedding: number; hidden?: readonly number[] } {
  const { width, scale } = teacher.info;
  if (!width || !scale) {
    throw new GdfoError('BAD_TEACHER', `teacher ${teacher.info.id}: ${what} needs info.width and info.scale (a continuous-prompt teacher)`);
  }
  return { width, ...scale };
}

/** BBT's space: z ∈ R^d → p0 + A·z added to the first L input positions. */
export function shallowSpace(o: MethodOptions): PromptSpace {
  if (o.space) return o.space;
  const s = teacherScale(o.teacher, o.method);
  return new ShallowProjectionSpace({
    dim: o.dim ?? METHOD_DEFAULTS.dim,
    length: o.promptLength ?? METHOD_DEFAULTS.promptLength,
    width: s.width,
    scale: s.embedding,
    alpha: o.alpha ?? METHOD_DEFAULTS.shallow.alpha,
    sigma0: o.sigma0 ?? METHOD_DEFAULTS.shallow.sigma0,
    seed: o.seed,
  });
}

/** BBTv2's space: one projection per layer (deep prompts). */
export function deepSpace(o: MethodOptions): DeepProjectionSpace {
  const s = teacherScale(o.teacher, o.method);
  const layers = o.teacher.info.layers;
  if (!layers || !s.hidden || s.hidden.length < layers) {
    throw new GdfoError('BAD_TEACHER', `teacher ${o.teacher.info.id}: deep prompts need info.layers and info.scale.hidden for every layer`);
  }
  return new DeepProjectionSpace({
    dim: o.dim ?? METHOD_DEFAULTS.dim,
    length: o.promptLength ?? METHOD_DEFAULTS.promptLength,
    width: s.width,
    scales: s.hidden.slice(0, layers),
    alpha: o.alpha ?? METHOD_DEFAULTS.deep.alpha,
    sigma0: o.sigma0 ?? METHOD_DEFAULTS.deep.sigma0,
    seed: o.seed,
  });
}

/** The space and strategy of a shallow (one CMA-ES) or deep (one per layer, BBTv2) search. */
export async function searchFor(o: MethodOptions, deep: boolean): Promise<{ space: PromptSpace; strategy: Optimizer }> {
  if (!o.space) await ensureTeacherScale(o.teacher, o.task, deep);
  if (!deep) {
    const space = shallowSpace(o);
    return { space, strategy: strategyFor(o, space.dim, o.sigma0 ?? METHOD_DEFAULTS.shallow.sigma0, 'shallow') };
  }
  const space = deepSpace(o);
  const sigma0 = o.sigma0 ?? METHOD_DEFAULTS.deep.sigma0;
  const dim = o.dim ?? METHOD_DEFAULTS.dim;
  return { space, strategy: new LayerwiseOptimizer(Array.from({ length: space.layers }, (_v, l) => strategyFor(o, dim, sigma0, `layer-${l}`))) };
}

export function harmonizerFor(o: MethodOptions): Harmonizer {
  return o.registry.resolveSync<Harmonizer>('harmonizer', o.harmonizer ?? METHOD_DEFAULTS.harmonizer, { ...o.harmonizerOptions });
}

export function requireStudentOption(o: MethodOptions) {
  if (!o.student) throw new GdfoError('NO_STUDENT', `method ${o.method}: a student is required (config key "student")`);
  return o.student;
}

/** The run setup every chain method starts from. */
export function baseSetup(o: MethodOptions, space: PromptSpace, strategy: Optimizer): RunSetup {
  return {
    method: o.method,
    task: o.task,
    teacher: o.teacher,
    budget: new BudgetMeter({ calls: o.budget }),
    space,
    strategy,
    fitnessLoss: loss(o.registry, o.fitness ?? METHOD_DEFAULTS.fitness),
    seed: o.seed,
    ...(o.runId ? { runId: o.runId } : {}),
    ...(o.middleware ? { middleware: o.middleware } : {}),
    ...(o.pipeline ? { config: o.pipeline } : {}),
    ...(o.events ? { events: o.events } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.checkpointDir ? { checkpointDir: o.checkpointDir } : {}),
    ...(o.checkpointFileOps ? { checkpointFileOps: o.checkpointFileOps } : {}),
    ...(o.resume ? { resume: o.resume } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

export function emptyResult(o: MethodOptions, fields: Partial<MethodResult>): MethodResult {
  return {
    method: o.method,
    task: o.task.name,
    metric: o.task.metric,
    calls: 0,
    evalCalls: 0,
    generations: 0,
    bestTrainFitness: null,
    dev: null,
    test: null,
    testLoss: null,
    bestZ: null,
    stopReason: 'completed',
    devHistory: [],
    testHistory: [],
    trainHistory: [],
    agreement: [],
    ...fields,
  };
}

/**
 * Makes sure the teacher reports the scales BBT's projection needs: a teacher that measures them on its first
 * forward pass (BBTv2's hidden-state std) gets one uncharged 'dev' pass over the training inputs at the manual
 * prompt. Returns whether a probe call was made.
 */
export async function ensureTeacherScale(teacher: Teacher, task: Task, deep: boolean): Promise<boolean> {
  const s = teacher.info.scale;
  if (s && (!deep || (s.hidden && teacher.info.layers && s.hidden.length >= teacher.info.layers))) return false;
  if (!teacher.info.accepts.some((k) => k.startsWith('continuous'))) return false;
  await teacher.score({ examples: task.train, template: task.template, verbalizer: task.verbalizer, prompt: { kind: 'none' }, purpose: 'dev' });
  return true;
}
