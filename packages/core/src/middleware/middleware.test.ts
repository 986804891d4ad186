import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Prompt, ScoreRequest, ScoreResult, Teacher } from '@gdfo/spec';
import { FakeClock } from '../clock.js';
import { BudgetMeter } from '../budget.js';
import { TeacherError } from '../errors.js';
import { createRng } from '../rng.js';
import { composeTeacher, DiskCache, MemoryCache, withBudget, withCache, withConcurrency, withRateLimit, withRetry, withTimeout } from './index.js';

function fakeTeacher(behaviour: (call: number, req: ScoreRequest) => Promise<ScoreResult> | ScoreResult, id = 'fake-1') {
  const calls: ScoreRequest[] = [];
  const teacher: Teacher = {
    specVersion: '1.0',
    info: { id, accepts: ['continuous-shallow', 'none'] },
    async score(req) {
      calls.push(req);
      return behaviour(calls.length, req);
    },
  };
  return { teacher, calls };
}

const ok = (v = 1): ScoreResult => ({ rows: 1, classes: 2, logits: new Float32Array([v, -v]), usage: { promptTokens: 3 } });
const prompt = (x: number): Prompt => ({ kind: 'continuous-shallow', mode: 'add', length: 1, width: 2, values: new Float32Array([x, 0]) });
const request = (over: Partial<ScoreRequest> = {}): ScoreRequest => ({
  examples: [{ id: 'a', text: 'good movie', label: 1 }],
  template: { specVersion: '1.0', text: '{text} . It was {mask} .' },
  verbalizer: { specVersion: '1.0', words: ['bad', 'great'] },
  prompt: prompt(0.5),
  purpose: 'train',
  ...over,
});

describe('cache middleware', () => {
  it('hits only when every request field, the model id and the prompt bits match', async () => {
    const { teacher, calls } = fakeTeacher((n) => ok(n));
    const cache = new MemoryCache();
    const stats = { hits: 0, misses: 0 };
    const t = withCache(cache, stats)(teacher);
    const first = await t.score(request());
    const again = await t.score(request());
    expect(again.cached).toBe(true);
    expect(Array.from(again.logits)).toEqual(Array.from(first.logits));
    const variants: Partial<ScoreRequest>[] = [
      { prompt: prompt(0.5000001) },
      { examples: [{ id: 'a', text: 'good movie!', label: 1 }] },
      { examples: [{ id: 'a', text: 'good movie', label: 0 }] },
      { template: { specVersion: '1.0', text: '{text} It was {mask} .' } },
      { verbalizer: { specVersion: '1.0', words: ['bad', 'good'] } },
      { purpose: 'dev' },
    ];
    for (const v of variants) expect((await t.score(request(v))).cached).toBeUndefined();
    expect(calls).toHaveLength(1 + variants.length);
    // another model id never shares entries
    const other = withCache(cache)(fakeTeacher(() => ok(9), 'fake-2').teacher);
    expect((await other.score(request())).logits[0]).toBe(9);
    expect(stats).toEqual({ hits: 1, misses: 1 + variants.length });
  });

  it('persists on disk across instances', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-cache-'));
    const a = fakeTeacher(() => ok(2));
    await withCache(new DiskCache(dir))(a.teacher).score(request());
    const b = fakeTeacher(() => ok(3));
    const r = await withCache(new DiskCache(dir))(b.teacher).score(request());
    expect(r.cached).toBe(true);
    expect(Array.from(r.logits)).toEqual([2, -2]);
    expect(b.calls).toHaveLength(0);
  });
});

