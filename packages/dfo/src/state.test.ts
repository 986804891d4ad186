import { createRng } from '@gdfo/core';
import type { ComponentFactory, ComponentKind, Optimizer, OptimizerFactory, OptimizerOptions, Registry } from '@gdfo/spec';
import { createCMAES } from './cmaes.js';
import { ellipsoid, rastrigin, sphere } from './functions.js';
import { createGaussianSmoothing } from './gaussian-smoothing.js';
import { DFO_STRATEGIES, registerDfo } from './index.js';
import { createNelderMead } from './nelder-mead.js';
import { createOnePlusOneES } from './one-plus-one.js';
import { createRandomSearch } from './random-search.js';
import { createBIPOPCMAES, createIPOPCMAES } from './restarts.js';
import { createSepCMAES } from './sep-cmaes.js';
import { createSPSA } from './spsa.js';

type Make = (options: OptimizerOptions) => Optimizer;

const n = 6;
const base = (seed: number | string): OptimizerOptions => ({ dim: n, rng: createRng(seed), x0: new Float64Array(n).fill(1.5), sigma0: 0.8 });

const CASES: { name: string; make: Make; extra?: Partial<OptimizerOptions>; f?: (x: Float64Array) => number; gens?: number }[] = [
  { name: 'cma-es', make: createCMAES, f: ellipsoid },
  { name: 'cma-es (bounds)', make: createCMAES, extra: { bounds: { lower: -1, upper: 2 } } },
  { name: 'sep-cma-es', make: createSepCMAES, f: ellipsoid },
  // small restart budgets so that restarts happen within the test
  { name: 'ipop-cma-es', make: createIPOPCMAES, extra: { options: { tolfun: 1e-3, restartLower: -3, restartUpper: 3 } }, f: rastrigin, gens: 150 },
  { name: 'bipop-cma-es', make: createBIPOPCMAES, extra: { options: { tolfun: 1e-3, restartLower: -3, restartUpper: 3 } }, f: rastrigin, gens: 150 },
  { name: 'one-plus-one-es', make: createOnePlusOneES },
  { name: 'random-search', make: createRandomSearch, extra: { bounds: { lower: -2, upper: 2 } } },
  { name: 'spsa', make: createSPSA },
  { name: 'gaussian-smoothing', make: createGaussianSmoothing },
  { name: 'nelder-mead', make: createNelderMead },
];

/** One generation; with an injected extra point every third generation (an outside proposal). */
function step(opt: Optimizer, f: (x: Float64Array) => number, g: number, log: number[][]): void {
  const xs = opt.ask();
  for (const x of xs) log.push(Array.from(x));
  const pts = [...xs];
  if (g % 3 === 2 && pts.length > 0) pts.push((pts[0] as Float64Array).map((v) => v * 0.9));
  const fs = pts.map(f);
  if (g % 5 === 4) fs[fs.length - 1] = NaN;
  opt.tell(pts, fs);
}

describe('state() / restore(): a restored strategy continues bit-identically', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const f = c.f ?? sphere;
      const gens = c.gens ?? 40;
      const a = c.make({ ...base(7), ...c.extra });
      const warm: number[][] = [];
      for (let g = 0; g < gens; g++) step(a, f, g, warm);
      // snapshot between generations, and a second one between ask and tell
      const snap = structuredClone(a.state());
      const logA: number[][] = [];
      for (let g = gens; g < gens + 25; g++) step(a, f, g, logA);
      const pendingAsk = a.ask();
      const snapMid = structuredClone(a.state());
      a.tell(pendingAsk, pendingAsk.map(f));
      for (let g = 0; g < 5; g++) step(a, f, g, logA);

      // a fresh instance with another seed, restored
      const b = c.make({ ...base('other'), ...c.extra });
      b.restore(snap);
      const logB: number[][] = [];
      for (let g = gens; g < gens + 25; g++) step(b, f, g, logB);
      const pendingB = b.ask();
      expect(pendingB.map((x) => Array.from(x))).toEqual(pendingAsk.map((x) => Array.from(x)));
      const c2 = c.make({ ...base('third'), ...c.extra });
      c2.restore(snapMid);
      c2.tell(pendingB, pendingB.map(f));
      for (let g = 0; g < 5; g++) step(c2, f, g, logB);

      expect(logB).toEqual(logA);
      expect(logA.length).toBeGreaterThan(0);
      expect(c2.state()).toEqual(a.state());
      expect(c2.evaluations).toBe(a.evaluations);
      expect(c2.generation).toBe(a.generation);
      expect(c2.best?.f).toBe(a.best?.f);
      expect((c2 as unknown as { nonFiniteEvaluations: number }).nonFiniteEvaluations).toBeGreaterThan(0);
    });
  }

  test('restore refuses a state of another strategy or dimension', () => {
    const cma = createCMAES(base(1));
    const sep = createSepCMAES(base(1));
    expect(() => cma.restore(sep.state())).toThrow(/cma-es\.restore: state is of strategy "sep-cma-es", expected "cma-es"/);
    const big = createCMAES({ ...base(1), dim: 7, x0: new Float64Array(7) });
    expect(() => cma.restore(big.state())).toThrow(/state has dim 7, this optimizer has dim 6/);
  });
});

describe('registerDfo', () => {
  test('registers the nine strategies by name, each factory builds a working optimizer', () => {
    const got = new Map<string, { factory: OptimizerFactory; description: string }>();
    const registry: Registry = {
      register<T>(_kind: ComponentKind, _name: string, _factory: ComponentFactory<T>): void {
        throw new Error('registerDfo must use registerStrategy');
      },
      registerStrategy(name, factory, description = '') {
        got.set(name, { factory, description });
      },
      has: (_k, name) => got.has(name),
      names: () => [...got.keys()],
    };
    registerDfo(registry);
    expect([...got.keys()].sort()).toEqual(
      [
        'bipop-cma-es',
        'cma-es',
        'gaussian-smoothing',
        'ipop-cma-es',
        'nelder-mead',
        'one-plus-one-es',
        'random-search',
        'sep-cma-es',
        'spsa',
      ].sort(),
    );
    for (const [name, { factory, description }] of got) {
      expect(description).toBe(DFO_STRATEGIES[name]);
      const opt = factory({ ...base(3), bounds: { lower: -5, upper: 5 } });
      expect(opt.name).toBe(name);
      expect(opt.specVersion).toBe('1.0');
      expect(opt.dim).toBe(n);
      const before = sphere(new Float64Array(n).fill(1.5));
      for (let g = 0; g < 60; g++) {
        const xs = opt.ask();
        opt.tell(xs, xs.map(sphere));
      }
      expect(opt.best?.f).toBeLessThan(before);
    }
  });
});
