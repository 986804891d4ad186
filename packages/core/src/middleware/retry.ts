/**
 * Retry with exponential back-off and full jitter, honouring `Retry-After` / rate-limit resets carried by a
 * `TeacherError` (`retryAfterMs`). Waits use the injected clock, so tests run on a fake one.
 * delay(k) = max(retryAfterMs, min(maxMs, baseMs · factor^k) · (1 − jitter · u)), u ~ U[0, 1) from the rng.
 * After `retries` retries the last error is thrown.
 */
import type { Rng, Teacher, TeacherMiddleware } from '@gdfo/spec';
import { TeacherError, GdfoError } from '../errors.js';
import { systemClock, type Clock } from '../clock.js';
import { startSignal } from '../signals.js';

export interface RetryOptions {
  retries?: number;
  baseMs?: number;
  maxMs?: number;
  factor?: number;
  /** Fraction of the delay drawn at random (0 = no jitter, 1 = full jitter). */
  jitter?: number;
  clock?: Clock;
  rng?: Rng;
  /** Called before each wait, e.g. to log it. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof TeacherError) return err.retryable;
  if (err instanceof GdfoError) return false;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'EPIPE' || code === 'ETIMEDOUT' || code === 'UND_ERR_SOCKET';
}

export function withRetry(options: RetryOptions = {}): TeacherMiddleware {
  const retries = options.retries ?? 5;
  const baseMs = options.baseMs ?? 500;
  const maxMs = options.maxMs ?? 60_000;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.5;
  const clock = options.clock ?? systemClock;
  return (inner: Teacher): Teacher => ({
    specVersion: inner.specVersion,
    info: inner.info,
    close: inner.close?.bind(inner),
    async score(request, callOptions) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await inner.score(request, callOptions);
        } catch (err) {
          // A stopped call is not sent again (what its requests returned is kept by the adapter's row store).
          if (attempt >= retries || !isRetryable(err) || callOptions?.signal?.aborted || callOptions?.stop?.aborted) throw err;
          const u = options.rng ? options.rng.uniform() : Math.random();
          const backoff = Math.min(maxMs, baseMs * factor ** attempt) * (1 - jitter * u);
          const hinted = err instanceof TeacherError ? err.retryAfterMs : undefined;
          const delayMs = Math.max(backoff, hinted ?? 0);
          options.onRetry?.({ attempt: attempt + 1, delayMs, error: err });
          // stopped during the back-off: the call ends with its own last error (a cut one with the cut's reason)
          await clock.sleep(delayMs, startSignal(callOptions)).catch((e: unknown) => {
            throw callOptions?.signal?.aborted ? e : err;
          });
          if (callOptions?.stop?.aborted) throw err;
        }
      }
    },
  });
}
