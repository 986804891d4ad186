/**
 * Cells of the few-shot benchmark: one (task, method, seed, setting) run by `cellRunner`, the cell function
 * `gdfo bench fewshot` runs locally and `gdfo worker --queue …` runs on any machine that reaches the queue.
 */
import { join } from 'node:path';
import { cellId } from '@gdfo/sweep';
import { GdfoError } from '@gdfo/core';
import { runExperiment } from './experiment.js';
import { currentBackend, currentKernels, DEFAULT_TEACHER, ensureBackend, resolveModelPath } from '@gdfo/models';

/**
 * The benchmark's methods: a pipeline method, GDFO's harmonizer, and the local student's prompt generator
 * (`projected`: tied to the search space's A; default `free`; `aligned`: projected, W started from the
 * vocabulary alignment of the cell's teacher's embeddings onto the student's).
 */
export const METHOD_SPECS: Record<string, { method: string; harmonizer?: string; generator?: 'projected'; aligned?: true }> = {
  manual: { method: 'manual' },
  icl: { method: 'icl' },
  bbt: { method: 'bbt' },
  bbtv2: { method: 'bbtv2' },
  gdfo: { method: 'gdfo', harmonizer: 'gradient-sample' },
  'gdfo-mean-shift': { method: 'gdfo', harmonizer: 'mean-shift' },
  'gdfo-projected': { method: 'gdfo', harmonizer: 'gradient-sample', generator: 'projected' },
  'gdfo-projected-mean-shift': { method: 'gdfo', harmonizer: 'mean-shift', generator: 'projected' },
  'gdfo-aligned': { method: 'gdfo', harmonizer: 'gradient-sample', generator: 'projected', aligned: true },
  'gdfo-aligned-mean-shift': { method: 'gdfo', harmonizer: 'mean-shift', generator: 'projected', aligned: true },
  'gdfo-screen': { method: 'gdfo', harmonizer: 'surrogate-screen' },
  'gdfo-projected-screen': { method: 'gdfo', harmonizer: 'surrogate-screen', generator: 'projected' },
  kd: { method: 'kd' },
  whitebox: { method: 'whitebox' },
};
export const TASKS_WITH_TEST = new Set(['sst2', 'agnews', 'mrpc', 'rte', 'snli']);

export interface FewshotCell {
  /**
   * Besides the fields below, `teacher` (optional): the teacher model, a shipped name or a model folder
   * (relative to the working directory). Absent = the shipped default teacher, so the default cells' ids (a
   * hash of the cell) do not change. `overrides` (optional): a JSON object merged into the cell's experiment
   * config (objects key by key, anything else replaced), e.g. `{"harmonizer":{"options":{"threshold":0.1}}}`
   * — how a tuning search varies what the cell's other fields do not name.
   */
  [key: string]: string | number;
  task: string;
  method: string;
  seed: number;
  budget: number;
  dim: number;
  popSize: number;
  promptLength: number;
  /** Positions per teacher/student input, prompt included (texts truncated to fit); ICL always gets the model's maximum. */
  maxLength: number;
  /** Student optimizer steps per generation (GDFO's K). */
  distillSteps: number;
  /**
   * The matrix kernels the cell must run on (`native`: @gdfo/kernels on wasm; `wasm`: the backend's own).
   * They differ by float rounding, so a result is only comparable with results of the same kernels.
   */
  kernels: string;
}

/** `native` when @gdfo/kernels computes the matrix products of the wasm backend, else `wasm` (or the backend's name). */
export function kernelsName(): string {
  const backend = currentBackend();
  return currentKernels().native ? 'native' : backend;
}

/** Call counts at which the benchmark reports its curve of the test (or dev) metric. */
export const CURVE_POINTS = [200, 500, 1000, 2000];

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
  /** The curve read at `CURVE_POINTS` within the budget (the selection in force after that many calls). */
  at: Record<string, number>;
}

/** The metric of the selection in force after `calls` calls, from a curve of (calls, value) at each dev check. */
export function curveAt(curve: readonly { calls: number; value: number }[], calls: number): number | undefined {
  let v: number | undefined;
  for (const p of curve) if (p.calls <= calls) v = p.value;
  return v;
}

