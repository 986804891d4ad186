/** Concurrency, requests-per-minute and timeout limits for teachers. */
import type { Teacher, TeacherMiddleware } from '@gdfo/spec';
import { systemClock, type Clock } from '../clock.js';
import { throwIfNotToStart, withSignal } from '../signals.js';
import { TeacherError } from '../errors.js';

/** At most `max` calls in flight; the rest wait in FIFO order (a call cut or stopped while waiting is not sent). */
export function withConcurrency(max: number): TeacherMiddleware {
  if (!(Number.isInteger(max) && max >= 1)) throw new TeacherError(`concurrency: expected an integer ≥ 1, got ${max}`, { retryable: false });
  return (inner) => {
    let active = 0;
    const queue: (() => void)[] = [];
    const acquire = () =>
      new Promise<void>((resolve) => {
        if (active < max) {
          active++;
          resolve();
        } else queue.push(() => resolve());
      });
    const release = () => {
      const next = queue.shift();
      if (next) next();
      else active--;
    };
    return wrap(inner, async (request, options) => {
      await acquire();
      try {
        throwIfNotToStart(options);
        return await inner.score(request, options);
      } finally {
        release();
      }
    });
  };
}

/** At most `rpm` call starts in any sliding 60-second window (waits on the clock when full; a call cut or stopped meanwhile is not sent). */
export function withRateLimit(rpm: number, clock: Clock = systemClock): TeacherMiddleware {
  if (!(rpm > 0)) throw new TeacherError(`rate limit: requests per minute must be > 0, got ${rpm}`, { retryable: false });
  return (inner) => {
    const starts: number[] = [];
    let chain: Promise<void> = Promise.resolve();
    const slot = async () => {
      for (;;) {
        const now = clock.now();
        while (starts.length && starts[0]! <= now - 60_000) starts.shift();
        if (starts.length < rpm) {
          starts.push(now);
          return;
        }
        await clock.sleep(starts[0]! + 60_000 - now);
      }
    };
    return wrap(inner, async (request, options) => {
      const mine = chain.then(slot);
      chain = mine.catch(() => undefined);
      await mine;
      throwIfNotToStart(options);
      return inner.score(request, options);
    });
  };
}

/** Fails a call that takes longer than `ms` with a retryable TeacherError (and aborts it). */
export function withTimeout(ms: number, clock: Clock = systemClock): TeacherMiddleware {
  return (inner) =>
    wrap(inner, async (request, options) => {
      const ctrl = new AbortController();
      const outer = options?.signal;
      const onAbort = () => ctrl.abort(outer?.reason);
      outer?.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timer = clock.sleep(ms, ctrl.signal).then(
        () => {
          timedOut = true;
          ctrl.abort(new Error('timeout'));
        },
        () => undefined,
      );
      try {
        const result = await Promise.race([
          inner.score(request, withSignal(options, ctrl.signal)),
          timer.then(() => {
            if (timedOut) throw new TeacherError(`teacher ${inner.info.id}: call timed out after ${ms} ms`, { retryable: true, code: 'TIMEOUT' });
            return new Promise<never>(() => undefined);
          }),
        ]);
        return result;
      } catch (err) {
        if (timedOut && !(err instanceof TeacherError)) {
          throw new TeacherError(`teacher ${inner.info.id}: call timed out after ${ms} ms`, { retryable: true, code: 'TIMEOUT' });
        }
        throw err;
      } finally {
        outer?.removeEventListener('abort', onAbort);
        if (!timedOut) ctrl.abort(new Error('done'));
      }
    });
}

export function wrap(inner: Teacher, score: Teacher['score']): Teacher {
  return { specVersion: inner.specVersion, info: inner.info, close: inner.close?.bind(inner), score };
}
