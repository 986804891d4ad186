/**
 * Builds and runs an experiment from a validated config (@gdfo/config): plugins loaded, then the task, the
 * teacher (with middleware), students and methods resolved by name through the registry. Writes a run
 * directory: config.json, events.jsonl, checkpoints/<method>/latest.ckpt, result.json and report.html.
 * Shared by `gdfo run`, `gdfo resume` and the benchmark scripts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MethodInfo, Student, Task, Teacher, TeacherMiddleware } from '@gdfo/spec';
import { createContainer, GdfoError, loadPlugin, registerCore, RunEventBus, writeEventsJsonl, writeFileAtomic, type ComponentRegistry } from '@gdfo/core';
import { createRemoteTeacher } from '@gdfo/provider-kit';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { metricFromLogits, registerTasks } from '@gdfo/tasks';
import { currentKernels, initBackend } from '@gdfo/models';
import { registerLocal } from '@gdfo/adapter-local';
import { explainResults } from './explain.js';
import { registerLmaas } from '@gdfo/adapter-lmaas';
import { registerOpenAI } from '@gdfo/adapter-openai';
import { registerHuggingFace } from '@gdfo/adapter-huggingface';
import { readApiKey } from './secrets.js';
import { methodOptions, parseConfig, type GdfoConfig } from '@gdfo/config';
import { writeReport } from '@gdfo/report';
import {
  DiscretePromptSpace,
  RelaxedStudent,
  promptSpaceFor,
  registerPipeline,
  runMethod,
  methodFor,
  type MethodOptions,
  type MethodResult,
  type WhiteBoxModel,
} from '@gdfo/pipeline';
import { createSyntheticTeacher, SyntheticStudent, SyntheticWorld, syntheticSpace } from '@gdfo/testing';
import { attachProgress, type ProgressMode } from './progress.js';

export interface RunTarget {
  runDir: string;
  progress: ProgressMode;
  /** Resume each method from its checkpoint in runDir when present. */
  resume?: boolean;
  signal?: AbortSignal;
  /** tfjs backend preference (the CLI passes GDFO_BACKEND here; nothing below reads the environment). */
  backend?: string;
  /** Folder plugin names and paths are resolved from (the config file's folder). */
  baseDir?: string;
  /** Also write report.html (default true). */
  report?: boolean;
  /**
   * Where API keys are read from (the CLI passes process.env). A remote teacher's `apiKeyEnv` option names
   * the variable; the key goes to the adapter and nowhere else (not into config.json, events or caches).
   */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ExperimentResult {
  runDir: string;
  backend: string;
  results: MethodResult[];
  reportPath?: string;
  /** The validated config the run used. */
  config?: GdfoConfig;
}

/** A registry with every built-in component registered. */
export function createRegistry(seed: number | string): ComponentRegistry {
  const { registry } = createContainer({ seed });
  registerCore(registry);
  registerDfo(registry);
  registerLosses(registry);
  registerTasks(registry);
  registerLocal(registry);
  registerLmaas(registry);
  registerOpenAI(registry);
  registerHuggingFace(registry);
  registerPipeline(registry);
  return registry;
}

interface Prepared {
  task: Task;
  teacher: Teacher;
  backend: string;
  newStudent(): Promise<Student>;
  extra: Partial<MethodOptions>;
  close(): Promise<void>;
}

const SYNTHETIC = { dim: 50, width: 20, classes: 2, seed: 3, logitScale: 3, optimumScale: 0.4 };

