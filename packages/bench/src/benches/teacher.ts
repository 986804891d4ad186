/**
 * `npm run bench -- teacher` (options: `--help`, or ../usage.ts)
 * One teacher call = forward over `batch` examples of `text` tokens (with [MASK] and [SEP]) after [CLS] and a
 * `prompt`-token continuous prompt ('add' mode), returning the verbalizer logits at the mask: by default 48
 * positions, the few-shot benchmark's setting, on the shipped teacher mlm-4x256. Compares the effective GFLOP/s
 * with numpy's fp32 matmul (Debian python3-numpy via /usr/bin/python3) and times the very same forward pass in
 * PyTorch on CPU (Debian python3-torch, `python/torch_forward.py`), checking that both give the same logits.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@gdfo/core';
import { MODEL_PRESETS, MaskedLM, archOf, currentKernels, initBackend, initWeights, loadCheckpoint, shippedCheckpoint, type ModelConfig, type SpecialIds } from '@gdfo/models';
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
  if (archOf(c) === 'bert') f += 2 * batch * H * H; // the MLM head's transform at the mask rows
  return f + 2 * batch * H * classes;
}

const BERT_SPECIALS: SpecialIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };

interface TorchResult {
  readonly torch: string;
  readonly threads: number;
  readonly ms: number;
  readonly min_ms: number;
  readonly logits: number[];
}

/** Times the same forward pass in PyTorch (CPU); null (with the reason on stderr) when torch is unavailable. */
function torchForward(request: Record<string, unknown>): TorchResult | null {
  const script = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'python', 'torch_forward.py');
  const r = spawnSync('/usr/bin/python3', [script], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    console.error(`PyTorch reference unavailable (${(r.stderr || r.error?.message || '').trim().split('\n').pop()}); install it with: apt-get install -y python3-torch python3-numpy`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
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
export interface SyntheticCall {
  readonly seq: number;
  readonly classes: number;
  readonly call: () => tf.Tensor;
  readonly dispose: () => void;
  /** The inputs, for replaying the call elsewhere (the PyTorch reference). */
  readonly inputs: { ids: Int32Array; lengths: Int32Array; maskRows: Int32Array; verb: Int32Array; prompt: Float32Array };
}

export function syntheticCall(model: MaskedLM, batch: number, text: number, L: number, seed: string, specials: SpecialIds = BERT_SPECIALS): SyntheticCall {
  const c = model.config;
  const seq = 1 + L + text;
  if (seq > c.maxPositions) throw new Error(`bench teacher: ${seq} positions exceed the model's ${c.maxPositions}`);
  const rng = createRng(seed);
  const ids = new Int32Array(batch * seq);
  const maskRows = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const o = b * seq;
    ids[o] = specials.cls;
    for (let i = 0; i < L; i++) ids[o + 1 + i] = 1000 + i;
    for (let i = 0; i < text - 2; i++) ids[o + 1 + L + i] = 5 + rng.int(c.vocabSize - 5);
    ids[o + seq - 2] = specials.mask;
    ids[o + seq - 1] = specials.sep;
    maskRows[b] = o + seq - 2;
  }
  const enc = { ids, batch, seq, lengths: new Int32Array(batch).fill(seq) };
  const verb = Int32Array.from([1500, 1501]);
  const prompt = tf.randomNormal([L, c.hidden], 0, 0.05, 'float32', 1);
  const call = () => model.logitsFor(model.forward(enc, { outRows: maskRows, prompt: { shallow: prompt, mode: 'add', start: 1, length: L } }), verb);
  const inputs = { ids, lengths: enc.lengths, maskRows, verb, prompt: prompt.dataSync() as Float32Array };
  return { seq, classes: verb.length, call, dispose: () => prompt.dispose(), inputs };
}

export async function run(args: string[]): Promise<void> {
  const backend = await initBackend({ prefer: arg(args, 'backend', process.env.GDFO_BACKEND ?? 'wasm') });
  const batch = Number(arg(args, 'batch', '32'));
  const text = Number(arg(args, 'text', '37'));
  const L = Number(arg(args, 'prompt', '10'));
  const torchThreads = Number(arg(args, 'torch-threads', '2'));
  const calls = Number(arg(args, 'calls', '10'));
  let model: MaskedLM;
  let source: string;
  let specials = BERT_SPECIALS;
  const ck = arg(args, 'checkpoint', '');
  try {
    const dir = ck || shippedCheckpoint('teacher');
    const loaded = loadCheckpoint(dir);
    model = loaded.model;
    specials = loaded.tokenizer.specials;
    source = dir;
  } catch (e) {
    if (ck) throw e;
    const rng = createRng('bench-teacher');
    model = new MaskedLM(MODEL_PRESETS.teacher, initWeights(MODEL_PRESETS.teacher, () => rng.gaussian()));
    source = 'random init (teacher preset)';
  }
  const c = model.config;
  const { seq, classes, call: run, dispose, inputs } = syntheticCall(model, batch, text, L, 'bench-teacher-input', specials);
  const call = () => tf.tidy(() => run().dataSync() as Float32Array);
  const ours = call();
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
  const torch =
    existsSync(join(source, 'model.safetensors')) && archOf(c) === 'bert'
      ? torchForward({ dir: source, ids: Array.from(inputs.ids), batch, seq, lengths: Array.from(inputs.lengths), promptLength: L, prompt: Array.from(inputs.prompt), maskRows: Array.from(inputs.maskRows), verb: Array.from(inputs.verb), calls, threads: torchThreads })
      : null;
  const torchDiff = torch ? Math.max(...torch.logits.map((v, i) => Math.abs(v - ours[i]!))) : null;
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
      torch_ms: torch ? Number(torch.ms.toFixed(1)) : null,
      vs_torch: torch ? Number((ms / torch.ms).toFixed(3)) : null,
      torch_threads: torch?.threads ?? null,
      torch_version: torch?.torch ?? null,
      torch_max_abs_logit_diff: torchDiff === null ? null : Number(torchDiff.toExponential(2)),
      same_logits: torchDiff === null ? null : torchDiff < 1e-3,
    }),
  );
  dispose();
  model.dispose();
}
