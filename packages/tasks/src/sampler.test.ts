import type { Example } from '@gdfo/spec';
import { sampleBalanced, sampleFewShot } from './sampler.js';

/** 3 classes with 10, 8 and 5 examples. */
function data(): Example[] {
  const out: Example[] = [];
  const sizes = [10, 8, 5];
  sizes.forEach((n, c) => {
    for (let i = 0; i < n; i++) out.push({ id: `c${c}-${i}`, text: `t${c}-${i}`, label: c });
  });
  return out;
}

describe('sampleFewShot', () => {
  it('draws k per class for train and dev, disjoint, and rest holds every other example', () => {
    const all = data();
    const s = sampleFewShot(all, { k: 2, seed: 1, classes: 3 });
    const count = (xs: Example[], c: number) => xs.filter((e) => e.label === c).length;
    for (let c = 0; c < 3; c++) {
      expect(count(s.train, c)).toBe(2);
      expect(count(s.dev, c)).toBe(2);
    }
    const ids = [...s.train, ...s.dev, ...s.rest].map((e) => e.id);
    expect(new Set(ids).size).toBe(all.length);
    expect(ids.length).toBe(all.length);
    expect(s.rest.length).toBe(23 - 12);
    // rest keeps input order
    const pos = s.rest.map((e) => all.indexOf(e));
    expect([...pos].sort((a, b) => a - b)).toEqual(pos);
  });

  it('is reproducible from the seed and changes with it', () => {
    const a = sampleFewShot(data(), { k: 2, seed: 42, classes: 3 });
    const b = sampleFewShot(data(), { k: 2, seed: 42, classes: 3 });
    const c = sampleFewShot(data(), { k: 2, seed: 43, classes: 3 });
    expect(a.train.map((e) => e.id)).toEqual(b.train.map((e) => e.id));
    expect(a.dev.map((e) => e.id)).toEqual(b.dev.map((e) => e.id));
    expect(a.train.map((e) => e.id)).not.toEqual(c.train.map((e) => e.id));
  });

  it('kDev = 0 gives no dev split', () => {
    const s = sampleFewShot(data(), { k: 5, kDev: 0, seed: 1, classes: 3 });
    expect(s.train.length).toBe(15);
    expect(s.dev.length).toBe(0);
  });

  it('one-line errors for too few examples, an empty class and a bad label', () => {
    expect(() => sampleFewShot(data(), { k: 3, seed: 1, classes: 3, classNames: ['a', 'b', 'c'], source: 'x.jsonl' })).toThrow(
      'sampleFewShot: class 2 (c) has 5 examples in x.jsonl; need 6 (k = 3 train + 3 dev)',
    );
    expect(() => sampleFewShot(data(), { k: 1, seed: 1, classes: 4 })).toThrow('class 3 has no examples; need 2');
    expect(() => sampleFewShot(data(), { k: 1, seed: 1, classes: 2 })).toThrow('has label 2, expected an integer in 0..1');
    expect(() => sampleFewShot(data(), { k: 0, seed: 1, classes: 3 })).toThrow('k must be a positive integer, got 0');
  });
});

describe('sampleBalanced', () => {
  it('takes perClass of each class, seeded', () => {
    const s = sampleBalanced(data(), 4, 3, 'x');
    expect(s.length).toBe(12);
    for (let c = 0; c < 3; c++) expect(s.filter((e) => e.label === c).length).toBe(4);
    expect(sampleBalanced(data(), 4, 3, 'x').map((e) => e.id)).toEqual(s.map((e) => e.id));
    expect(() => sampleBalanced(data(), 6, 3, 'x')).toThrow('class 2 has 5 examples, need 6');
  });
});
