import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cellCost, checkDefaultPair, dealCells, measuredSecondsPerUnit } from './fewshot.js';

describe('fewshot --jobs', () => {
  it('deals cells longest first onto the least loaded process (LPT), keeping input order among equal costs', () => {
    const cells = ['c3a', 'c5', 'c3b', 'c4', 'c3c'];
    const cost = (c: string) => Number(c[1]);
    const shards = dealCells(cells, 2, cost);
    expect(shards).toEqual([
      { cells: ['c5', 'c3b'], cost: 8 },
      { cells: ['c4', 'c3a', 'c3c'], cost: 10 },
    ]);
    expect(dealCells(cells, 1, cost)).toEqual([{ cells: ['c5', 'c4', 'c3a', 'c3b', 'c3c'], cost: 18 }]);
    expect(dealCells([], 3, cost).map((s) => s.cost)).toEqual([0, 0, 0]);
  });
});

describe('fewshot wall-time model', () => {
  const cell = (method: string) => ({ task: 'sst2', method, seed: 42, budget: 2000, dim: 500, popSize: 20, promptLength: 10, maxLength: 48, distillSteps: 16, kernels: 'native' });
  it('prices a cell in teacher calls over 32 examples: training calls, dev checks, test re-scoring, student steps', () => {
    // SST-2: 32 training examples (1 unit a call), 872 test (27.25 units, counted 6 times), 20 dev checks
    expect(cellCost(cell('bbt'), 32, 872)).toBe(2000 + 20 + 6 * 27.25);
    // GDFO adds 100 generations × K = 16 student steps at 1.4 units of the default teacher
    expect(cellCost(cell('gdfo'), 32, 872)).toBe(2000 + 100 * 16 * 1.4 + 20 + 6 * 27.25);
    // a teacher 3× as slow: the same student steps are a third as many of its calls
    expect(cellCost(cell('gdfo'), 32, 872, 1.4 / 3)).toBeCloseTo(2000 + (100 * 16 * 1.4) / 3 + 20 + 6 * 27.25, 9);
    expect(cellCost(cell('kd'), 64, 7600, 0.5)).toBe(200 * 0.5 + 10 * 2 + 7600 / 32);
  });
});

describe('fewshot wall-time from finished cells', () => {
  const cell = (method: string, extra: Record<string, unknown> = {}) => ({ task: 'sst2', method, seed: 42, budget: 2000, dim: 500, popSize: 20, promptLength: 10, maxLength: 48, distillSteps: 16, kernels: 'native', ...extra });
  const sizeOf = (t: string) => (t === 'sst2' ? { train: 32, test: 872 } : undefined);
  const like = { promptLength: 10, maxLength: 48, kernels: 'native', teacher: undefined };
  const bbtUnits = 2000 + 20 + 6 * 27.25;
  const gdfoUnits = bbtUnits + 100 * 16 * 1.4;
  it('divides the matching search cells\' own seconds by their modelled units', () => {
    const records = [
      { config: cell('bbt'), result: { calls: 2000, seconds: 500 } },
      { config: cell('gdfo'), result: { calls: 2000, seconds: 1100 } },
      { config: cell('bbtv2', { seed: 7 }), result: { calls: 2000, seconds: 600 } },
      // not counted: a manual cell (no calls), a failed cell, another teacher, other kernels, another length, an unknown task
      { config: cell('manual'), result: { calls: 0, seconds: 9 } },
      { config: cell('bbt', { seed: 13 }), result: null },
      { config: cell('bbt', { teacher: '../shared/models/mlm-6x384' }), result: { calls: 2000, seconds: 1400 } },
      { config: cell('bbt', { kernels: 'wasm' }), result: { calls: 2000, seconds: 1500 } },
      { config: cell('bbt', { maxLength: 128 }), result: { calls: 2000, seconds: 1600 } },
      { config: cell('bbt', { task: 'yelp' }), result: { calls: 2000, seconds: 1700 } },
    ];
    const m = measuredSecondsPerUnit(records, like, sizeOf, 1.4);
    expect(m?.cells).toBe(3);
    expect(m?.secondsPerUnit).toBeCloseTo((500 + 1100 + 600) / (bbtUnits + gdfoUnits + bbtUnits), 12);
    // the other teacher's cells calibrate its own estimate
    const other = measuredSecondsPerUnit(records, { ...like, teacher: '../shared/models/mlm-6x384' }, sizeOf, 1.4, 1);
    expect(other).toEqual({ secondsPerUnit: 1400 / bbtUnits, cells: 1 });
  });
  it('gives nothing below the minimum number of cells (the probe is used then)', () => {
    expect(measuredSecondsPerUnit([{ config: cell('bbt'), result: { calls: 2000, seconds: 500 } }], like, sizeOf, 1.4)).toBeUndefined();
    expect(measuredSecondsPerUnit([], like, sizeOf, 1.4, 1)).toBeUndefined();
  });
});

describe('fewshot results folder', () => {
  it('records the default pair on first use and refuses a folder of another default pair in one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-fewshot-pair-'));
    try {
      const pair = { teacher: 'mlm-4x256', student: 'mlm-2x128' };
      checkDefaultPair(dir, pair);
      expect(JSON.parse(readFileSync(join(dir, 'defaults.json'), 'utf8'))).toEqual(pair);
      expect(() => checkDefaultPair(dir, pair)).not.toThrow();
      expect(() => checkDefaultPair(dir, { ...pair, student: 'mlm-2x128-kd' })).toThrow(
        `${join(dir, 'defaults.json')}: this folder's default cells ran on mlm-4x256 → mlm-2x128, today's default pair is mlm-4x256 → mlm-2x128-kd; use another --results folder`,
      );
      writeFileSync(join(dir, 'defaults.json'), '{not json');
      expect(() => checkDefaultPair(dir, pair)).toThrow(/defaults\.json: expected \{"teacher": …, "student": …\}/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
