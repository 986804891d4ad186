import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@gdfo/core';
import { nativeKernelsStatus } from '@gdfo/kernels';
import { currentKernels, initBackend } from './backend.js';
import { MaskedLM, initWeights, type ModelConfig, type EncodedBatch, type PromptInjection } from './model.js';
import { attention } from './ops.js';
import { loadCheckpoint, roundWeightsToHalf, saveCheckpoint } from './checkpoint.js';
import { defaultPromptTokens } from './loaded.js';
import { SPECIAL_TOKENS, WordPieceTokenizer } from './tokenizer.js';

const cfg: ModelConfig = { name: 'tiny', vocabSize: 40, hidden: 8, layers: 2, heads: 2, ffn: 16, maxPositions: 16 };
let backend = '';
let model: MaskedLM;

beforeAll(async () => {
  backend = await initBackend({ prefer: 'wasm' });
  const rng = createRng('model-test');
  // larger init than 0.02 so that the tiny model's outputs depend visibly on every input
  model = new MaskedLM(cfg, initWeights(cfg, () => rng.gaussian() * 10));
});
afterAll(() => model.dispose());

function batchOf(rows: number[][], seq: number): EncodedBatch {
  const ids = new Int32Array(rows.length * seq);
  rows.forEach((r, b) => r.forEach((t, i) => (ids[b * seq + i] = t)));
  return { ids, batch: rows.length, seq, lengths: Int32Array.from(rows.map((r) => r.length)) };
}

const rowA = [2, 10, 11, 12, 13, 4, 3];
const rowB = [2, 20, 21, 22, 4, 3];

test('runs on the wasm backend under jest', () => {
  expect(backend).toBe('wasm');
  expect(tf.getBackend()).toBe('wasm');
});

test('initBackend installs the native kernels unless told not to, and takes them out again when told', async () => {
  const native = process.env.GDFO_NATIVE_KERNELS !== '0';
  expect(currentKernels().native).toBe(native); // @gdfo/kernels is built by npm install (see its README)
  const a = tf.tensor3d(Array.from({ length: 24 }, (_, i) => i / 7), [2, 3, 4]);
  const b = tf.tensor3d(Array.from({ length: 40 }, (_, i) => 1 - i / 11), [2, 4, 5]);
  const withNative = tf.matMul(a, b).dataSync();
  await initBackend({ prefer: 'wasm', nativeKernels: false });
  expect(currentKernels()).toEqual({ native: false, reason: 'disabled (GDFO_NATIVE_KERNELS=0 or nativeKernels: false)' });
  expect(nativeKernelsStatus().installed).toBe(false);
  const without = tf.matMul(a, b).dataSync();
  Array.from(without).forEach((v, i) => expect(v).toBeCloseTo(withNative[i]!, 5));
  await initBackend({ prefer: 'wasm' });
  expect(currentKernels().native).toBe(native);
  expect(nativeKernelsStatus().installed).toBe(native);
  tf.dispose([a, b]);
});

test('shallow add/cat injection lands exactly at the prompt positions', () => {
  const b = batchOf([rowA, rowB], 7);
  const p = tf.tensor2d(Array.from({ length: 2 * 8 }, (_, i) => (i % 5) - 2), [2, 8]);
  const emb = (prompt?: PromptInjection) => {
    let h0: Float32Array = new Float32Array();
    tf.tidy(() => {
      model.forward(b, { prompt, onHidden: (l, x) => { if (l === 0) h0 = x.dataSync() as Float32Array; } });
    });
    return h0;
  };
  const base = emb();
  const add = emb({ shallow: p, start: 1, length: 2, mode: 'add' });
  const cat = emb({ shallow: p, start: 1, length: 2, mode: 'cat' });
  const pv = p.dataSync();
  const tok = model.w('tok_emb').dataSync();
  for (let row = 0; row < 2; row++) {
    for (let s = 0; s < 7; s++) {
      for (let j = 0; j < 8; j++) {
        const k = (row * 7 + s) * 8 + j;
        const inPrompt = s === 1 || s === 2;
        const promptVal = inPrompt ? pv[(s - 1) * 8 + j]! : 0;
        expect(add[k]).toBeCloseTo(base[k]! + promptVal, 5);
        const id = b.ids[row * 7 + s]!;
        const catExpected = inPrompt ? base[k]! - tok[id * 8 + j]! + promptVal : base[k]!;
        expect(cat[k]).toBeCloseTo(catExpected, 4);
      }
    }
  }
  p.dispose();
});

