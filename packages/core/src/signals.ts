/** Helpers for a call's two abort signals (`CallOptions.signal` cuts the call, `CallOptions.stop` stops it). */
import type { CallOptions } from '@gdfo/spec';

/** One signal aborted when either is (or the one given, or none). */
export function eitherSignal(a?: AbortSignal, b?: AbortSignal): AbortSignal | undefined {
  if (!a) return b;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}

/** The signal that ends waiting before anything is sent: the call's `signal` or its `stop`. */
export function startSignal(options?: CallOptions): AbortSignal | undefined {
  return eitherSignal(options?.signal, options?.stop);
}

/** Throws the reason when the call was cut or stopped: for a call about to be sent. */
export function throwIfNotToStart(options?: CallOptions): void {
  const s = startSignal(options);
  if (s?.aborted) throw s.reason ?? new Error('aborted');
}

/** The call options to pass on: `signal` replaced (or dropped), `stop` kept. */
export function withSignal(options: CallOptions | undefined, signal: AbortSignal | undefined): CallOptions | undefined {
  const stop = options?.stop;
  if (!signal && !stop) return undefined;
  return { ...(signal ? { signal } : {}), ...(stop ? { stop } : {}) };
}