async function prepare(c: GdfoConfig, t: RunTarget, registry: ComponentRegistry): Promise<Prepared> {
  if (c.task.name === 'synthetic') {
    const world = new SyntheticWorld(SYNTHETIC);
    return {
      task: world.task({ train: 32, dev: 32, test: 500 }),
      teacher: createSyntheticTeacher(world),
      backend: 'none (pure TypeScript)',
      newStudent: async () => new SyntheticStudent(world, { seed: c.seed, lr: 0.002 }),
      extra: { space: syntheticSpace(SYNTHETIC.dim), sigma0: c.sigma0 ?? 0.5 },
      close: async () => undefined,
    };
  }
  const backend = await initBackend(t.backend ? { prefer: t.backend } : {});
  const task = await registry.resolve<Task>('task', c.task.name, {
    seed: c.task.seed,
    k: c.task.k,
    ...(c.task.dataDir ? { dataDir: c.task.dataDir } : {}),
    ...c.task.options,
  });
  const remote = REMOTE_KINDS[c.teacher.kind];
  const teacher = remote ? await remoteTeacher(c, t, registry, remote) : await registry.resolve<Teacher>('teacher', c.teacher.kind, { promptLength: c.promptLength, ...c.teacher.options });
  const continuous = teacher.info.accepts.some((k) => k.startsWith('continuous'));
  // A text-only teacher gets a discrete prompt space (L slots × V candidates); the student sees the same
  // slots through a softmax relaxation (RelaxedStudent), so ∇_z still exists.
  const space = continuous
    ? undefined
    : new DiscretePromptSpace({
        dim: c.dim,
        slots: Math.min(c.promptLength, 16),
        seed: c.seed,
        ...(c.teacher.options['candidates'] ? { candidates: c.teacher.options['candidates'] as string[] } : {}),
      });
  const whiteBox = typeof (teacher as Partial<WhiteBoxModel>).whiteBox === 'function' ? { whitebox: teacher as unknown as WhiteBoxModel } : {};
  const studentOptions = (dim: number, promptLength: number) => ({
    dim,
    template: task.template,
    verbalizer: task.verbalizer,
    promptLength,
    seed: c.seed,
    ...c.student.options,
  });
  return {
    task,
    teacher,
    // the run record names the kernels: native and wasm products differ by float rounding
    backend: currentKernels().native ? `${backend} + native kernels` : backend,
    newStudent: async () => {
      if (!space) return registry.resolve<Student>('student', c.student.kind, studentOptions(c.dim, c.promptLength));
      const inner = await registry.resolve<Student>('student', c.student.kind, studentOptions(space.slots * space.vocab, space.slots));
      return new RelaxedStudent(inner, space);
    },
    extra: { ...whiteBox, ...(space ? { space } : {}) },
    close: async () => {
      await teacher.close?.();
    },
  };
}

/** Remote providers: their registry name and the environment variable their key comes from by default. */
const REMOTE_KINDS: Record<string, { keyOption: 'apiKey' | 'accessToken' | 'token'; defaultEnv: string }> = {
  lmaas: { keyOption: 'token', defaultEnv: 'GDFO_LMAAS_TOKEN' },
  openai: { keyOption: 'apiKey', defaultEnv: 'OPENAI_API_KEY' },
  huggingface: { keyOption: 'accessToken', defaultEnv: 'HF_TOKEN' },
};

/** Builds a remote teacher with its key from the environment, wrapped with cache, retry and limits. */
async function remoteTeacher(c: GdfoConfig, t: RunTarget, registry: ComponentRegistry, kind: { keyOption: string; defaultEnv: string }): Promise<Teacher> {
  // candidates is the discrete prompt space's option, the rest the remote wrapper's; what remains goes to the adapter
  const { apiKeyEnv, cacheDir, retries, rpm, concurrency, timeoutMs, costUsd, candidates: _candidates, ...adapterOptions } = c.teacher.options as Record<string, unknown>;
  const envName = typeof apiKeyEnv === 'string' ? apiKeyEnv : kind.defaultEnv;
  const key = readApiKey(envName, t.env ?? {});
  const inner = await registry.resolve<Teacher>('teacher', c.teacher.kind, { ...adapterOptions, [kind.keyOption]: key });
  return createRemoteTeacher(inner, {
    cacheDir: typeof cacheDir === 'string' ? cacheDir : join(c.out, '.cache', c.teacher.kind),
    retries: typeof retries === 'number' ? retries : 5,
    ...(typeof rpm === 'number' ? { rpm } : {}),
    ...(typeof concurrency === 'number' ? { concurrency } : {}),
    ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}),
    ...(typeof costUsd === 'number' ? { budget: { costUsd } } : {}),
  });
}

