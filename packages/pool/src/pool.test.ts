import { getEventListeners } from 'node:events';
import type { Prompt, ScoreRequest, Teacher } from '@gdfo/spec';
import { BudgetMeter, composeTeacher, FakeClock, TeacherError, withBudget, withRetry } from '@gdfo/core';
import { createTeacherPool, type PoolEvent } from './pool.js';

const prompt = (x: number): Prompt => ({ kind: 'continuous-shallow', mode: 'add', length: 1, width: 1, values: Float32Array.of(x) });
const request = (x: number): ScoreRequest => ({
  examples: [{ id: 'a', text: 'a', label: 0 }],
  template: { specVersion: '1.0', text: '{text} {mask}' },
  verbalizer: { specVersion: '1.0', words: ['no', 'yes'] },
  prompt: prompt(x),
  purpose: 'train',
});
const valueOf = (r: ScoreRequest) => (r.prompt as { values: Float32Array }).values[0]!;

interface Fake extends Teacher {
  calls: number[];
  /** Whether each call came with a `stop` signal. */
  stopped: boolean[];
  active: number;
  peak: number;
}

/** A replica that answers [x, name] after `latency(x)` ms on the fake clock, or fails as `fail` says. */
function fake(
  name: number,
  clock: FakeClock,
  latency: (x: number) => number,
  fail?: (x: number, call: number) => Error | undefined,
  id = 'm',
): Fake {
  const t: Fake = {
    specVersion: '1.0',
    info: { id, accepts: ['continuous-shallow'] },
    calls: [],
    stopped: [],
    active: 0,
    peak: 0,
    async score(req, options) {
      const x = valueOf(req);
      t.calls.push(x);
      t.stopped.push(options?.stop !== undefined);
      t.active++;
      t.peak = Math.max(t.peak, t.active);
      try {
        await clock.sleep(latency(x));
        const err = fail?.(x, t.calls.length);
        if (err) throw err;
        return { rows: 1, classes: 2, logits: Float32Array.of(x, name) };
      } finally {
        t.active--;
      }
    },
  };
  return t;
}

const dead = () => new TeacherError('replica died', { retryable: true, code: 'REPLICA_DOWN' });

describe('teacher pool: balancing and order', () => {
  it('sends more calls to the faster replica (least outstanding requests) and keeps request order', async () => {
    const clock = new FakeClock();
    const fast = fake(0, clock, () => 10);
    const slow = fake(1, clock, () => 30);
    const pool = await createTeacherPool({ replicas: [fast, slow], clock });
    const all = Promise.all(Array.from({ length: 40 }, (_v, i) => pool.score(request(i))));
    await clock.runAll();
    const results = await all;
    expect(results.map((r) => r.logits[0])).toEqual(Array.from({ length: 40 }, (_v, i) => i));
    // 40 calls: the 10 ms replica serves 30, the 30 ms one 10; both finish at t = 300.
    expect(fast.calls).toHaveLength(30);
    expect(slow.calls).toHaveLength(10);
    expect(clock.now()).toBe(300);
    expect(fast.peak).toBe(1);
    expect(slow.peak).toBe(1);
    expect(pool.stats().map((s) => s.completed)).toEqual([30, 10]);
    // each result says which replica computed it
    expect(results.filter((r) => r.logits[1] === 1).map((r) => r.logits[0])).toEqual(slow.calls);
  });

  it('splits evenly between equal replicas, up to maxInFlight each', async () => {
    const clock = new FakeClock();
    const reps = [0, 1, 2].map((n) => fake(n, clock, () => 5));
    const pool = await createTeacherPool({ replicas: reps, clock, maxInFlight: 2 });
    const all = Promise.all(Array.from({ length: 30 }, (_v, i) => pool.score(request(i))));
    expect(reps.map((r) => r.active)).toEqual([2, 2, 2]);
    expect(pool.queued).toBe(24);
    await clock.runAll();
    expect((await all).map((r) => r.logits[0])).toEqual(Array.from({ length: 30 }, (_v, i) => i));
    expect(reps.map((r) => r.calls.length)).toEqual([10, 10, 10]);
    expect(clock.now()).toBe(25);
  });
});

