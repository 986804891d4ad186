import { createRng } from '@gdfo/core';
import type { Optimizer, OptimizerOptions, StateValue } from '@gdfo/spec';
import { createCMAES } from './cmaes.js';
import { rosenbrock, sphere } from './functions.js';
import { createGaussianSmoothing } from './gaussian-smoothing.js';
import { kit } from './index.js';
import { createNelderMead } from './nelder-mead.js';
import { createIPOPCMAES } from './restarts.js';
import { createSPSA } from './spsa.js';

/** A strategy written the way a plugin writes one: only `kit` (a (1, λ)-ES moving to the best point, σ decays). */
class ToyES extends kit.PointStrategy {
  readonly popSize: number;
  private readonly decay: number;
  private step: number;

  constructor(options: OptimizerOptions) {
    super('toy-es', options);
    this.popSize = kit.checkPopSize(this.name, options.popSize, 6, 2, 'a best and a runner-up');
    this.step = kit.resolveSigma0(options, this.box);
    const r = new kit.OptionReader(this.name, options.options);
    this.decay = r.number('decay', 0.95, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
    this.readStops(r);
    r.finish();
  }

  ask(count: number = this.popSize): Float64Array[] {
    kit.checkAskCount(this.name, count);
    return Array.from({ length: count }, () => kit.gaussianAround(this.rng, this.x, this.step, this.box));
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    this.told(points, fitness);
    const { order, nonFinite } = kit.rankOrder(fitness);
    if (order.length > nonFinite) this.x.set(points[order[0]!]!);
    this.step *= this.decay;
    this.gen++;
  }

  state(): StateValue {
    return { ...this.stateHead(), centre: Float64Array.from(this.x), step: this.step, ...this.stateTail() };
  }

  restore(state: StateValue): void {
    this.restoreHead(state);
    this.x.set(kit.vectorField(this.name, state, 'centre', this.dim));
    this.step = kit.numberField(this.name, state, 'step');
    this.restoreTail(state);
  }
}

const toy = (seed: number | string, extra: Partial<OptimizerOptions> = {}) =>
  new ToyES({ dim: 4, rng: createRng(seed), x0: new Float64Array(4).fill(2), sigma0: 0.5, ...extra });
const gdfoError = (code: string, message: string | RegExp) =>
  expect.objectContaining({ code, message: typeof message === 'string' ? message : expect.stringMatching(message) });

describe('the strategy kit (`kit` of @gdfo/dfo)', () => {
  test('a strategy made of the kit checks options and tell arguments with the built-ins\' codes', () => {
    expect(() => toy(1, { popSize: 1 })).toThrow(
      gdfoError('BAD_OPTION', 'toy-es: options.popSize must be an integer ≥ 2 (a best and a runner-up), got 1'),
    );
    expect(() => toy(1, { options: { decay: 1 } })).toThrow(gdfoError('BAD_OPTION', 'toy-es: options.options.decay must be a number > 0 < 1, got 1'));
    expect(() => toy(1, { options: { decy: 0.5 } })).toThrow(
      gdfoError('BAD_OPTION', 'toy-es: unknown option options.options.decy; expected one of decay, ftarget, maxIterations'),
    );
    expect(() => toy(1, { sigma0: -1 })).toThrow(gdfoError('BAD_OPTION', 'toy-es: options.sigma0 must be a number > 0, got -1'));
    const o = toy(1);
    expect(() => o.tell([new Float64Array(4)], [])).toThrow(
      gdfoError('BAD_ARGUMENT', 'toy-es.tell: got 1 points but 0 fitness values; expected one value per point'),
    );
    expect(() => o.ask(-1)).toThrow(gdfoError('BAD_ARGUMENT', 'toy-es.ask: count must be a positive integer, got -1'));
  });

  test('it gets counters, best, stops and a bit-identical, validated state/restore', () => {
    const a = toy('a', { options: { maxIterations: 40 } });
    const step = (o: ToyES) => {
      const xs = o.ask();
      const fs = xs.map(rosenbrock);
      fs[1] = NaN;
      o.tell(xs, fs);
    };
    for (let g = 0; g < 12; g++) step(a);
    const snap = structuredClone(a.state());
    const b = toy('another seed', { options: { maxIterations: 40 } });
    b.restore(snap);
    while (a.stop().length === 0) {
      step(a);
      step(b);
    }
    expect(b.state()).toEqual(a.state());
    expect([a.generation, a.evaluations, a.nonFiniteEvaluations, a.stop()]).toEqual([40, 240, 40, ['maxiter']]);
    expect(b.best).toEqual(a.best);

    const s = a.state() as Record<string, StateValue>;
    const refused = (state: StateValue, message: string | RegExp) => expect(() => toy(1).restore(state)).toThrow(gdfoError('BAD_STATE', message));
    refused({ ...s, strategy: 'cma-es' }, 'toy-es.restore: state is of strategy "cma-es", expected "toy-es"');
    refused({ ...s, dim: 3 }, 'toy-es.restore: state has dim 3, this optimizer has dim 4');
    refused({ ...s, centre: new Float64Array(3) }, 'toy-es.restore: field "centre" must be a Float64Array of length 4');
    refused({ ...s, generation: '7' }, 'toy-es.restore: field "generation" must be a number');
    refused({ ...s, best: { x: new Float64Array(4) } }, 'toy-es.restore: field "best" must be null or { x: Float64Array of length 4, f: number }');
    refused({ ...s, rng: undefined as unknown as StateValue }, 'toy-es.restore: field "rng" must be an rng state (rng.state())');
    refused({ ...s, rng: { algorithm: 'mt' } }, /^toy-es\.restore: field "rng": rng\.restore: expected an xoshiro128\*\* state/);
  });

  test('rowsField, sameNumberField and optionalNumberField read what flatten and the strategies write', () => {
    const rows = [Float64Array.of(1, 2), Float64Array.of(3, 4), Float64Array.of(5, 6)];
    const s = { m: kit.flatten(rows, 2), size: 3, a: null, b: 2 };
    expect(kit.rowsField('x', s, 'm', 2)).toEqual(rows);
    expect(kit.rowsField('x', s, 'm', 2, 3)).toEqual(rows);
    expect(() => kit.rowsField('x', s, 'm', 2, 2)).toThrow(gdfoError('BAD_STATE', 'x.restore: field "m" must be a Float64Array of 2 × 2 values'));
    expect(() => kit.rowsField('x', s, 'm', 4)).toThrow(gdfoError('BAD_STATE', 'x.restore: field "m" must be a Float64Array of k × 4 values'));
    expect(kit.sameNumberField('x', s, 'size', 3)).toBe(3);
    expect(() => kit.sameNumberField('x', s, 'size', 4)).toThrow(gdfoError('BAD_STATE', 'x.restore: state has size 3, this optimizer has 4'));
    expect([kit.optionalNumberField('x', s, 'a'), kit.optionalNumberField('x', s, 'b')]).toEqual([undefined, 2]);
    expect(() => kit.optionalNumberField('x', s, 'm')).toThrow(gdfoError('BAD_STATE', 'x.restore: field "m" must be a number or null'));
  });
});

describe('built-in strategies validate what they restore', () => {
  const base = (): OptimizerOptions => ({ dim: 3, rng: createRng(5), x0: new Float64Array(3).fill(1), sigma0: 0.5 });
  const cases: [string, (o: OptimizerOptions) => Optimizer, string, StateValue, string][] = [
    ['spsa', createSPSA, 'pending', new Float64Array(4), 'spsa.restore: field "pending" must be a Float64Array of k × 3 values'],
    ['gaussian-smoothing', createGaussianSmoothing, 'm2', new Float64Array(2), 'gaussian-smoothing.restore: field "m2" must be a Float64Array of length 3'],
    ['cma-es', createCMAES, 'pendingZ', new Float64Array(3), 'cma-es.restore: field "pendingZ" must be a Float64Array of 4 × 3 values'],
    ['cma-es', createCMAES, 'pendingInjected', [], 'cma-es.restore: field "pendingInjected" must be an array of 4 booleans'],
    ['nelder-mead', createNelderMead, 'pendingKnown', [true, false], 'nelder-mead.restore: field "pendingKnown" must be an array of 1 booleans'],
    ['ipop-cma-es', createIPOPCMAES, 'best', 3, 'ipop-cma-es.restore: field "best" must be null or { x: Float64Array of length 3, f: number }'],
  ];
  test.each(cases)('%s refuses a corrupt field (case %#)', (_name, make, key, value, message) => {
    const a = make(base());
    const xs = a.ask();
    a.tell(xs, xs.map(sphere));
    a.ask(4);
    const s = a.state() as Record<string, StateValue>;
    expect(() => make(base()).restore({ ...s, [key]: value })).toThrow(gdfoError('BAD_STATE', message));
    expect(() => make(base()).restore(s)).not.toThrow();
  });
});

describe('gaussian-smoothing on the Adam of @gdfo/core', () => {
  // Values of the package's own Adam loop before it moved to core: the results are bit-identical.
  test.each([
    [{}, [0.7197372812852483, 0.7776342833168929, 0.7515745711800814, 0.7426646055534888, 0.768340628817801, 1.405854095227142], 46.60407697723312],
    [
      { bounds: { lower: -1, upper: 2 }, options: { lrDecay: 0.97, beta1: 0.8 } },
      [0.747560373563847, 0.8581572517023178, 0.852795003948154, 0.8457384057203005, 1.0347993234887545, 1.4231954005431016],
      66.41591551521121,
    ],
  ] as const)('30 generations on Rosenbrock (%j)', (extra, mean, best) => {
    const o = createGaussianSmoothing({ dim: 6, rng: createRng(11), x0: new Float64Array(6).fill(1.5), sigma0: 0.5, ...extra });
    for (let g = 0; g < 30; g++) {
      const xs = o.ask();
      o.tell(xs, xs.map(rosenbrock));
    }
    expect(Array.from(o.mean())).toEqual(mean);
    expect(o.best?.f).toBe(best);
    const s = o.state() as Record<string, StateValue>;
    expect(s.t).toBe(30);
    expect([(s.m1 as Float64Array).length, (s.m2 as Float64Array).length]).toEqual([6, 6]);
  });

  test('refuses Adam settings the step cannot take', () => {
    const o = { dim: 2, rng: createRng(1) };
    expect(() => createGaussianSmoothing({ ...o, options: { beta2: 1 } })).toThrow(
      gdfoError('BAD_OPTION', 'gaussian-smoothing: options.options.beta2 must be a number ≥ 0 < 1, got 1'),
    );
    expect(() => createGaussianSmoothing({ ...o, options: { epsilon: 0 } })).toThrow(
      gdfoError('BAD_OPTION', 'gaussian-smoothing: options.options.epsilon must be a number > 0, got 0'),
    );
  });
});
