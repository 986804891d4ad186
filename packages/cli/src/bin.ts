#!/usr/bin/env node
/** The `gdfo` command. */
import { Command, InvalidArgumentError } from 'commander';
import { METHODS, type MethodName } from '@gdfo/pipeline';
import { resolve } from 'node:path';
import { createRegistry, formatResults, readRunOptions, runExperiment, type ExperimentResult } from './experiment.js';

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name}: expected a positive integer, got "${v}"`);
    return n;
  };
}

const program = new Command('gdfo').description('Black-box prompt tuning: BBT, BBTv2 and GDFO').showHelpAfterError();

program
  .command('run', { isDefault: true })
  .description('run methods on a task and write a run directory')
  .option('--task <name>', 'task: spam (embedded), sst2, yelp, agnews, dbpedia, mrpc, rte, snli (../shared/data), or synthetic', 'spam')
  .option('--data-dir <dir>', 'benchmark data directory (default ../shared/data beside the repository)')
  .option('--methods <list>', 'comma-separated methods', 'manual,bbt,gdfo')
  .option('--budget <calls>', 'teacher calls per method', positiveInt('--budget'), 300)
  .option('--seed <n>', 'random seed', positiveInt('--seed'), 42)
  .option('--dim <d>', 'intrinsic dimension of z', positiveInt('--dim'), 500)
  .option('--pop-size <n>', 'CMA-ES population λ', positiveInt('--pop-size'), 20)
  .option('--prompt-length <n>', 'continuous prompt length L', positiveInt('--prompt-length'), 50)
  .option('--harmonizer <name>', 'GDFO harmonizer: gradient-sample, mean-shift, surrogate-screen, none', 'gradient-sample')
  .option('--strategy <name>', 'derivative-free strategy', 'cma-es')
  .option('--distill-steps <k>', 'distillation steps per generation', positiveInt('--distill-steps'), 32)
  .option('--out <dir>', 'where run directories go', 'runs')
  .option('--json', 'print events as JSON lines')
  .option('--quiet', 'print only the result')
  .addHelpText('after', '\nExamples:\n  gdfo run\n  gdfo run --task sst2 --methods bbt,gdfo --budget 2000 --seed 7\n  gdfo run --task synthetic --json')
  .action(async (opts: Record<string, string | number | boolean | undefined>) => {
    const methods = String(opts['methods']).split(',').map((m) => m.trim());
    for (const m of methods) {
      if (!(METHODS as readonly string[]).includes(m)) throw new InvalidArgumentError(`--methods: unknown method "${m}"; known: ${METHODS.join(', ')}`);
    }
    const json = Boolean(opts['json']);
    const progress = json ? 'json' : opts['quiet'] ? 'quiet' : process.stderr.isTTY ? 'bar' : 'lines';
    const runDir = resolve(String(opts['out']), `${String(opts['task'])}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const ctrl = new AbortController();
    process.once('SIGINT', () => ctrl.abort());
    const result = await runExperiment({
      task: String(opts['task']),
      ...(opts['dataDir'] ? { dataDir: String(opts['dataDir']) } : {}),
      methods: methods as MethodName[],
      budget: Number(opts['budget']),
      seed: Number(opts['seed']),
      dim: Number(opts['dim']),
      popSize: Number(opts['popSize']),
      promptLength: Number(opts['promptLength']),
      harmonizer: String(opts['harmonizer']),
      strategy: String(opts['strategy']),
      pipeline: { distill: { steps: Number(opts['distillSteps']), batchSize: 32 } },
      ...(process.env['GDFO_BACKEND'] ? { backend: process.env['GDFO_BACKEND'] } : {}),
      runDir,
      progress,
      signal: ctrl.signal,
    });
    printResult(result, json);
  });

program
  .command('resume <run-dir>')
  .description('continue an interrupted run from its checkpoints (same results as an uninterrupted run)')
  .option('--json', 'print events as JSON lines')
  .option('--quiet', 'print only the result')
  .addHelpText('after', '\nExample:\n  gdfo resume runs/spam-2026-11-27T08-00-00-000Z')
  .action(async (dir: string, opts: { json?: boolean; quiet?: boolean }) => {
    const runDir = resolve(dir);
    const options = readRunOptions(runDir);
    const progress = opts.json ? 'json' : opts.quiet ? 'quiet' : process.stderr.isTTY ? 'bar' : 'lines';
    const ctrl = new AbortController();
    process.once('SIGINT', () => ctrl.abort());
    printResult(await runExperiment({ ...options, runDir, progress, resume: true, signal: ctrl.signal }), Boolean(opts.json));
  });

function printResult(result: ExperimentResult, json: boolean): void {
  if (json) {
    const results = result.results.map((r) => ({ method: r.method, calls: r.calls, dev: r.dev, test: r.test }));
    process.stdout.write(JSON.stringify({ runDir: result.runDir, backend: result.backend, results }) + '\n');
  } else process.stdout.write(formatResults(result) + '\n');
}

program
  .command('list')
  .description('list registered strategies, losses and harmonizers')
  .action(() => {
    const registry = createRegistry(0);
    for (const r of registry.list()) process.stdout.write(`${r.kind.padEnd(11)} ${r.name.padEnd(20)} ${r.description}\n`);
    process.stdout.write(`method      ${METHODS.join(', ')}\n`);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`gdfo: ${err.message}\n`);
  process.exit(1);
});
