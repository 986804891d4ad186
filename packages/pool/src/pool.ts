/**
 * A teacher pool: one `Teacher` that spreads concurrent `score` calls over replicas of the same model.
 *
 * - Balancing: least outstanding requests. A request waits in the pool's FIFO queue until a healthy replica
 *   has a free slot (`maxInFlight` per replica); it goes to the replica with the fewest calls in flight (ties:
 *   the one that was given work least recently). A slow replica therefore gets fewer calls.
 * - Failover: a call that fails with a replica-level error (a retryable `TeacherError`: dead worker thread,
 *   refused connection, 5xx, 429, timeout) marks that replica down and puts the request back at the head of
 *   the queue, to be sent to another replica — up to `maxAttempts` sends per request. A request's promise
 *   settles exactly once: a late answer from a replica it was taken away from is dropped. A non-retryable
 *   error (a bad request) is the request's own and is returned as is.
 * - Health: a down replica is probed every `healthIntervalMs` (`healthCheck`, default the replica's `ping()`
 *   if it has one, otherwise it simply comes back after one interval). A replica built by a factory whose probe
 *   fails is closed and rebuilt by its factory before the next probe.
 * - Cut and stop: a call's `signal` settles it at once, queued or on a replica; its `stop` drops it while it
 *   waits in the queue, and goes with it to the replica it is on, which finishes what it has sent (a row
 *   teacher keeps those rows); a stopped call is not sent to another replica.
 * - When every replica is down, waiting requests fail with a retryable `POOL_DOWN` error (put `withRetry`
 *   outside the pool to wait for the probes).
 *
 * Results are per request, so `Promise.all` over a generation's candidates keeps their order, and the budget
 * middleware outside the pool charges each request once however many replicas it visited.
 */
import type { CallOptions, ScoreRequest, ScoreResult, Teacher, TeacherInfo } from '@gdfo/spec';
import { GdfoError, TeacherError, isRetryable, systemClock, withSignal, type Clock } from '@gdfo/core';

/** A replica: a ready teacher, or a factory that builds one (and can rebuild it after a failure). */
export type ReplicaSource = Teacher | (() => Teacher | Promise<Teacher>);

export interface TeacherPoolOptions {
  readonly replicas: readonly ReplicaSource[];
  /**
   * Probe of a replica that is down: resolves (to anything but `false`) when it is healthy again. Default: the
   * replica's `ping()` when it has one, otherwise healthy after one interval.
   */
  readonly healthCheck?: (teacher: Teacher, index: number) => Promise<boolean | void>;
  /** Time between probes of a down replica (default 2000 ms). */
  readonly healthIntervalMs?: number;
  /** Sends of one request before its last error is returned (default: number of replicas + 1). */
  readonly maxAttempts?: number;
  /** Calls in flight per replica (default 1: a replica computes one call at a time). */
  readonly maxInFlight?: number;
  /** Which errors mean "this replica is unwell" (default: `isRetryable` from @gdfo/core). */
  readonly isReplicaFailure?: (err: unknown) => boolean;
  readonly clock?: Clock;
  /** Observes replicas going down and up and requests being re-sent. */
  readonly onEvent?: (event: PoolEvent) => void;
}

export type PoolEvent =
  | { readonly type: 'down'; readonly replica: number; readonly error: unknown }
  | { readonly type: 'up'; readonly replica: number }
  | { readonly type: 'resend'; readonly replica: number; readonly attempt: number };

export interface ReplicaStats {
  readonly index: number;
  readonly up: boolean;
  readonly inFlight: number;
  /** Calls sent to this replica. */
  readonly dispatched: number;
  /** Calls it answered with a result. */
  readonly completed: number;
  /** Calls that failed on it with a replica-level error. */
  readonly failures: number;
}

export interface TeacherPool extends Teacher {
  readonly size: number;
  stats(): ReplicaStats[];
  /** Requests waiting for a free replica. */
  readonly queued: number;
  /** Closes every replica; waiting requests are rejected. */
  close(): Promise<void>;
}

interface Replica {
  readonly index: number;
  readonly factory: (() => Teacher | Promise<Teacher>) | undefined;
  teacher: Teacher | undefined;
  up: boolean;
  probing: boolean;
  inFlight: number;
  dispatched: number;
  completed: number;
  failures: number;
  lastAssigned: number;
}

interface Job {
  readonly request: ScoreRequest;
  readonly signal: AbortSignal | undefined;
  /** `CallOptions.stop`: a queued request is dropped; one on a replica gets it too, and is not sent again. */
  readonly stop: AbortSignal | undefined;
  attempts: number;
  settled: boolean;
  lastError: unknown;
  resolve(r: ScoreResult): void;
  reject(e: unknown): void;
}

function sameInfo(a: TeacherInfo, b: TeacherInfo): string | undefined {
  if (a.id !== b.id) return `model id "${b.id}" differs from "${a.id}"`;
  if (a.width !== b.width) return `width ${b.width} differs from ${a.width}`;
  if (a.layers !== b.layers) return `layers ${b.layers} differ from ${a.layers}`;
  return undefined;
}