test('per-row prompts equal a shared prompt when the rows are equal; outRows selects rows', () => {
  const b = batchOf([rowA, rowB], 7);
  const shared = tf.randomNormal([2, 8], 0, 1, 'float32', 7) as tf.Tensor2D;
  const perRow = tf.stack([shared, shared]);
  const outRows = Int32Array.from([5, 7 + 4]);
  const [a, c, all] = tf.tidy(() => [
    model.forward(b, { outRows, prompt: { shallow: shared, start: 1, length: 2 } }).dataSync(),
    model.forward(b, { outRows, prompt: { shallow: perRow, start: 1, length: 2 } }).dataSync(),
    model.forward(b, { prompt: { shallow: shared, start: 1, length: 2 } }).dataSync(),
  ]);
  expect(Array.from(c)).toEqual(Array.from(a));
  expect(a.length).toBe(2 * 8);
  for (let j = 0; j < 8; j++) {
    expect(a[j]).toBeCloseTo(all[5 * 8 + j]!, 4);
    expect(a[8 + j]).toBeCloseTo(all[11 * 8 + j]!, 4);
  }
  tf.dispose([shared, perRow]);
});

test('padding is masked: extra padding does not change a row', () => {
  const short = tf.tidy(() => model.forward(batchOf([rowB], 6), { outRows: Int32Array.from([4]) }).dataSync());
  const padded = tf.tidy(() => model.forward(batchOf([rowB], 11), { outRows: Int32Array.from([4]) }).dataSync());
  for (let j = 0; j < 8; j++) expect(padded[j]).toBeCloseTo(short[j]!, 4);
});

test('a deep prompt of zeros leaves logits equal to no prompt; a non-zero one changes them', () => {
  const b = batchOf([rowA, rowB], 7);
  const outRows = Int32Array.from([5, 11]);
  const ids = Int32Array.from([30, 31, 32]);
  const none = tf.tidy(() => model.logitsFor(model.forward(b, { outRows }), ids).dataSync());
  const zeros = tf.tidy(() => model.logitsFor(model.forward(b, { outRows, prompt: { deep: tf.zeros([2, 2, 8]), start: 1, length: 2 } }), ids).dataSync());
  const ones = tf.tidy(() => model.logitsFor(model.forward(b, { outRows, prompt: { deep: tf.randomNormal([2, 2, 8], 0, 1, 'float32', 3), start: 1, length: 2 } }), ids).dataSync());
  expect(Array.from(zeros)).toEqual(Array.from(none));
  expect(Math.max(...Array.from(ones).map((v, i) => Math.abs(v - none[i]!)))).toBeGreaterThan(1e-3);
});

test.each(['blocks', 'batched'] as const)('attention (%s) and its gradient equal the autodiff of a batched reference', (impl) => {
  const B = 2, S = 5, H = 8, h = 2, dh = 4;
  const q = tf.randomNormal([B * S, H], 0, 1, 'float32', 1) as tf.Tensor2D;
  const k = tf.randomNormal([B * S, H], 0, 1, 'float32', 2) as tf.Tensor2D;
  const v = tf.randomNormal([B * S, H], 0, 1, 'float32', 3) as tf.Tensor2D;
  const w = tf.randomNormal([B * S, H], 0, 1, 'float32', 4);
  const mask = tf.tensor3d([0, 0, 0, 0, -1e9, 0, 0, 0, 0, 0], [B, 1, S]);
  const ours = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attention(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, B, S, h, mask, impl), w));
  const ref = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
    const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [B, S, h, dh]), [0, 2, 1, 3]);
    const sc = tf.add(tf.matMul(heads(a), heads(b), false, true), tf.expandDims(mask, 1));
    const o = tf.matMul(tf.softmax(sc), heads(c));
    return tf.sum(tf.mul(tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B * S, H]), w));
  };
  const g1 = tf.grads(ours)([q, k, v]).map((t) => Array.from(t.dataSync()));
  const g2 = tf.grads(ref)([q, k, v]).map((t) => Array.from(t.dataSync()));
  expect(ours(q, k, v).dataSync()[0]).toBeCloseTo(ref(q, k, v).dataSync()[0]!, 4);
  for (let i = 0; i < 3; i++) g1[i]!.forEach((x, j) => expect(x).toBeCloseTo(g2[i]![j]!, 4));
});

