/**
 * Dense symmetric eigendecomposition on Float64Array, tuned for CMA-ES (n up to a few thousand).
 *
 * Algorithm (textbook, written anew for a flat row-major layout):
 * 1. Householder tridiagonalization of the lower triangle (Golub & Van Loan, "Matrix Computations", §8.3.1):
 *    step k reflects column k below the diagonal; the trailing block is updated with the symmetric rank-2
 *    update A ← A − v·wᵀ − w·vᵀ, where p = τ·A·v and w = p − (τ/2)(pᵀv)·v. Only the lower triangle is read
 *    and written, each row contiguously (the symmetric mat-vec scatters into p in the same pass).
 * 2. The transposed orthogonal factor Qᵀ = H_{n-3}···H_0 is accumulated row by row (contiguous dots/axpys).
 * 3. Implicit QL with Wilkinson-like shifts on the tridiagonal matrix (the EISPACK `tql2` iteration,
 *    Bowdler, Martin, Reinsch & Wilkinson 1968). The Givens rotations act on pairs of eigenvector *rows* of
 *    Qᵀ, so every inner loop runs over contiguous memory.
 *
 * Cost ≈ (4/3)n³ (reduction) + (4/3)n³ (accumulation) + ≈6n³ (QL rotations) flops; for n = 500 about 0.3 s
 * on one core of the reference machine (see `npm run bench -- eigh`).
 */
// Aliases: global lookups are slow inside vm contexts (jest); module bindings are not.
const { abs, max, min, sqrt } = Math;

/** Result of `eighInto`: eigenvalues `values` (unsorted) and eigenvectors as the *columns* of `vectors`. */
export interface Eigen {
  readonly values: Float64Array;
  /** n × n row-major; column j is the unit eigenvector of values[j]. */
  readonly vectors: Float64Array;
}

/** Workspace reused across calls of the same size (avoids reallocating n² buffers every decomposition). */
export class EighWorkspace {
  readonly n: number;
  readonly a: Float64Array;
  readonly qt: Float64Array;
  readonly d: Float64Array;
  readonly e: Float64Array;
  readonly tau: Float64Array;
  readonly p: Float64Array;
  constructor(n: number) {
    this.n = n;
    this.a = new Float64Array(n * n);
    this.qt = new Float64Array(n * n);
    this.d = new Float64Array(n);
    this.e = new Float64Array(n);
    this.tau = new Float64Array(n);
    this.p = new Float64Array(n);
  }
}

/**
 * Eigendecomposition of the symmetric matrix whose upper triangle (row-major, `upper[i*n+j]`, j ≥ i) is given;
 * the strict lower triangle of `upper` is ignored. Writes eigenvalues into `values` and eigenvectors as the
 * columns of `vectors` (row-major n × n). `upper` is not modified.
 */
export function eighUpper(
  upper: Float64Array,
  n: number,
  values: Float64Array,
  vectors: Float64Array,
  ws: EighWorkspace = new EighWorkspace(n),
): void {
  const a = ws.a;
  // Copy the upper triangle into the lower triangle of the workspace (a[i*n+j], j ≤ i).
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) a[ri + j] = upper[j * n + i] as number;
  }
  tridiagonalize(a, n, ws);
  accumulate(a, n, ws);
  const ok = tql(ws.d, ws.e, ws.qt, n);
  if (!ok) throw new Error('eigh: QL iteration did not converge (non-finite entries in the matrix?)');
  // vectors[i*n + j] = qt[j*n + i]: transpose, blocked for cache friendliness.
  const qt = ws.qt;
  const BS = 32;
  for (let ib = 0; ib < n; ib += BS) {
    const ie = min(n, ib + BS);
    for (let jb = 0; jb < n; jb += BS) {
      const je = min(n, jb + BS);
      for (let i = ib; i < ie; i++) {
        const ri = i * n;
        for (let j = jb; j < je; j++) vectors[ri + j] = qt[j * n + i] as number;
      }
    }
  }
  values.set(ws.d);
}

/** Convenience: eigendecomposition of a full symmetric matrix (its upper triangle is read). */
export function eigh(matrix: Float64Array, n: number): Eigen {
  if (matrix.length !== n * n) throw new Error(`eigh: matrix must have n*n = ${n * n} entries, got ${matrix.length}`);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  eighUpper(matrix, n, values, vectors);
  return { values, vectors };
}

/**
 * Householder reduction of the lower triangle of `a` (row-major) to tridiagonal form.
 * On return ws.d = diagonal, ws.e[i] = T[i+1][i] (e[n-1] = 0), row k of `a` holds v_k in a[(k+1..n-1)*n + k]
 * (column k below the diagonal) and ws.tau[k] its scale.
 */
