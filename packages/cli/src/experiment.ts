/**
 * Builds and runs an experiment: a task, a teacher, students, and a list of methods, all resolved by name
 * through the registry; writes a run directory (config.json, events.jsonl, checkpoints/<method>/,
 * result.json). Shared by `gdfo run` and the benchmark scripts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Student, Task, Teacher } from '@gdfo/spec';
import { createContainer, GdfoError, RunEventBus, writeEventsJsonl, writeFileAtomic, type ComponentRegistry } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { getTask, registerTasks } from '@gdfo/tasks';
import { initBackend } from '@gdfo/models';
import { registerLocal, type LocalTeacher } from '@gdfo/adapter-local';
import {
  createSyntheticTeacher,
  registerPipeline,
  runMethod,
  SyntheticStudent,
  SyntheticWorld,
  syntheticSpace,
  type MethodName,
  type MethodOptions,
  type MethodResult,
  type PipelineConfig,
} from '@gdfo/pipeline';
import { attachProgress, type ProgressMode } from './progress.js';

export interface ExperimentOptions {
  /** Task name (`spam`, `sst2`, …) or `synthetic` (the built-in black box of @gdfo/pipeline). */
  task: string;
  dataDir?: string;
  methods: MethodName[];
  budget: number;
  seed: number;
  dim?: number;
  promptLength?: number;
  popSize?: number;
  harmonizer?: string;
  strategy?: string;
  /** KD-only / white-box gradient steps. */
  steps?: number;
  pipeline?: Partial<PipelineConfig>;
  /** Teacher checkpoint (directory or shipped name); default the shipped gdfo-teacher-mini. */
  teacherCheckpoint?: string;
  studentCheckpoint?: string;
  /** tfjs backend preference (the CLI passes GDFO_BACKEND here; nothing below reads the environment). */
  backend?: string;
  runDir: string;
  progress: ProgressMode;
  /** Resume each method from its checkpoint in runDir when present. */
  resume?: boolean;
  signal?: AbortSignal;
}

export interface ExperimentResult {
  runDir: string;
  backend: string;
  results: MethodResult[];
}

export function createRegistry(seed: number | string): ComponentRegistry {
  const { registry } = createContainer({ seed });
  registerDfo(registry);
  registerLosses(registry);
  registerTasks(registry);
  registerLocal(registry);
  registerPipeline(registry);
  return registry;
}

interface Bench {
  task: Task;
  teacher: Teacher;
  backend: string;
  newStudent(seed: number): Promise<Student>;
  extra: Partial<MethodOptions>;
  close(): Promise<void>;
}

async function prepare(o: ExperimentOptions, registry: ComponentRegistry): Promise<Bench> {
  if (o.task === 'synthetic') {
    const world = new SyntheticWorld({ dim: 50, width: 20, classes: 2, seed: 3, logitScale: 3, optimumScale: 0.4 });
    return {
      task: world.task({ train: 32, dev: 32, test: 500 }),
      teacher: createSyntheticTeacher(world),
      backend: 'none (pure TypeScript)',
      newStudent: async (seed) => new SyntheticStudent(world, { seed, lr: 0.002 }),
      extra: { space: syntheticSpace(50), popSize: o.popSize ?? 10, sigma0: 0.5, pipeline: { distill: { steps: 16, batchSize: 32 } } },
      close: async () => undefined,
    };
  }
  const backend = await initBackend(o.backend ? { prefer: o.backend } : {});
  const task = await getTask(o.task, { ...(o.dataDir ? { dataDir: o.dataDir } : {}) });
  const promptLength = o.promptLength ?? 50;
  const teacher = await registry.resolve<LocalTeacher>('teacher', 'local', {
    promptLength,
    ...(o.teacherCheckpoint ? { checkpoint: o.teacherCheckpoint } : {}),
  });
  return {
    task,
    teacher,
    backend,
    newStudent: (seed) =>
      registry.resolve<Student>('student', 'local', {
        dim: o.dim ?? 500,
        template: task.template,
        verbalizer: task.verbalizer,
        promptLength,
        seed,
        ...(o.studentCheckpoint ? { checkpoint: o.studentCheckpoint } : {}),
      }),
    extra: { whitebox: teacher },
    close: () => teacher.close(),
  };
}

