import { Adam } from './adam.js';

describe('Adam', () => {
  it('first step moves each coordinate by lr·sign(g) (bias-corrected m̂/√v̂ = ±1)', () => {
    const a = new Adam(3, { lr: 0.1 });
    const d = a.step([2, -0.5, 1e-3]);
    // m̂ = g, v̂ = g², so Δ = lr·g/(|g| + ε)
    expect(d[0]).toBeCloseTo((0.1 * 2) / (2 + 1e-8), 12);
    expect(d[1]).toBeCloseTo((-0.1 * 0.5) / (0.5 + 1e-8), 12);
    expect(d[2]).toBeCloseTo((0.1 * 1e-3) / (1e-3 + 1e-8), 12);
  });

  it('second step equals a hand computation', () => {
    const a = new Adam(1, { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    a.step([1]);
    const d = a.step([3]);
    const m = 0.9 * 0.1 + 0.1 * 3; // 0.39
    const v = 0.999 * 0.001 + 0.001 * 9; // 0.009999
    const expected = (0.01 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    expect(d[0]).toBeCloseTo(expected, 14);
  });

  it('minimises a quadratic and resumes bit-identically from its state', () => {
    const run = (split: boolean) => {
      const x = Float64Array.from([3, -2]);
      let a = new Adam(2, { lr: 0.05 });
      for (let s = 0; s < 400; s++) {
        if (split && s === 150) {
          const saved = a.state();
          a = new Adam(2, { lr: 0.05 });
          a.restore(saved);
        }
        a.apply(x, [2 * x[0]!, 20 * x[1]!]);
      }
      return x;
    };
    const whole = run(false);
    expect(Math.abs(whole[0]!)).toBeLessThan(0.05);
    expect(Math.abs(whole[1]!)).toBeLessThan(0.05);
    expect(Array.from(run(true))).toEqual(Array.from(whole));
  });

  it('refuses bad options and states in one line', () => {
    expect(() => new Adam(0)).toThrow('adam size: expected an integer ≥ 1, got 0');
    expect(() => new Adam(2, { beta1: 1 })).toThrow('adam beta1');
    expect(() => new Adam(2).step([1])).toThrow('adam gradient: expected 2 values, got 1');
    expect(() => new Adam(2).restore({ t: 1, m: new Float64Array(1), v: new Float64Array(2) })).toThrow('adam state m/v');
  });
});
