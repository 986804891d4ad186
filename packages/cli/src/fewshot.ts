/**
 * Cells of the few-shot benchmark: one (task, method, seed, setting) run by `cellRunner`, the cell function
 * `gdfo bench fewshot` runs locally and `gdfo worker --queue …` runs on any machine that reaches the queue.
 */
import { join } from 'node:path';
import { cellId } from '@gdfo/sweep';
import { runExperiment } from './experiment.js';

/** Bench method names → a method plus its harmonizer. */
export const METHOD_SPECS: Record<string, { method: string; harmonizer?: string }> = {
  manual: { method: 'manual' },
  icl: { method: 'icl' },
  bbt: { method: 'bbt' },
  bbtv2: { method: 'bbtv2' },
  gdfo: { method: 'gdfo', harmonizer: 'gradient-sample' },
  'gdfo-mean-shift': { method: 'gdfo', harmonizer: 'mean-shift' },
  kd: { method: 'kd' },
  whitebox: { method: 'whitebox' },
};
export const TASKS_WITH_TEST = new Set(['sst2', 'agnews', 'mrpc', 'rte', 'snli']);

export interface FewshotCell {
  [key: string]: string | number;
  task: string;
  method: string;
  seed: number;
  budget: number;
  dim: number;
  popSize: number;
  promptLength: number;
}

export interface CellResult {
  [key: string]: unknown;
  metric: string;
  split: 'test' | 'dev';
  value: number | null;
  dev: number | null;
  calls: number;
  seconds: number;
  /** (calls, test metric of the selected prompt) at each dev check. */
  curve: { calls: number; value: number }[];
}

/** Runs one cell: one method on one task and seed, with the shipped teacher; its run dir is kept. */
export function cellRunner(resultsDir: string) {
  return async (cell: FewshotCell): Promise<CellResult> => {
    const spec = METHOD_SPECS[cell.method];
    if (!spec) throw new Error(`fewshot: unknown method "${cell.method}"; known: ${Object.keys(METHOD_SPECS).join(', ')}`);
    const t0 = performance.now();
    const runDir = join(resultsDir, 'runs', cellId(cell).slice(0, 16));
    const r = await runExperiment(
      {
        task: { name: cell.task },
        methods: [spec.method],
        budget: cell.budget,
        seed: cell.seed,
        dim: cell.dim,
        popSize: cell.popSize,
        promptLength: cell.promptLength,
        ...(spec.harmonizer ? { harmonizer: { name: spec.harmonizer } } : {}),
        testCurve: true,
        checkpointEvery: 10,
      },
      { runDir, progress: 'quiet', resume: true },
    );
    const x = r.results[0]!;
    const split = TASKS_WITH_TEST.has(cell.task) ? 'test' : 'dev';
    return {
      metric: x.metric,
      split,
      value: split === 'test' ? x.test : x.dev,
      dev: x.dev,
      calls: x.calls,
      seconds: Math.round((performance.now() - t0) / 1000),
      curve: x.testHistory,
    };
  };
}