export async function runExperiment(input: GdfoConfig | Record<string, unknown>, t: RunTarget): Promise<ExperimentResult> {
  const c = parseConfig(input, 'config');
  mkdirSync(t.runDir, { recursive: true });
  const registry = createRegistry(c.seed);
  const plugins = [];
  for (const p of c.plugins) plugins.push(await loadPlugin(registry, p, t.baseDir ?? process.cwd()));
  const unknown = c.methods.filter((m) => !registry.has('method', m));
  if (unknown.length) {
    throw new GdfoError('UNKNOWN_COMPONENT', `config: methods: unknown method "${unknown[0]}"; known: ${registry.names('method').join(', ')} (a plugin's method needs its plugin in "plugins")`);
  }
  const middleware: TeacherMiddleware[] = [];
  for (const m of c.middleware) middleware.push(await registry.resolve<TeacherMiddleware>('middleware', m.name, m.options));
  const prepared = await prepare(c, t, registry);
  writeFileSync(
    join(t.runDir, 'config.json'),
    JSON.stringify({ config: c, backend: prepared.backend, teacher: prepared.teacher.info.id, plugins }, null, 2) + '\n',
  );
  const results: MethodResult[] = [];
  try {
    for (const method of c.methods) {
      const events = new RunEventBus();
      const sink = writeEventsJsonl(events.events$, join(t.runDir, 'events.jsonl'));
      const progress = attachProgress(events.events$, { mode: t.progress, budget: c.budget, label: method.padEnd(9) });
      const needsStudent = methodFor(registry, method).needsStudent;
      try {
        const base = methodOptions(c);
        const result = await runMethod({
          ...base,
          method,
          task: prepared.task,
          teacher: prepared.teacher,
          registry,
          middleware,
          ...prepared.extra,
          ...(needsStudent ? { student: await prepared.newStudent() } : {}),
          checkpointDir: join(t.runDir, 'checkpoints', method),
          ...(t.resume ? { resume: true } : {}),
          ...(t.signal ? { signal: t.signal } : {}),
          events,
          runId: `${method}-${c.task.name}-${c.seed}`,
        });
        results.push(result);
      } finally {
        events.complete();
        sink.unsubscribe();
        progress.unsubscribe();
      }
      writeFileAtomic(join(t.runDir, 'result.json'), JSON.stringify({ config: c, results }, null, 2) + '\n');
    }
  } finally {
    await prepared.close();
  }
  const reportPath = t.report === false ? undefined : writeReport([t.runDir], join(t.runDir, 'report.html')).path;
  return { runDir: t.runDir, backend: prepared.backend, results, config: c, ...(reportPath ? { reportPath } : {}) };
}

export interface EvalRow {
  method: string;
  split: 'dev' | 'test';
  metric: string;
  value: number | null;
  /** Why there is no value (no selected prompt, no such split). */
  note?: string;
}

/**
 * Scores the selected prompt of every method of a finished run again, on `split` of the run's task (or of
 * another task with the same verbalizer size: `task`), through the run's teacher. Evaluation calls only.
 */
