/**
 * Loads the seven benchmark tasks from ../shared/data and checks the counts its README states.
 * Fails (does not skip) when the data folder is missing.
 */
import { existsSync } from 'node:fs';
import type { Task } from '@gdfo/spec';
import { BENCHMARK_TASKS } from './definitions.js';
import { defaultDataDir, getTask } from './tasks.js';

// [train per class, dev per class, test per class | undefined] from ../shared/data/README.md
const EXPECTED: Record<string, [number[], number[], number[] | undefined]> = {
  sst2: [[16, 16], [16, 16], [428, 444]],
  yelp: [[15, 17], [18, 14], undefined],
  agnews: [[16, 16, 16, 16], [16, 16, 16, 16], [1900, 1900, 1900, 1900]],
  dbpedia: [Array(14).fill(16), Array(14).fill(16), undefined],
  mrpc: [[16, 16], [16, 16], [129, 279]],
  rte: [[16, 16], [16, 16], [146, 131]],
  snli: [[19, 13, 16], [19, 16, 13], [3368, 3219, 3237]],
};

function perClass(examples: Task['train'], classes: number): number[] {
  const out = new Array<number>(classes).fill(0);
  for (const e of examples) out[e.label] = (out[e.label] ?? 0) + 1;
  return out;
}

describe('benchmark tasks from ../shared/data', () => {
  it('the shared data folder exists', () => {
    const dir = defaultDataDir();
    if (!existsSync(dir)) throw new Error(`../shared/data is missing: looked in ${dir}; these tests need it`);
  });

  it.each(BENCHMARK_TASKS.map((n) => [n]))('%s has the documented counts', async (name) => {
    const task = await getTask(name);
    const [train, dev, test] = EXPECTED[name] as [number[], number[], number[] | undefined];
    const k = task.classes.length;
    expect(perClass(task.train, k)).toEqual(train);
    expect(perClass(task.dev, k)).toEqual(dev);
    if (test) expect(perClass(task.test ?? [], k)).toEqual(test);
    else expect(task.test).toBeUndefined();
    const needsB = task.template.text.includes('{textB}');
    for (const e of [...task.train, ...task.dev, ...(task.test ?? [])]) {
      expect(e.text.trim().length).toBeGreaterThan(0);
      if (needsB) expect((e.textB ?? '').trim().length).toBeGreaterThan(0);
    }
    // no train/dev overlap
    const trainTexts = new Set(task.train.map((e) => `${e.text}\u0000${e.textB ?? ''}`));
    expect(task.dev.some((e) => trainTexts.has(`${e.text}\u0000${e.textB ?? ''}`))).toBe(false);
  });

  it('applies BBT preprocessing: DBPedia stripped, Yelp literal \\n replaced', async () => {
    const db = await getTask('dbpedia');
    expect(db.train.every((e) => e.text === e.text.trim())).toBe(true);
    const yelp = await getTask('yelp');
    expect(yelp.train.some((e) => e.text.includes('\\n'))).toBe(false);
  });
});
