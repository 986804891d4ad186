/**
 * `npm run bench -- pool` (options: `--help`, or ../usage.ts)
 *
 * BBT with the local teacher, the same seed twice: once with the teacher in this thread (serial), once with a
 * pool of `workers` worker-thread replicas of it (@gdfo/pool), each generation's λ calls spread over them.
 * Times the runs only (teacher loading, thread start and one warm-up call per replica are excluded and
 * reported apart), checks the pooled run's best prompt equals the serial run's, measures before and after how
 * many cores are really free (`parallel_control`: `workers` spinning threads, = workers on an idle machine;
 * other processes on the machine lower it, and the speedup with it) and the median generation time of each
 * run (less sensitive to a burst of load elsewhere than the totals), and prints
 * `{"bench":"pool","workers":2,"calls":N,"serial_ms":…,"pool_ms":…,"speedup":…,"same_best":true,…}`.
 *
 * The teacher is the shipped mlm-4x256, or `--checkpoint`; when neither exists, a random-init model of
 * the teacher preset is written to a temp dir (same size, same cost per call: enough for a timing) and the
 * summary says so. Dev/test splits are cut to 32 examples so that the serial evaluations at the end weigh little.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Task, Teacher } from '@gdfo/spec';
import { createContainer, createRng, RunEventBus } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { getTask } from '@gdfo/tasks';
import {
  defaultPromptTokens,
  initBackend,
  initWeights,
  MaskedLM,
  MODEL_PRESETS,
  saveCheckpoint,
  shippedCheckpoint,
  SPECIAL_TOKENS,
  VERBALIZER_WORDS,
  WordPieceTokenizer,
} from '@gdfo/models';
import { createLocalTeacher } from '@gdfo/adapter-local';
import { runMethod, type MethodResult } from '@gdfo/pipeline';
import { createTeacherPool, workerReplicas } from '@gdfo/pool';
import { arg } from '../args.js';

function posInt(args: string[], name: string, fallback: number): number {
  const v = Number(arg(args, name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`bench pool --${name}: expected a positive integer, got ${arg(args, name, '')}`);
  return v;
}

/** The teacher checkpoint to use: --checkpoint, the shipped one, or a random-init stand-in of the same shape. */
function teacherCheckpoint(args: string[]): { dir: string; source: string; cleanup(): void } {
  const given = arg(args, 'checkpoint', '');
  if (given) return { dir: given, source: given, cleanup: () => undefined };
  try {
    const dir = shippedCheckpoint('teacher');
    return { dir, source: 'shipped mlm-4x256', cleanup: () => undefined };
  } catch {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-bench-pool-'));
    const shipped = MODEL_PRESETS.teacher;
    const rng = createRng('bench-pool-teacher');
    // A vocabulary of the preset's size: special tokens, letters, the verbalizer words, then filler pieces.
    const letters = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
    const vocab = [...new Set([...SPECIAL_TOKENS, ...letters, ...letters.map((l) => '##' + l), ...VERBALIZER_WORDS])];
    for (let i = vocab.length; i < shipped.vocabSize; i++) vocab.push(`[unused${i}]`);
    const tokenizer = new WordPieceTokenizer(vocab);
    const model = new MaskedLM(shipped, initWeights(shipped, () => rng.gaussian() * 0.02));
    saveCheckpoint(dir, { model, tokenizer, promptTokens: defaultPromptTokens(shipped.vocabSize) });
    model.dispose();
    return { dir, source: 'random init of the teacher preset (the shipped teacher is not built yet)', cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
}

/**
 * How many cores this process really gets now: `n` threads each spinning the same fixed loop, timed alone and
 * together; n · t(alone) / t(together) is n on an idle machine and drops when other processes hold cores.
 */
async function parallelControl(n: number): Promise<number> {
  const code = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (k) => { let s = 0; for (let i = 0; i < k; i++) s += Math.sqrt(i); parentPort.postMessage(s); });`;
  const threads = Array.from({ length: n }, () => new Worker(code, { eval: true }));
  const spin = (w: Worker, k: number) => new Promise((r) => (w.once('message', r), w.postMessage(k)));
  try {
    await Promise.all(threads.map((w) => spin(w, 1e6)));
    const k = 2e8;
    let t = performance.now();
    await spin(threads[0]!, k);
    const alone = performance.now() - t;
    t = performance.now();
    await Promise.all(threads.map((w) => spin(w, k)));
    const together = performance.now() - t;
    return Math.round(((n * alone) / together) * 100) / 100;
  } finally {
    await Promise.all(threads.map((w) => w.terminate()));
  }
}

export async function run(args: string[]): Promise<void> {
  const workers = posInt(args, 'workers', 2);
  const popSize = posInt(args, 'pop-size', 20);
  const generations = posInt(args, 'generations', 10);
  const seed = posInt(args, 'seed', 42);
  const dim = posInt(args, 'dim', 500);
  const promptLength = posInt(args, 'prompt-length', 50);
  const taskName = arg(args, 'task', 'spam');
  const backend = await initBackend({ prefer: 'wasm' });
  const ck = teacherCheckpoint(args);
  const full = await getTask(taskName);
  const task: Task = { ...full, dev: full.dev.slice(0, 32), ...(full.test ? { test: full.test.slice(0, 32) } : {}) };
  const budget = popSize * generations;
  const options = { promptLength, batchSize: 32 };
  console.error(`bench pool: ${taskName} (${task.train.length} train examples), BBT d=${dim}, λ=${popSize}, ${generations} generations = ${budget} calls; teacher: ${ck.source}; backend ${backend}`);

  /** BBT with `teacher`; also returns the wall time of each generation (robust to a burst of load elsewhere). */
  const bbt = async (teacher: Teacher): Promise<MethodResult & { genMs: number[] }> => {
    const { registry } = createContainer({ seed });
    registerDfo(registry);
    registerLosses(registry);
    const events = new RunEventBus();
    const marks: number[] = [];
    const sub = events.events$.subscribe((e) => {
      if (e.type === 'run-start' || e.type === 'generation') marks.push(performance.now());
    });
    const result = await runMethod({
      events,
      method: 'bbt',
      task,
      teacher,
      registry,
      seed,
      budget,
      dim,
      popSize,
      promptLength,
      pipeline: { evalEvery: budget, checkpointEvery: 0 },
    });
    sub.unsubscribe();
    return { ...result, genMs: marks.slice(1).map((t, i) => t - marks[i]!) };
  };
  const median = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length ? (v[(v.length - 1) >> 1]! + v[v.length >> 1]!) / 2 : NaN;
  };
  const warm = (t: Teacher, n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        t.score({ examples: task.train, template: task.template, verbalizer: task.verbalizer, prompt: { kind: 'none' }, purpose: 'dev' }),
      ),
    );

  const controlBefore = await parallelControl(workers);
  console.error(`parallel control (${workers} spinning threads; ${workers} = all cores free): ${controlBefore}`);
  try {
    // serial: the teacher in this thread
    let t = performance.now();
    const local = await createLocalTeacher({ checkpoint: ck.dir, ...options });
    await warm(local, 1);
    const serialStartMs = performance.now() - t;
    t = performance.now();
    const serial = await bbt(local);
    const serialMs = performance.now() - t;
    await local.close();
    console.error(`serial: ${Math.round(serialMs)} ms for ${serial.calls} calls (+${serial.evalCalls} eval calls)`);
    console.log(JSON.stringify({ bench: 'pool', run: 'serial', ms: Math.round(serialMs), calls: serial.calls, evalCalls: serial.evalCalls, dev: serial.dev, test: serial.test, generationMs: serial.genMs.map(Math.round) }));

    // pooled: `workers` threads, each with its own copy of the model and its own wasm backend
    t = performance.now();
    const pool = await createTeacherPool({ replicas: workerReplicas({ kind: 'local', checkpoint: ck.dir, options: { ...options, backend } }, workers) });
    await warm(pool, workers);
    const poolStartMs = performance.now() - t;
    t = performance.now();
    const pooled = await bbt(pool);
    const poolMs = performance.now() - t;
    const perReplica = pool.stats().map((s) => s.completed);
    await pool.close();
    console.error(`pool of ${workers}: ${Math.round(poolMs)} ms; calls per replica ${perReplica.join(', ')}`);
    console.log(JSON.stringify({ bench: 'pool', run: 'pool', ms: Math.round(poolMs), calls: pooled.calls, evalCalls: pooled.evalCalls, dev: pooled.dev, test: pooled.test, perReplica, generationMs: pooled.genMs.map(Math.round) }));

    const controlAfter = await parallelControl(workers);
    const sameBest =
      pooled.bestZ !== null &&
      serial.bestZ !== null &&
      pooled.bestZ.length === serial.bestZ.length &&
      pooled.bestZ.every((v, i) => v === serial.bestZ![i]) &&
      pooled.bestTrainFitness === serial.bestTrainFitness;
    console.log(
      JSON.stringify({
        bench: 'pool',
        workers,
        calls: pooled.calls + pooled.evalCalls,
        serial_ms: Math.round(serialMs),
        pool_ms: Math.round(poolMs),
        speedup: Math.round((serialMs / poolMs) * 100) / 100,
        same_best: sameBest,
        generations,
        pop_size: popSize,
        task: taskName,
        teacher: ck.source,
        backend,
        median_generation_ms: { serial: Math.round(median(serial.genMs)), pool: Math.round(median(pooled.genMs)) },
        median_generation_speedup: Math.round((median(serial.genMs) / median(pooled.genMs)) * 100) / 100,
        parallel_control: [controlBefore, controlAfter],
        serial_start_ms: Math.round(serialStartMs),
        pool_start_ms: Math.round(poolStartMs),
      }),
    );
  } finally {
    ck.cleanup();
  }
}
