/**
 * Optional native CPU kernels for the tfjs wasm backend.
 *
 * tfjs-backend-wasm runs plain 2-D matrix products through XNNPACK (≈ 40 GFLOP/s here) but batched products
 * — every attention score and context product — and transposed operands through a scalar fallback at
 * ≈ 3 GFLOP/s, which made attention about 40 % of a forward pass. This package compiles (at install, with
 * node-gyp) a small register-blocked C kernel that computes float32 products directly on the wasm heap,
 * without copies — ≈ 40 GFLOP/s on every shape, above XNNPACK's plain 2-D ones too — and
 * `installNativeKernels` puts it in front of the wasm `BatchMatMul` kernel, for every float32 product
 * (batches broadcast on both sides too, which the wasm kernel reads out of bounds); other dtypes and empty
 * operands fall through to the original kernel. Where the addon did not build, nothing changes.
 *
 * Results differ from the wasm kernel's only by float rounding (summation order).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Addon {
  bmm(heap: ArrayBuffer, aOff: number, bOff: number, cOff: number, batchA: number, batchB: number, m: number, k: number, n: number, ta: number, tb: number): void;
  /** -1, or the position of the first index outside [0, dim). */
  gather(heap: ArrayBuffer, xOff: number, idxOff: number, outOff: number, outer: number, dim: number, slice: number, count: number): number;
}

/** The wasm backend's parts this kernel touches (public members of tfjs-backend-wasm 4.x's BackendWasm). */
interface WasmBackendLike {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** Where the compiled addon lives (node-gyp's output, relative to this package). */
export const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'Release', 'gdfo_kernels.node');

let addon: Addon | null | undefined;
let loadError = '';

/** The addon, or null when it did not build (see `nativeKernelsStatus`). */
export function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  if (!existsSync(ADDON_PATH)) {
    loadError = `not built (${ADDON_PATH} is missing; reinstall with a C compiler, or run "npm rebuild @gdfo/kernels")`;
    return (addon = null);
  }
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (e) {
    loadError = `failed to load: ${(e as Error).message.split('\n')[0]}`;
    addon = null;
  }
  return addon;
}

let installed: { matmul: tf.KernelConfig; gather: tf.KernelConfig } | undefined;
let nativeCalls = 0;

export interface NativeKernelsStatus {
  /** The native BatchMatMul and GatherV2 are registered for the wasm backend. */
  readonly installed: boolean;
  /** Why not, when not. */
  readonly reason?: string;
  /** Products and gathers computed natively since loading. */
  readonly calls: number;
}