describe('teacher pool: failover', () => {
  it('re-sends the calls of a replica that dies mid-call; each request answered once, charged once', async () => {
    const clock = new FakeClock();
    // Replica 0 dies during its 3rd call (t = 20..30): that call and the one behind it must go elsewhere.
    let died = false;
    const flaky = fake(0, clock, () => 10, (_x, n) => (n >= 3 ? ((died = true), dead()) : undefined));
    const steady = fake(1, clock, () => 10);
    const events: PoolEvent[] = [];
    const pool = await createTeacherPool({ replicas: [flaky, steady], clock, healthIntervalMs: 1e9, onEvent: (e) => events.push(e) });
    const budget = new BudgetMeter({ calls: 100 });
    const teacher = composeTeacher(pool, withBudget(budget));
    const answered = new Map<number, number>();
    const all = Promise.all(
      Array.from({ length: 12 }, (_v, i) =>
        teacher.score(request(i)).then((r) => {
          answered.set(i, (answered.get(i) ?? 0) + 1);
          return r;
        }),
      ),
    );
    await clock.advance(1000);
    const results = await all;
    expect(died).toBe(true);
    expect(results.map((r) => r.logits[0])).toEqual(Array.from({ length: 12 }, (_v, i) => i));
    expect([...answered.values()]).toEqual(Array(12).fill(1));
    expect(budget.usage().calls).toBe(12);
    // flaky answered its first two calls, failed the third, then was down (no probe within the test)
    expect(flaky.calls).toHaveLength(3);
    expect(results.filter((r) => r.logits[1] === 0)).toHaveLength(2);
    expect(steady.calls).toHaveLength(10); // the other 10, the re-sent one among them
    expect(events.filter((e) => e.type === 'down')).toEqual([expect.objectContaining({ type: 'down', replica: 0 })]);
    expect(events.filter((e) => e.type === 'resend')).toHaveLength(1);
    expect(pool.stats()[0]).toMatchObject({ up: false, failures: 1, completed: 2 });
  });

  it('fails over every in-flight call of a dead replica (maxInFlight 3) and gives up after maxAttempts', async () => {
    const clock = new FakeClock();
    const a = fake(0, clock, () => 10, () => dead());
    const b = fake(1, clock, () => 10);
    const pool = await createTeacherPool({ replicas: [a, b], clock, maxInFlight: 3, healthIntervalMs: 1e9 });
    const budget = new BudgetMeter({ calls: 100 });
    const t = composeTeacher(pool, withBudget(budget));
    const all = Promise.all(Array.from({ length: 6 }, (_v, i) => t.score(request(i))));
    await clock.advance(1000);
    expect((await all).map((r) => r.logits.join(','))).toEqual(['0,1', '1,1', '2,1', '3,1', '4,1', '5,1']);
    expect(a.calls.sort()).toEqual([0, 2, 4]);
    expect(b.calls).toHaveLength(6);
    expect(budget.usage().calls).toBe(6);

    // both replicas failing: after maxAttempts sends the request fails with the replica's error, not charged
    const c = fake(0, clock, () => 1, () => dead());
    const d = fake(1, clock, () => 1, () => dead());
    const down = await createTeacherPool({ replicas: [c, d], clock, maxAttempts: 2, healthIntervalMs: 100, healthCheck: async () => false });
    const meter = new BudgetMeter({ calls: 10 });
    const p = composeTeacher(down, withBudget(meter)).score(request(7));
    p.catch(() => undefined);
    await clock.advance(1000);
    await expect(p).rejects.toMatchObject({ code: 'REPLICA_DOWN' });
    expect(c.calls.length + d.calls.length).toBe(2);
    expect(meter.usage().calls).toBe(0);
    // nothing up any more: new requests fail fast and retryably
    await expect(down.score(request(8))).rejects.toMatchObject({ code: 'POOL_DOWN', retryable: true });
  });

  it('returns a bad-request error as is, without marking the replica down or re-sending', async () => {
    const clock = new FakeClock();
    const a = fake(0, clock, () => 1, (x) => (x === 1 ? new TeacherError('400 bad prompt', { status: 400 }) : undefined));
    const pool = await createTeacherPool({ replicas: [a], clock });
    const p = pool.score(request(1));
    p.catch(() => undefined);
    await clock.runAll();
    await expect(p).rejects.toThrow('400 bad prompt');
    expect(a.calls).toEqual([1]);
    expect(pool.stats()[0]).toMatchObject({ up: true, failures: 0 });
  });
});

