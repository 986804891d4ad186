/**
 * `npm run bench -- kernels` (options: `--help`, or ../usage.ts)
 * @gdfo/kernels against the tfjs wasm backend's own kernels, in one process: GFLOP/s of the matrix products a
 * transformer forward pass makes (the shipped teacher's attention and dense shapes, and their transposed
 * gradient forms), the embedding gather, and one shipped-teacher forward over 32 examples of 48 positions,
 * each the best of `reps` alternating runs. Both sides must agree to float rounding (checked, printed).
 */
import * as tf from '@tensorflow/tfjs';
import { installNativeKernels, nativeKernelsStatus, uninstallNativeKernels } from '@gdfo/kernels';
import { initBackend, loadCheckpoint, shippedCheckpoint } from '@gdfo/models';
import { syntheticCall } from './teacher.js';
import { arg } from '../args.js';

/** Best wall time (ms) of `f` over `reps` runs on each side, alternating sides; and the two outputs. */
function duel(reps: number, f: () => tf.Tensor): { wasm: number; native: number; diff: number } {
  const best = { wasm: Infinity, native: Infinity };
  const out: Partial<Record<'wasm' | 'native', Float32Array>> = {};
  for (let r = 0; r < reps; r++) {
    for (const side of ['wasm', 'native'] as const) {
      if (side === 'native') installNativeKernels();
      else uninstallNativeKernels();
      const t0 = performance.now();
      const y = f();
      const v = y.dataSync() as Float32Array;
      best[side] = Math.min(best[side], performance.now() - t0);
      out[side] ??= Float32Array.from(v);
      y.dispose();
    }
  }
  uninstallNativeKernels();
  let diff = 0;
  for (let i = 0; i < out.wasm!.length; i++) diff = Math.max(diff, Math.abs(out.wasm![i]! - out.native![i]!));
  return { ...best, diff };
}

export async function run(args: string[]): Promise<void> {
  const backend = await initBackend({ prefer: 'wasm', nativeKernels: false });
  if (!installNativeKernels()) throw new Error(`bench kernels: the native kernels are not available: ${nativeKernelsStatus().reason}`);
  uninstallNativeKernels();
  const reps = Number(arg(args, 'reps', '20'));
  const products: [string, number[], number[], boolean, boolean][] = [
    ['attention scores', [64, 48, 64], [64, 64, 48], false, false],
    ['attention context', [64, 48, 48], [64, 48, 64], false, false],
    ['q/k/v/output projection', [1536, 128], [128, 128], false, false],
    ['FFN in', [1536, 128], [128, 512], false, false],
    ['FFN out', [1536, 512], [512, 128], false, false],
    ['weight gradient (transposeA)', [1536, 128], [1536, 512], true, false],
    ['input gradient (transposeB)', [1536, 512], [128, 512], false, true],
  ];
  const rows: Record<string, unknown>[] = [];
  for (const [name, as, bs, ta, tb] of products) {
    const a = tf.randomNormal(as, 0, 1, 'float32', 1);
    const b = tf.randomNormal(bs, 0, 1, 'float32', 2);
    const r = duel(reps, () => tf.matMul(a, b, ta, tb));
    const m = ta ? as.at(-1)! : as.at(-2)!;
    const k = ta ? as.at(-2)! : as.at(-1)!;
    const n = tb ? bs.at(-2)! : bs.at(-1)!;
    const batch = as.slice(0, -2).reduce((x, y) => x * y, 1);
    const gflop = (2 * batch * m * k * n) / 1e9;
    const row = { bench: 'kernels', op: 'matMul', name, a: as, b: bs, transposeA: ta, transposeB: tb, wasm_gflops: +(gflop / (r.wasm / 1000)).toFixed(1), native_gflops: +(gflop / (r.native / 1000)).toFixed(1), max_abs_diff: r.diff };
    console.log(JSON.stringify(row));
    rows.push(row);
    tf.dispose([a, b]);
  }
  const table = tf.randomNormal([8192, 128], 0, 1, 'float32', 3);
  const ids = tf.tensor1d(Int32Array.from({ length: 1536 }, (_, i) => (i * 7919) % 8192), 'int32');
  const g = duel(reps, () => tf.gather(table, ids));
  const gather = { bench: 'kernels', op: 'gather', name: 'embedding rows [8192,128] at 1536 ids', wasm_ms: +g.wasm.toFixed(3), native_ms: +g.native.toFixed(3), max_abs_diff: g.diff };
  console.log(JSON.stringify(gather));
  tf.dispose([table, ids]);

  // One shipped-teacher forward: 32 examples, [CLS] + 10 prompt positions + 35 text tokens + [MASK] [SEP].
  const { model } = loadCheckpoint(shippedCheckpoint('teacher'));
  const batch = 32;
  const L = 10;
  const { seq, call, dispose } = syntheticCall(model, batch, 37, L, 'bench-kernels-input');
  const f = duel(reps, () => tf.tidy(call));
  const forward = { wasm_ms: +f.wasm.toFixed(1), native_ms: +f.native.toFixed(1), speedup: +(f.wasm / f.native).toFixed(2), max_abs_diff: f.diff };
  console.log(
    JSON.stringify({
      bench: 'kernels',
      backend,
      reps,
      teacher_forward: { model: model.config.name, batch, seq, ...forward },
      matmul_gflops: Object.fromEntries(rows.map((r) => [r.name as string, { wasm: r.wasm_gflops, native: r.native_gflops }])),
      gather_ms: { wasm: gather.wasm_ms, native: gather.native_ms },
    }),
  );
  dispose();
  model.dispose();
}
