/** Messages between a `WorkerTeacher` and its worker thread, and how errors and typed arrays cross. */
import type { Prompt, ScoreRequest, ScoreResult, TeacherInfo } from '@gdfo/spec';
import { GdfoError, TeacherError } from '@gdfo/core';
import type { TeacherSpec } from './specs.js';

/** Fault injection for tests of failover (never set in real runs). */
export interface WorkerFaults {
  /** Extra milliseconds each score call takes (a busy wait, like real compute). */
  readonly delayMs?: number;
  /** The worker thread exits (process.exit inside the worker) when its n-th score call (1-based) starts. */
  readonly exitOnCall?: number;
}

export interface WorkerInit {
  readonly spec: TeacherSpec;
  readonly faults?: WorkerFaults;
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly status?: number;
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;
}

export type ToWorker =
  | { readonly type: 'score'; readonly id: number; readonly request: ScoreRequest }
  | { readonly type: 'ping'; readonly id: number }
  | { readonly type: 'close' };

export type FromWorker =
  | { readonly type: 'ready'; readonly info: TeacherInfo }
  | { readonly type: 'init-error'; readonly error: SerializedError }
  | { readonly type: 'result'; readonly id: number; readonly result: ScoreResult; readonly info: TeacherInfo }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError }
  | { readonly type: 'pong'; readonly id: number };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; status?: unknown; retryable?: unknown; retryAfterMs?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.status === 'number' ? { status: e.status } : {}),
      ...(typeof e.retryable === 'boolean' ? { retryable: e.retryable } : {}),
      ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}

/** Rebuilds an error thrown in the worker so that `isRetryable` judges it as it would in-process. */
export function deserializeError(e: SerializedError): Error {
  if (e.name === 'TeacherError' || e.retryable !== undefined) {
    return new TeacherError(e.message, {
      ...(e.status !== undefined ? { status: e.status } : {}),
      ...(e.retryable !== undefined ? { retryable: e.retryable } : {}),
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      ...(e.code !== undefined ? { code: e.code } : {}),
    });
  }
  if (e.name === 'GdfoError' || e.name === 'BudgetExhaustedError') return new GdfoError(e.code ?? 'WORKER_ERROR', e.message);
  const out = new Error(e.message) as Error & { code?: string };
  out.name = e.name;
  if (e.code !== undefined) out.code = e.code;
  return out;
}

/**
 * Copies the request's typed arrays into fresh buffers and lists those buffers for transfer: the receiver
 * gets them without a second copy and the caller's arrays are never detached (a failed call can be re-sent).
 */
export function transferableRequest(request: ScoreRequest): { request: ScoreRequest; transfer: ArrayBuffer[] } {
  const p = request.prompt;
  if (p.kind !== 'continuous-shallow' && p.kind !== 'continuous-deep') return { request, transfer: [] };
  const values = new Float32Array(p.values);
  const prompt: Prompt = { ...p, values };
  return { request: { ...request, prompt }, transfer: [values.buffer as ArrayBuffer] };
}
