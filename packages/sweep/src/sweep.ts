/**
 * `runSweep`: one call whatever the place — in this process (`runSweepLocally`), or through a Redis queue
 * (`queue`: enqueue, optionally run workers here too, collect). The results file is the same either way, so a
 * `--queue` flag only changes where cells run.
 */
import { GdfoError } from '@gdfo/core';
import type { CellConfig, CellFunction } from './cells.js';
import { runSweepLocally, type SweepSummary } from './local.js';
import { collectResults, enqueueSweep, runWorker, type SweepQueueOptions, type SweepWorker } from './queue.js';

export interface RunSweepOptions {
  readonly resultsPath: string;
  /** Cells at once: in this process, or per in-process worker with a queue (default 1). */
  readonly concurrency?: number;
  /** Run the cells through this Redis queue instead of in-process. */
  readonly queue?: SweepQueueOptions & {
    /** Workers started in this process (default 1; 0 = only workers on other machines). */
    readonly workers?: number;
    readonly attempts?: number;
    readonly lockDuration?: number;
    readonly stalledInterval?: number;
    readonly maxStalledCount?: number;
    /** Give up waiting for the sweep after this long (default: no limit). */
    readonly timeoutMs?: number;
    readonly pollMs?: number;
  };
  readonly log?: (line: string) => void;
}

export async function runSweep(cells: readonly CellConfig[], cellFn: CellFunction, options: RunSweepOptions): Promise<SweepSummary> {
  if (!options.queue) {
    return runSweepLocally(cells, cellFn, {
      resultsPath: options.resultsPath,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      onCell: (e) => options.log?.(`${e.status} ${e.id.slice(0, 12)} ${JSON.stringify(e.config)}`),
    });
  }
  const q = options.queue;
  const workers = q.workers ?? 1;
  if (!(Number.isInteger(workers) && workers >= 0)) throw new GdfoError('BAD_OPTION', `runSweep queue.workers: expected an integer ≥ 0, got ${workers}`);
  const base: SweepQueueOptions = { connection: q.connection, ...(q.queueName ? { queueName: q.queueName } : {}), ...(q.prefix ? { prefix: q.prefix } : {}) };
  const enq = await enqueueSweep({ ...base, cells, resultsPath: options.resultsPath, ...(q.attempts ? { attempts: q.attempts } : {}) });
  options.log?.(`queue: ${enq.added} cells added, ${enq.existing} already queued or finished, ${enq.inResults} already in ${options.resultsPath}`);
  const running: SweepWorker[] = [];
  try {
    for (let i = 0; i < workers; i++) {
      running.push(
        await runWorker({
          ...base,
          cellFn,
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
          ...(q.lockDuration ? { lockDuration: q.lockDuration } : {}),
          ...(q.stalledInterval ? { stalledInterval: q.stalledInterval } : {}),
          ...(q.maxStalledCount ? { maxStalledCount: q.maxStalledCount } : {}),
        }),
      );
    }
    let last = '';
    const summary = await collectResults({
      ...base,
      cells,
      resultsPath: options.resultsPath,
      wait: true,
      ...(q.timeoutMs !== undefined ? { timeoutMs: q.timeoutMs } : {}),
      ...(q.pollMs !== undefined ? { pollMs: q.pollMs } : {}),
      onProgress: (p) => {
        const line = `queue: ${p.done} done, ${p.pending} pending, ${p.failed.length} failed, ${p.missing} missing`;
        if (line !== last) options.log?.((last = line));
      },
    });
    if (summary.missing) options.log?.(`queue: ${summary.missing} cells have neither a job nor a result`);
    return { ran: summary.written, skipped: enq.inResults, failed: summary.failed };
  } finally {
    await Promise.all(running.map((w) => w.close()));
  }
}
