/**
 * A real sweep on a real redis-server (127.0.0.1, free port, no persistence): two worker processes, one killed
 * with SIGKILL mid-cell. Needs `redis-server` on PATH (`apt-get install redis-server`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { cellId, readResults, type CellConfig } from './cells.js';
import { runSweepLocally } from './local.js';
import { collectResults, enqueueSweep } from './queue.js';
import { hasRedisServer, startRedisServer, type RedisServerHandle } from './redis-server.js';
import { runSweep } from './sweep.js';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(pkg, 'dist', 'bin.js');
const fixture = join(pkg, 'test-fixtures', 'slow-cells.mjs');

interface LogLine {
  id: string;
  pid: number;
  attempt: number;
  event: 'start' | 'step' | 'done';
  step?: number;
}
const readLog = (path: string): LogLine[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as LogLine)
    : [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: RedisServerHandle;
beforeAll(async () => {
  if (!hasRedisServer()) {
    throw new Error('redis-server is not installed: the redis tests need it (apt-get install redis-server)');
  }
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (npx tsc -b)`);
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

function startWorker(queueName: string, logPath: string, extra: string[] = []): { child: ChildProcess; ready: Promise<void>; stderr: () => string } {
  const child = spawn(
    process.execPath,
    [bin, 'worker', '--queue', redis.url, '--queue-name', queueName, '--module', fixture, '--lock-ms', '1500', '--stalled-ms', '500', ...extra],
    { env: { ...process.env, GDFO_SWEEP_TEST_LOG: logPath }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  const ready = new Promise<void>((resolveReady, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('waiting for cells')) resolveReady();
    });
    child.once('exit', (code) => reject(new Error(`worker exited with code ${code}: ${err}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, stderr: () => err };
}

const cells: CellConfig[] = Array.from({ length: 8 }, (_v, i) => ({ task: 'toy', method: 'steps', seed: i + 1, steps: 4, stepMs: 100 }));
const expected = (c: CellConfig) => ({ seed: c.seed as number, acc: (c.seed as number) * 10 });

describe('sweep on BullMQ + redis-server', () => {
  it('finishes every cell exactly once when a worker process is SIGKILLed mid-cell; the cell re-runs from its start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-sweep-redis-'));
    const logPath = join(dir, 'attempts.jsonl');
    const resultsPath = join(dir, 'results.jsonl');
    const queueName = 'kill-test';
    const conn = { connection: redis.url, queueName };

    const first = await enqueueSweep({ ...conn, cells });
    expect(first).toMatchObject({ added: 8, existing: 0 });
    expect(first.ids).toEqual(cells.map(cellId));
    expect(await enqueueSweep({ ...conn, cells })).toMatchObject({ added: 0, existing: 8 });

    const a = startWorker(queueName, logPath);
    const b = startWorker(queueName, logPath);
    await Promise.all([a.ready, b.ready]);
    try {
      // kill A once it is inside a cell (past its first step) that it has not finished
      let killed: string | undefined;
      for (let i = 0; i < 200 && !killed; i++) {
        const log = readLog(logPath);
        const mine = log.filter((l) => l.pid === a.child.pid);
        const running = mine.find((l) => l.event === 'step' && l.step! >= 1 && !mine.some((m) => m.id === l.id && m.event === 'done'));
        if (running) {
          a.child.kill('SIGKILL');
          killed = running.id;
        } else await sleep(20);
      }
      expect(killed).toBeDefined();

      const summary = await collectResults({ ...conn, cells, resultsPath, wait: true, pollMs: 200, timeoutMs: 40_000 });
      expect(summary).toMatchObject({ done: 8, pending: 0, missing: 0, failed: [] });

      // every cell once in the results, with the right value
      const lines = readFileSync(resultsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; result: unknown });
      expect(lines).toHaveLength(8);
      expect(new Set(lines.map((l) => l.id)).size).toBe(8);
      const results = readResults(resultsPath);
      for (const c of cells) expect(results.get(cellId(c))!.result).toEqual(expected(c));

      // the attempt log: the killed cell started twice (A, then B from step 0), finished once, by B
      const log = readLog(logPath);
      const ofKilled = log.filter((l) => l.id === killed);
      const starts = ofKilled.filter((l) => l.event === 'start');
      expect(starts.map((s) => s.pid)).toEqual([a.child.pid, b.child.pid]);
      expect(starts.map((s) => s.attempt)).toEqual([1, 2]);
      const afterRestart = ofKilled.slice(ofKilled.indexOf(starts[1]!));
      expect(afterRestart.map((l) => l.event + (l.step ?? ''))).toEqual(['start', 'step0', 'step1', 'step2', 'step3', 'done']);
      expect(afterRestart.every((l) => l.pid === b.child.pid)).toBe(true);
      for (const c of cells) expect(log.filter((l) => l.id === cellId(c) && l.event === 'done')).toHaveLength(1);
      // every other cell started once
      expect(log.filter((l) => l.event === 'start')).toHaveLength(9);

      // a finished sweep enqueued again runs nothing
      expect(await enqueueSweep({ ...conn, cells })).toMatchObject({ added: 0, existing: 8 });
      await sleep(700);
      expect(readLog(logPath)).toHaveLength(log.length);
      const client = new Redis(redis.url, { maxRetriesPerRequest: null });
      const queue = new Queue(queueName, { connection: client });
      expect(await queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed')).toEqual({ wait: 0, active: 0, delayed: 0, completed: 8, failed: 0 });
      await queue.close();
      client.disconnect();

      // the same cells run locally write the same lines
      const localPath = join(dir, 'local.jsonl');
      const { cellFn } = (await import(fixture)) as { cellFn: Parameters<typeof runSweepLocally>[1] };
      await runSweepLocally(cells, cellFn, { resultsPath: localPath, concurrency: 4 });
      const sorted = (p: string) => readFileSync(p, 'utf8').trim().split('\n').sort();
      expect(sorted(localPath)).toEqual(sorted(resultsPath));
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGTERM');
      await new Promise((r) => (b.child.exitCode === null ? b.child.once('exit', r) : r(undefined)));
    }
  }, 60_000);

  it('fails a cell that keeps killing its workers after maxStalledCount re-runs, and finishes the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-sweep-redis-'));
    const logPath = join(dir, 'attempts.jsonl');
    const queueName = 'poison-test';
    const poison: CellConfig = { task: 'toy', method: 'poison', seed: 99, steps: 3, stepMs: 50, killWorkerAtStep: 1 };
    const fine = cells.slice(0, 2).map((c) => ({ ...c, stepMs: 20 }));
    await enqueueSweep({ connection: redis.url, queueName, cells: [poison, ...fine] });
    const workers = [0, 1, 2].map(() => startWorker(queueName, logPath, ['--max-stalled', '1']));
    await Promise.all(workers.map((w) => w.ready));
    try {
      const resultsPath = join(dir, 'results.jsonl');
      const summary = await collectResults({ connection: redis.url, queueName, cells: [poison, ...fine], resultsPath, wait: true, pollMs: 200, timeoutMs: 40_000 });
      expect(summary.done).toBe(2);
      expect(summary.failed).toHaveLength(1);
      expect(summary.failed[0]!.id).toBe(cellId(poison));
      expect(summary.failed[0]!.error).toMatch(/stalled more than allowable limit/);
      // started twice (the first stall put it back, the second failed it), each time killing its worker
      const starts = readLog(logPath).filter((l) => l.id === cellId(poison) && l.event === 'start');
      expect(starts).toHaveLength(2);
      expect(new Set(starts.map((s) => s.pid)).size).toBe(2);
      expect(workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null)).toHaveLength(1);
      expect([...readResults(resultsPath).keys()].sort()).toEqual(fine.map(cellId).sort());
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
    }
  }, 60_000);

  it('runSweep with a queue and in-process workers writes what the local run writes, and resumes from the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-sweep-redis-'));
    const small = cells.slice(0, 4).map((c) => ({ ...c, stepMs: 5 }));
    const fn = async (c: CellConfig) => expected(c);
    const viaQueue = join(dir, 'queue.jsonl');
    const s = await runSweep(small, fn, { resultsPath: viaQueue, concurrency: 2, queue: { connection: redis.url, queueName: 'in-process', workers: 2, pollMs: 50 } });
    expect(s).toEqual({ ran: 4, skipped: 0, failed: [] });
    const local = join(dir, 'local.jsonl');
    await runSweep(small, fn, { resultsPath: local });
    const sorted = (p: string) => readFileSync(p, 'utf8').trim().split('\n').sort();
    expect(sorted(viaQueue)).toEqual(sorted(local));
    // again, against a fresh queue: every cell is in the file already, nothing is enqueued
    const again = await runSweep(small, fn, { resultsPath: viaQueue, queue: { connection: redis.url, queueName: 'fresh', workers: 1, pollMs: 50 } });
    expect(again).toEqual({ ran: 0, skipped: 4, failed: [] });
    // a failing cell function: the job fails after its attempts, and is reported, not written
    const bad = await runSweep([{ boom: 1 }], async () => {
      throw new Error('cell exploded');
    }, { resultsPath: join(dir, 'bad.jsonl'), queue: { connection: redis.url, queueName: 'bad', workers: 1, pollMs: 50, attempts: 2 } });
    expect(bad.failed).toEqual([{ id: cellId({ boom: 1 }), config: { boom: 1 }, error: 'cell exploded' }]);
    expect(readResults(join(dir, 'bad.jsonl')).size).toBe(0);
  }, 30_000);
});
