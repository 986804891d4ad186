import { createRng } from '@gdfo/core';
import { CMAES } from './cmaes.js';
import { ellipsoid, rastrigin, rosenbrock, sphere } from './functions.js';
import { GaussianSmoothing } from './gaussian-smoothing.js';
import { minimize } from './minimize.js';
import { NelderMead } from './nelder-mead.js';
import { OnePlusOneES } from './one-plus-one.js';
import { RandomSearch } from './random-search.js';
import { createBIPOPCMAES, createIPOPCMAES } from './restarts.js';
import { SepCMAES } from './sep-cmaes.js';
import { SPSA } from './spsa.js';

const fill = (d: number, v: number): Float64Array => new Float64Array(d).fill(v);

describe('sep-CMA-ES', () => {
  for (const dim of [10, 40]) {
    test(`sphere and separable ellipsoid d=${dim} to 1e-8`, () => {
      for (const [f, budget] of [
        [sphere, dim === 10 ? 2000 : 6500],
        [ellipsoid, dim === 10 ? 4000 : 14000],
      ] as const) {
        const es = new SepCMAES({ dim, rng: createRng(dim), x0: fill(dim, 3), sigma0: 2 });
        const r = minimize(es, f, { target: 1e-8, maxEvaluations: budget });
        expect(r.evaluationsToTarget).toBeDefined();
      }
    });
  }

  test('on a separable ill-conditioned problem sep-CMA-ES needs far fewer evaluations than full CMA-ES (d=40)', () => {
    // full CMA-ES needs ≈ 50 000 (see cmaes.test.ts); sep-CMA-ES learns the diagonal with rate ∝ (n+2)/3 larger
    const r = minimize(new SepCMAES({ dim: 40, rng: createRng(1), x0: fill(40, 3), sigma0: 2 }), ellipsoid, { target: 1e-8 });
    expect(r.evaluationsToTarget).toBeLessThan(0.3 * 50355);
  });
});

describe('IPOP / BIPOP restarts on Rastrigin', () => {
  const mk = (dim: number, seed: number) => ({
    dim,
    rng: createRng(seed),
    x0: fill(dim, 3),
    sigma0: 2,
    options: { restartLower: -5, restartUpper: 5 },
  });

  test('d=10: plain CMA-ES stops in a local minimum, IPOP and BIPOP find the global one (f < 1e-8)', () => {
    const single = minimize(new CMAES({ dim: 10, rng: createRng(1), x0: fill(10, 3), sigma0: 2 }), rastrigin);
    expect(single.best?.f).toBeGreaterThan(1); // 6.96 after 3 900 evaluations (tolfun)
    const ipop = createIPOPCMAES(mk(10, 1));
    const ri = minimize(ipop, rastrigin, { target: 1e-8, maxEvaluations: 300_000 });
    expect(ri.best?.f).toBeLessThan(1e-8); // ≈ 54 000 evaluations, 4 restarts
    expect(ipop.restarts).toBeGreaterThan(0);
    // popsize doubled at each restart
    expect(ipop.popSize).toBe(10 * 2 ** ipop.restarts);
    const bipop = createBIPOPCMAES(mk(10, 3));
    const rb = minimize(bipop, rastrigin, { target: 1e-8, maxEvaluations: 300_000 });
    expect(rb.best?.f).toBeLessThan(1e-8); // ≈ 82 000 evaluations, 14 restarts
    expect(bipop.history()).toHaveLength(bipop.restarts);
    // the small-population regime ran too (its step size is sigma0·10^(−2U) < sigma0)
    expect(bipop.history().some((run) => run.sigma0 < 2)).toBe(true);
  });

  test('d=40, 50 000 evaluations: restarts reach far better local minima than one CMA-ES run', () => {
    // (the global optimum needs ≈ 0.7–1.5 million evaluations at d=40: λ ≈ 1000; too long for a unit test)
    const single = minimize(new CMAES({ dim: 40, rng: createRng(1), x0: fill(40, 3), sigma0: 2 }), rastrigin);
    expect(single.best?.f).toBeGreaterThan(60); // 88.6 after 14 175 evaluations (tolfun)
    const ri = minimize(createIPOPCMAES(mk(40, 1)), rastrigin, { maxEvaluations: 50_000 });
    expect(ri.best?.f).toBeLessThan(30); // 17.9
    const rb = minimize(createBIPOPCMAES(mk(40, 1)), rastrigin, { maxEvaluations: 50_000 });
    expect(rb.best?.f).toBeLessThan(0.6 * (single.best?.f ?? 0)); // 41.8
  });

  test('maxRestarts ends the run with the inner reasons', () => {
    const ipop = createIPOPCMAES({ ...mk(4, 3), options: { restartLower: -5, restartUpper: 5, maxRestarts: 1 } });
    const r = minimize(ipop, rastrigin, { maxEvaluations: 1e6 });
    expect(ipop.restarts).toBe(1);
    expect(r.reasons.length).toBeGreaterThan(0);
    expect(r.reasons).not.toContain('maxfevals');
  });
});

