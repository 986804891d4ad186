import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Optimizer, StateValue } from '@gdfo/spec';
import { CheckpointStore, createContainer, createRng, installPlugin } from '@gdfo/core';
import plugin, { DifferentialEvolution, type DeVariant } from './index.js';

const sphere = (x: Float64Array) => x.reduce((s, v) => s + v * v, 0);
function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return s;
}

function make(variant: DeVariant, popSize: number, seed: number | string, extra: Partial<ConstructorParameters<typeof DifferentialEvolution>[0]> = {}) {
  return new DifferentialEvolution({ dim: 10, rng: createRng(seed), popSize, sigma0: 2, ...extra }, variant);
}

/** Runs until a stop reason or `maxEvals`; returns evaluations needed to get below `target` (Infinity if never). */
function minimize(o: Optimizer, f: (x: Float64Array) => number, maxEvals: number, target: number) {
  let hit = Infinity;
  while (o.evaluations < maxEvals && o.stop().length === 0) {
    const xs = o.ask();
    o.tell(xs, xs.map(f));
    if (hit === Infinity && o.best!.f < target) hit = o.evaluations;
  }
  return hit;
}

describe('convergence (d = 10)', () => {
  it.each([1])('DE/rand/1/bin solves the sphere to 1e-8 and Rosenbrock (NP = 10·d) to the global minimum, seed %i', (seed) => {
    const s = make('rand-1-bin', 50, seed);
    const sphereEvals = minimize(s, sphere, 30_000, 1e-8);
    expect(sphereEvals).toBeLessThan(15_000);
    expect(Math.max(...s.best!.x.map(Math.abs))).toBeLessThan(1e-4);

    const r = make('rand-1-bin', 100, seed);
    const rosenEvals = minimize(r, rosenbrock, 200_000, 1e-8);
    expect(rosenEvals).toBeLessThan(150_000);
    // The global minimum is x = (1, ..., 1), f = 0.
    expect(Math.max(...r.best!.x.map((v) => Math.abs(v - 1)))).toBeLessThan(1e-3);
  });

  it.each([1, 2])('JADE solves both in fewer evaluations than DE/rand/1/bin, seed %i', (seed) => {
    const s = make('jade', 50, seed);
    const sphereEvals = minimize(s, sphere, 30_000, 1e-8);
    expect(sphereEvals).toBeLessThan(10_000);
    const r = make('jade', 50, seed);
    const rosenEvals = minimize(r, rosenbrock, 60_000, 1e-8);
    expect(rosenEvals).toBeLessThan(30_000);
    expect(Math.max(...r.best!.x.map((v) => Math.abs(v - 1)))).toBeLessThan(1e-3);
    // The same budget leaves DE/rand/1/bin far from the optimum (JADE paper, Table III: 2.1 after 3·10^5 in 30-D).
    const d = make('rand-1-bin', 50, seed);
    minimize(d, rosenbrock, rosenEvals, -1);
    expect(d.best!.f).toBeGreaterThan(1e-2);
    // μCR adapts towards high crossover on Rosenbrock (a non-separable function).
    expect(r.parameters.CR).toBeGreaterThan(0.7);
    expect(r.archiveSize).toBeLessThanOrEqual(50);
  });
});

