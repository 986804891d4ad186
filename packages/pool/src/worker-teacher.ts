/**
 * A Teacher that lives in a `worker_threads` thread: the thread builds the teacher from a serializable spec
 * and answers score calls one at a time; prompts go in and logits come back as transferables. When the thread
 * dies, every call in flight fails with a retryable `REPLICA_DOWN` error (a pool re-sends them elsewhere) and
 * `ping()` starts a fresh thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { CallOptions, ScoreRequest, ScoreResult, Teacher, TeacherInfo } from '@gdfo/spec';
import { GdfoError, TeacherError, throwIfNotToStart } from '@gdfo/core';
import { deserializeError, transferableRequest, type FromWorker, type ToWorker, type WorkerFaults, type WorkerInit } from './protocol.js';
import { validateTeacherSpec, type TeacherSpec } from './specs.js';

export interface WorkerTeacherOptions {
  /** The worker script (default: this package's `dist/worker.js`). */
  readonly script?: string | URL;
  /** How long building the teacher in the thread may take (default 120 000 ms). */
  readonly startTimeoutMs?: number;
  /** Fault injection for failover tests (applied to the first thread only, not to restarted ones). */
  readonly faults?: WorkerFaults;
  /** Passed to `new Worker` (e.g. `{ maxOldGenerationSizeMb }`). */
  readonly resourceLimits?: ResourceLimits;
}

export interface WorkerTeacher extends Teacher {
  readonly spec: TeacherSpec;
  /** Whether the thread is running. */
  readonly alive: boolean;
  /** Thread id of the current worker (changes when it is restarted). */
  readonly threadId: number;
  /** Score calls sent to the thread and not yet answered. */
  readonly inFlight: number;
  /** Resolves when the thread answers; restarts a dead thread first. Rejects when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The compiled worker script. When this module runs from TypeScript source (jest), the built one in dist. */
export function defaultWorkerScript(): URL {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../dist/worker.js', here) : new URL('./worker.js', here);
  if (!existsSync(fileURLToPath(url))) {
    throw new GdfoError('NO_WORKER_SCRIPT', `@gdfo/pool: worker script ${fileURLToPath(url)} not found; build it with \`npx tsc -b\``);
  }
  return url;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** Starts a worker thread that builds the teacher `spec` describes; resolves once it is ready. */
export async function createWorkerTeacher(spec: TeacherSpec, options: WorkerTeacherOptions = {}): Promise<WorkerTeacher> {
  validateTeacherSpec(spec);
  const script = options.script === undefined ? defaultWorkerScript() : typeof options.script === 'string' ? pathToFileURL(options.script) : options.script;
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  let worker: Worker | undefined;
  let alive = false;
  let closed = false;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  let info: TeacherInfo | undefined;
  let starting: Promise<void> | undefined;
  let starts = 0;

  const failAll = (why: string) => {
    const err = new TeacherError(`worker teacher ${info?.id ?? spec.kind}: ${why}`, { retryable: true, code: 'REPLICA_DOWN' });
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  const start = (): Promise<void> => {
    if (starting) return starting;
    starting = new Promise<void>((resolve, reject) => {
      // Injected faults apply to the first thread only: a restarted thread is healthy.
      const init: WorkerInit = { spec, ...(options.faults && starts === 0 ? { faults: options.faults } : {}) };
      starts++;
      const w = new Worker(script, { workerData: init, ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}) });
      worker = w;
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) {
          void w.terminate();
          reject(new TeacherError(`worker teacher (${spec.kind}): not ready after ${startTimeoutMs} ms`, { retryable: true, code: 'REPLICA_DOWN' }));
        }
      }, startTimeoutMs);
      w.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            ready = true;
            clearTimeout(timer);
            if (info && info.id !== msg.info.id) {
              void w.terminate();
              reject(new GdfoError('REPLICA_MISMATCH', `worker teacher: restarted thread reports model id "${msg.info.id}", expected "${info.id}"`));
              return;
            }
            info = msg.info;
            alive = true;
            resolve();
            return;
          case 'init-error':
            ready = true;
            clearTimeout(timer);
            reject(deserializeError(msg.error));
            return;
          case 'result':
          case 'pong': {
            if (msg.type === 'result') info = msg.info;
            const p = pending.get(msg.id);
            pending.delete(msg.id);
            p?.resolve(msg.type === 'result' ? msg.result : undefined);
            return;
          }
          case 'error': {
            const p = pending.get(msg.id);
            pending.delete(msg.id);
            p?.reject(deserializeError(msg.error));
            return;
          }
        }
      });
      w.on('error', (err) => {
        if (!ready) {
          ready = true;
          clearTimeout(timer);
          reject(err);
        }
      });
      w.on('exit', (code) => {
        clearTimeout(timer);
        if (worker !== w) return;
        alive = false;
        worker = undefined;
        failAll(closed ? 'closed' : `thread exited with code ${code}`);
        if (!ready) {
          ready = true;
          reject(new TeacherError(`worker teacher (${spec.kind}): thread exited with code ${code} while starting`, { retryable: true, code: 'REPLICA_DOWN' }));
        }
      });
    }).finally(() => {
      starting = undefined;
    });
    return starting;
  };

  const send = <T>(msg: (id: number) => ToWorker, transfer: ArrayBuffer[] = [], signal?: AbortSignal): Promise<T> => {
    if (closed) return Promise.reject(new TeacherError(`worker teacher ${info?.id}: closed`, { retryable: false, code: 'CLOSED' }));
    if (!alive || !worker) return Promise.reject(new TeacherError(`worker teacher ${info?.id}: thread is not running`, { retryable: true, code: 'REPLICA_DOWN' }));
    const id = nextId++;
    const w = worker;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        // The thread cannot be interrupted mid-call; its late answer is dropped.
        if (pending.delete(id)) reject(signal?.reason ?? new Error('aborted'));
      };
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as T);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      w.postMessage(msg(id), transfer);
    });
  };

  await start();

  const teacher: WorkerTeacher = {
    specVersion: '1.0',
    spec,
    get info(): TeacherInfo {
      return info!;
    },
    get alive() {
      return alive;
    },
    get threadId() {
      return worker?.threadId ?? -1;
    },
    get inFlight() {
      return pending.size;
    },
    score(request: ScoreRequest, callOptions?: CallOptions): Promise<ScoreResult> {
      try {
        throwIfNotToStart(callOptions);
      } catch (err) {
        return Promise.reject(err);
      }
      const { request: req, transfer } = transferableRequest(request);
      return send<ScoreResult>((id) => ({ type: 'score', id, request: req }), transfer, callOptions?.signal);
    },
    async ping(): Promise<void> {
      if (closed) throw new TeacherError(`worker teacher ${info?.id}: closed`, { retryable: false, code: 'CLOSED' });
      if (!alive) await start();
      await send<void>((id) => ({ type: 'ping', id }));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const w = worker;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.postMessage({ type: 'close' } satisfies ToWorker);
      const timer = setTimeout(() => void w.terminate(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  return teacher;
}

/** `count` factories of worker teachers for `createTeacherPool({ replicas })`. */
export function workerReplicas(spec: TeacherSpec, count: number, options: WorkerTeacherOptions = {}): (() => Promise<WorkerTeacher>)[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new GdfoError('BAD_OPTION', `workerReplicas count: expected an integer ≥ 1, got ${count}`);
  return Array.from({ length: count }, () => () => createWorkerTeacher(spec, options));
}
