/**
 * Vocabulary alignment of two models' input embeddings: the linear map W (D_T × D_S) that best carries the
 * teacher's word embeddings onto the student's, fitted by ridge least squares on the tokens the two
 * vocabularies share (rows centred on their means):
 *
 *   W = (XᵀX + λ·tr(XᵀX)/D_T · I)⁻¹ XᵀY,   X = E_T[shared] − mean,  Y = E_S[shared] − mean.
 *
 * A projected-generator student starts from it (`alignTo`): a step A·z that moves the teacher's prompt towards
 * some words then moves the student's prompt towards the same words, so the student responds to z like the
 * teacher before it has distilled a single point. It needs the teacher's embedding table (public for open
 * models served behind an API, as BBT's RoBERTa); it costs no teacher calls.
 */
import { GdfoError } from '@gdfo/core';
import type { LoadedModel } from '@gdfo/models';

export interface EmbeddingTable {
  /** Row-major [vocabulary × width]. */
  readonly values: Float32Array;
  readonly width: number;
  /** The token of each row. */
  readonly tokens: readonly string[];
}

export interface Alignment {
  /** Row-major [D_T × D_S]. */
  readonly W: Float32Array;
  /** Tokens used for the fit (in both vocabularies). */
  readonly pairs: number;
  /** Fraction of the student embeddings' variance the map explains on those tokens (in sample). */
  readonly r2: number;
}

/** The word embeddings of a loaded model with the token of each row (a view of the model's weights). */
export function embeddingTable(m: LoadedModel): EmbeddingTable {
  const values = m.model.w('tok_emb').dataSync() as Float32Array;
  const width = m.model.config.hidden;
  const tokens = Array.from({ length: values.length / width }, (_, i) => m.tokenizer.token(i));
  return { values, width, tokens };
}

/** Fits the map from `teacher`'s embedding space to `student`'s; `ridge` is relative to the mean eigenvalue of XᵀX. */
export function alignEmbeddings(teacher: EmbeddingTable, student: EmbeddingTable, ridge = 1e-3): Alignment {
  const check = (t: EmbeddingTable, what: string) => {
    if (!(Number.isInteger(t.width) && t.width > 0) || t.values.length !== t.tokens.length * t.width) {
      throw new GdfoError(
        'BAD_SHAPE',
        `alignEmbeddings ${what}: expected tokens × width = ${t.tokens.length} × ${t.width} values, got ${t.values.length}`,
      );
    }
  };
  check(teacher, 'teacher');
  check(student, 'student');
  if (!(ridge >= 0))
    throw new GdfoError('BAD_OPTION', `alignEmbeddings ridge: expected a number ≥ 0, got ${ridge}`);
  const studentRow = new Map<string, number>();
  student.tokens.forEach((t, i) => studentRow.set(t, i));
  const rows: [number, number][] = [];
  teacher.tokens.forEach((t, i) => {
    const j = studentRow.get(t);
    if (j !== undefined && !/^\[.*\]$/.test(t)) rows.push([i, j]); // specials ([PAD], [MASK], [unused…]) carry no meaning to share
  });
  const Dt = teacher.width;
  const Ds = student.width;
  if (rows.length < 2 * Dt)
    throw new GdfoError(
      'BAD_DATA',
      `alignEmbeddings: the vocabularies share ${rows.length} tokens, need at least ${2 * Dt} (twice the teacher's width) to fit the map`,
    );
  const mx = new Float64Array(Dt);
  const my = new Float64Array(Ds);
  for (const [i, j] of rows) {
    for (let a = 0; a < Dt; a++) mx[a]! += teacher.values[i * Dt + a]!;
    for (let b = 0; b < Ds; b++) my[b]! += student.values[j * Ds + b]!;
  }
  for (let a = 0; a < Dt; a++) mx[a]! /= rows.length;
  for (let b = 0; b < Ds; b++) my[b]! /= rows.length;
  const xtx = new Float64Array(Dt * Dt);
  const xty = new Float64Array(Dt * Ds);
  const x = new Float64Array(Dt);
  const y = new Float64Array(Ds);
  let yy = 0;
  for (const [i, j] of rows) {
    for (let a = 0; a < Dt; a++) x[a] = teacher.values[i * Dt + a]! - mx[a]!;
    for (let b = 0; b < Ds; b++) {
      y[b] = student.values[j * Ds + b]! - my[b]!;
      yy += y[b]! * y[b]!;
    }
    for (let a = 0; a < Dt; a++) {
      const xa = x[a]!;
      if (xa === 0) continue;
      for (let c = a; c < Dt; c++) xtx[a * Dt + c]! += xa * x[c]!;
      for (let b = 0; b < Ds; b++) xty[a * Ds + b]! += xa * y[b]!;
    }
  }
  let trace = 0;
  for (let a = 0; a < Dt; a++) {
    trace += xtx[a * Dt + a]!;
    for (let c = 0; c < a; c++) xtx[a * Dt + c] = xtx[c * Dt + a]!;
  }
  const lambda = (ridge * trace) / Dt;
  for (let a = 0; a < Dt; a++) xtx[a * Dt + a]! += lambda;
  const W64 = solveSpd(xtx, xty, Dt, Ds);
  // r² = 1 − ‖Y − XW‖² / ‖Y‖², with ‖Y − XW‖² = ‖Y‖² − 2 tr(WᵀXᵀY) + tr(Wᵀ XᵀX W) (XᵀX without the ridge)
  let cross = 0;
  for (let k = 0; k < Dt * Ds; k++) cross += W64[k]! * xty[k]!;
  let quad = 0;
  for (let b = 0; b < Ds; b++)
    for (let a = 0; a < Dt; a++) {
      let s = 0;
      for (let c = 0; c < Dt; c++) s += (xtx[a * Dt + c]! - (a === c ? lambda : 0)) * W64[c * Ds + b]!;
      quad += W64[a * Ds + b]! * s;
    }
  const r2 = yy > 0 ? 1 - (yy - 2 * cross + quad) / yy : 0;
  return { W: Float32Array.from(W64), pairs: rows.length, r2 };
}

/** Solves M·X = B for symmetric positive definite M [n × n] and B [n × m] (Cholesky), in float64. */
function solveSpd(M: Float64Array, B: Float64Array, n: number, m: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = M[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0))
          throw new GdfoError(
            'BAD_DATA',
            'alignEmbeddings: the teacher embeddings of the shared tokens are degenerate (XᵀX is singular); raise ridge',
          );
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  const X = Float64Array.from(B);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = X[i * m + c]!;
      for (let k = 0; k < i; k++) s -= L[i * n + k]! * X[k * m + c]!;
      X[i * m + c] = s / L[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = X[i * m + c]!;
      for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * X[k * m + c]!;
      X[i * m + c] = s / L[i * n + i]!;
    }
  }
  return X;
}