describe('retry middleware', () => {
  it('honours Retry-After on the fake clock and charges the budget once', async () => {
    const clock = new FakeClock();
    const { teacher, calls } = fakeTeacher((n) => {
      if (n === 1) throw new TeacherError('429 Too Many Requests', { status: 429, retryAfterMs: 7000 });
      if (n === 2) throw new TeacherError('502 Bad Gateway', { status: 502 });
      return ok();
    });
    const budget = new BudgetMeter({ calls: 10 });
    const t = composeTeacher(teacher, withBudget(budget), withRetry({ clock, baseMs: 100, jitter: 0, rng: createRng(1) }));
    const p = t.score(request());
    await clock.runAll();
    await expect(p).resolves.toMatchObject({ rows: 1 });
    expect(clock.sleeps).toEqual([7000, 200]); // Retry-After beats the 100 ms back-off; then 100·2
    expect(calls).toHaveLength(3);
    expect(budget.usage()).toMatchObject({ calls: 1, promptTokens: 3 });
  });

  it('gives up after its limit with the last error, and does not retry a non-retryable error', async () => {
    const clock = new FakeClock();
    const { teacher, calls } = fakeTeacher((n) => {
      throw new TeacherError(`500 attempt ${n}`, { status: 500 });
    });
    const budget = new BudgetMeter({ calls: 10 });
    const t = composeTeacher(teacher, withBudget(budget), withRetry({ retries: 3, baseMs: 10, factor: 3, jitter: 0, clock }));
    const p = t.score(request());
    p.catch(() => undefined);
    await clock.runAll();
    await expect(p).rejects.toThrow('500 attempt 4');
    expect(clock.sleeps).toEqual([10, 30, 90]);
    expect(calls).toHaveLength(4);
    expect(budget.usage().calls).toBe(0); // a failed request is not paid
    const bad = fakeTeacher(() => {
      throw new TeacherError('400 bad request', { status: 400 });
    });
    await expect(withRetry({ clock })(bad.teacher).score(request())).rejects.toThrow('400 bad request');
    expect(bad.calls).toHaveLength(1);
  });

  it('a stopped call is not sent again: stopped before a retry, or during its back-off', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const seen: (boolean | undefined)[] = [];
    const { teacher, calls } = fakeTeacher(() => {
      throw new TeacherError('503', { status: 503 });
    });
    const spy: Teacher = { ...teacher, score: (r, o) => (seen.push(o?.stop === stop.signal), teacher.score(r, o)) };
    // through the timeout middleware too: it replaces `signal` and must pass `stop` on
    const t = composeTeacher(spy, withTimeout(60_000, clock), withRetry({ clock, baseMs: 100, jitter: 0 }));
    const p = t.score(request(), { stop: stop.signal });
    p.catch(() => undefined);
    await clock.advance(50); // first attempt failed; the back-off (100 ms) is running
    stop.abort(new Error('stopped'));
    await clock.runAll();
    await expect(p).rejects.toThrow('503'); // its own last error
    expect(calls).toHaveLength(1);
    expect(seen).toEqual([true]);
    const after = t.score(request(), { stop: stop.signal });
    await expect(after).rejects.toThrow('503'); // already stopped: sent once, never retried
    expect(calls).toHaveLength(2);
  });

  it('draws jitter from the injected RNG (deterministic delays)', async () => {
    const delays = async () => {
      const clock = new FakeClock();
      const { teacher } = fakeTeacher((n) => {
        if (n < 3) throw new TeacherError('503', { status: 503 });
        return ok();
      });
      const p = withRetry({ clock, baseMs: 1000, jitter: 1, rng: createRng(5) })(teacher).score(request());
      await clock.runAll();
      await p;
      return clock.sleeps;
    };
    const a = await delays();
    expect(a).toEqual(await delays());
    expect(a[0]).toBeLessThan(1000);
    expect(a[1]).toBeLessThan(2000);
  });
});

describe('limits', () => {
  it('keeps at most N calls in flight', async () => {
    let active = 0;
    let peak = 0;
    const clock = new FakeClock();
    const { teacher } = fakeTeacher(async () => {
      active++;
      peak = Math.max(peak, active);
      await clock.sleep(10);
      active--;
      return ok();
    });
    const t = withConcurrency(2)(teacher);
    const all = Promise.all(Array.from({ length: 5 }, () => t.score(request())));
    await clock.runAll();
    await all;
    expect(peak).toBe(2);
  });

  it('spaces call starts to the requests-per-minute limit', async () => {
    const clock = new FakeClock(0);
    const starts: number[] = [];
    const { teacher } = fakeTeacher(() => {
      starts.push(clock.now());
      return ok();
    });
    const t = withRateLimit(2, clock)(teacher);
    const all = Promise.all(Array.from({ length: 5 }, () => t.score(request())));
    await clock.runAll();
    await all;
    expect(starts).toEqual([0, 0, 60_000, 60_000, 120_000]);
  });

  it('a call stopped or cut while it waits for a concurrency slot is not sent; the one in flight finishes', async () => {
    let release!: () => void;
    const { teacher, calls } = fakeTeacher((n) => (n === 1 ? new Promise<ScoreResult>((r) => (release = () => r(ok(1)))) : ok(n)));
    const t = withConcurrency(1)(teacher);
    const stop = new AbortController();
    const cut = new AbortController();
    const first = t.score(request(), { stop: stop.signal });
    const second = t.score(request(), { stop: stop.signal });
    const third = t.score(request(), { signal: cut.signal });
    await new Promise((r) => setTimeout(r, 0));
    stop.abort(new Error('stopped'));
    cut.abort(new Error('cut'));
    release();
    await expect(first).resolves.toMatchObject({ rows: 1 });
    await expect(second).rejects.toThrow('stopped');
    await expect(third).rejects.toThrow('cut');
    expect(calls).toHaveLength(1);
    await expect(t.score(request())).resolves.toMatchObject({ rows: 1 }); // slots were released
  });

  it('times a slow call out with a retryable error', async () => {
    const clock = new FakeClock();
    const { teacher } = fakeTeacher(() => new Promise<ScoreResult>(() => undefined));
    const p = withTimeout(5000, clock)(teacher).score(request());
    p.catch(() => undefined);
    await clock.advance(5000);
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
  });
});
