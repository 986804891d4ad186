/**
 * `npm run bench -- teacher [--backend wasm] [--checkpoint DIR] [--calls 10] [--batch 32] [--text 64] [--prompt 50]`
 * One teacher call = forward over `batch` examples of `text` tokens (with [MASK] and [SEP]) after [CLS] and a
 * `prompt`-token continuous prompt ('add' mode), returning the verbalizer logits at the mask. Compares the
 * effective GFLOP/s with numpy's fp32 matmul (Debian python3-numpy via /usr/bin/python3) in the same run.
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@gdfo/core';
import { CLS_ID, MASK_ID, MODEL_PRESETS, MaskedLM, SEP_ID, currentKernels, initBackend, initWeights, loadCheckpoint, shippedCheckpoint, type ModelConfig } from '@gdfo/models';
import { arg } from '../args.js';

/** Multiply-add FLOPs (2 per MAC) of one call, counting what the model computes (last layer only at the mask). */
export function teacherFlops(c: ModelConfig, batch: number, seq: number, classes: number): number {
  const N = batch * seq;
  const H = c.hidden;
  const F = c.ffn;
  let f = 0;
  for (let l = 0; l < c.layers; l++) {
    const rows = l === c.layers - 1 ? batch : N;
    f += 2 * N * H * H * 3; // q, k, v
    f += 2 * 2 * batch * seq * seq * H; // scores and context
    f += 2 * rows * H * H + 2 * 2 * rows * H * F; // output projection and FFN
  }
  return f + 2 * batch * H * classes;
}

/** numpy fp32 1024² matmul GFLOP/s, best of 7; `threads` sets OPENBLAS_NUM_THREADS (undefined: BLAS default). */
function numpyGflops(threads?: number): { gflops: number | null; threads: string } {
  const code = [
    'import numpy as np, time, os',
    'n = 1024',
    'a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)',
    'a @ b',
    'best = 1e9',
    'for _ in range(7):',
    '    t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)',
    'print(2 * n ** 3 / best / 1e9)',
  ].join('\n');
  const env = { ...process.env };
  if (threads !== undefined) env.OPENBLAS_NUM_THREADS = env.OMP_NUM_THREADS = String(threads);
  const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', env });
  if (r.status !== 0) {
    console.error(`numpy reference unavailable (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}); install it with: apt-get install -y python3-numpy`);
    return { gflops: null, threads: 'n/a' };
  }
  return { gflops: Number(r.stdout.trim()), threads: threads === undefined ? 'default' : String(threads) };
}

/**
 * One teacher call on synthetic input: `batch` rows of [CLS] · L fixed prompt tokens · `text` tokens (seeded
 * random ids, [MASK] and [SEP] last), with a small random 'add' prompt; `call` returns the two verbalizer
 * logits at the mask (inside tf.tidy or disposed by the caller).
 */
export function syntheticCall(model: MaskedLM, batch: number, text: number, L: number, seed: string): { seq: number; classes: number; call: () => tf.Tensor; dispose: () => void } {
  const c = model.config;
  const seq = 1 + L + text;
  if (seq > c.maxPositions) throw new Error(`bench teacher: ${seq} positions exceed the model's ${c.maxPositions}`);
  const rng = createRng(seed);
  const ids = new Int32Array(batch * seq);
  const maskRows = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const o = b * seq;
    ids[o] = CLS_ID;
    for (let i = 0; i < L; i++) ids[o + 1 + i] = 1000 + i;
    for (let i = 0; i < text - 2; i++) ids[o + 1 + L + i] = 5 + rng.int(c.vocabSize - 5);
    ids[o + seq - 2] = MASK_ID;
    ids[o + seq - 1] = SEP_ID;
    maskRows[b] = o + seq - 2;
  }
  const enc = { ids, batch, seq, lengths: new Int32Array(batch).fill(seq) };
  const verb = Int32Array.from([1500, 1501]);
  const prompt = tf.randomNormal([L, c.hidden], 0, 0.05, 'float32', 1);
  const call = () => model.logitsFor(model.forward(enc, { outRows: maskRows, prompt: { shallow: prompt, mode: 'add', start: 1, length: L } }), verb);
  return { seq, classes: verb.length, call, dispose: () => prompt.dispose() };
}

export async function run(args: string[]): Promise<void> {
  const backend = await initBackend({ prefer: arg(args, 'backend', process.env.GDFO_BACKEND ?? 'wasm') });
  const batch = Number(arg(args, 'batch', '32'));
  const text = Number(arg(args, 'text', '64'));
  const L = Number(arg(args, 'prompt', '50'));
  const calls = Number(arg(args, 'calls', '10'));
  let model: MaskedLM;
  let source: string;
  const ck = arg(args, 'checkpoint', '');
  try {
    const dir = ck || shippedCheckpoint('teacher');
    model = loadCheckpoint(dir).model;
    source = dir;
  } catch (e) {
    if (ck) throw e;
    const rng = createRng('bench-teacher');
    model = new MaskedLM(MODEL_PRESETS.teacher, initWeights(MODEL_PRESETS.teacher, () => rng.gaussian()));
    source = 'random init (teacher preset)';
  }
  const c = model.config;
  const { seq, classes, call: run, dispose } = syntheticCall(model, batch, text, L, 'bench-teacher-input');
  const call = () => tf.tidy(() => run().dataSync());
  call();
  call();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    call();
    times.push(performance.now() - t0);
    console.error(`call ${i + 1}/${calls}: ${times[i]!.toFixed(1)} ms`);
  }
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)]!;
  const flops = teacherFlops(c, batch, seq, classes);
  const eff = flops / (ms / 1000) / 1e9;
  // tfjs wasm runs on one thread (threads off), so the primary reference is single-threaded BLAS.
  const np = numpyGflops(backend === 'wasm' || backend === 'cpu' ? 1 : undefined);
  const npAll = numpyGflops();
  console.error(`model ${c.name} from ${source}: ${c.layers} layers, hidden ${c.hidden}, ffn ${c.ffn}; ${(flops / 1e9).toFixed(2)} GFLOP per call; median of ${calls}`);
  console.log(
    JSON.stringify({
      bench: 'teacher',
      backend,
      kernels: currentKernels().native ? 'native' : backend,
      batch,
      seq,
      ms_per_call: Number(ms.toFixed(1)),
      effective_gflops: Number(eff.toFixed(2)),
      numpy_matmul_gflops: np.gflops === null ? null : Number(np.gflops.toFixed(2)),
      ratio: np.gflops === null ? null : Number((eff / np.gflops).toFixed(3)),
      model: c.name,
      min_ms: Number(times[0]!.toFixed(1)),
      numpy_threads: np.threads,
      numpy_matmul_gflops_all_threads: npAll.gflops === null ? null : Number(npAll.gflops.toFixed(2)),
    }),
  );
  dispose();
  model.dispose();
}
