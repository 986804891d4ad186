/**
 * Distributed sweeps on BullMQ + Redis: one job per cell, whose job id is the cell id (so enqueuing a cell
 * twice adds it once, and a finished cell — its job is kept — is never run again); workers on any machine
 * that reaches the Redis server run the jobs; `collectResults` writes the results file a local run writes.
 *
 * A worker that dies mid-cell (killed, machine lost) stops renewing its job's lock; after `lockDuration` the
 * stalled-job checker of another worker (every `stalledInterval`) moves the job back to the wait list and the
 * cell runs again from its start, at most `maxStalledCount` times before the job fails. A cell function that
 * throws is retried up to `attempts` starts in all (with `backoffMs` between).
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { GdfoError } from '@gdfo/core';
import { checkJson, prepareCells, ResultsWriter, type CellConfig, type CellFunction, type JsonValue } from './cells.js';

/** A Redis URL (`redis://host:port/db`) or ioredis options. */
export type RedisConnection = string | RedisOptions;

export interface SweepQueueOptions {
  readonly connection: RedisConnection;
  /** BullMQ queue name (default `gdfo-sweep`). */
  readonly queueName?: string;
  /** Key prefix in Redis (default BullMQ's `bull`). */
  readonly prefix?: string;
}

export const DEFAULT_QUEUE_NAME = 'gdfo-sweep';

interface CellJobData {
  readonly config: CellConfig;
}