export async function evaluateRun(
  runDir: string,
  options: { split: 'dev' | 'test'; task?: string; backend?: string; env?: RunTarget['env']; /** Where relative plugin paths resolve from (default: the working directory). */ baseDir?: string },
): Promise<EvalRow[]> {
  const c0 = readRunConfig(runDir);
  const c = options.task ? parseConfig({ ...c0, task: { ...c0.task, name: options.task } }, 'config') : c0;
  const resultPath = join(runDir, 'result.json');
  if (!existsSync(resultPath)) throw new GdfoError('NO_RESULT', `${resultPath}: not found (the run has not finished a method yet)`);
  const { results } = JSON.parse(readFileSync(resultPath, 'utf8')) as { results: MethodResult[] };
  const registry = createRegistry(c.seed);
  // the run's plugins: a plugin's method (or teacher) is needed to score its prompt again
  for (const p of c.plugins) await loadPlugin(registry, p, options.baseDir ?? process.cwd());
  const prepared = await prepare(c, { runDir, progress: 'quiet', ...(options.backend ? { backend: options.backend } : {}), ...(options.env ? { env: options.env } : {}) }, registry);
  try {
    const examples = options.split === 'test' ? prepared.task.test : prepared.task.dev;
    const rows: EvalRow[] = [];
    for (const r of results) {
      const row = { method: r.method, split: options.split, metric: prepared.task.metric };
      if (!examples?.length) rows.push({ ...row, value: null, note: `task ${c.task.name} has no ${options.split} split` });
      else if (!registry.has('method', r.method)) rows.push({ ...row, value: null, note: `method ${r.method} is not registered (load the plugin that defines it)` });
      else if (!registry.resolveSync<MethodInfo>('method', r.method).keepsPrompt) {
        // no tuned prompt z to score again: the run's own number, on the run's task only
        if (options.task) rows.push({ ...row, value: null, note: `${r.method} keeps no prompt z to score on another task` });
        else rows.push({ ...row, value: options.split === 'test' ? r.test : r.dev, note: 'no tuned prompt z: value from result.json' });
      }
      else if (!r.bestZ) rows.push({ ...row, value: null, note: 'no selected prompt in result.json' });
      else {
        const space = await promptSpaceFor({ ...methodOptions(c), method: r.method, task: prepared.task, teacher: prepared.teacher, registry, ...prepared.extra });
        const res = await prepared.teacher.score({
          examples,
          template: prepared.task.template,
          verbalizer: prepared.task.verbalizer,
          prompt: space.toTeacher(Float64Array.from(r.bestZ)),
          purpose: options.split,
        });
        const labels = Int32Array.from(examples, (e) => e.label);
        rows.push({ ...row, value: metricFromLogits(prepared.task.metric, res.logits, labels, prepared.task.verbalizer.words.length) });
      }
    }
    return rows;
  } finally {
    await prepared.close();
  }
}

/** Reads a run directory's config back (what `gdfo resume` continues). */
export function readRunConfig(runDir: string): GdfoConfig {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) throw new GdfoError('NO_RUN', `${path}: not found (is ${runDir} a gdfo run directory?)`);
  let parsed: { config?: unknown };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as { config?: unknown };
  } catch (err) {
    throw new GdfoError('BAD_RUN', `${path}: invalid JSON (${(err as Error).message})`);
  }
  if (!parsed.config) throw new GdfoError('BAD_RUN', `${path}: no "config" (written by gdfo run)`);
  return parseConfig(parsed.config, path);
}

export function formatResults(r: ExperimentResult): string {
  const lines = ['method     calls  dev     test', '---------  -----  ------  ------'];
  for (const x of r.results) {
    const f = (v: number | null) => (v === null ? '-' : v.toFixed(4));
    lines.push(`${x.method.padEnd(9)}  ${String(x.calls).padStart(5)}  ${f(x.dev)}  ${f(x.test)}`);
  }
  lines.push(`backend: ${r.backend}`);
  lines.push(`result: ${join(r.runDir, 'result.json')}`);
  if (r.reportPath) lines.push(`report: ${r.reportPath}`);
  // one plain sentence per method (explain.ts)
  const shown = r.reportPath ?? join(r.runDir, 'result.json');
  const rel = relative(process.cwd(), shown);
  const c = r.config;
  const sentences = explainResults({
    results: r.results,
    reportPath: rel && !rel.startsWith('..') && rel.length < shown.length ? rel : shown,
    ...(c ? { budget: c.budget, promptLength: c.promptLength, strategy: c.strategy.name } : {}),
  });
  if (sentences.length) lines.push('', ...sentences);
  return lines.join('\n');
}
