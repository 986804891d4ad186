/**
 * `createRemoteTeacher`: the one place where a teacher over a paid, rate-limited service gets its middleware.
 *
 * Layers, outermost first:
 *
 *   single-flight → cache → ledger → budget → concurrency → retry → rate limit → timeout → provider adapter
 *
 * - single-flight: identical requests in flight at once (a discrete prompt space maps many z to one prompt)
 *   share one provider call; the followers get the result marked `cached` (they paid nothing).
 * - cache: keyed on every request field + the teacher id (see `cacheKey`); on disk under `cacheDir`.
 *   A hit never reaches the budget: this budget counts what the provider was paid for.
 * - budget (calls, tokens, money): reserved before, charged once after a success with the usage the adapter
 *   read from the responses (money from the price table); a failed request is released, never charged.
 *   Retries sit inside it, so a request retried three times is one call.
 * - retry: exponential back-off with jitter from the injected RNG, never shorter than the provider's
 *   `Retry-After` / `retry-after-ms` / exhausted `x-ratelimit-*` reset carried by `TeacherError.retryAfterMs`.
 * - rate limit / concurrency: teacher calls per minute / in flight (HTTP-level limits belong to the adapter).
 * - timeout: a whole teacher call (each attempt), retryable.
 *
 * The pipeline adds its own call budget (the search budget, which counts cache hits too) outside all this.
 * Nothing here sees an API key: adapters keep them, and nothing below writes one.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { BudgetLimits, Rng, ScoreResult, Teacher, TeacherMiddleware } from '@gdfo/spec';
import {
  BudgetMeter,
  cacheKey,
  composeTeacher,
  DiskCache,
  GdfoError,
  MemoryCache,
  systemClock,
  withBudget,
  withCache,
  withConcurrency,
  withRateLimit,
  withRetry,
  withTimeout,
  wrap,
  writeFileAtomic,
  type CacheStats,
  type CacheStore,
  type Clock,
  type PriceTable,
  type RetryOptions,
} from '@gdfo/core';

/** Concurrent identical requests share one call to `inner`; followers get `cached: true`. */
export function withSingleFlight(stats: { shared: number } = { shared: 0 }): TeacherMiddleware {
  return (inner) => {
    const inFlight = new Map<string, Promise<ScoreResult>>();
    return wrap(inner, async (request, options) => {
      const key = cacheKey(inner.info.id, request);
      const running = inFlight.get(key);
      if (running) {
        stats.shared++;
        return { ...(await running), cached: true };
      }
      const p = inner.score(request, options);
      inFlight.set(key, p);
      try {
        return await p;
      } finally {
        inFlight.delete(key);
      }
    });
  };
}

export interface RemoteTeacherOptions {
  /** A meter to charge (shared with whoever reads it), or limits for a new one. Default: unlimited. */
  budget?: BudgetMeter | BudgetLimits;
  /** Prices for a meter built from limits (the adapter's own price table usually fills `usage.costUsd`). */
  prices?: PriceTable;
  /** On-disk cache directory; without it (and without `cache`) an in-memory cache is used. */
  cacheDir?: string;
  /** An explicit cache store, or `false` for none. */
  cache?: CacheStore | false;
  /** Retries after the first attempt (default 5), or the full retry options (clock and rng come from here). */
  retries?: number | Omit<RetryOptions, 'clock' | 'rng'>;
  /** Teacher calls started per minute. */
  rpm?: number;
  /** Teacher calls in flight. */
  concurrency?: number;
  /** Time limit of one attempt of one teacher call, in ms. */
  timeoutMs?: number;
  clock?: Clock;
  /** Jitter of the back-off (deterministic when given). */
  rng?: Rng;
  /** A JSON file holding the meter's usage: loaded at creation, rewritten after every paid call. */
  ledgerPath?: string;
}

export interface RemoteTeacher extends Teacher {
  /** What was paid: provider calls that succeeded, their tokens and money. Cache hits are not in it. */
  readonly budget: BudgetMeter;
  readonly cache: CacheStore | undefined;
  readonly cacheStats: CacheStats;
  /** Identical concurrent requests that shared one provider call. */
  readonly singleFlight: { shared: number };
}

function meterFrom(options: RemoteTeacherOptions): BudgetMeter {
  const b = options.budget;
  if (b instanceof BudgetMeter) return b;
  if (b !== undefined && (typeof b !== 'object' || b === null)) throw new GdfoError('BAD_OPTION', 'createRemoteTeacher budget: expected a BudgetMeter or limits { calls, tokens, costUsd }');
  return new BudgetMeter(b ?? {}, options.prices);
}

function withLedger(meter: BudgetMeter, path: string): TeacherMiddleware {
  if (existsSync(path)) {
    let state: unknown;
    try {
      state = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new GdfoError('BAD_LEDGER', `ledger ${path}: not JSON (${(err as Error).message})`);
    }
    meter.restore(state as never);
  }
  return (inner) =>
    wrap(inner, async (request, options) => {
      const result = await inner.score(request, options);
      writeFileAtomic(path, JSON.stringify(meter.usage()) + '\n');
      return result;
    });
}

/** Wraps a provider adapter with budget, cache, retry, rate limits and timeout (see the module comment). */
export function createRemoteTeacher(teacher: Teacher, options: RemoteTeacherOptions = {}): RemoteTeacher {
  const clock = options.clock ?? systemClock;
  const meter = meterFrom(options);
  const cache: CacheStore | undefined =
    options.cache === false ? undefined : (options.cache ?? (options.cacheDir ? new DiskCache(options.cacheDir) : new MemoryCache()));
  const cacheStats: CacheStats = { hits: 0, misses: 0 };
  const singleFlight = { shared: 0 };
  const retry = typeof options.retries === 'number' || options.retries === undefined ? { retries: options.retries ?? 5 } : options.retries;
  const layers: TeacherMiddleware[] = [withSingleFlight(singleFlight)];
  if (cache) layers.push(withCache(cache, cacheStats));
  if (options.ledgerPath) layers.push(withLedger(meter, options.ledgerPath));
  layers.push(withBudget(meter));
  if (options.concurrency !== undefined) layers.push(withConcurrency(options.concurrency));
  layers.push(withRetry({ ...retry, clock, ...(options.rng ? { rng: options.rng } : {}) }));
  if (options.rpm !== undefined) layers.push(withRateLimit(options.rpm, clock));
  if (options.timeoutMs !== undefined) layers.push(withTimeout(options.timeoutMs, clock));
  const wrapped = composeTeacher(teacher, ...layers);
  return {
    specVersion: wrapped.specVersion,
    info: wrapped.info,
    score: wrapped.score.bind(wrapped),
    close: async () => {
      await teacher.close?.();
    },
    budget: meter,
    cache,
    cacheStats,
    singleFlight,
  };
}

