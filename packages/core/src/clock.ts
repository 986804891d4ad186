import type { Clock } from '@gdfo/spec';

/** Time as a dependency (the spec's `Clock`): runs use the system clock, tests a fake one (no real sleeps). */
export type { Clock };

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/**
 * A manual clock: `sleep` resolves when `advance` moves time past its deadline. `sleeps` records every
 * requested delay, so tests can assert back-off schedules exactly.
 */
export class FakeClock implements Clock {
  private t: number;
  private waiters: { at: number; resolve: () => void }[] = [];
  readonly sleeps: number[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ at: this.t + ms, resolve });
      this.waiters.sort((a, b) => a.at - b.at);
    });
  }

  /** Moves time forward by `ms`, resolving due sleeps in order (letting each continuation run). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = this.waiters[0];
      if (!next || next.at > end) break;
      this.waiters.shift();
      this.t = next.at;
      next.resolve();
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }

  /** Advances through every pending sleep (and any they schedule) until none is left. */
  async runAll(maxSteps = 10_000): Promise<void> {
    await flushMicrotasks();
    for (let i = 0; i < maxSteps && this.waiters.length > 0; i++) {
      const next = this.waiters[0]!;
      await this.advance(next.at - this.t);
    }
  }

  get pending(): number {
    return this.waiters.length;
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