describe('ask/tell contract', () => {
  it('first asks an initial population around x0, then one trial per target', () => {
    const o = make('rand-1-bin', 8, 'init', { x0: new Float64Array(10).fill(3), sigma0: 0.1 });
    const init = o.ask();
    expect(init).toHaveLength(8);
    for (const x of init) expect(Math.abs(x.reduce((s, v) => s + v, 0) / 10 - 3)).toBeLessThan(0.2);
    o.tell(init, init.map(sphere));
    expect(o.population().x).toHaveLength(8);
    expect(o.ask(3)).toHaveLength(3);
  });

  it('does not depend on the order points are told in', () => {
    const a = make('jade', 12, 'order');
    const b = make('jade', 12, 'order');
    for (let g = 0; g < 20; g++) {
      const xa = a.ask();
      const xb = b.ask();
      expect(xb).toEqual(xa);
      const perm = xb.map((_x, i) => i).reverse();
      a.tell(xa, xa.map(rosenbrock));
      b.tell(perm.map((i) => xb[i]!), perm.map((i) => rosenbrock(xb[i]!)));
    }
    expect(b.population()).toEqual(a.population());
    expect(b.parameters).toEqual(a.parameters);
  });

  it('lets an injected point replace the worst member when it is better, and ranks NaN last', () => {
    const o = make('rand-1-bin', 6, 'inject');
    const init = o.ask();
    o.tell(init, init.map((_x, i) => (i === 2 ? NaN : 10 + i)));
    expect(o.population().f).toEqual([10, 11, Infinity, 13, 14, 15]);
    const trials = o.ask();
    const good = new Float64Array(10).fill(0.5);
    // Told: the injected point and the trials (all worse than their targets).
    o.tell([good, ...trials], [1, ...trials.map(() => 100)]);
    const pop = o.population();
    expect(pop.f).toEqual([10, 11, 1, 13, 14, 15]);
    expect(pop.x[2]).toEqual(good);
    expect(o.best).toEqual({ x: good, f: 1 });
    expect(o.evaluations).toBe(13);
  });

  it('keeps trials inside bounds (halfway back to the parent)', () => {
    const o = new DifferentialEvolution({ dim: 4, rng: createRng(5), popSize: 10, bounds: { lower: -1, upper: 1 }, options: { F: 0.8 } }, 'rand-1-bin');
    for (let g = 0; g < 100; g++) {
      const xs = o.ask();
      for (const x of xs) for (const v of x) expect(Math.abs(v)).toBeLessThanOrEqual(1);
      o.tell(xs, xs.map((x) => sphere(x.map((v) => v - 2))));
    }
    // The optimum of the shifted sphere in the box is the corner (1, 1, 1, 1).
    expect(Math.min(...o.best!.x)).toBeGreaterThan(0.99);
  });

  it('stops on maxEvaluations and on a collapsed population', () => {
    const o = make('jade', 10, 'stop', { maxEvaluations: 40 });
    minimize(o, sphere, 1000, -1);
    expect(o.evaluations).toBe(40);
    expect(o.stop()).toContain('maxfevals');
    const flat = make('rand-1-bin', 5, 'flat');
    const xs = flat.ask();
    flat.tell(xs, xs.map(() => 7));
    expect(flat.stop()).toEqual(['tolfun']);
  });

  it("refuses bad options, asks and tells in one line, with the built-in strategies' codes", () => {
    const o = make('jade', 10, 1);
    for (const [f, code, message] of [
      [() => make('jade', 3, 1), 'BAD_OPTION', 'jade: options.popSize must be an integer ≥ 4 (DE draws three others besides the target), got 3'],
      [() => make('rand-1-bin', 10, 1, { options: { CR: 1.5 } }), 'BAD_OPTION', 'de-rand-1-bin: options.options.CR must be a number ≥ 0 ≤ 1, got 1.5'],
      [
        () => make('jade', 10, 1, { options: { mu: 0.5 } }),
        'BAD_OPTION',
        'jade: unknown option options.options.mu; expected one of CR, F, archive, c, ftarget, maxIterations, muCR, muF, p, tolFun, tolX',
      ],
      [() => make('jade', 10, 1, { options: { archive: 'yes' } }), 'BAD_OPTION', 'jade: options.options.archive must be true or false, got "yes"'],
      [() => make('jade', 10, 1, { x0: new Float64Array(3) }), 'BAD_OPTION', 'jade: options.x0 must be a Float64Array of length dim = 10'],
      [() => make('jade', 10, 1, { bounds: { lower: 1, upper: 1 } }), 'BAD_OPTION', 'jade: options.bounds: lower[0] = 1 must be < upper[0] = 1'],
      [() => o.tell([new Float64Array(10)], [1, 2]), 'BAD_ARGUMENT', 'jade.tell: got 1 points but 2 fitness values; expected one value per point'],
      [() => o.tell([new Float64Array(3)], [1]), 'BAD_ARGUMENT', 'jade.tell: points[0] must be a Float64Array of length 10'],
      [() => o.ask(0), 'BAD_ARGUMENT', 'jade.ask: count must be a positive integer, got 0'],
    ] as const) {
      expect(f).toThrow(expect.objectContaining({ code, message }));
    }
  });

  it('stops on ftarget and maxIterations like the built-in strategies', () => {
    const o = make('jade', 10, 'ftarget', { options: { ftarget: 50, maxIterations: 500 } });
    minimize(o, sphere, 100_000, -1);
    expect(o.stop()).toEqual(['ftarget']);
    expect(o.best!.f).toBeLessThanOrEqual(50);
    const m = make('rand-1-bin', 10, 'maxiter', { options: { maxIterations: 7 } });
    minimize(m, sphere, 100_000, -1);
    expect([m.generation, m.stop()]).toEqual([7, ['maxiter']]);
  });
});