export function nativeKernelsStatus(): NativeKernelsStatus {
  if (installed) return { installed: true, calls: nativeCalls };
  return { installed: false, reason: loadError || 'not installed', calls: nativeCalls };
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The broadcast of two batch shapes (right-aligned, numpy rules), or null when they do not broadcast. */
function broadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const out: number[] = [];
  for (let i = 1; i <= Math.max(a.length, b.length); i++) {
    const x = a[a.length - i] ?? 1;
    const y = b[b.length - i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.unshift(Math.max(x, y));
  }
  return out;
}

/**
 * Registers the native BatchMatMul and GatherV2 (whole-slice copies instead of the wasm kernel's
 * per-element loop) in front of the wasm backend's; returns whether they are in place. Call
 * after the wasm backend is initialised (`tf.setBackend('wasm')`). Idempotent; `uninstallNativeKernels`
 * restores the original.
 */
export function installNativeKernels(): boolean {
  if (installed) return true;
  const native = loadAddon();
  if (!native) return false;
  const original = tf.getKernel(tf.BatchMatMul, 'wasm');
  const originalGather = tf.getKernel(tf.GatherV2, 'wasm');
  if (!original || !originalGather) {
    loadError = 'the wasm backend is not registered';
    return false;
  }
  const fallback = original.kernelFunc;
  const matmul: tf.KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const aOuter = a.shape.slice(0, -2);
    const bOuter = b.shape.slice(0, -2);
    const batchA = size(aOuter);
    const batchB = size(bOuter);
    const outer = broadcast(aOuter, bOuter);
    if (outer === null || size(a.shape) === 0 || size(b.shape) === 0 || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
      return fallback(args); // incompatible or empty operands: the original kernel and its messages
    }
    const ar = a.shape.length;
    const br = b.shape.length;
    const m = transposeA ? a.shape[ar - 1]! : a.shape[ar - 2]!;
    const k = transposeA ? a.shape[ar - 2]! : a.shape[ar - 1]!;
    const kb = transposeB ? b.shape[br - 1]! : b.shape[br - 2]!;
    const n = transposeB ? b.shape[br - 2]! : b.shape[br - 1]!;
    if (k !== kb) return fallback(args); // the original kernel raises tfjs's own message
    const backend = args.backend as unknown as WasmBackendLike;
    const out = backend.makeOutput([...outer, m, n], 'float32');
    const off = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    // makeOutput may have grown the heap: read its buffer afterwards.
    const heap = backend.wasm.HEAPU8.buffer as ArrayBuffer;
    const [ao, bo, co] = [off(a), off(b), off(out)];
    if (size(outer) === Math.max(batchA, batchB) && (batchA === batchB || batchA === 1 || batchB === 1)) {
      // no side is expanded but by a single matrix: equal batches in the same layout (leading ones aside)
      native.bmm(heap, ao, bo, co, batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0);
    } else {
      // batches broadcast on both sides ([2,1] with [1,3], [1,6] with [6,1]): one product per output matrix
      const batch = size(outer);
      const index = (dims: readonly number[], flat: number) => {
        let i = 0;
        let stride = 1;
        let rest = flat;
        const pad = outer.length - dims.length;
        const coords: number[] = [];
        for (let d = outer.length - 1; d >= 0; d--) {
          coords[d] = rest % outer[d]!;
          rest = Math.floor(rest / outer[d]!);
        }
        for (let d = dims.length - 1; d >= 0; d--) {
          i += (dims[d] === 1 ? 0 : coords[d + pad]!) * stride;
          stride *= dims[d]!;
        }
        return i;
      };
      for (let t = 0; t < batch; t++) {
        native.bmm(heap, ao + 4 * index(aOuter, t) * m * k, bo + 4 * index(bOuter, t) * k * n, co + 4 * t * m * n, 1, 1, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0);
      }
    }
    nativeCalls++;
    return out;
  };
  const gather: tf.KernelFunc = (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    const rank = x.shape.length;
    const ax = axis < 0 ? axis + rank : axis;
    if (batchDims !== 0 || indices.dtype !== 'int32' || (x.dtype !== 'float32' && x.dtype !== 'int32') || !(ax >= 0 && ax < rank) || size(x.shape) === 0) {
      return originalGather.kernelFunc(args);
    }
    const backend = args.backend as unknown as WasmBackendLike;
    const dim = x.shape[ax]!;
    const count = size(indices.shape);
    const out = backend.makeOutput([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
    const off = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    const bad = native.gather(backend.wasm.HEAPU8.buffer as ArrayBuffer, off(x), off(indices), off(out), size(x.shape.slice(0, ax)), dim, size(x.shape.slice(ax + 1)), count);
    if (bad >= 0) {
      const value = new Int32Array(backend.wasm.HEAPU8.buffer, off(indices) + 4 * bad, 1)[0];
      (args.backend as unknown as { disposeData(id: object): void }).disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${value} is not in [0, ${dim - 1}]`);
    }
    nativeCalls++;
    return out;
  };
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: matmul });
  tf.unregisterKernel(tf.GatherV2, 'wasm');
  tf.registerKernel({ ...originalGather, kernelFunc: gather });
  installed = { matmul: original, gather: originalGather };
  return true;
}

/** Puts the wasm backend's own BatchMatMul and GatherV2 back. */
export function uninstallNativeKernels(): void {
  if (!installed) return;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(installed.matmul);
  tf.unregisterKernel(tf.GatherV2, 'wasm');
  tf.registerKernel(installed.gather);
  installed = undefined;
}
