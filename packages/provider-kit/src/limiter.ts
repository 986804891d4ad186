/**
 * A request limiter for HTTP requests inside one teacher call: at most `concurrency` in flight, at most `rpm`
 * starts in any sliding 60-second window, and a hold (`holdFor`) that a provider's exhausted rate-limit headers
 * can set so that no request starts before the reset. Time comes from the injected clock.
 *
 * The teacher-level middlewares (`withConcurrency`, `withRateLimit`) count teacher calls; a provider's
 * requests-per-minute limit counts HTTP requests, which is what this limiter counts.
 */
import { GdfoError, systemClock, type Clock } from '@gdfo/core';
import { retryAfterFromHeaders } from './headers.js';

export interface LimiterOptions {
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Request starts per sliding minute (default unlimited). */
  rpm?: number;
  clock?: Clock;
}

export class RequestLimiter {
  readonly concurrency: number;
  readonly rpm: number;
  private readonly clock: Clock;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly starts: number[] = [];
  private holdUntil = -Infinity;
  private gate: Promise<void> = Promise.resolve();

  constructor(options: LimiterOptions = {}) {
    const c = options.concurrency ?? 4;
    if (!(Number.isInteger(c) && c >= 1)) throw new GdfoError('BAD_OPTION', `concurrency: expected an integer ≥ 1, got ${String(c)}`);
    const rpm = options.rpm ?? Infinity;
    if (!(rpm > 0)) throw new GdfoError('BAD_OPTION', `rpm: expected a number > 0, got ${String(rpm)}`);
    this.concurrency = c;
    this.rpm = rpm;
    this.clock = options.clock ?? systemClock;
  }

  /** No request starts before `ms` from now (e.g. `x-ratelimit-remaining-requests: 0` with its reset). */
  holdFor(ms: number): void {
    if (ms > 0) this.holdUntil = Math.max(this.holdUntil, this.clock.now() + ms);
  }

  /**
   * Holds new requests until the reset a response's headers ask for (`Retry-After`, `retry-after-ms`, an
   * exhausted `x-ratelimit-*`; see `retryAfterFromHeaders`), if they ask for one. For successful responses:
   * failures carry the wait in `TeacherError.retryAfterMs` instead (`httpTeacherError`).
   */
  holdFromHeaders(get: (name: string) => string | null | undefined): void {
    const wait = retryAfterFromHeaders(get, this.clock.now());
    if (wait !== undefined) this.holdFor(wait);
  }

  /**
   * Runs `fn` when a slot is free and the rate allows it. Aborting `signal` before then rejects without running
   * it; once `fn` runs, only `fn` itself decides.
   */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire();
    try {
      await this.startSlot(signal);
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    return new Promise((resolve) => {
      if (this.active < this.concurrency) {
        this.active++;
        resolve();
      } else this.queue.push(resolve);
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }

  /** Starts pass one at a time through the gate, so that the window and the hold are respected in order. */
  private startSlot(signal?: AbortSignal): Promise<void> {
    const mine = this.gate.then(async () => {
      for (;;) {
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        const now = this.clock.now();
        if (now < this.holdUntil) {
          await this.clock.sleep(this.holdUntil - now, signal);
          continue;
        }
        while (this.starts.length && this.starts[0]! <= now - 60_000) this.starts.shift();
        if (this.starts.length < this.rpm) {
          if (Number.isFinite(this.rpm)) this.starts.push(now);
          return;
        }
        await this.clock.sleep(this.starts[0]! + 60_000 - now, signal);
      }
    });
    this.gate = mine.catch(() => undefined);
    return mine;
  }
}