export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  mkdirSync(o.runDir, { recursive: true });
  const registry = createRegistry(o.seed);
  const bench = await prepare(o, registry);
  const config = {
    task: o.task,
    methods: o.methods,
    budget: o.budget,
    seed: o.seed,
    dim: o.dim ?? 500,
    promptLength: o.promptLength ?? 50,
    popSize: o.popSize ?? 20,
    harmonizer: o.harmonizer ?? 'gradient-sample',
    strategy: o.strategy ?? 'cma-es',
    backend: bench.backend,
    teacher: bench.teacher.info.id,
    /** Everything `gdfo resume` needs to rebuild this experiment. */
    options: resumableOptions(o),
  };
  writeFileSync(join(o.runDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const results: MethodResult[] = [];
  try {
    for (const method of o.methods) {
      const events = new RunEventBus();
      const sink = writeEventsJsonl(events.events$, join(o.runDir, 'events.jsonl'));
      const progress = attachProgress(events.events$, { mode: o.progress, budget: o.budget, label: method.padEnd(9) });
      const needsStudent = method === 'gdfo' || method === 'gdfo-deep' || method === 'kd';
      try {
        const result = await runMethod({
          method,
          task: bench.task,
          teacher: bench.teacher,
          registry,
          seed: o.seed,
          budget: o.budget,
          ...(o.dim ? { dim: o.dim } : {}),
          ...(o.promptLength ? { promptLength: o.promptLength } : {}),
          popSize: o.popSize ?? 20,
          ...(o.strategy ? { strategy: o.strategy } : {}),
          harmonizer: o.harmonizer ?? 'gradient-sample',
          ...(o.steps ? { steps: o.steps } : {}),
          ...bench.extra,
          ...(o.pipeline ? { pipeline: { ...bench.extra.pipeline, ...o.pipeline } } : {}),
          ...(needsStudent ? { student: await bench.newStudent(o.seed) } : {}),
          checkpointDir: join(o.runDir, 'checkpoints', method),
          ...(o.resume ? { resume: true } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          events,
          runId: `${method}-${o.task}-${o.seed}`,
        });
        results.push(result);
      } finally {
        events.complete();
        sink.unsubscribe();
        progress.unsubscribe();
      }
      writeFileAtomic(join(o.runDir, 'result.json'), JSON.stringify({ config, results }, null, 2) + '\n');
    }
  } finally {
    await bench.close();
  }
  return { runDir: o.runDir, backend: bench.backend, results };
}

/** The options that define an experiment (what `gdfo resume` reads back from config.json). */
export type ResumableOptions = Omit<ExperimentOptions, 'runDir' | 'progress' | 'resume' | 'signal'>;

function resumableOptions(o: ExperimentOptions): ResumableOptions {
  const { runDir: _r, progress: _p, resume: _s, signal: _g, ...rest } = o;
  return JSON.parse(JSON.stringify(rest)) as ResumableOptions;
}

/** Reads a run directory's config.json back into experiment options (one-line errors on a bad file). */
export function readRunOptions(runDir: string): ResumableOptions {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) throw new GdfoError('NO_RUN', `${path}: not found (is ${runDir} a gdfo run directory?)`);
  let parsed: { options?: ResumableOptions };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as { options?: ResumableOptions };
  } catch (err) {
    throw new GdfoError('BAD_RUN', `${path}: invalid JSON (${(err as Error).message})`);
  }
  const opts = parsed.options;
  if (!opts || typeof opts.task !== 'string' || !Array.isArray(opts.methods) || typeof opts.budget !== 'number') {
    throw new GdfoError('BAD_RUN', `${path}: "options" must hold task, methods and budget (written by gdfo run)`);
  }
  return opts;
}

export function formatResults(r: ExperimentResult): string {
  const lines = ['method     calls  dev     test', '---------  -----  ------  ------'];
  for (const x of r.results) {
    const f = (v: number | null) => (v === null ? '-' : v.toFixed(4));
    lines.push(`${x.method.padEnd(9)}  ${String(x.calls).padStart(5)}  ${f(x.dev)}  ${f(x.test)}`);
  }
  lines.push(`backend: ${r.backend}`);
  lines.push(`result: ${join(r.runDir, 'result.json')}`);
  return lines.join('\n');
}
