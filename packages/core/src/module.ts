/**
 * The core's components by name: the teacher middleware a config lists (`middleware: [retry, {name:
 * rate-limit, options: {rpm: 60}}]`). Each factory takes its clock and RNG stream from the container
 * (`FactoryContext`), so a run on a fake clock waits on that clock without any option naming it.
 */
import type { ComponentFactory, Registry, TeacherMiddleware } from '@gdfo/spec';
import { GdfoError, positiveIntOption } from './errors.js';
import { DiskCache, MemoryCache, withCache } from './middleware/cache.js';
import { withConcurrency, withRateLimit, withTimeout } from './middleware/limits.js';
import { withRetry, type RetryOptions } from './middleware/retry.js';

function numberOption(options: Readonly<Record<string, unknown>>, key: string, who: string): number | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new GdfoError('BAD_OPTION', `middleware ${who}: option "${key}" must be a number ≥ 0, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function registerCore(registry: Registry): void {
  const add = (name: string, factory: ComponentFactory<TeacherMiddleware>, description: string) => {
    if (!registry.has('middleware', name)) registry.register('middleware', name, factory, description);
  };
  add(
    'retry',
    (o, ctx) => {
      const options: RetryOptions = { clock: ctx.clock, rng: ctx.rng };
      for (const key of ['retries', 'baseMs', 'maxMs', 'factor', 'jitter'] as const) {
        const v = numberOption(o, key, 'retry');
        if (v !== undefined) options[key] = v;
      }
      return withRetry(options);
    },
    'retry failed calls that may succeed (429, 5xx, timeouts) with exponential back-off and jitter; honours Retry-After (options: retries, baseMs, maxMs, factor, jitter)',
  );
  add(
    'rate-limit',
    (o, ctx) => withRateLimit(positiveIntOption(o['rpm'] as number | undefined, 'middleware rate-limit: option "rpm"', Number.NaN), ctx.clock),
    'at most `rpm` call starts in any 60-second window (option: rpm)',
  );
  add(
    'timeout',
    (o, ctx) => withTimeout(positiveIntOption(o['ms'] as number | undefined, 'middleware timeout: option "ms"', Number.NaN), ctx.clock),
    'abort a call after `ms` milliseconds with a retryable error (option: ms)',
  );
  add(
    'concurrency',
    (o) => withConcurrency(positiveIntOption(o['max'] as number | undefined, 'middleware concurrency: option "max"', Number.NaN)),
    'at most `max` calls in flight (option: max)',
  );
  add(
    'cache',
    (o) => {
      const dir = o['dir'];
      if (dir !== undefined && (typeof dir !== 'string' || dir === '')) {
        throw new GdfoError('BAD_OPTION', `middleware cache: option "dir" must be a directory path, got ${JSON.stringify(dir)}`);
      }
      return withCache(typeof dir === 'string' ? new DiskCache(dir) : new MemoryCache());
    },
    'answer a request seen before from the cache (in memory, or on disk with option dir) without a call',
  );
}