describe('state and restore', () => {
  it.each(['rand-1-bin', 'jade'] as const)('%s continues bit-identically from a snapshot (also one taken between ask and tell)', (variant) => {
    const a = make(variant, 12, 'snap');
    for (let g = 0; g < 15; g++) {
      const xs = a.ask();
      a.tell(xs, xs.map(rosenbrock));
    }
    const snap = a.state();
    const b = make(variant, 12, 'another seed entirely');
    b.restore(snap);
    // Through a checkpoint file too: the state is storable (typed arrays as binary).
    const store = new CheckpointStore(mkdtempSync(join(tmpdir(), 'gdfo-de-')));
    store.save('s', snap);
    const c = make(variant, 12, 'yet another');
    c.restore(store.load('s'));
    for (let g = 0; g < 10; g++) {
      const xa = a.ask();
      expect(b.ask()).toEqual(xa);
      expect(c.ask()).toEqual(xa);
      const f = xa.map(rosenbrock);
      a.tell(xa, f);
      b.tell(xa, f);
      c.tell(xa, f);
    }
    expect(b.population()).toEqual(a.population());
    expect(c.best).toEqual(a.best);
    expect([b.generation, b.evaluations]).toEqual([a.generation, a.evaluations]);

    // A snapshot between ask and tell keeps the pending trials: telling them afterwards matches by content.
    const asked = a.ask();
    const mid = a.state();
    const d = make(variant, 12, 'mid');
    d.restore(mid);
    const f = asked.map(rosenbrock);
    a.tell(asked, f);
    d.tell(asked.map((x) => Float64Array.from(x)), f);
    expect(d.population()).toEqual(a.population());
    expect(d.ask()).toEqual(a.ask());
  });

  it.each(['rand-1-bin', 'jade'] as const)('%s: a run resumed from a checkpoint file mid-run equals the uninterrupted run bit for bit', (variant) => {
    const f = (x: Float64Array) => rosenbrock(x) + (x[0]! > 1 ? NaN : 0);
    const boxed = (seed: string) => make(variant, 12, seed, { bounds: { lower: -3, upper: 3 } });
    const step = (o: DifferentialEvolution, log: Float64Array[], g: number) => {
      const xs = o.ask();
      log.push(...xs);
      // An injected point every fourth generation, told first.
      const told = g % 4 === 3 ? [xs[0]!.map((v) => v * 0.5), ...xs] : xs;
      o.tell(told, told.map(f));
    };
    const whole = boxed('resume');
    const logWhole: Float64Array[] = [];
    for (let g = 0; g < 40; g++) step(whole, logWhole, g);

    const first = boxed('resume');
    const logResumed: Float64Array[] = [];
    for (let g = 0; g < 17; g++) step(first, logResumed, g);
    const store = new CheckpointStore(mkdtempSync(join(tmpdir(), 'gdfo-de-resume-')));
    store.save('de', first.state());
    const resumed = boxed('a fresh process');
    resumed.restore(store.load('de'));
    for (let g = 17; g < 40; g++) step(resumed, logResumed, g);

    expect(logResumed).toEqual(logWhole);
    expect(resumed.state()).toEqual(whole.state());
    expect([resumed.best, resumed.nonFiniteEvaluations, resumed.parameters]).toEqual([whole.best, whole.nonFiniteEvaluations, whole.parameters]);
    expect(whole.nonFiniteEvaluations).toBeGreaterThan(0);
  });

  it('refuses a state of another variant, dim or size, and a corrupt one, with BAD_STATE naming the field', () => {
    const a = make('jade', 12, 1);
    const xs = a.ask();
    a.tell(xs, xs.map(sphere));
    a.ask(5);
    const good = a.state() as Record<string, StateValue>;
    const restore = (state: StateValue, variant: DeVariant = 'jade', popSize = 12, dim = 10) => () =>
      new DifferentialEvolution({ dim, rng: createRng(2), popSize }, variant).restore(state);
    const refused = (message: string | RegExp) =>
      expect.objectContaining({ code: 'BAD_STATE', message: typeof message === 'string' ? message : expect.stringMatching(message) });
    const without = (key: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key)) as StateValue;
    const withField = (key: string, v: StateValue) => ({ ...good, [key]: v }) as StateValue;

    expect(restore(good, 'rand-1-bin')).toThrow(refused('de-rand-1-bin.restore: state is of strategy "jade", expected "de-rand-1-bin"'));
    for (const [state, message, dim, popSize] of [
      [good, 'state has dim 10, this optimizer has dim 5', 5],
      [good, 'state has popSize 12, this optimizer has 16', 10, 16],
      [{ format: 'gdfo-plugin-de/1' }, 'field "strategy" must be a string'],
      [null, 'expected a state object'],
      [without('pop'), 'field "pop" must be a Float64Array of k × 10 values'],
      [withField('pop', (good.pop as Float64Array).subarray(3)), 'field "pop" must be a Float64Array of k × 10 values'],
      [withField('fit', (good.fit as Float64Array).slice(1)), 'field "fit" must be a Float64Array of length 12'],
      [withField('pendingF', new Float64Array(2)), 'field "pendingF" must be a Float64Array of length 5'],
      [withField('pendingTarget', Float64Array.of(0, 1, 2, 3, 12)), 'field "pendingTarget" must be a Float64Array of 5 targets in [-1, 12)'],
      [withField('cursor', 12), 'field "cursor" must be an integer in [0, 12)'],
      [without('muF'), 'field "muF" must be a number'],
      [without('evaluations'), 'field "evaluations" must be a number'],
      [withField('best', { x: new Float64Array(3), f: 1 }), 'field "best" must be null or { x: Float64Array of length 10, f: number }'],
    ] as const) {
      expect(restore(state as StateValue, 'jade', popSize ?? 12, dim ?? 10)).toThrow(refused(`jade.restore: ${message}`));
    }
    expect(restore(withField('rng', { algorithm: 'other' }))).toThrow(refused(/^jade\.restore: field "rng": rng\.restore: expected an xoshiro128\*\* state/));
    expect(restore(good)).not.toThrow();
  });
});

describe('plugin', () => {
  it('registers both strategies through the public registry', async () => {
    const { registry } = createContainer({ seed: 3 });
    const loaded = await installPlugin(registry, plugin, 'gdfo-plugin-de');
    expect(loaded).toEqual({ name: 'gdfo-plugin-de', version: '0.1.0', specVersion: '1.0', source: 'gdfo-plugin-de' });
    expect(registry.names('strategy')).toEqual(['de-rand-1-bin', 'jade']);
    expect(registry.get('strategy', 'jade').origin).toBe('gdfo-plugin-de@0.1.0');
    const o = registry.resolveSync<Optimizer>('strategy', 'jade', { dim: 5, rng: createRng(1), popSize: 8, sigma0: 1, options: { p: 0.2 } });
    expect([o.name, o.dim, o.popSize]).toEqual(['jade', 5, 8]);
    expect(o.ask()).toHaveLength(8);
  });
});