describe('(1+1)-ES with the 1/5th rule', () => {
  test('sphere d=10 and d=40 to 1e-8', () => {
    const a = minimize(new OnePlusOneES({ dim: 10, rng: createRng(1), x0: fill(10, 3), sigma0: 2 }), sphere, { target: 1e-8 });
    expect(a.evaluationsToTarget).toBeLessThan(1200);
    const b = minimize(new OnePlusOneES({ dim: 40, rng: createRng(1), x0: fill(40, 3), sigma0: 2 }), sphere, { target: 1e-8 });
    expect(b.evaluationsToTarget).toBeLessThan(4500);
  });

  test('Rosenbrock d=5 to 1e-8 (slowly: no covariance learning; ≈ 1e5 evaluations, CMA-ES needs ≈ 2e3)', () => {
    const r = minimize(new OnePlusOneES({ dim: 5, rng: createRng(2), x0: fill(5, 0), sigma0: 0.5 }), rosenbrock, {
      target: 1e-8,
      maxEvaluations: 200_000,
    });
    expect(r.evaluationsToTarget).toBeDefined();
  });

  test('the success rule holds the success rate near 1/5 on the sphere', () => {
    const es = new OnePlusOneES({ dim: 20, rng: createRng(3), x0: fill(20, 1), sigma0: 1 });
    minimize(es, sphere, { maxEvaluations: 3001, honourStop: false });
    const rate = es.successCount / (es.generation - 1);
    expect(rate).toBeGreaterThan(0.15);
    expect(rate).toBeLessThan(0.25);
  });
});

describe('random search', () => {
  test('d=2 in [-1, 1]²: best of 2000 uniform samples < 5e-3; d=10 beats the box average 10/3 by far', () => {
    const a = minimize(new RandomSearch({ dim: 2, rng: createRng(1), bounds: { lower: -1, upper: 1 } }), sphere, { maxEvaluations: 2000 });
    expect(a.best?.f).toBeLessThan(5e-3);
    const b = minimize(new RandomSearch({ dim: 10, rng: createRng(1), bounds: { lower: -1, upper: 1 } }), sphere, { maxEvaluations: 2000 });
    expect(b.best?.f).toBeLessThan(1.2);
    expect(b.best?.f).toBeGreaterThan(0.1); // it is only random search
  });
});

describe('SPSA', () => {
  for (const dim of [10, 40]) {
    test(`sphere d=${dim}: the iterate θ reaches f < 1e-10 within 20 000 evaluations`, () => {
      const sp = new SPSA({ dim, rng: createRng(1), x0: fill(dim, 1), sigma0: 1, maxEvaluations: 20_000 });
      minimize(sp, sphere, { maxEvaluations: 20_000 });
      expect(sphere(sp.mean())).toBeLessThan(1e-10);
      // Spall's gains: c_k = c/(k+1)^0.101
      expect(sp.sigma).toBeCloseTo(0.1 / 10_001 ** 0.101, 12);
    });
  }
});

describe('Gaussian smoothing + Adam', () => {
  test('sphere d=10 and d=40: f(x) < 1e-8 within 20 000 evaluations (antithetic estimate is exact for quadratics)', () => {
    for (const dim of [10, 40]) {
      const gs = new GaussianSmoothing({ dim, rng: createRng(1), x0: fill(dim, 1), sigma0: 0.1 });
      minimize(gs, sphere, { maxEvaluations: 20_000 });
      expect(sphere(gs.mean())).toBeLessThan(1e-8);
    }
  });

  test('ellipsoid d=10: reduces f by more than a factor 100 in 20 000 evaluations', () => {
    const gs = new GaussianSmoothing({ dim: 10, rng: createRng(1), x0: fill(10, 1), sigma0: 0.1 });
    const f0 = ellipsoid(fill(10, 1));
    minimize(gs, ellipsoid, { maxEvaluations: 20_000 });
    expect(ellipsoid(gs.mean())).toBeLessThan(f0 / 100);
  });
});

describe('Nelder–Mead (Gao & Han adaptive coefficients)', () => {
  const asym = (d: number): Float64Array => Float64Array.from({ length: d }, (_, i) => 1 + 0.37 * i - 0.05 * i * i);

  test('Rosenbrock d=2 from (−1.2, 1) and d=5 from 0 to 1e-8', () => {
    const a = minimize(new NelderMead({ dim: 2, rng: createRng(1), x0: Float64Array.of(-1.2, 1) }), rosenbrock, { target: 1e-8 });
    expect(a.evaluationsToTarget).toBeLessThan(300);
    const b = minimize(new NelderMead({ dim: 5, rng: createRng(1), x0: fill(5, 0) }), rosenbrock, { target: 1e-8 });
    expect(b.evaluationsToTarget).toBeLessThan(1500);
  });

  test('sphere d=20: adaptive coefficients converge where the standard ones stall', () => {
    const ad = minimize(new NelderMead({ dim: 20, rng: createRng(1), x0: asym(20) }), sphere, { target: 1e-8, maxEvaluations: 20_000 });
    expect(ad.evaluationsToTarget).toBeLessThan(10_000);
    const std = new NelderMead({ dim: 20, rng: createRng(1), x0: asym(20), options: { adaptive: false } });
    const rs = minimize(std, sphere, { target: 1e-8, maxEvaluations: 20_000 });
    expect(rs.best?.f).toBeGreaterThan(1e-3);
    expect(std.beta).toBe(2);
  });

  test('ellipsoid d=10 to 1e-8, asked points come in simplex steps', () => {
    const nm = new NelderMead({ dim: 10, rng: createRng(1), x0: asym(10) });
    expect(nm.ask()).toHaveLength(11); // the initial simplex
    const r = minimize(nm, ellipsoid, { target: 1e-8 });
    expect(r.evaluationsToTarget).toBeLessThan(4000);
  });

  test('a told point that was not asked replaces the worst vertex when better', () => {
    const nm = new NelderMead({ dim: 3, rng: createRng(1), x0: fill(3, 1) });
    const xs = nm.ask();
    nm.tell(xs, xs.map(sphere));
    const extra = fill(3, 0.01);
    const xr = nm.ask();
    nm.tell([...xr, extra], [...xr.map(sphere), sphere(extra)]);
    expect(nm.simplex().values[0]).toBeCloseTo(3e-4, 12);
    expect(nm.best?.f).toBeCloseTo(3e-4, 12);
  });
});
