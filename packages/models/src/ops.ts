/**
 * Differentiable building blocks written for the tfjs wasm fast path: only plain 2-D `matMul` (no
 * transposeA/B, no batched matmul), explicit transposes, and custom gradients where tfjs's own would be slow
 * or missing on wasm (gather's gradient needs UnsortedSegmentSum, which wasm lacks).
 */
import * as tf from '@tensorflow/tfjs';

/** tf.customGrad with the gradient function's inputs typed as the tensors they are. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function custom(f: (...args: any[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
}

/** x [n, k] · w [k, m] with a gradient that uses explicit transposes. */
export const matmul2d: (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D = custom(
  (x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy as tf.Tensor2D)];
      },
    };
  },
) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** Rows of `table` [n, h] at `index` (flat row ids); the gradient scatter-adds in JavaScript. */
export function gatherRows(table: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  const [n, h] = table.shape;
  const f = custom((t: tf.Tensor) => {
    const idx = tf.tensor1d(index, 'int32');
    const value = tf.gather(t, idx);
    idx.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const out = new Float32Array(n * h);
        for (let r = 0; r < index.length; r++) {
          const src = r * h;
          const dst = index[r]! * h;
          for (let j = 0; j < h; j++) out[dst + j]! += g[src + j]!;
        }
        return tf.tensor2d(out, [n, h]);
      },
    };
  });
  return f(table) as tf.Tensor2D;
}

/** Splits a tensor holding `count` contiguous r×c blocks into 2-D tensors (one heap read, not count slices). */
function blocks(t: tf.Tensor, count: number, r: number, c: number): tf.Tensor2D[] {
  const d = t.dataSync() as Float32Array;
  const out: tf.Tensor2D[] = [];
  const size = r * c;
  for (let i = 0; i < count; i++) out.push(tf.tensor2d(d.subarray(i * size, (i + 1) * size), [r, c]));
  return out;
}

function pairwise(a: tf.Tensor2D[], b: tf.Tensor2D[]): tf.Tensor {
  const parts = a.map((x, i) => tf.matMul(x, b[i]!));
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}

/**
 * Below this many multiply-adds per (row, head) block (seq²·head width), one batched matmul beats per-block 2-D
 * matmuls on wasm (per-call overhead ≈ 0.1 ms against batched matmul's ≈ 3 GFLOP/s).
 */
export const ATTENTION_BLOCK_THRESHOLD = 300_000;

/** [n, r, k] × [n, k, c] → [n·r, c], by batched matmul (small blocks) or per-block 2-D matmuls (large). */
function bmm(a: tf.Tensor, b: tf.Tensor, n: number, r: number, k: number, c: number, batched: boolean): tf.Tensor {
  if (batched) return tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(a, [n, r, k]) as tf.Tensor3D, tf.reshape(b, [n, k, c]) as tf.Tensor3D), [n * r, c]));
  const ab = blocks(a, n, r, k);
  const bb = blocks(b, n, k, c);
  const out = pairwise(ab, bb);
  tf.dispose([ab, bb]);
  return out;
}

/**
 * Multi-head scaled dot-product attention core on [batch·seq, hidden] rows. `q` must already be scaled by
 * 1/√(head width). `keyMask` [batch, 1, seq] is additive (0 or a large negative number at padded keys).
 * Per (row, head) 2-D matmuls on blocks; softmax and its gradient are batched.
 */
