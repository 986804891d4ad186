/**
 * `gdfo run`: runs methods on a task and writes a run directory (config.json, events.jsonl, checkpoints/,
 * result.json). Until the shipped models are wired in (the CLI issue), the built-in task is the synthetic
 * black box of @gdfo/pipeline: a teacher whose prompt acts through a hidden projection, and a student of exact
 * capacity that must learn it by distillation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createContainer, writeEventsJsonl, RunEventBus, writeFileAtomic } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import {
  createSyntheticTeacher,
  registerPipeline,
  runMethod,
  SyntheticStudent,
  SyntheticWorld,
  syntheticSpace,
  type MethodName,
  type MethodResult,
} from '@gdfo/pipeline';
import { attachProgress, type ProgressMode } from './progress.js';

export interface RunCommandOptions {
  methods: MethodName[];
  budget: number;
  seed: number;
  out: string;
  harmonizer: string;
  progress: ProgressMode;
}

export interface RunSummary {
  runDir: string;
  results: MethodResult[];
}

export async function runCommand(o: RunCommandOptions): Promise<RunSummary> {
  const runDir = resolve(o.out, `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(runDir, { recursive: true });
  const world = new SyntheticWorld({ dim: 50, width: 20, classes: 2, seed: 3, logitScale: 3, optimumScale: 0.4 });
  const task = world.task({ train: 32, dev: 32, test: 500 });
  const config = { task: 'synthetic', world: world.options, methods: o.methods, budget: o.budget, seed: o.seed, harmonizer: o.harmonizer };
  writeFileSync(join(runDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const results: MethodResult[] = [];
  for (const method of o.methods) {
    const { registry } = createContainer({ seed: o.seed });
    registerDfo(registry);
    registerLosses(registry);
    registerPipeline(registry);
    const events = new RunEventBus();
    const sink = writeEventsJsonl(events.events$, join(runDir, 'events.jsonl'));
    const progress = attachProgress(events.events$, { mode: o.progress, budget: o.budget, label: method.padEnd(6) });
    try {
      results.push(
        await runMethod({
          method,
          task,
          teacher: createSyntheticTeacher(world),
          registry,
          seed: o.seed,
          budget: o.budget,
          popSize: 10,
          sigma0: 0.5,
          space: syntheticSpace(50),
          student: new SyntheticStudent(world, { seed: o.seed, lr: 0.002 }),
          harmonizer: o.harmonizer,
          pipeline: { evalEvery: 100, checkpointEvery: 10, distill: { steps: 16, batchSize: 32 } },
          checkpointDir: join(runDir, 'checkpoints', method),
          events,
          runId: `${method}-synthetic-${o.seed}`,
        }),
      );
    } finally {
      events.complete();
      sink.unsubscribe();
      progress.unsubscribe();
    }
  }
  writeFileAtomic(join(runDir, 'result.json'), JSON.stringify({ config, results }, null, 2) + '\n');
  return { runDir, results };
}

export function formatResults(summary: RunSummary): string {
  const lines = ['method    calls  dev     test', '--------  -----  ------  ------'];
  for (const r of summary.results) {
    const f = (v: number | null) => (v === null ? '-' : v.toFixed(4));
    lines.push(`${r.method.padEnd(8)}  ${String(r.calls).padStart(5)}  ${f(r.dev)}  ${f(r.test)}`);
  }
  lines.push(`report: ${join(summary.runDir, 'result.json')}`);
  return lines.join('\n');
}
