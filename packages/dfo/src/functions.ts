/**
 * Classic test functions for derivative-free optimizers (minimum 0), used by the tests and benches.
 * - sphere: Σ x_i²
 * - ellipsoid: Σ 10^(6·i/(n−1)) x_i² (condition number 1e6)
 * - rosenbrock: Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², minimum at 1
 * - rastrigin: 10n + Σ x_i² − 10 cos(2π x_i), global minimum at 0, ≈ 10ⁿ local minima in [−5.12, 5.12]ⁿ
 */
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { cos } = Math;
export type TestFunction = (x: Float64Array) => number;

export function sphere(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) * (x[i] as number);
  return s;
}

export function ellipsoid(x: Float64Array): number {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const c = n > 1 ? 10 ** ((6 * i) / (n - 1)) : 1;
    s += c * (x[i] as number) * (x[i] as number);
  }
  return s;
}

export function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i] as number;
    const b = x[i + 1] as number;
    s += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
  }
  return s;
}

export function rastrigin(x: Float64Array): number {
  let s = 10 * x.length;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    s += v * v - 10 * cos(2 * Math.PI * v);
  }
  return s;
}

export const testFunctions: Readonly<Record<'sphere' | 'ellipsoid' | 'rosenbrock' | 'rastrigin', TestFunction>> = {
  sphere,
  ellipsoid,
  rosenbrock,
  rastrigin,
};