function tridiagonalize(a: Float64Array, n: number, ws: EighWorkspace): void {
  const d = ws.d;
  const e = ws.e;
  const tau = ws.tau;
  const p = ws.p;
  // v is kept in column k of the lower triangle; gather it into a contiguous buffer for the inner loops.
  const v = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const m0 = k + 1; // first index of the trailing block
    // x = a[m0..n-1][k]
    let scale = 0;
    for (let i = m0; i < n; i++) scale += abs(a[i * n + k] as number);
    d[k] = a[k * n + k] as number;
    if (scale === 0) {
      e[k] = 0;
      tau[k] = 0;
      continue;
    }
    let sigma = 0;
    for (let i = m0; i < n; i++) {
      const xi = (a[i * n + k] as number) / scale;
      v[i] = xi;
      sigma += xi * xi;
    }
    const x0 = v[m0] as number;
    const alpha = x0 >= 0 ? -sqrt(sigma) : sqrt(sigma);
    // v = x − alpha·e1 (scaled), H = I − τ v vᵀ with τ = 2/(vᵀv) = 1/(sigma − x0·alpha)
    const v0 = x0 - alpha;
    v[m0] = v0;
    const vtv = sigma - x0 * alpha; // = (vᵀv)/2
    if (vtv === 0) {
      e[k] = x0 * scale;
      tau[k] = 0;
      continue;
    }
    const t = 1 / vtv;
    tau[k] = t;
    e[k] = alpha * scale;
    for (let i = m0; i < n; i++) a[i * n + k] = v[i] as number;
    // p = τ·A·v over the trailing block (lower triangle, symmetric mat-vec in one pass)
    for (let i = m0; i < n; i++) p[i] = 0;
    for (let i = m0; i < n; i++) {
      const ri = i * n;
      const vi = v[i] as number;
      let s = 0;
      for (let j = m0; j < i; j++) {
        const aij = a[ri + j] as number;
        s += aij * (v[j] as number);
        p[j] = (p[j] as number) + aij * vi;
      }
      p[i] = (p[i] as number) + s + (a[ri + i] as number) * vi;
    }
    let pv = 0;
    for (let i = m0; i < n; i++) {
      const pi = (p[i] as number) * t;
      p[i] = pi;
      pv += pi * (v[i] as number);
    }
    const kk = 0.5 * t * pv;
    for (let i = m0; i < n; i++) p[i] = (p[i] as number) - kk * (v[i] as number); // p := w
    // A ← A − v wᵀ − w vᵀ (lower triangle)
    for (let i = m0; i < n; i++) {
      const ri = i * n;
      const vi = v[i] as number;
      const wi = p[i] as number;
      for (let j = m0; j <= i; j++) {
        a[ri + j] = (a[ri + j] as number) - vi * (p[j] as number) - wi * (v[j] as number);
      }
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + (n - 2)] as number;
    e[n - 2] = a[(n - 1) * n + (n - 2)] as number;
    tau[n - 2] = 0;
  }
  d[n - 1] = a[(n - 1) * n + (n - 1)] as number;
  e[n - 1] = 0;
  tau[n - 1] = 0;
}

/** Builds Qᵀ = H_{n-3}···H_0 in ws.qt (row-major); row i of Qᵀ is column i of Q. */
function accumulate(a: Float64Array, n: number, ws: EighWorkspace): void {
  const qt = ws.qt;
  const tau = ws.tau;
  qt.fill(0);
  for (let i = 0; i < n; i++) qt[i * n + i] = 1;
  const v = new Float64Array(n);
  // P ← P·H_k for k = n-3 … 0, starting from P = I; only rows r ≥ k+1 and columns ≥ k+1 change.
  for (let k = n - 3; k >= 0; k--) {
    const t = tau[k] as number;
    if (t === 0) continue;
    const m0 = k + 1;
    for (let i = m0; i < n; i++) v[i] = a[i * n + k] as number;
    for (let r = m0; r < n; r++) {
      const rr = r * n;
      let s = 0;
      for (let j = m0; j < n; j++) s += (qt[rr + j] as number) * (v[j] as number);
      if (s === 0) continue;
      s *= t;
      for (let j = m0; j < n; j++) qt[rr + j] = (qt[rr + j] as number) - s * (v[j] as number);
    }
  }
}

/**
 * Implicit QL iteration on the symmetric tridiagonal (d, e) with e[i] = T[i+1][i]; rotations are applied to
 * rows of `zt` (row i = eigenvector i). Returns false if an eigenvalue needs more than 60 iterations.
 */
function tql(d: Float64Array, e: Float64Array, zt: Float64Array, n: number): boolean {
  const eps = 2.220446049250313e-16;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = max(tst1, abs(d[l] as number) + abs(e[l] as number));
    let m = l;
    while (m < n - 1) {
      if (abs(e[m] as number) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) return false;
        let g = d[l] as number;
        const el = e[l] as number;
        let p = ((d[l + 1] as number) - g) / (2 * el);
        let r = sqrt(p * p + 1);
        if (p < 0) r = -r;
        d[l] = el / (p + r);
        d[l + 1] = el * (p + r);
        const dl1 = d[l + 1] as number;
        let h = g - (d[l] as number);
        for (let i = l + 2; i < n; i++) d[i] = (d[i] as number) - h;
        f += h;
        p = d[m] as number;
        let c = 1;
        let c2 = 1;
        let c3 = 1;
        const el1 = e[l + 1] as number;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const ei = e[i] as number;
          const di = d[i] as number;
          g = c * ei;
          h = c * p;
          r = sqrt(p * p + ei * ei);
          e[i + 1] = s * r;
          s = ei / r;
          c = p / r;
          p = c * di - s * g;
          d[i + 1] = h + s * (c * g + s * di);
          // rotate rows i and i+1 of zt
          const ri = i * n;
          const ri1 = ri + n;
          for (let k = 0; k < n; k++) {
            const zi = zt[ri + k] as number;
            const zi1 = zt[ri1 + k] as number;
            zt[ri1 + k] = s * zi + c * zi1;
            zt[ri + k] = c * zi - s * zi1;
          }
        }
        p = (-s * s2 * c3 * el1 * (e[l] as number)) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (abs(e[l] as number) > eps * tst1);
    }
    d[l] = (d[l] as number) + f;
    e[l] = 0;
  }
  return true;
}

/** out = A·x for a row-major n × n matrix A (sums in column order). */
export function matVec(A: Float64Array, x: Float64Array, n: number, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += (A[ri + j] as number) * (x[j] as number);
    out[i] = s;
  }
  return out;
}
