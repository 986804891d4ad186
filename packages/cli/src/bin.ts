#!/usr/bin/env node
/** The `gdfo` command. */
import { Command, InvalidArgumentError } from 'commander';
import { METHODS, type MethodName } from '@gdfo/pipeline';
import { createContainer } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { registerPipeline } from '@gdfo/pipeline';
import { formatResults, runCommand } from './run.js';

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
  .description('run methods on the built-in task and write a run directory')
  .option('--methods <list>', 'comma-separated methods', 'manual,bbt,gdfo')
  .option('--budget <calls>', 'teacher calls per method', positiveInt('--budget'), 400)
  .option('--seed <n>', 'random seed', positiveInt('--seed'), 42)
  .option('--harmonizer <name>', 'GDFO harmonizer', 'gradient-sample')
  .option('--out <dir>', 'where run directories go', 'runs')
  .option('--json', 'print events as JSON lines')
  .option('--quiet', 'print only the result')
  .addHelpText('after', '\nExamples:\n  gdfo run\n  gdfo run --methods bbt,gdfo --budget 1000 --seed 7 --json')
  .action(async (opts: { methods: string; budget: number; seed: number; harmonizer: string; out: string; json?: boolean; quiet?: boolean }) => {
    const methods = opts.methods.split(',').map((m) => m.trim());
    for (const m of methods) {
      if (!(METHODS as readonly string[]).includes(m)) throw new InvalidArgumentError(`--methods: unknown method "${m}"; known: ${METHODS.join(', ')}`);
    }
    const progress = opts.json ? 'json' : opts.quiet ? 'quiet' : process.stderr.isTTY ? 'bar' : 'lines';
    const summary = await runCommand({ methods: methods as MethodName[], budget: opts.budget, seed: opts.seed, out: opts.out, harmonizer: opts.harmonizer, progress });
    if (opts.json) process.stdout.write(JSON.stringify({ runDir: summary.runDir, results: summary.results.map((r) => ({ method: r.method, calls: r.calls, dev: r.dev, test: r.test })) }) + '\n');
    else process.stdout.write(formatResults(summary) + '\n');
  });

program
  .command('list')
  .description('list registered strategies, losses and harmonizers')
  .action(() => {
    const { registry } = createContainer();
    registerDfo(registry);
    registerLosses(registry);
    registerPipeline(registry);
    for (const r of registry.list()) process.stdout.write(`${r.kind.padEnd(11)} ${r.name.padEnd(20)} ${r.description}\n`);
    process.stdout.write(`method      ${METHODS.join(', ')}\n`);
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`gdfo: ${err.message}\n`);
  process.exit(1);
});
