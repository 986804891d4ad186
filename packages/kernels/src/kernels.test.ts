import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ADDON_PATH, installNativeKernels, loadAddon, nativeKernelsStatus, uninstallNativeKernels } from './index.js';

// The addon is built by `npm install` (scripts/build.mjs). Where a machine cannot build it, set
// GDFO_NATIVE_KERNELS=0 and this suite checks only that nothing changes; otherwise a missing build fails here.
const expectNative = process.env.GDFO_NATIVE_KERNELS !== '0';

beforeAll(async () => {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
});
afterEach(() => uninstallNativeKernels());

/** A deterministic float32 tensor (no tf.random: the same values with and without the native kernels). */
function filled(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    v[i] = x / 2147483648 - 0.5;
  }
  return tf.tensor(v, shape);
}

/** The product computed by the wasm backend's own kernel and by the native one. */
function both(aShape: number[], bShape: number[], ta = false, tb = false) {
  const a = filled(aShape, 1);
  const b = filled(bShape, 2);
  uninstallNativeKernels();
  const ref = tf.matMul(a, b, ta, tb);
  expect(installNativeKernels()).toBe(true);
  const before = nativeKernelsStatus().calls;
  const got = tf.matMul(a, b, ta, tb);
  return { ref, got, native: nativeKernelsStatus().calls - before };
}

const maxAbsDiff = (x: tf.Tensor, y: tf.Tensor) => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]!;

