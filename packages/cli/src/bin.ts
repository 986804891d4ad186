#!/usr/bin/env node
/**
 * The `gdfo` command: run, resume, report, serve, pretrain, list, plugin new.
 * This is the only place that reads the environment (GDFO_BACKEND, GDFO_LMAAS_TOKEN, API keys).
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Teacher } from '@gdfo/spec';
import { loadPlugin } from '@gdfo/core';
import { loadConfig, mergeFlags, parseConfig, type GdfoConfig } from '@gdfo/config';
import { writeReport } from '@gdfo/report';
import { createLmaasServer } from '@gdfo/adapter-lmaas';
import { initBackend, listShippedModels } from '@gdfo/models';
import { createRegistry, evaluateRun, formatResults, readRunConfig, runExperiment, type ExperimentResult } from './experiment.js';
import { pluginNew, defaultTemplateDir } from './plugin-new.js';
import { cellRunner } from './fewshot.js';
import { runWorker } from '@gdfo/sweep';
import type { ProgressMode } from './progress.js';
import { addDashboardCommand } from './dashboard.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Defaults of `gdfo run` without a config file: the embedded main job. */
/**
 * `gdfo run` without a config: the manual prompt, BBT and GDFO on the embedded spam task with the shipped
 * teacher and student, in the few-shot benchmark's scaled setting (10 prompt positions; inputs cut to 64
 * positions, which keeps the subject and the start of each e-mail) so that it ends in a few minutes on 2 cores.
 */
export const MAIN_JOB: Record<string, unknown> = {
  task: { name: 'spam' },
  methods: ['manual', 'bbt', 'gdfo'],
  budget: 200,
  promptLength: 10,
  distill: { steps: 16 },
  teacher: { kind: 'local', options: { maxLength: 64 } },
  student: { kind: 'local', options: { maxLength: 64 } },
};

function progressMode(json: boolean | undefined, quiet: boolean | undefined): ProgressMode {
  return json ? 'json' : quiet ? 'quiet' : process.stderr.isTTY ? 'bar' : 'lines';
}

function printResult(result: ExperimentResult, json: boolean): void {
  if (json) {
    const results = result.results.map((r) => ({ method: r.method, calls: r.calls, dev: r.dev, test: r.test }));
    process.stdout.write(JSON.stringify({ runDir: result.runDir, backend: result.backend, report: result.reportPath, results }) + '\n');
  } else process.stdout.write(formatResults(result) + '\n');
}

/** For long-running commands: on SIGINT or SIGTERM, run `cleanup` once, then exit. */
function stopOnSignal(cleanup: () => Promise<unknown>): void {
  const stop = () => void cleanup().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function abortOnSigint(): AbortSignal {
  const ctrl = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ngdfo: interrupted; saving a checkpoint (resume with `gdfo resume <run-dir>`)\n');
    ctrl.abort();
  });
  return ctrl.signal;
}

const program = new Command('gdfo')
  .description('Black-box prompt tuning: BBT, BBTv2 and GDFO (gradient descent through a distilled student)')
  .showHelpAfterError();

const NON_CONFIG = new Set(['config', 'json', 'quiet', 'teacherPath', 'studentPath']);

/** `--teacher-path DIR` / `--student-path DIR`: a local model folder (Hugging Face BERT/RoBERTa or gdfo-mlm) in that role. */
function withModelPaths(config: GdfoConfig, teacherPath: string | undefined, studentPath: string | undefined): GdfoConfig {
  const local = (part: GdfoConfig['teacher'] | GdfoConfig['student'], dir: string) => ({ kind: 'local', options: { ...(part.kind === 'local' ? part.options : {}), checkpoint: resolve(dir) } });
  return {
    ...config,
    ...(teacherPath ? { teacher: local(config.teacher, teacherPath) } : {}),
    ...(studentPath ? { student: local(config.student, studentPath) } : {}),
  } as GdfoConfig;
}