/** A new ioredis client for BullMQ (`maxRetriesPerRequest: null`, as its blocking commands need). */
export function redisClient(connection: RedisConnection): Redis {
  if (typeof connection === 'string') {
    if (!/^rediss?:\/\//.test(connection)) throw new GdfoError('BAD_OPTION', `connection: expected a redis:// or rediss:// URL, got ${JSON.stringify(connection)}`);
    return new Redis(connection, { maxRetriesPerRequest: null });
  }
  if (!connection || typeof connection !== 'object') throw new GdfoError('BAD_OPTION', 'connection: expected a redis:// URL or ioredis options { host, port }');
  return new Redis({ ...connection, maxRetriesPerRequest: null });
}

function queueName(o: SweepQueueOptions): string {
  const name = o.queueName ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new GdfoError('BAD_OPTION', `queueName: expected letters, digits, '_', '.', '-', got ${JSON.stringify(name)}`);
  return name;
}

async function withQueue<T>(o: SweepQueueOptions, fn: (queue: Queue<CellJobData, JsonValue>) => Promise<T>): Promise<T> {
  const client = redisClient(o.connection);
  const queue = new Queue<CellJobData, JsonValue>(queueName(o), { connection: client, ...(o.prefix ? { prefix: o.prefix } : {}) });
  try {
    await queue.waitUntilReady();
    return await fn(queue);
  } finally {
    await queue.close();
    client.disconnect();
  }
}

export interface EnqueueOptions extends SweepQueueOptions {
  readonly cells: readonly CellConfig[];
  /** Starts of a cell whose function throws, in all (default 1: no retry). */
  readonly attempts?: number;
  /** Wait between those retries (default 1000 ms, exponential). */
  readonly backoffMs?: number;
  /** Put failed cells back in the queue (default false: a failed cell stays failed until asked). */
  readonly retryFailed?: boolean;
  /** Skip cells already in this results file (for a queue that was flushed or is new). */
  readonly resultsPath?: string;
}

export interface EnqueueSummary {
  /** Ids of all the (distinct) cells, in order. */
  readonly ids: string[];
  /** Jobs added now. */
  readonly added: number;
  /** Cells that already had a job (waiting, running, finished or failed): not added again. */
  readonly existing: number;
  /** Failed jobs put back (with `retryFailed`). */
  readonly retried: number;
  /** Cells skipped because the results file has them. */
  readonly inResults: number;
}

/** One job per cell, job id = cell id. Idempotent: a cell that already has a job is not added again. */
export async function enqueueSweep(options: EnqueueOptions): Promise<EnqueueSummary> {
  const cells = prepareCells(options.cells);
  const attempts = options.attempts ?? 1;
  if (!(Number.isInteger(attempts) && attempts >= 1)) throw new GdfoError('BAD_OPTION', `enqueueSweep attempts: expected an integer ≥ 1, got ${attempts}`);
  const done = options.resultsPath ? new ResultsWriter(options.resultsPath).records : new Map();
  return withQueue(options, async (queue) => {
    let existing = 0;
    let retried = 0;
    const toAdd: { id: string; config: CellConfig }[] = [];
    const todo = cells.filter((c) => !done.has(c.id));
    const jobs = await Promise.all(todo.map((c) => queue.getJob(c.id)));
    for (let i = 0; i < todo.length; i++) {
      const job = jobs[i] as Job<CellJobData, JsonValue> | undefined;
      if (!job) {
        toAdd.push(todo[i]!);
        continue;
      }
      existing++;
      if (options.retryFailed && (await job.getState()) === 'failed') {
        await job.retry('failed');
        retried++;
      }
    }
    // BullMQ ignores an add whose job id exists, so two enqueuers racing still add each cell once.
    await queue.addBulk(
      toAdd.map((c) => ({
        name: 'cell',
        data: { config: c.config },
        opts: {
          jobId: c.id,
          attempts,
          backoff: { type: 'exponential', delay: options.backoffMs ?? 1000 },
          removeOnComplete: false,
          removeOnFail: false,
        },
      })),
    );
    return { ids: cells.map((c) => c.id), added: toAdd.length, existing, retried, inResults: cells.length - todo.length };
  });
}

export interface SweepWorkerOptions extends SweepQueueOptions {
  readonly cellFn: CellFunction;
  /** Cells this worker runs at once (default 1). */
  readonly concurrency?: number;
  /**
   * How long a job's lock lasts without renewal (default 60 000 ms). The lock is renewed from the event loop
   * every lockDuration/2: a cell function must not block the loop that long, or another worker takes the
   * cell over (its result is then written once all the same).
   */
  readonly lockDuration?: number;
  /** How often this worker looks for stalled jobs of dead workers (default lockDuration / 2). */
  readonly stalledInterval?: number;
  /** Times a cell may be taken back from dead workers before it fails (default 2). */
  readonly maxStalledCount?: number;
  /** Worker name stored on its jobs (default host:pid). */
  readonly name?: string;
  readonly onEvent?: (event: { type: 'start' | 'done' | 'failed'; id: string; attempt: number; error?: string }) => void;
}

export interface SweepWorker {
  readonly worker: Worker<CellJobData, JsonValue>;
  /** Stops taking cells; waits for the running ones unless `force`. */
  close(force?: boolean): Promise<void>;
}

/** Starts a worker that runs cells from the queue with `cellFn` until closed. */
export async function runWorker(options: SweepWorkerOptions): Promise<SweepWorker> {
  if (typeof options.cellFn !== 'function') throw new GdfoError('BAD_OPTION', 'runWorker cellFn: expected a function (config, context) => result');
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new GdfoError('BAD_OPTION', `runWorker concurrency: expected an integer ≥ 1, got ${concurrency}`);
  const lockDuration = options.lockDuration ?? 60_000;
  const client = redisClient(options.connection);
  const { hostname } = await import('node:os');
  const worker = new Worker<CellJobData, JsonValue>(
    queueName(options),
    async (job) => {
      const id = job.id!;
      const attempt = job.attemptsStarted;
      const config = job.data?.config;
      if (!config || typeof config !== 'object') throw new GdfoError('BAD_JOB', `job ${id}: data.config is missing (not a gdfo sweep job)`);
      options.onEvent?.({ type: 'start', id, attempt });
      const result = await options.cellFn(config, { id, attempt });
      checkJson(result, `result of cell ${id}`);
      options.onEvent?.({ type: 'done', id, attempt });
      return result;
    },
    {
      connection: client,
      concurrency,
      lockDuration,
      stalledInterval: options.stalledInterval ?? Math.max(1, Math.floor(lockDuration / 2)),
      maxStalledCount: options.maxStalledCount ?? 2,
      name: options.name ?? `${hostname()}:${process.pid}`,
      ...(options.prefix ? { prefix: options.prefix } : {}),
    },
  );
  worker.on('failed', (job, err) => {
    if (job) options.onEvent?.({ type: 'failed', id: job.id!, attempt: job.attemptsStarted, error: err.message });
  });
  // Connection errors are retried by ioredis; without a listener Node would treat them as fatal.
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  return {
    worker,
    async close(force = false) {
      await worker.close(force);
      client.disconnect();
    },
  };
}

export interface CollectOptions extends SweepQueueOptions {
  readonly cells: readonly CellConfig[];
  readonly resultsPath: string;
  /** Wait until every enqueued cell is finished or failed (default false: write what is done now). */
  readonly wait?: boolean;
  /** Give up waiting after this long (default: no limit). */
  readonly timeoutMs?: number;
  /** Poll period while waiting (default 500 ms). */
  readonly pollMs?: number;
  readonly onProgress?: (progress: CollectSummary) => void;
}

export interface CollectSummary {
  /** Lines appended to the results file by this call. */
  readonly written: number;
  /** Cells now in the results file. */
  readonly done: number;
  /** Cells whose job failed (their error), not in the file. */
  readonly failed: { id: string; config: CellConfig; error: string }[];
  /** Cells still waiting or running. */
  readonly pending: number;
  /** Cells with no job and no result (never enqueued, or the queue was flushed). */
  readonly missing: number;
}

/**
 * Appends the results of finished cells to `resultsPath` (the format of `runSweepLocally`, deduplicated by
 * cell id); with `wait`, polls until no enqueued cell is waiting or running.
 */
export async function collectResults(options: CollectOptions): Promise<CollectSummary> {
  const cells = prepareCells(options.cells);
  const writer = new ResultsWriter(options.resultsPath);
  const pollMs = options.pollMs ?? 500;
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  return withQueue(options, async (queue) => {
    let written = 0;
    for (;;) {
      const failed: CollectSummary['failed'] = [];
      let pending = 0;
      let missing = 0;
      const open = cells.filter((c) => !writer.has(c.id));
      // State first, then the job: a job read before it completed would carry no return value yet.
      const states = await Promise.all(open.map((c) => queue.getJobState(c.id)));
      const finished = await Promise.all(open.map((c, i) => (states[i] === 'completed' || states[i] === 'failed' ? queue.getJob(c.id) : undefined)));
      for (let i = 0; i < open.length; i++) {
        const cell = open[i]!;
        const state = states[i];
        const job = finished[i];
        if (state === 'unknown') missing++;
        else if (state === 'completed' && job) {
          if (writer.append({ id: cell.id, config: cell.config, result: job.returnvalue as JsonValue })) written++;
        } else if (state === 'failed' && job) failed.push({ ...cell, error: job.failedReason });
        else pending++;
      }
      const summary: CollectSummary = { written, done: cells.filter((c) => writer.has(c.id)).length, failed, pending, missing };
      options.onProgress?.(summary);
      if (!options.wait || pending === 0) return summary;
      if (Date.now() + pollMs > deadline) {
        throw new GdfoError('SWEEP_TIMEOUT', `collectResults: ${pending} cells still pending after ${options.timeoutMs} ms (${summary.done} done, ${failed.length} failed)`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  });
}

/** Removes the queue and all its jobs from Redis (finished cells will run again if enqueued). */
export async function obliterateSweep(options: SweepQueueOptions): Promise<void> {
  await withQueue(options, (queue) => queue.obliterate({ force: true }));
}
