import { createRng } from './rng.js';

describe('xoshiro128** RNG', () => {
  it('matches the reference xoshiro128** outputs for state (1, 2, 3, 4)', () => {
    // First outputs of Vigna's reference C implementation started at s = {1, 2, 3, 4}.
    const r = createRng(0);
    r.restore({ algorithm: 'xoshiro128**', seed: '0', s: [1, 2, 3, 4], spare: null });
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
  });

  it('gives the recorded stream for seed 42 (same seed, same stream on every platform)', () => {
    const a = createRng(42);
    expect([a.nextUint32(), a.nextUint32(), a.nextUint32()]).toEqual([3415929203, 220504180, 3558451373]);
    const b = createRng(42);
    expect([b.uniform(), b.gaussian(), b.gaussian(), b.int(10)]).toEqual([
      0.7953329909692713, 0.932670897787901, -0.5194615591855648, 8,
    ]);
    expect(createRng('42').uniform()).toBe(createRng(42).uniform());
    expect(createRng(43).uniform()).not.toBe(createRng(42).uniform());
  });

  it('round-trips its state, including the cached Gaussian deviate', () => {
    const a = createRng('run-7');
    for (let i = 0; i < 5; i++) a.gaussian(); // leaves a spare deviate cached
    const snapshot = JSON.parse(JSON.stringify(a.state()));
    const expected = Array.from({ length: 20 }, () => a.gaussian());
    const b = createRng('something else');
    b.restore(snapshot);
    expect(Array.from({ length: 20 }, () => b.gaussian())).toEqual(expected);
    expect(b.seed).toBe('run-7');
  });

  it('forks deterministically and independently of the parent position', () => {
    const a = createRng(1);
    const f1 = a.fork('teacher').uniform();
    a.uniform();
    a.uniform();
    expect(a.fork('teacher').uniform()).toBe(f1);
    expect(a.fork('student').uniform()).not.toBe(f1);
  });

  it('has sane moments and an unbiased int()', () => {
    const r = createRng(123);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const g = r.gaussian();
      s += g;
      s2 += g * g;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => r.int(0)).toThrow(/positive integer/);
  });

  it('refuses a foreign state with a clear message', () => {
    expect(() => createRng(1).restore({ algorithm: 'mt19937' })).toThrow(/xoshiro128\*\* state/);
  });
});