/** Builds the replicas (factories are called now) and returns the pool; at least one replica must build. */
export async function createTeacherPool(options: TeacherPoolOptions): Promise<TeacherPool> {
  const sources = options.replicas;
  if (!Array.isArray(sources) || sources.length === 0) {
    throw new GdfoError('BAD_OPTION', 'teacher pool replicas: expected a non-empty array of teachers or factories');
  }
  const healthIntervalMs = options.healthIntervalMs ?? 2000;
  const maxAttempts = options.maxAttempts ?? sources.length + 1;
  const maxInFlight = options.maxInFlight ?? 1;
  const clock = options.clock ?? systemClock;
  const isReplicaFailure = options.isReplicaFailure ?? isRetryable;
  if (!(healthIntervalMs >= 0)) throw new GdfoError('BAD_OPTION', `teacher pool healthIntervalMs: expected a number ≥ 0, got ${healthIntervalMs}`);
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) throw new GdfoError('BAD_OPTION', `teacher pool maxAttempts: expected an integer ≥ 1, got ${maxAttempts}`);
  if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1)) throw new GdfoError('BAD_OPTION', `teacher pool maxInFlight: expected an integer ≥ 1, got ${maxInFlight}`);

  const replicas: Replica[] = sources.map((s, index) => {
    const isTeacher = typeof s === 'object' && s !== null && typeof (s as Teacher).score === 'function';
    if (!isTeacher && typeof s !== 'function') {
      throw new GdfoError('BAD_OPTION', `teacher pool replicas[${index}]: expected a Teacher or a function that builds one`);
    }
    return {
      index,
      factory: isTeacher ? undefined : (s as () => Teacher | Promise<Teacher>),
      teacher: isTeacher ? (s as Teacher) : undefined,
      up: false,
      probing: false,
      inFlight: 0,
      dispatched: 0,
      completed: 0,
      failures: 0,
      lastAssigned: -1,
    };
  });

  const built = await Promise.allSettled(replicas.map(async (r) => (r.teacher ??= await r.factory!())));
  let info: TeacherInfo | undefined;
  const buildErrors: string[] = [];
  built.forEach((b, i) => {
    const r = replicas[i]!;
    if (b.status === 'rejected') {
      buildErrors.push(`replicas[${i}]: ${(b.reason as Error)?.message ?? String(b.reason)}`);
      return;
    }
    if (!info) info = b.value.info;
    else {
      const diff = sameInfo(info, b.value.info);
      if (diff) {
        void Promise.all(replicas.map((x) => x.teacher?.close?.()));
        throw new GdfoError('REPLICA_MISMATCH', `teacher pool replicas[${i}]: ${diff} (all replicas must serve the same model)`);
      }
    }
    r.up = true;
  });
  if (!info) throw new GdfoError('POOL_DOWN', `teacher pool: no replica could be built (${buildErrors.join('; ')})`);
  const poolInfo: TeacherInfo = info;

  const queue: Job[] = [];
  let closed = false;
  let assignments = 0;
  const closeCtrl = new AbortController();

  const healthCheck =
    options.healthCheck ??
    (async (t: Teacher) => {
      const ping = (t as Teacher & { ping?: () => Promise<void> }).ping;
      if (typeof ping === 'function') await ping.call(t);
    });

  // One abort listener per signal, however many requests share it (a generation's λ calls share one). A job's
  // `signal` settles it wherever it is; its `stop` settles it only while it waits in the queue.
  const watched = new Map<AbortSignal, { jobs: Set<Job>; listener: () => void }>();
  const watch = (job: Job, signal: AbortSignal) => {
    let w = watched.get(signal);
    if (!w) {
      const jobs = new Set<Job>();
      const listener = () => {
        for (const j of [...jobs]) {
          const i = queue.indexOf(j);
          if (i < 0 && j.signal !== signal) continue;
          if (i >= 0) queue.splice(i, 1);
          settle(j, { error: signal.reason ?? new Error('aborted') });
        }
      };
      w = { jobs, listener };
      watched.set(signal, w);
      signal.addEventListener('abort', listener, { once: true });
    }
    w.jobs.add(job);
  };
  const unwatch = (job: Job, signal: AbortSignal) => {
    const w = watched.get(signal);
    if (!w) return;
    w.jobs.delete(job);
    if (w.jobs.size === 0) {
      signal.removeEventListener('abort', w.listener);
      watched.delete(signal);
    }
  };

  const settle = (job: Job, outcome: { result: ScoreResult } | { error: unknown }) => {
    if (job.settled) return;
    job.settled = true;
    if (job.signal) unwatch(job, job.signal);
    if (job.stop) unwatch(job, job.stop);
    if ('result' in outcome) job.resolve(outcome.result);
    else job.reject(outcome.error);
  };

  const pick = (): Replica | undefined => {
    let best: Replica | undefined;
    for (const r of replicas) {
      if (!r.up || !r.teacher || r.inFlight >= maxInFlight) continue;
      if (!best || r.inFlight < best.inFlight || (r.inFlight === best.inFlight && r.lastAssigned < best.lastAssigned)) best = r;
    }
    return best;
  };

  const pump = () => {
    while (queue.length) {
      if (!replicas.some((r) => r.up)) {
        const waiting = queue.splice(0);
        for (const job of waiting) {
          settle(job, {
            error:
              job.lastError && job.attempts > 0
                ? job.lastError
                : new TeacherError(`teacher pool ${poolInfo.id}: all ${replicas.length} replicas are down`, { retryable: true, code: 'POOL_DOWN' }),
          });
        }
        return;
      }
      const r = pick();
      if (!r) return;
      const job = queue.shift()!;
      if (job.settled) continue;
      dispatch(r, job);
    }
  };

  const markDown = (r: Replica, error: unknown) => {
    if (!r.up) return;
    r.up = false;
    options.onEvent?.({ type: 'down', replica: r.index, error });
    void probeLoop(r);
  };

  const dispatch = (r: Replica, job: Job) => {
    const teacher = r.teacher!;
    job.attempts++;
    r.inFlight++;
    r.dispatched++;
    r.lastAssigned = assignments++;
    let p: Promise<ScoreResult>;
    try {
      p = teacher.score(job.request, withSignal(job.stop ? { stop: job.stop } : undefined, job.signal));
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (result) => {
        r.inFlight--;
        r.completed++;
        settle(job, { result });
        pump();
      },
      (err: unknown) => {
        r.inFlight--;
        if (job.settled) {
          pump();
          return;
        }
        if (job.signal?.aborted) {
          settle(job, { error: job.signal.reason ?? err });
        } else if (job.stop?.aborted) {
          settle(job, { error: err }); // stopped: not sent to another replica
        } else if (!closed && isReplicaFailure(err)) {
          r.failures++;
          job.lastError = err;
          markDown(r, err);
          if (job.attempts >= maxAttempts) settle(job, { error: err });
          else {
            options.onEvent?.({ type: 'resend', replica: r.index, attempt: job.attempts + 1 });
            queue.unshift(job);
          }
        } else {
          settle(job, { error: err });
        }
        pump();
      },
    );
  };

  async function probeLoop(r: Replica): Promise<void> {
    if (r.probing) return;
    r.probing = true;
    try {
      while (!closed && !r.up) {
        try {
          await clock.sleep(healthIntervalMs, closeCtrl.signal);
        } catch {
          return;
        }
        if (closed) return;
        let ok = false;
        try {
          if (!r.teacher && r.factory) r.teacher = await r.factory();
          ok = r.teacher !== undefined && (await healthCheck(r.teacher, r.index)) !== false;
        } catch {
          ok = false;
        }
        if (!ok && r.factory && r.teacher) {
          // Rebuild from the factory before the next probe.
          const old = r.teacher;
          r.teacher = undefined;
          await old.close?.().catch(() => undefined);
        }
        if (ok && r.teacher && !closed) {
          const diff = sameInfo(poolInfo, r.teacher.info);
          if (diff) {
            options.onEvent?.({ type: 'down', replica: r.index, error: new GdfoError('REPLICA_MISMATCH', `replicas[${r.index}]: ${diff}`) });
            continue;
          }
          r.up = true;
          options.onEvent?.({ type: 'up', replica: r.index });
          pump();
        }
      }
    } finally {
      r.probing = false;
    }
  }

  // Replicas whose factory failed at start are probed (rebuilt) like any other down replica.
  for (const r of replicas) if (!r.up) void probeLoop(r);

  const pool: TeacherPool = {
    specVersion: '1.0',
    /** The info of the first built replica, read live (a teacher may add its scales after calibrating). */
    get info(): TeacherInfo {
      return replicas.find((r) => r.teacher)?.teacher?.info ?? poolInfo;
    },
    size: replicas.length,
    get queued() {
      return queue.length;
    },
    stats: () =>
      replicas.map((r) => ({ index: r.index, up: r.up, inFlight: r.inFlight, dispatched: r.dispatched, completed: r.completed, failures: r.failures })),
    score(request: ScoreRequest, callOptions?: CallOptions): Promise<ScoreResult> {
      if (closed) return Promise.reject(new TeacherError(`teacher pool ${poolInfo.id}: closed`, { retryable: false, code: 'CLOSED' }));
      const signal = callOptions?.signal;
      const stop = callOptions?.stop;
      if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
      if (stop?.aborted) return Promise.reject(stop.reason ?? new Error('stopped'));
      return new Promise<ScoreResult>((resolve, reject) => {
        const job: Job = { request, signal, stop, attempts: 0, settled: false, lastError: undefined, resolve, reject };
        if (signal) watch(job, signal);
        if (stop) watch(job, stop);
        queue.push(job);
        pump();
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      closeCtrl.abort(new Error('pool closed'));
      for (const job of queue.splice(0)) {
        settle(job, { error: new TeacherError(`teacher pool ${poolInfo.id}: closed`, { retryable: false, code: 'CLOSED' }) });
      }
      await Promise.all(replicas.map((r) => r.teacher?.close?.().catch(() => undefined)));
    },
  };
  return pool;
}