test('gradients with respect to shallow and deep prompts match finite differences', () => {
  const b = batchOf([rowA, rowB], 7);
  const outRows = Int32Array.from([5, 11]);
  const ids = Int32Array.from([30, 31]);
  const f = (shallow: tf.Tensor, deep: tf.Tensor) =>
    tf.sum(tf.mul(model.logitsFor(model.forward(b, { outRows, prompt: { shallow, deep, start: 1, length: 2, mode: 'add' } }), ids), tf.tensor2d([1, -2, 0.5, 1], [2, 2])));
  const s0 = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));
  const d0 = Float32Array.from({ length: 32 }, (_, i) => Math.cos(i) * 0.5);
  const [gs, gd] = tf.tidy(() => tf.grads(f)([tf.tensor2d(s0, [2, 8]), tf.tensor3d(d0, [2, 2, 8])]).map((t) => t.dataSync()));
  const value = (s: Float32Array, d: Float32Array) => tf.tidy(() => f(tf.tensor2d(s, [2, 8]), tf.tensor3d(d, [2, 2, 8])).dataSync()[0]!);
  const eps = 1e-2;
  for (const i of [0, 5, 9, 15]) {
    const sp = s0.slice(), sm = s0.slice();
    sp[i]! += eps; sm[i]! -= eps;
    const fd = (value(sp, d0) - value(sm, d0)) / (2 * eps);
    expect(Math.abs(fd - gs![i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
  }
  for (const i of [1, 12, 20, 31]) {
    const dp = d0.slice(), dm = d0.slice();
    dp[i]! += eps; dm[i]! -= eps;
    const fd = (value(s0, dp) - value(s0, dm)) / (2 * eps);
    expect(Math.abs(fd - gd![i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
  }
  // the gradient is not trivially zero
  expect(Math.max(...Array.from(gs!).map(Math.abs))).toBeGreaterThan(1e-3);
});

test('checkpoint save/load round-trips logits exactly (float32 and float16)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdfo-ckpt-'));
  try {
    const vocab = [...SPECIAL_TOKENS, ...Array.from({ length: 35 }, (_, i) => `w${i}`)];
    const tokenizer = new WordPieceTokenizer(vocab);
    const b = batchOf([rowA, rowB], 7);
    const outRows = Int32Array.from([5, 11]);
    const logits = (m: MaskedLM) => Array.from(tf.tidy(() => m.vocabLogits(m.forward(b, { outRows })).dataSync()));
    saveCheckpoint(join(dir, 'f32'), { model, tokenizer, promptTokens: defaultPromptTokens(40, 4) });
    const back = loadCheckpoint(join(dir, 'f32'));
    expect(logits(back.model)).toEqual(logits(model));
    expect((back.tokenizer as WordPieceTokenizer).vocab).toEqual(vocab);
    expect(back.promptTokens).toEqual([36, 37, 38, 39]);
    roundWeightsToHalf(back.model);
    saveCheckpoint(join(dir, 'f16'), { model: back.model, tokenizer, promptTokens: [5] }, { dtype: 'float16' });
    const half = loadCheckpoint(join(dir, 'f16'));
    expect(logits(half.model)).toEqual(logits(back.model));
    back.model.dispose();
    half.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('MLM loss gradients w.r.t. the weights match finite differences', async () => {
  const { mlmLoss, makeMlmBatch } = await import('./pretrain.js');
  const rng = createRng('weight-grad');
  const w = initWeights(cfg, () => rng.gaussian() * 3);
  const vars = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, tf.variable(t)]));
  const m = new MaskedLM(cfg, vars);
  const stream = Int32Array.from({ length: 200 }, (_, i) => 5 + ((i * 7) % 35));
  const b = makeMlmBatch(stream, 40, 3, 12, 'grad-test');
  expect(b.rows.length).toBeGreaterThan(0);
  const lossAt = () => tf.tidy(() => mlmLoss(m, b).loss.dataSync()[0]!);
  const names = ['tok_emb', 'pos_emb', 'l0.ln1.g', 'l0.wq', 'l0.bk', 'l1.w1', 'l1.b2', 'lnf.b', 'mlm_bias'];
  const { grads } = tf.variableGrads(() => mlmLoss(m, b).loss, names.map((n) => vars[n]!));
  for (const n of names) {
    const v = vars[n]!;
    const g = grads[v.name]!.dataSync();
    const flat = Float32Array.from(v.dataSync());
    // the entry with the largest gradient and one fixed entry
    let arg = 0;
    for (let i = 0; i < g.length; i++) if (Math.abs(g[i]!) > Math.abs(g[arg]!)) arg = i;
    for (const i of [arg, Math.floor(g.length / 3)]) {
      const eps = 1e-2;
      const at = (x: number) => {
        const c = flat.slice();
        c[i] = x;
        v.assign(tf.tensor(c, v.shape));
        return lossAt();
      };
      const fd = (at(flat[i]! + eps) - at(flat[i]! - eps)) / (2 * eps);
      at(flat[i]!);
      expect(Math.abs(fd - g[i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)) + 2e-3);
    }
  }
  tf.dispose([...Object.values(vars), ...Object.values(grads)]);
});