const run = program
  .command('run', { isDefault: true })
  .description('run methods on a task and write a run directory (config, events, checkpoints, result, report)')
  .option('--config <file>', 'run configuration (YAML or JSON); flags override it')
  .option('--task <name>', 'task: spam (embedded), sst2, yelp, agnews, dbpedia, mrpc, rte, snli (../shared/data), synthetic')
  .option('--data-dir <dir>', 'benchmark data directory (default ../shared/data beside the repository)')
  .option('--methods <list>', 'comma-separated methods: manual, icl, bbt, bbtv2, gdfo, gdfo-deep, kd, whitebox, or a plugin\'s')
  .option('--budget <calls>', 'teacher calls charged per method')
  .option('--seed <n>', 'run seed')
  .option('--dim <d>', 'intrinsic dimension of z')
  .option('--pop-size <n>', 'points per generation (CMA-ES λ)')
  .option('--prompt-length <n>', 'continuous prompt length L')
  .option('--strategy <name>', 'derivative-free strategy (gdfo list)')
  .option('--harmonizer <name>', 'GDFO harmonizer: gradient-sample, mean-shift, surrogate-screen, none')
  .option('--distill-steps <k>', 'distillation steps per generation')
  .option('--teacher <kind>', 'teacher kind: local, lmaas, … (plugins add more)')
  .option('--teacher-path <dir>', 'a local model folder as the teacher (Hugging Face BERT/RoBERTa, e.g. ../shared/models/mlm-6x384)')
  .option('--student-path <dir>', 'a local model folder as the student (default: the shipped mlm-2x128)')
  .option('--plugins <list>', 'comma-separated plugin packages or paths')
  .option('--out <dir>', 'where run directories go')
  .option('--json', 'print events as JSON lines (stderr) and the result as JSON (stdout)')
  .option('--quiet', 'print only the result')
  .addHelpText(
    'after',
    [
      '',
      'Without --config, runs the main job: GDFO vs BBT vs the manual prompt on the embedded spam task,',
      'with the shipped mlm-4x256 as the black box and mlm-2x128 as the student.',
      '',
      'Examples:',
      '  gdfo run',
      '  gdfo run --task sst2 --methods bbt,gdfo --budget 2000 --seed 7',
      '  gdfo run --config experiments/rte.yaml --seed 13',
      '  gdfo run --task synthetic --json',
      '  gdfo run --task sst2 --teacher-path ../shared/models/mlm-6x384 --student-path ~/models/bert-base-uncased',
    ].join('\n'),
  )
  .action(async (opts: Record<string, unknown>) => {
    const flags: Record<string, unknown> = {};
    for (const key of Object.keys(opts)) {
      if (!NON_CONFIG.has(key) && run.getOptionValueSource(key) === 'cli') flags[key] = opts[key];
    }
    const configPath = opts['config'] as string | undefined;
    const base: GdfoConfig = configPath ? loadConfig(configPath) : parseConfig(MAIN_JOB, 'the main job');
    const config = withModelPaths(mergeFlags(base, flags), opts['teacherPath'] as string | undefined, opts['studentPath'] as string | undefined);
    const runDir = resolve(config.out, `${config.task.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const result = await runExperiment(config, {
      runDir,
      progress: progressMode(opts['json'] as boolean, opts['quiet'] as boolean),
      signal: abortOnSigint(),
      baseDir: configPath ? dirname(resolve(configPath)) : process.cwd(),
      env: process.env,
      ...(process.env['GDFO_BACKEND'] ? { backend: process.env['GDFO_BACKEND'] } : {}),
    });
    printResult(result, Boolean(opts['json']));
  });

program
  .command('resume <run-dir>')
  .description('continue an interrupted run from its checkpoints (same results as an uninterrupted run)')
  .option('--json', 'print events as JSON lines')
  .option('--quiet', 'print only the result')
  .addHelpText('after', '\nExample:\n  gdfo resume runs/spam-2026-11-27T08-00-00-000Z')
  .action(async (dir: string, opts: { json?: boolean; quiet?: boolean }) => {
    const runDir = resolve(dir);
    const config = readRunConfig(runDir);
    const result = await runExperiment(config, {
      runDir,
      progress: progressMode(opts.json, opts.quiet),
      resume: true,
      signal: abortOnSigint(),
      env: process.env,
      ...(process.env['GDFO_BACKEND'] ? { backend: process.env['GDFO_BACKEND'] } : {}),
    });
    printResult(result, Boolean(opts.json));
  });

program
  .command('eval <run-dir>')
  .description("score each method's selected prompt again on the run's dev or test split (or another task's)")
  .option('--split <split>', 'dev or test', 'test')
  .option('--task <name>', 'evaluate on another task with the same classes (prompt transfer)')
  .option('--json', 'print JSON lines')
  .addHelpText('after', '\nExamples:\n  gdfo eval runs/sst2-…\n  gdfo eval runs/sst2-… --task yelp --split dev')
  .action(async (dir: string, opts: { split: string; task?: string; json?: boolean }) => {
    if (opts.split !== 'dev' && opts.split !== 'test') throw new InvalidArgumentError(`--split: expected dev or test, got "${opts.split}"`);
    const rows = await evaluateRun(resolve(dir), {
      split: opts.split,
      ...(opts.task ? { task: opts.task } : {}),
      ...(process.env['GDFO_BACKEND'] ? { backend: process.env['GDFO_BACKEND'] } : {}),
      env: process.env,
    });
    for (const r of rows) {
      if (opts.json) process.stdout.write(JSON.stringify(r) + '\n');
      else process.stdout.write(`${r.method.padEnd(9)} ${r.split} ${r.metric} ${r.value === null ? '-' : r.value.toFixed(4)}${r.note ? `  (${r.note})` : ''}\n`);
    }
  });

program
  .command('bench <name> [args...]')
  .description('run a benchmark script (prints JSON lines; the last line is the summary); no name lists them')
  .allowUnknownOption()
  .addHelpText('after', '\nExamples:\n  gdfo bench cmaes\n  gdfo bench methods --task sst2 --budget 2000 --seed 42\n  gdfo bench fewshot --tasks sst2,rte --queue redis://127.0.0.1:6379')
  .action(async (name: string, args: string[]) => {
    const script = join(here, '..', '..', 'bench', 'dist', 'main.js');
    const child = spawn(process.execPath, [script, name, ...args], { stdio: 'inherit' });
    await new Promise<void>((ok, fail) => child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`bench ${name} exited with code ${code}`)))));
  });

program
  .command('worker')
  .description('run few-shot benchmark cells from a Redis queue (filled by `gdfo bench fewshot --queue …`)')
  .requiredOption('--queue <url>', 'Redis connection, e.g. redis://10.0.0.5:6379')
  .option('--results <dir>', "where this worker keeps each cell's run directory", 'bench/results')
  .option('--concurrency <n>', 'cells run at once by this worker', '1')
  .addHelpText('after', '\nExample (on every machine that reaches Redis):\n  gdfo worker --queue redis://10.0.0.5:6379')
  .action(async (opts: { queue: string; results: string; concurrency: string }) => {
    const worker = await runWorker({
      connection: opts.queue,
      cellFn: cellRunner(resolve(opts.results)) as unknown as Parameters<typeof runWorker>[0]['cellFn'],
      concurrency: Number(opts.concurrency),
      onEvent: (e) => process.stderr.write(`gdfo worker: ${e.type} ${e.id.slice(0, 12)} (attempt ${e.attempt})${e.error ? `: ${e.error}` : ''}\n`),
    });
    process.stderr.write(`gdfo worker: waiting for cells on ${opts.queue}; Ctrl-C stops after the running cell\n`);
    stopOnSignal(() => worker.close());
  });

program
  .command('report <run-dirs...>')
  .description('write a self-contained HTML report (plots, tables; several runs are compared)')
  .option('--out <file>', 'output file (default: report.html in the first run directory, or ./report.html for several)')
  .addHelpText('after', '\nExamples:\n  gdfo report runs/spam-…\n  gdfo report runs/a runs/b --out compare.html')
  .action((dirs: string[], opts: { out?: string }) => {
    const out = opts.out ?? (dirs.length === 1 ? join(dirs[0]!, 'report.html') : 'report.html');
    const written = writeReport(dirs.map((d) => resolve(d)), resolve(out));
    process.stdout.write(`report: ${written.path} (${written.runs} run${written.runs === 1 ? '' : 's'}, ${written.bytes} bytes)\n`);
  });

program
  .command('serve')
  .description('serve the local teacher over HTTP (LMaaS: continuous prompts as base64 float32)')
  .option('--model <dir>', 'the model to serve: a folder (Hugging Face BERT/RoBERTa or gdfo-mlm) or a shipped name (default: the shipped mlm-4x256)')
  .option('--checkpoint <dir>', 'same as --model (older name)')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--port <port>', 'port (0 = any free one)', '8080')
  .option('--max-queue <n>', 'requests waiting beyond which the server answers 503', '16')
  .addHelpText('after', '\nThe bearer token is read from GDFO_LMAAS_TOKEN.\n\nExample:\n  GDFO_LMAAS_TOKEN=secret gdfo serve --port 8080')
  .action(async (opts: { model?: string; checkpoint?: string; host: string; port: string; maxQueue: string }) => {
    const token = process.env['GDFO_LMAAS_TOKEN'];
    if (!token) throw new InvalidArgumentError('GDFO_LMAAS_TOKEN: set a bearer token for the server in the environment');
    await initBackend(process.env['GDFO_BACKEND'] ? { prefer: process.env['GDFO_BACKEND'] } : {});
    const registry = createRegistry(0);
    const model = opts.model ?? opts.checkpoint;
    const teacher = await registry.resolve<Teacher>('teacher', 'local', model ? { checkpoint: model } : {});
    const server = createLmaasServer({ teacher, host: opts.host, port: Number(opts.port), token, maxQueue: Number(opts.maxQueue), log: (l) => process.stderr.write(l + '\n') });
    const { url } = await server.listen();
    process.stdout.write(`gdfo serve: ${teacher.info.id} at ${url} (POST /v1/score, GET /healthz); Ctrl-C stops\n`);
    stopOnSignal(async () => {
      await server.close();
      await teacher.close?.();
    });
  });

program
  .command('pretrain')
  .description('pretrain a shipped model (teacher or student) from the npm text corpus; resumable')
  .allowUnknownOption()
  .helpOption(false)
  .addHelpText('after', '\nExamples:\n  gdfo pretrain --model teacher\n  gdfo pretrain --model student --steps 2000 --seed 1')
  .action(async (_opts: unknown, cmd: Command) => {
    const script = join(here, '..', '..', 'models', 'dist', 'pretrain-cli.js');
    const child = spawn(process.execPath, [script, ...cmd.args], { stdio: 'inherit' });
    await new Promise<void>((ok, fail) => child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`pretrain exited with code ${code}`)))));
  });

program
  .command('list')
  .description('list the shipped models and the registered strategies, losses, harmonizers, teachers, students, tasks and plugins')
  .option('--plugins <list>', 'comma-separated plugin packages or paths to load first')
  .action(async (opts: { plugins?: string }) => {
    const registry = createRegistry(0);
    for (const p of opts.plugins ? opts.plugins.split(',') : []) {
      const loaded = await loadPlugin(registry, p.trim(), process.cwd());
      process.stdout.write(`plugin      ${loaded.name}@${loaded.version} (${loaded.source})\n`);
    }
    for (const m of listShippedModels()) process.stdout.write(`${'model'.padEnd(11)} ${m.name.padEnd(20)} default ${m.role}: ${m.summary} (${m.path})\n`);
    for (const r of registry.list()) process.stdout.write(`${r.kind.padEnd(11)} ${r.name.padEnd(20)} ${r.description}\n`);
  });

addDashboardCommand(program);

const plugin = program.command('plugin').description('plugin tools');
plugin
  .command('new <name>')
  .description('create a plugin package from the template (builds, tests and packs on its own)')
  .addOption(new Option('--dir <dir>', 'where to create it').default('plugins'))
  .addHelpText('after', '\nExample:\n  gdfo plugin new my-strategy && cd plugins/my-strategy && npm test && npm pack')
  .action((name: string, opts: { dir: string }) => {
    const created = pluginNew(name, resolve(opts.dir), { templateDir: defaultTemplateDir() });
    process.stdout.write(`created ${created.packageName} in ${created.dir} (${created.files.length} files)\n`);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  // a config with several problems: one line each
  for (const line of err.message.split('\n')) process.stderr.write(`gdfo: ${line}\n`);
  process.exit(1);
});