describe('teacher pool: health checks', () => {
  it('probes a down replica every interval and sends it work again once healthy', async () => {
    const clock = new FakeClock();
    let broken = true;
    const a = fake(0, clock, () => 10, () => (broken ? dead() : undefined));
    const b = fake(1, clock, () => 10);
    const probes: number[] = [];
    const events: PoolEvent[] = [];
    const pool = await createTeacherPool({
      replicas: [a, b],
      clock,
      healthIntervalMs: 1000,
      healthCheck: async (_t, i) => {
        probes.push(clock.now());
        return i === 0 ? !broken : true;
      },
      onEvent: (e) => events.push(e),
    });
    const first = Promise.all([pool.score(request(0)), pool.score(request(1))]);
    await clock.advance(20);
    expect((await first).map((r) => r.logits[1])).toEqual([1, 1]);
    expect(pool.stats()[0]!.up).toBe(false);
    await clock.advance(1000); // probe at t = 1010 fails
    expect(probes).toEqual([1010]);
    broken = false;
    await clock.advance(1000); // probe at t = 2010 succeeds
    expect(probes).toEqual([1010, 2010]);
    expect(pool.stats()[0]!.up).toBe(true);
    expect(events.map((e) => `${e.type}:${e.replica}`)).toEqual(['down:0', 'resend:0', 'up:0']);
    const again = Promise.all([pool.score(request(2)), pool.score(request(3))]);
    await clock.runAll();
    expect((await again).map((r) => r.logits[1]).sort()).toEqual([0, 1]);
  });

  it('rebuilds a factory replica whose probe fails, and uses ping() as the default probe', async () => {
    const clock = new FakeClock();
    let built = 0;
    const factory = () => {
      const n = ++built;
      const t = fake(0, clock, () => 10, () => (n === 1 ? dead() : undefined)) as Fake & { ping(): Promise<void> };
      t.ping = async () => {
        if (n === 1) throw new Error('no answer');
      };
      return t;
    };
    const b = fake(1, clock, () => 10);
    const pool = await createTeacherPool({ replicas: [factory, b], clock, healthIntervalMs: 500 });
    expect(built).toBe(1);
    const p = Promise.all([pool.score(request(0)), pool.score(request(1))]);
    await clock.advance(20);
    expect((await p).map((r) => r.logits[1])).toEqual([1, 1]);
    await clock.advance(500); // ping of build 1 fails → closed and rebuilt
    expect(built).toBe(1);
    expect(pool.stats()[0]!.up).toBe(false);
    await clock.advance(500); // build 2 is made and pinged
    expect(built).toBe(2);
    expect(pool.stats()[0]!.up).toBe(true);
  });

  it('rides over a full outage when withRetry sits outside the pool', async () => {
    const clock = new FakeClock();
    let down = true;
    const a = fake(0, clock, () => 10, () => (down ? dead() : undefined));
    const pool = await createTeacherPool({ replicas: [a], clock, healthIntervalMs: 100, healthCheck: async () => !down });
    const budget = new BudgetMeter({ calls: 10 });
    const t = composeTeacher(pool, withBudget(budget), withRetry({ clock, baseMs: 150, jitter: 0, retries: 5 }));
    const p = t.score(request(4));
    await clock.advance(50);
    down = false;
    await clock.runAll();
    await expect(p).resolves.toMatchObject({ rows: 1 });
    expect(budget.usage().calls).toBe(1);
  });
});

describe('teacher pool: abort', () => {
  it('a generation sharing one signal: one listener, and aborting settles every call not yet answered', async () => {
    const clock = new FakeClock();
    const a = fake(0, clock, () => 10);
    const pool = await createTeacherPool({ replicas: [a], clock });
    const ctrl = new AbortController();
    const calls = Array.from({ length: 15 }, (_v, i) => pool.score(request(i), { signal: ctrl.signal }).then((r) => r.logits[0], (e: Error) => e.message));
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(1);
    await clock.advance(25); // two answered, the third in flight
    ctrl.abort(new Error('generation aborted'));
    const got = await Promise.all(calls);
    expect(got.slice(0, 2)).toEqual([0, 1]);
    expect(got.slice(2)).toEqual(Array(13).fill('generation aborted'));
    expect(getEventListeners(ctrl.signal, 'abort')).toHaveLength(0);
    expect(pool.queued).toBe(0);
    expect(a.calls).toEqual([0, 1, 2]);
  });

  it('a stopped generation: queued calls are dropped, those on a replica finish, and a failed one is not re-sent', async () => {
    const clock = new FakeClock();
    const a = fake(0, clock, () => 10);
    const b = fake(1, clock, () => 20, () => dead()); // b dies on the call it holds when the stop comes
    const pool = await createTeacherPool({ replicas: [a, b], clock, healthIntervalMs: 1_000 });
    const stop = new AbortController();
    const calls = Array.from({ length: 8 }, (_v, i) => pool.score(request(i), { stop: stop.signal }).then((r) => r.logits[0], (e: Error) => e.message));
    await clock.advance(15); // a answered 0 and holds 2; b holds 1; 3–7 wait in the queue
    stop.abort(new Error('a sibling failed'));
    await clock.advance(10);
    const got = await Promise.all(calls);
    expect(got).toEqual([0, 'replica died', 2, ...Array(5).fill('a sibling failed')]);
    expect(pool.queued).toBe(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    expect(a.calls).toEqual([0, 2]);
    expect(b.calls).toEqual([1]);
    expect([...a.stopped, ...b.stopped]).toEqual([true, true, true]); // the replicas got the stop with the calls
  });
});

describe('teacher pool: construction', () => {
  it('refuses replicas of different models and an empty list, naming the field', async () => {
    const clock = new FakeClock();
    await expect(createTeacherPool({ replicas: [] })).rejects.toThrow('teacher pool replicas: expected a non-empty array');
    await expect(createTeacherPool({ replicas: [fake(0, clock, () => 1), fake(1, clock, () => 1, undefined, 'other')] })).rejects.toThrow(
      'teacher pool replicas[1]: model id "other" differs from "m"',
    );
    await expect(createTeacherPool({ replicas: [fake(0, clock, () => 1)], maxInFlight: 0 })).rejects.toThrow('maxInFlight: expected an integer ≥ 1');
  });
});
