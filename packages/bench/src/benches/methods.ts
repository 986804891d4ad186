/**
 * `npm run bench -- methods` (options: `--help`, or ../usage.ts)
 * Runs each method on one task with the shipped teacher (and student), one JSON line per method, then the
 * summary `{"bench":"methods","task":…,"budget":…,"results":{"bbt":{"test":…,"calls":…},…}}`.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { METHODS, type MethodName } from '@gdfo/pipeline';
import { runExperiment } from '@gdfo/cli';
import { arg } from '../args.js';

export async function run(args: string[]): Promise<void> {
  const task = arg(args, 'task', 'sst2');
  const budget = Number(arg(args, 'budget', '2000'));
  const seed = Number(arg(args, 'seed', '42'));
  const methods = arg(args, 'methods', 'manual,icl,bbt,bbtv2,gdfo,kd,whitebox').split(',') as MethodName[];
  for (const m of methods) if (!(METHODS as readonly string[]).includes(m)) throw new Error(`--methods: unknown method "${m}"`);
  const runDir = arg(args, 'out', join(tmpdir(), `gdfo-bench-methods-${task}-${seed}-${Date.now()}`));
  const results: Record<string, { test: number | null; dev: number | null; calls: number; seconds: number }> = {};
  for (const method of methods) {
    const t0 = performance.now();
    const r = await runExperiment(
      {
        task: { name: task },
        methods: [method],
        budget,
        seed,
        dim: Number(arg(args, 'dim', '500')),
        popSize: Number(arg(args, 'pop-size', '20')),
        promptLength: Number(arg(args, 'prompt-length', '50')),
        distill: { steps: Number(arg(args, 'distill-steps', '32')) },
      },
      { runDir: join(runDir, method), progress: process.stderr.isTTY ? 'bar' : 'lines' },
    );
    const x = r.results[0]!;
    const seconds = Math.round((performance.now() - t0) / 100) / 10;
    results[method] = { test: x.test, dev: x.dev, calls: x.calls, seconds };
    console.log(JSON.stringify({ bench: 'methods', task, method, test: x.test, dev: x.dev, calls: x.calls, evalCalls: x.evalCalls, seconds, backend: r.backend }));
  }
  console.log(JSON.stringify({ bench: 'methods', task, budget, seed, results }));
}