(expectNative ? describe : describe.skip)('native BatchMatMul on the wasm heap', () => {
  it('is built and loads', () => {
    expect(loadAddon()).not.toBeNull();
    expect(ADDON_PATH).toMatch(/gdfo_kernels\.node$/);
  });

  it('refuses bad calls to the addon in one line instead of reading outside the heap', () => {
    const addon = loadAddon()! as unknown as Record<'bmm' | 'gather', (...a: unknown[]) => unknown>;
    expect(() => addon.bmm(1)).toThrow('gdfo kernels: bmm takes 11 arguments');
    expect(() => addon.gather({}, 1, 2, 3, 4, 5, 6, 7)).toThrow("gdfo kernels: gather's first argument must be the heap's ArrayBuffer");
    expect(() => addon.bmm(new ArrayBuffer(8), 0, 0, 0, 'x', 1, 4, 4, 4, 0, 0)).toThrow("gdfo kernels: bmm's argument 4 must be a number");
    expect(() => addon.bmm(new ArrayBuffer(64), 0, 0, 0, 1, 1, 4, 4, 4, 0, 0)).not.toThrow(); // 4 × 4 floats fill 64 bytes exactly
    expect(() => addon.bmm(new ArrayBuffer(64), 0, 0, 0, 1, 1, 5, 5, 5, 0, 0)).toThrow('gdfo kernels: bmm operands fall outside the heap');
    expect(() => addon.gather(new ArrayBuffer(64), 0, 0, 0, 1, 4, 4, 8)).toThrow('gdfo kernels: gather operands fall outside the heap');
  });

  it.each([
    // attention shapes of the shipped teacher (scores, context) and student
    [[64, 48, 64], [64, 64, 48], false, false],
    [[64, 48, 48], [64, 48, 64], false, false],
    [[8, 29, 32], [8, 32, 29], false, false],
    // 2-D products of every remainder path (rows mod 4, columns mod 16 and 8)
    [[1536, 128], [128, 512], false, false],
    // the shipped teacher's FFN (B over 1 MB: several cache panels), and sums that continue across panels of
    // 256 products and columns, with every remainder path (16-, 8- and 1-wide columns, single rows)
    [[1536, 256], [256, 1024], false, false],
    [[1536, 1024], [1024, 256], false, false],
    [[37, 700], [700, 601], false, false],
    [[700, 37], [700, 601], true, false],
    [[37, 700], [601, 700], false, true],
    [[7, 13], [13, 23], false, false],
    [[5, 3], [3, 9], false, false],
    [[3, 1], [1, 1], false, false],
    // transposes
    [[9, 4], [6, 4], false, true],
    [[4, 9], [4, 6], true, false],
    [[4, 9], [6, 4], true, true],
    [[5, 3, 7], [5, 4, 3], true, true],
    // batch broadcast: one side a single matrix, leading ones, rank 4
    [[1, 6, 5], [3, 5, 2], false, false],
    [[3, 6, 5], [5, 2], false, false],
    [[2, 3, 6, 5], [2, 3, 5, 4], false, false],
  ] as [number[], number[], boolean, boolean][])('%j × %j (transposeA %s, transposeB %s) equals the wasm kernel', (aShape, bShape, ta, tb) => {
    const { ref, got, native } = both(aShape, bShape, ta, tb);
    expect(native).toBe(1);
    expect(got.shape).toEqual(ref.shape);
    // same products, summed in the same order; only FMA contraction may differ in the last bits
    expect(maxAbsDiff(got, ref)).toBeLessThan(1e-5 * Math.sqrt(aShape.at(ta ? -2 : -1)!));
  });

  it.each([
    [[2, 1, 4, 5], [1, 3, 5, 2], [1, 3, 1, 1], [2, 1, 1, 1]],
    // equal batch sizes that still broadcast: [1,6] with [6,1] is 36 products, not 6
    [[1, 6, 4, 5], [6, 1, 5, 2], [6, 1, 1, 1], [1, 6, 1, 1]],
  ] as number[][][])('broadcasts batches %j × %j on both sides like the wasm kernel does on tiled operands', (as, bs, ta, tb) => {
    const a = filled(as, 1);
    const b = filled(bs, 2);
    uninstallNativeKernels();
    const ref = tf.matMul(tf.tile(a, ta), tf.tile(b, tb));
    installNativeKernels();
    const before = nativeKernelsStatus().calls;
    const got = tf.matMul(a, b);
    expect(nativeKernelsStatus().calls - before).toBe(1);
    expect(got.shape).toEqual(ref.shape);
    expect(maxAbsDiff(got, ref)).toBeLessThan(1e-6);
  });

  it('hands empty operands and mismatched shapes to the wasm kernel', () => {
    const { ref, got, native } = both([0, 5], [5, 3]);
    expect(native).toBe(0);
    expect(got.shape).toEqual(ref.shape);
    installNativeKernels();
    expect(() => tf.matMul(filled([2, 3], 1), filled([4, 2], 2))).toThrow(/inner shapes \(3\) and \(4\)/);
  });

  it('computes gradients through it (the backward products are transposed products)', () => {
    const a = filled([4, 6, 5], 3);
    const b = filled([4, 5, 7], 4);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y)));
    uninstallNativeKernels();
    const [ga, gb] = tf.grads(f)([a, b]);
    installNativeKernels();
    const [na, nb] = tf.grads(f)([a, b]);
    expect(maxAbsDiff(na!, ga!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(nb!, gb!)).toBeLessThan(1e-5);
  });

  it.each([
    [[8192, 64], [5, 0, 8191, 5], 0],
    [[4, 6, 3], [2, 0, 2], 1],
    [[4, 6, 3], [[1, 0], [2, 2]], -1],
    [[7], [6, 0], 0],
  ] as [number[], number[] | number[][], number][])('gathers %j at %j on axis %i like the wasm kernel', (shape, index, axis) => {
    const x = filled(shape, 5);
    const idx = tf.tensor(index, undefined, 'int32');
    uninstallNativeKernels();
    const ref = tf.gather(x, idx, axis);
    installNativeKernels();
    const before = nativeKernelsStatus().calls;
    const got = tf.gather(x, idx, axis);
    expect(nativeKernelsStatus().calls - before).toBe(1);
    expect(got.shape).toEqual(ref.shape);
    expect(Array.from(got.dataSync())).toEqual(Array.from(ref.dataSync())); // copies: bit-identical
    const ints = tf.gather(tf.cast(tf.mul(x, 1000), 'int32'), idx, axis);
    expect(ints.dtype).toBe('int32');
  });

  it('refuses an out-of-range gather index in one line, as the wasm kernel does', () => {
    installNativeKernels();
    expect(() => tf.gather(filled([3, 2], 1), tf.tensor1d([0, 3], 'int32'))).toThrow('GatherV2: the index value 3 is not in [0, 2]');
    expect(() => tf.gather(filled([3, 2], 1), tf.tensor1d([-1], 'int32'))).toThrow('GatherV2: the index value -1 is not in [0, 2]');
  });

  it('uninstalls back to the wasm kernel', () => {
    installNativeKernels();
    uninstallNativeKernels();
    expect(nativeKernelsStatus()).toMatchObject({ installed: false });
    const before = nativeKernelsStatus().calls;
    tf.matMul(filled([3, 4, 5], 1), filled([3, 5, 2], 2)).dataSync();
    expect(nativeKernelsStatus().calls).toBe(before);
  });
});

describe('without the native kernels', () => {
  it('leaves (or puts back) the wasm kernels, which still compute', () => {
    uninstallNativeKernels();
    expect(nativeKernelsStatus().installed).toBe(false);
    const before = nativeKernelsStatus().calls;
    expect(Array.from(tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync())).toEqual([19, 22, 43, 50]);
    expect(nativeKernelsStatus().calls).toBe(before);
    if (!expectNative) expect(nativeKernelsStatus().reason).toBeTruthy(); // why they are not there
  });
});
