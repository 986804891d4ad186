#!/usr/bin/env node
/**
 * gdfo-sweep — run a sweep here or through Redis.
 *
 *   gdfo-sweep run     --cells cells.jsonl --module ./cells.js --results results.jsonl [--queue redis://host:6379 [--workers N]]
 *   gdfo-sweep worker  --queue redis://host:6379 --module ./cells.js [--concurrency N] [--lock-ms 60000]
 *   gdfo-sweep enqueue --queue redis://host:6379 --cells cells.jsonl
 *   gdfo-sweep collect --queue redis://host:6379 --cells cells.jsonl --results results.jsonl [--wait]
 *
 * `--module` names an ES module exporting the cell function (`--export`, default `cellFn`). `--cells` is a JSON
 * array or JSON lines of cell configs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { CellConfig, CellFunction } from './cells.js';
import { collectResults, enqueueSweep, runWorker } from './queue.js';
import { runSweep } from './sweep.js';

const USAGE = `usage:
  gdfo-sweep run     --cells FILE --module FILE --results FILE [--export NAME] [--concurrency N] [--queue URL [--workers N]] [--queue-name NAME]
  gdfo-sweep worker  --queue URL --module FILE [--export NAME] [--concurrency N] [--lock-ms MS] [--stalled-ms MS] [--max-stalled N] [--queue-name NAME]
  gdfo-sweep enqueue --queue URL --cells FILE [--attempts N] [--retry-failed] [--queue-name NAME]
  gdfo-sweep collect --queue URL --cells FILE --results FILE [--wait] [--timeout-ms MS] [--queue-name NAME]`;

function fail(message: string): never {
  process.stderr.write(`gdfo-sweep: ${message}\n`);
  process.exit(2);
}

function readCells(path: string): CellConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(`--cells ${path}: ${(err as Error).message}`);
  }
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as CellConfig[];
    } catch (err) {
      fail(`--cells ${path}: not a JSON array (${(err as Error).message})`);
    }
  }
  return t
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as CellConfig;
      } catch (err) {
        fail(`--cells ${path}:${i + 1}: not a JSON line (${(err as Error).message})`);
      }
    });
}

async function loadCellFn(module: string, name: string): Promise<CellFunction> {
  // A path that exists (relative to the working directory) is a file; anything else a package name.
  const spec = existsSync(resolve(module)) ? pathToFileURL(resolve(module)).href : module;
  const mod = (await import(spec)) as Record<string, unknown>;
  const fn = mod[name] ?? (name === 'cellFn' ? mod.default : undefined);
  if (typeof fn !== 'function') fail(`--module ${module}: no exported function "${name}"`);
  return fn as CellFunction;
}

function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail(`${flag}: expected a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      cells: { type: 'string' },
      module: { type: 'string' },
      export: { type: 'string' },
      results: { type: 'string' },
      queue: { type: 'string' },
      'queue-name': { type: 'string' },
      workers: { type: 'string' },
      concurrency: { type: 'string' },
      'lock-ms': { type: 'string' },
      'stalled-ms': { type: 'string' },
      'max-stalled': { type: 'string' },
      attempts: { type: 'string' },
      'retry-failed': { type: 'boolean' },
      wait: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
    },
    strict: true,
  });
  const need = (flag: keyof typeof values): string => {
    const v = values[flag];
    if (typeof v !== 'string' || !v) fail(`${command}: --${flag} is required\n${USAGE}`);
    return v;
  };
  const queueName = values['queue-name'] ? { queueName: values['queue-name'] } : {};
  const log = (line: string) => process.stderr.write(line + '\n');
  switch (command) {
    case 'run': {
      const cells = readCells(need('cells'));
      const fn = await loadCellFn(need('module'), values.export ?? 'cellFn');
      const concurrency = int(values.concurrency, '--concurrency');
      const workers = int(values.workers, '--workers');
      const summary = await runSweep(cells, fn, {
        resultsPath: need('results'),
        ...(concurrency ? { concurrency } : {}),
        ...(values.queue ? { queue: { connection: values.queue, ...queueName, ...(workers !== undefined ? { workers } : {}) } } : {}),
        log,
      });
      process.stdout.write(JSON.stringify({ ran: summary.ran, skipped: summary.skipped, failed: summary.failed.length }) + '\n');
      if (summary.failed.length) process.exitCode = 1;
      return;
    }
    case 'worker': {
      const fn = await loadCellFn(need('module'), values.export ?? 'cellFn');
      const concurrency = int(values.concurrency, '--concurrency');
      const lockDuration = int(values['lock-ms'], '--lock-ms');
      const stalledInterval = int(values['stalled-ms'], '--stalled-ms');
      const maxStalledCount = int(values['max-stalled'], '--max-stalled');
      const w = await runWorker({
        connection: need('queue'),
        ...queueName,
        cellFn: fn,
        ...(concurrency ? { concurrency } : {}),
        ...(lockDuration ? { lockDuration } : {}),
        ...(stalledInterval ? { stalledInterval } : {}),
        ...(maxStalledCount !== undefined ? { maxStalledCount } : {}),
        onEvent: (e) => log(`${e.type} ${e.id.slice(0, 12)} attempt ${e.attempt}${e.error ? `: ${e.error}` : ''}`),
      });
      log(`worker ${process.pid}: waiting for cells on ${values.queue}`);
      const stop = () => void w.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    case 'enqueue': {
      const attempts = int(values.attempts, '--attempts');
      const s = await enqueueSweep({
        connection: need('queue'),
        ...queueName,
        cells: readCells(need('cells')),
        ...(attempts ? { attempts } : {}),
        ...(values['retry-failed'] ? { retryFailed: true } : {}),
      });
      process.stdout.write(JSON.stringify({ cells: s.ids.length, added: s.added, existing: s.existing, retried: s.retried }) + '\n');
      return;
    }
    case 'collect': {
      const timeoutMs = int(values['timeout-ms'], '--timeout-ms');
      const s = await collectResults({
        connection: need('queue'),
        ...queueName,
        cells: readCells(need('cells')),
        resultsPath: need('results'),
        ...(values.wait ? { wait: true } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      });
      process.stdout.write(JSON.stringify({ written: s.written, done: s.done, pending: s.pending, failed: s.failed.length, missing: s.missing }) + '\n');
      return;
    }
    default:
      fail(command ? `unknown command "${command}"\n${USAGE}` : USAGE);
  }
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
