import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellId, prepareCells, readResults, ResultsWriter, type CellConfig } from './cells.js';
import { runSweepLocally } from './local.js';
import { runSweep } from './sweep.js';
import { startRedisServer } from './redis-server.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'gdfo-sweep-'));
const cells: CellConfig[] = [1, 2, 3, 4, 5].map((seed) => ({ task: 'sst2', method: 'bbt', seed, budget: 100 }));
const square = async (c: CellConfig) => ({ value: (c.seed as number) ** 2 });

describe('cells', () => {
  it('a cell id is the sha256 of its canonical JSON: key order does not matter, any value does', () => {
    const a = cellId({ task: 'sst2', method: 'bbt', seed: 1 });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(cellId({ seed: 1, method: 'bbt', task: 'sst2' })).toBe(a);
    expect(cellId({ task: 'sst2', method: 'bbt', seed: 2 })).not.toBe(a);
    expect(cellId({ task: 'sst2', method: 'bbt', seed: '1' })).not.toBe(a);
    // sha256('{"a":1}')
    expect(cellId({ a: 1 })).toBe('015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
  });

  it('prepareCells drops duplicates and refuses non-JSON in one line', () => {
    expect(prepareCells([{ a: 1 }, { a: 1 }, { a: 2 }]).map((c) => c.config)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(() => prepareCells([{ a: NaN }])).toThrow('cells[0].a: NaN is not a JSON number');
    expect(() => prepareCells([[1] as never])).toThrow('cells[0]: expected a JSON object, got an array');
    expect(() => prepareCells([{ a: new Float64Array(2) } as never])).toThrow('cells[0].a: expected JSON (null, boolean, number, string, array, plain object), got Float64Array');
  });
});

describe('local sweep', () => {
  it('writes one JSON line per cell keyed by the config hash, and resumes without re-running', async () => {
    const dir = tmp();
    const path = join(dir, 'results.jsonl');
    const seen: number[] = [];
    const fn = async (c: CellConfig) => {
      seen.push(c.seed as number);
      return square(c);
    };
    const first = await runSweepLocally(cells.slice(0, 3), fn, { resultsPath: path });
    expect(first).toEqual({ ran: 3, skipped: 0, failed: [] });
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(cells.slice(0, 3).map((c) => ({ id: cellId(c), config: c, result: { value: (c.seed as number) ** 2 } })));
    const second = await runSweepLocally(cells, fn, { resultsPath: path, concurrency: 2 });
    expect(second).toEqual({ ran: 2, skipped: 3, failed: [] });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    const all = readResults(path);
    expect([...all.values()].map((r) => r.result)).toEqual([1, 4, 9, 16, 25].map((value) => ({ value })));
  });

  it('does not write a failed cell (a later run retries it) and repairs a line cut by a crash', async () => {
    const dir = tmp();
    const path = join(dir, 'r.jsonl');
    let broken = true;
    const fn = async (c: CellConfig) => {
      if (broken && c.seed === 2) throw new Error('out of memory');
      return square(c);
    };
    const r1 = await runSweepLocally(cells.slice(0, 3), fn, { resultsPath: path });
    expect(r1.ran).toBe(2);
    expect(r1.failed).toEqual([{ id: cellId(cells[1]!), config: cells[1], error: 'out of memory' }]);
    appendFileSync(path, '{"id":"abc","config":{'); // a crash mid-write
    expect(readResults(path).size).toBe(2);
    broken = false;
    const r2 = await runSweepLocally(cells.slice(0, 3), fn, { resultsPath: path });
    expect(r2).toEqual({ ran: 1, skipped: 2, failed: [] });
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(3);
  });

  it('reads duplicates once (first wins) and names a corrupt line', () => {
    const dir = tmp();
    const path = join(dir, 'd.jsonl');
    const w = new ResultsWriter(path);
    expect(w.append({ id: 'x', config: { a: 1 }, result: 1 })).toBe(true);
    expect(w.append({ id: 'x', config: { a: 1 }, result: 2 })).toBe(false);
    appendFileSync(path, JSON.stringify({ id: 'x', config: { a: 1 }, result: 3 }) + '\n');
    expect(readResults(path).get('x')!.result).toBe(1);
    writeFileSync(path, 'not json\n');
    expect(() => readResults(path)).toThrow(`${path}:1: not a JSON line`);
  });

  it('skips a cell another process on the same file finished after this sweep started', async () => {
    const path = join(tmp(), 'shared.jsonl');
    const ran: number[] = [];
    // while cell 1 runs, "another process" finishes cells 2 and 3 and appends them to the same file
    const fn = async (c: CellConfig) => {
      ran.push(c.seed as number);
      if (c.seed === 1) {
        const other = new ResultsWriter(path);
        for (const done of cells.slice(1, 3)) other.append({ id: cellId(done), config: done, result: { value: -1 } });
      }
      return square(c);
    };
    const s = await runSweepLocally(cells.slice(0, 4), fn, { resultsPath: path });
    expect(ran).toEqual([1, 4]);
    expect(s).toEqual({ ran: 2, skipped: 2, failed: [] });
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(4);
    expect([...readResults(path).values()].map((r) => r.result)).toEqual([{ value: -1 }, { value: -1 }, { value: 1 }, { value: 16 }]);
    // and a record written elsewhere while this sweep ran the same cell is kept (first wins), not doubled
    const path2 = join(tmp(), 'race.jsonl');
    const racing = async (c: CellConfig) => {
      new ResultsWriter(path2).append({ id: cellId(c), config: c, result: { value: 0 } });
      return square(c);
    };
    await runSweepLocally(cells.slice(0, 1), racing, { resultsPath: path2 });
    expect(readFileSync(path2, 'utf8').trim().split('\n').map((l) => JSON.parse(l).result)).toEqual([{ value: 0 }]);
  });

  it('runSweep without a queue is the local runner', async () => {
    const path = join(tmp(), 'r.jsonl');
    const log: string[] = [];
    const s = await runSweep(cells.slice(0, 2), square, { resultsPath: path, log: (l) => log.push(l) });
    expect(s).toEqual({ ran: 2, skipped: 0, failed: [] });
    expect(log[0]).toMatch(/^done [0-9a-f]{12} \{"task":"sst2"/);
  });
});

describe('startRedisServer', () => {
  it('says how to install redis-server when the binary is missing', async () => {
    await expect(startRedisServer({ bin: 'no-such-redis-server' })).rejects.toThrow(
      'no-such-redis-server not found: install it with `apt-get install redis-server`',
    );
  });
});
