import { createRng } from '@gdfo/core';
import { BoxTransform } from './bounds.js';
import { EighWorkspace, eigh, eighUpper } from './linalg.js';

function randomSymmetric(n: number, seed: number): Float64Array {
  const r = createRng(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = r.gaussian();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

/** max |A·v_j − λ_j·v_j| and max |VᵀV − I|. */
function residuals(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): { res: number; orth: number } {
  let res = 0;
  let orth = 0;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (vectors[k * n + j] as number);
      res = Math.max(res, Math.abs(s - (values[j] as number) * (vectors[i * n + j] as number)));
    }
    for (let l = 0; l < n; l++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += (vectors[k * n + j] as number) * (vectors[k * n + l] as number);
      orth = Math.max(orth, Math.abs(s - (j === l ? 1 : 0)));
    }
  }
  return { res, orth };
}

describe('symmetric eigendecomposition (Householder + implicit QL)', () => {
  for (const n of [1, 2, 3, 7, 64, 150]) {
    test(`random ${n}×${n}: A·v = λ·v and VᵀV = I to 1e-12`, () => {
      const a = randomSymmetric(n, n);
      const { values, vectors } = eigh(a, n);
      const { res, orth } = residuals(a, n, values, vectors);
      expect(res).toBeLessThan(1e-12 * n);
      expect(orth).toBeLessThan(1e-13 * n);
      // trace is preserved
      let tr = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        tr += a[i * n + i] as number;
        sum += values[i] as number;
      }
      expect(sum).toBeCloseTo(tr, 10);
    });
  }

  test('known spectrum: tridiagonal (2, −1) matrix has eigenvalues 2 − 2cos(kπ/(n+1))', () => {
    const n = 20;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i + 1 < n) {
        a[i * n + i + 1] = -1;
        a[(i + 1) * n + i] = -1;
      }
    }
    const got = Array.from(eigh(a, n).values).sort((x, y) => x - y);
    const want = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
    for (let k = 0; k < n; k++) expect(got[k]).toBeCloseTo(want[k] as number, 13);
  });

  test('repeated eigenvalues (identity, diag with clusters) and only the upper triangle is read', () => {
    const n = 30;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = i < 10 ? 1 : i < 20 ? 1e-6 : 1e6;
    for (let i = 1; i < n; i++) a[i * n] = 12345; // garbage in the strict lower triangle
    const values = new Float64Array(n);
    const vectors = new Float64Array(n * n);
    eighUpper(a, n, values, vectors, new EighWorkspace(n));
    const sorted = Array.from(values).sort((x, y) => x - y);
    for (let k = 0; k < 10; k++) expect(sorted[k]).toBeCloseTo(1e-6, 18);
    for (let k = 10; k < 20; k++) expect(sorted[k]).toBeCloseTo(1, 12);
    for (let k = 20; k < 30; k++) expect(sorted[k]).toBeCloseTo(1e6, 6);
  });
});

describe('box transformation (pycma linear–quadratic)', () => {
  test('maps every genotype into the box, is the identity inside, and inverts on the central branch', () => {
    const t = new BoxTransform({ lower: Float64Array.of(-1, 0, -Infinity), upper: Float64Array.of(1, Infinity, 5) });
    const r = createRng(1);
    const y = new Float64Array(3);
    const x = new Float64Array(3);
    const back = new Float64Array(3);
    let outside = 0;
    let maxErr = 0;
    for (let k = 0; k < 2000; k++) {
      for (let i = 0; i < 3; i++) y[i] = 20 * r.gaussian();
      t.toPheno(y, x);
      if (!t.contains(x)) outside++;
      // pheno(geno(x)) = x
      t.toGeno(x, back);
      const again = t.toPheno(back, new Float64Array(3));
      for (let i = 0; i < 3; i++) maxErr = Math.max(maxErr, Math.abs((again[i] as number) - (x[i] as number)));
    }
    expect(outside).toBe(0);
    expect(maxErr).toBeLessThan(1e-10);
    // identity well inside: [−1 + 0.1, 1 − 0.1] for the first coordinate (al = au = 0.1)
    expect(t.toPheno(Float64Array.of(0.5, 3, -7), new Float64Array(3))).toEqual(Float64Array.of(0.5, 3, -7));
    // continuous, mirrored at lb − al
    const a = t.toPheno(Float64Array.of(-1.1 + 1e-9, 0, 0), new Float64Array(3))[0] as number;
    const b = t.toPheno(Float64Array.of(-1.1 - 1e-9, 0, 0), new Float64Array(3))[0] as number;
    expect(Math.abs(a - b)).toBeLessThan(1e-12);
    expect(a).toBeCloseTo(-1, 12);
  });
});
