/**
 * tfjs backend selection. Order: tfjs-node-gpu → tfjs-node → wasm → cpu, whichever loads. The native
 * backends are optional dependencies, loaded by guarded dynamic import (they fail to install on many machines
 * and npm then drops them). `initBackend` is the only place that chooses; the CLI passes `GDFO_BACKEND`.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GdfoError } from '@gdfo/core';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface InitBackendOptions {
  /** Force one backend (e.g. from the GDFO_BACKEND environment variable, read by the CLI). */
  readonly prefer?: string;
  /** Report what was tried (stderr by default: silent). */
  readonly log?: (message: string) => void;
  /**
   * On the wasm backend, compute matrix products with @gdfo/kernels' native addon where it was built (≈ 2.5×
   * faster forward passes here). Default: on, unless the environment sets GDFO_NATIVE_KERNELS=0.
   */
  readonly nativeKernels?: boolean;
}

let chosen: BackendName | undefined;
let kernels: { native: boolean; reason?: string } = { native: false, reason: 'no backend chosen yet' };

/** Installs the native matmul kernels in front of the wasm backend's (Node only; a no-op where not built). */
async function useNativeKernels(wanted: boolean): Promise<void> {
  if (!wanted) {
    // an earlier initBackend may have installed them: take them out again
    if (typeof process !== 'undefined' && process.versions?.node) await import('@gdfo/kernels').then((k) => k.uninstallNativeKernels(), () => undefined);
    kernels = { native: false, reason: 'disabled (GDFO_NATIVE_KERNELS=0 or nativeKernels: false)' };
    return;
  }
  if (typeof process === 'undefined' || !process.versions?.node) {
    kernels = { native: false, reason: 'not in Node' };
    return;
  }
  try {
    const k = await import('@gdfo/kernels');
    const ok = k.installNativeKernels();
    kernels = ok ? { native: true } : { native: false, reason: k.nativeKernelsStatus().reason ?? 'unavailable' };
  } catch (e) {
    kernels = { native: false, reason: (e as Error).message.split('\n')[0] };
  }
}

/**
 * Which matrix kernels the chosen backend runs: `native` (@gdfo/kernels on wasm) or the backend's own, with
 * the reason. Results of the two differ by float rounding, so run records name it.
 */
export function currentKernels(): { readonly native: boolean; readonly reason?: string } {
  return kernels;
}

/** Whether an optional native tfjs package is installed with its compiled addon (lib/napi-v…/tfjs_binding.node). */
function hasNativeBinding(name: string): boolean {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
    const lib = join(dir, 'lib');
    if (!existsSync(lib)) return false;
    return readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
  } catch {
    return false;
  }
}

async function importOptional(name: string): Promise<boolean> {
  // Importing a package whose addon is missing registers its kernels and then throws: check first.
  if (!hasNativeBinding(name)) return false;
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}

async function tryBackend(name: BackendName, nativeKernels: boolean): Promise<boolean> {
  try {
    if (name === 'tensorflow-gpu') {
      if (!(await importOptional('@tensorflow/tfjs-node-gpu'))) return false;
      // tfjs-node-gpu registers itself as 'tensorflow'
      return (await tf.setBackend('tensorflow')) && (await tf.ready(), true);
    }
    if (name === 'tensorflow') {
      if (!(await importOptional('@tensorflow/tfjs-node'))) return false;
      return (await tf.setBackend('tensorflow')) && (await tf.ready(), true);
    }
    if (name === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // SIMD on, threads off (threads need a worker setup that Node does not give us here).
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      const ok = await tf.setBackend('wasm');
      if (!ok) return false;
      await tf.ready();
      void wasm;
      if (tf.getBackend() !== 'wasm') return false;
      await useNativeKernels(nativeKernels);
      return true;
    }
    const ok = await tf.setBackend('cpu');
    await tf.ready();
    return ok;
  } catch {
    return false;
  }
}

/**
 * Selects and initialises the tfjs backend; returns its name. `prefer` (one of BACKEND_ORDER, or 'auto')
 * forces a backend and fails in one line if it cannot load.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendName> {
  const prefer = options.prefer?.trim();
  const native = options.nativeKernels ?? (typeof process === 'undefined' || process.env?.GDFO_NATIVE_KERNELS !== '0');
  kernels = { native: false, reason: 'not the wasm backend' };
  if (prefer && prefer !== 'auto') {
    const p = (prefer === 'node' ? 'tensorflow' : prefer === 'node-gpu' || prefer === 'gpu' ? 'tensorflow-gpu' : prefer) as BackendName;
    if (!BACKEND_ORDER.includes(p)) {
      throw new GdfoError('BAD_OPTION', `backend: expected one of ${BACKEND_ORDER.join(', ')} or auto, got '${prefer}'`);
    }
    if (!(await tryBackend(p, native))) throw new GdfoError('NO_BACKEND', `backend: '${p}' could not be loaded on this machine`);
    chosen = p;
    return p;
  }
  for (const name of BACKEND_ORDER) {
    if (await tryBackend(name, native)) {
      options.log?.(`backend: ${name}${name === 'wasm' ? (kernels.native ? ' (native matmul kernels)' : ` (wasm kernels: native ${kernels.reason})`) : ''}`);
      chosen = name;
      return name;
    }
    options.log?.(`backend: ${name} unavailable`);
  }
  throw new GdfoError('NO_BACKEND', 'backend: no tfjs backend could be initialised');
}

/** The backend chosen by `initBackend`, or tfjs's current backend name. */
export function currentBackend(): string {
  return chosen ?? tf.getBackend();
}

export { tf };

/** Initialises the default backend once (auto order) unless `initBackend` already chose one. */
export async function ensureBackend(prefer?: string): Promise<string> {
  if (prefer) return initBackend({ prefer });
  if (chosen) return chosen;
  return initBackend({});
}