/** Runs one cell: one method on one task and seed, with the cell's teacher (default: the shipped one); its run dir is kept. */
export function cellRunner(resultsDir: string) {
  return async (cell: FewshotCell): Promise<CellResult> => {
    const spec = METHOD_SPECS[cell.method];
    if (!spec) throw new Error(`fewshot: unknown method "${cell.method}"; known: ${Object.keys(METHOD_SPECS).join(', ')}`);
    {
      await ensureBackend();
      const here = kernelsName();
      if (here !== cell.kernels) throw new Error(`fewshot: cell ${cell.task}/${cell.method} is for ${cell.kernels} kernels, this process runs ${here}`);
    }
    const t0 = performance.now();
    const runDir = join(resultsDir, 'runs', cellId(cell).slice(0, 16));
    const teacherModel = cell['teacher'];
    const checkpoint = typeof teacherModel === 'string' ? { checkpoint: resolveModelPath(teacherModel) } : {};
    const base: Record<string, unknown> = {
      task: { name: cell.task },
      methods: [spec.method],
      budget: cell.budget,
      seed: cell.seed,
      dim: cell.dim,
      popSize: cell.popSize,
      promptLength: cell.promptLength,
      // ICL's demonstrations need the model's whole context; every other method sees inputs cut to maxLength.
      ...(spec.method === 'icl'
        ? teacherModel !== undefined
          ? { teacher: { kind: 'local', options: checkpoint } }
          : {}
        : {
            teacher: { kind: 'local', options: { maxLength: cell.maxLength, ...checkpoint } },
            student: {
              kind: 'local',
              options: {
                maxLength: cell.maxLength,
                ...(spec.generator ? { generator: spec.generator } : {}),
                // aligned: W starts from the vocabulary alignment to the cell's teacher
                ...(spec.aligned ? { alignTo: checkpoint.checkpoint ?? resolveModelPath(DEFAULT_TEACHER) } : {}),
              },
            },
          }),
      distill: { steps: cell.distillSteps },
      ...(spec.harmonizer ? { harmonizer: { name: spec.harmonizer } } : {}),
      testCurve: true,
      checkpointEvery: 10,
    };
    const r = await runExperiment(mergeOverrides(base, cell['overrides'], `cell ${cell.task}/${cell.method} overrides`), { runDir, progress: 'quiet', resume: true });
    const x = r.results[0]!;
    const split = TASKS_WITH_TEST.has(cell.task) ? 'test' : 'dev';
    // Dev-only tasks: the curve is the dev metric of the selection (the best on dev so far) at each check.
    let best = -Infinity;
    const curve =
      split === 'test'
        ? x.testHistory.map(({ calls, value }) => ({ calls, value }))
        : x.devHistory.map(({ calls, value }) => ({ calls, value: (best = Math.max(best, value)) }));
    const at: Record<string, number> = {};
    for (const p of CURVE_POINTS.filter((n) => n <= cell.budget)) {
      const v = curveAt(curve, p);
      if (v !== undefined) at[p] = v;
    }
    return {
      metric: x.metric,
      split,
      value: split === 'test' ? x.test : x.dev,
      dev: x.dev,
      calls: x.calls,
      seconds: Math.round((performance.now() - t0) / 1000),
      curve,
      at,
    };
  };
}

/**
 * `config` with the JSON object `overrides` merged in: plain objects key by key, anything else (arrays, numbers,
 * strings) replaced. Throws one line naming `what` when `overrides` is not a JSON object.
 */
export function mergeOverrides(config: Record<string, unknown>, overrides: string | number | undefined, what = 'overrides'): Record<string, unknown> {
  if (overrides === undefined || overrides === '') return config;
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(overrides));
  } catch (e) {
    throw new GdfoError('BAD_OPTION', `${what}: expected a JSON object, got ${JSON.stringify(String(overrides).slice(0, 60))} (${(e as Error).message})`);
  }
  if (!isPlainObject(parsed)) throw new GdfoError('BAD_OPTION', `${what}: expected a JSON object, got ${JSON.stringify(overrides).slice(0, 60)}`);
  return mergeInto(config, parsed);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeInto(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const here = out[k];
    out[k] = isPlainObject(here) && isPlainObject(v) ? mergeInto(here, v) : v;
  }
  return out;
}