export function attention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  batch: number,
  seq: number,
  heads: number,
  keyMask: tf.Tensor3D,
  impl: 'auto' | 'blocks' | 'batched' = 'auto',
): tf.Tensor2D {
  const hidden = q.shape[1];
  const dh = hidden / heads;
  const bh = batch * heads;
  const batched = impl === 'auto' ? seq * seq * dh < ATTENTION_BLOCK_THRESHOLD : impl === 'batched';
  const f = custom((qt: tf.Tensor, kt: tf.Tensor, vt: tf.Tensor, save: tf.GradSaveFunc) => {
    const toHeads = (x: tf.Tensor, perm: number[]) => tf.tidy(() => tf.transpose(tf.reshape(x, [batch, seq, heads, dh]), perm));
    const qh = toHeads(qt, [0, 2, 1, 3]); // [b,h,s,d]
    const kT = toHeads(kt, [0, 2, 3, 1]); // [b,h,d,s]
    const vh = toHeads(vt, [0, 2, 1, 3]); // [b,h,s,d]
    const scores = bmm(qh, kT, bh, seq, dh, seq, batched); // [bh·s, s]
    const p = tf.tidy(() => tf.reshape(tf.softmax(tf.add(tf.reshape(scores, [batch, heads * seq, seq]), keyMask)), [bh * seq, seq]));
    const ctx = bmm(p, vh, bh, seq, seq, dh, batched); // [bh·s, d]
    const value = tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(ctx, [batch, heads, seq, dh]), [0, 2, 1, 3]), [batch * seq, hidden]));
    save([qh, kT, vh, p]);
    tf.dispose([scores, ctx]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, skT, sv, sp] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const dyh = toHeads(dy, [0, 2, 1, 3]); // [b,h,s,d]
        const vT = tf.tidy(() => tf.transpose(sv, [0, 1, 3, 2])); // [b,h,d,s]
        const pT = tf.tidy(() => tf.transpose(tf.reshape(sp, [bh, seq, seq]), [0, 2, 1]));
        const dP = bmm(dyh, vT, bh, seq, dh, seq, batched); // [bh·s, s]
        const dV = bmm(pT, dyh, bh, seq, seq, dh, batched); // [bh·s, d]
        const dS = tf.tidy(() => {
          const pd = tf.mul(sp, dP);
          return tf.sub(pd, tf.mul(sp, tf.sum(pd, 1, true)));
        });
        const dST = tf.tidy(() => tf.transpose(tf.reshape(dS, [bh, seq, seq]), [0, 2, 1]));
        const kh = tf.tidy(() => tf.transpose(skT, [0, 1, 3, 2])); // [b,h,s,d]
        const dQ = bmm(dS, kh, bh, seq, seq, dh, batched);
        const dK = bmm(dST, sq, bh, seq, seq, dh, batched);
        const back = (x: tf.Tensor) => tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(x, [batch, heads, seq, dh]), [0, 2, 1, 3]), [batch * seq, hidden]));
        const out = [back(dQ), back(dK), back(dV)];
        tf.dispose([dyh, vT, pT, dP, dV, dS, dST, kh, dQ, dK]);
        return out;
      },
    };
  });
  return f(q, k, v) as tf.Tensor2D;
}

/** Layer normalisation over the last axis of [n, h]. */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor2D {
  return tf.tidy(() => {
    const mean = tf.mean(x, 1, true);
    const c = tf.sub(x, mean);
    const variance = tf.mean(tf.square(c), 1, true);
    return addRow(mulRow(tf.mul(c, tf.rsqrt(tf.add(variance, eps))) as tf.Tensor2D, gamma), beta);
  });
}

/** GELU, sigmoid approximation x·σ(1.702x). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** GELU, exact: x·Φ(x) = x·(1 + erf(x/√2))/2 (BERT's 'gelu'). */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

/** Column sums of [r, c] as a 2-D matmul (wasm's Sum over axis 0 is slow). */
function colSum(dy: tf.Tensor): tf.Tensor1D {
  const [r, c] = dy.shape as [number, number];
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, r]), dy as tf.Tensor2D), [c]));
}

/** x [r, c] + b [c] (broadcast over rows); b's gradient is a matmul with ones. */
export const addRow: (x: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D = custom((x: tf.Tensor, b: tf.Tensor) => ({
  value: tf.add(x, b),
  gradFunc: (dy: tf.Tensor) => [dy, colSum(dy)],
})) as unknown as (x: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** x [r, c] · g [c] (broadcast over rows); g's gradient is a matmul with ones. */
export const mulRow: (x: tf.Tensor2D, g: tf.Tensor1D) => tf.Tensor2D = custom((x: tf.Tensor, g: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, g]);
  return {
    value: tf.mul(x, g),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sg] = saved as [tf.Tensor, tf.Tensor];
      return [tf.mul(dy, sg), tf.tidy(() => colSum(tf.mul(dy, sx)))];
    },
  };
}) as unknown as (x: tf.Tensor2D, g: tf.Tensor1D) => tf.Tensor2D;
