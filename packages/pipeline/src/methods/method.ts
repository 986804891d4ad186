/**
 * The method contract. A method is a registered component (kind `method`): the spec's `MethodInfo` (name,
 * whether it needs a student, its prompt space) plus `run`, which builds its pieces from the options and
 * runs its chain. Built-ins and plugins register methods the same way; `runMethod` looks them up by name.
 */
import type { DistillationLoss, MethodInfo, PromptSpace, Registry, ScoreRequest, Student, Task, Teacher, TeacherMiddleware } from '@gdfo/spec';
import { GdfoError, type Clock, type ComponentRegistry, type FileOps, type RunEventBus } from '@gdfo/core';
import type { MethodResult, PipelineConfig } from '../context.js';
import type { HarmonizerOptions } from '../harmonizers.js';

/**
 * The defaults every method and the configuration share (the config schema reads them from here): BBT's
 * setting, with BBTv2's smaller step and projection scale for deep prompts.
 */
export const METHOD_DEFAULTS = {
  /** Teacher calls (BBT's API-call budget). */
  budget: 8000,
  dim: 500,
  promptLength: 50,
  popSize: 20,
  shallow: { sigma0: 1, alpha: 1 },
  deep: { sigma0: 0.2, alpha: 0.2 },
  strategy: 'cma-es',
  fitness: 'ce',
  harmonizer: 'gradient-sample',
  distillLoss: 'kd',
  /** KD-only / white-box gradient steps and learning rate. */
  steps: 200,
  lr: 1e-2,
  shotsPerClass: 1,
} as const;

/**
 * Gradient access to a local teacher, for the white-box ceiling (not a black box: its weights are local).
 * `@gdfo/adapter-local`'s teacher has this method.
 */
export interface WhiteBoxModel {
  whiteBox(request: ScoreRequest, loss: DistillationLoss): Promise<{ loss: number; grad: Float32Array }>;
}

export interface MethodOptions {
  /** The method's registered name. */
  method: string;
  task: Task;
  teacher: Teacher;
  registry: ComponentRegistry;
  seed: number | string;
  /** Teacher calls (BBT's API-call budget). */
  budget: number;
  dim?: number;
  promptLength?: number;
  popSize?: number;
  sigma0?: number;
  alpha?: number;
  strategy?: string;
  strategyOptions?: Record<string, unknown>;
  /** Fitness loss name: 'ce' (default) or 'hinge'. */
  fitness?: string;
  student?: Student;
  harmonizer?: string;
  /** The harmonizer's options: the built-ins' (step, trust, threshold, window, kappa) or a plugin harmonizer's own. */
  harmonizerOptions?: HarmonizerOptions & Readonly<Record<string, unknown>>;
  distillLoss?: string;
  distillLossOptions?: Record<string, unknown>;
  /** Overrides the prompt space built from the teacher (e.g. a synthetic or discrete space). */
  space?: PromptSpace;
  pipeline?: Partial<PipelineConfig>;
  /** In-context learning: demonstrations per class (default 1). */
  shotsPerClass?: number;
  /** KD-only / white-box: gradient steps (default 200) and learning rate. */
  steps?: number;
  lr?: number;
  whitebox?: WhiteBoxModel;
  middleware?: TeacherMiddleware[];
  checkpointDir?: string;
  checkpointFileOps?: FileOps;
  resume?: boolean;
  events?: RunEventBus;
  clock?: Clock;
  signal?: AbortSignal;
  runId?: string;
}

/** A runnable method: what the host reads before running it, and how it runs. */
export interface Method extends MethodInfo {
  run(options: MethodOptions): Promise<MethodResult>;
}

/** Checks a method definition and returns it (for plugins: `registry.register('method', m.name, () => m)`). */
export function defineMethod(method: Omit<Method, 'specVersion'> & { specVersion?: '1.0' }): Method {
  const m = { specVersion: '1.0' as const, ...method };
  if (!/^[a-z0-9][a-z0-9._/@-]*$/i.test(m.name)) throw new GdfoError('BAD_NAME', `method name "${m.name}" is invalid: expected letters, digits, '.', '-', '_', '/' or '@'`);
  if (!['shallow', 'deep', 'none'].includes(m.space)) throw new GdfoError('BAD_METHOD', `method ${m.name}: space must be shallow, deep or none, got ${String(m.space)}`);
  if (typeof m.run !== 'function') throw new GdfoError('BAD_METHOD', `method ${m.name}: run must be a function (options) => Promise<MethodResult>`);
  return m;
}

/** Registers `method` under its name (kind `method`); the factory returns the method itself. */
export function registerMethod(registry: Registry, method: Method): void {
  if (!registry.has('method', method.name)) registry.register<Method>('method', method.name, () => method, method.description);
}
