import { dealCells } from './fewshot.js';

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
