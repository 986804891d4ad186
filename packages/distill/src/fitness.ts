/**
 * Plain-number helpers for the DFO loop: fitness of teacher logits against labels, accuracy, and the
 * agreement statistics (Spearman rank correlation, cosine). Everything is computed in float64.
 *
 * Logits are rows × classes, row-major, in any ArrayLike<number> (Float32Array from a teacher, ...).
 */
import { GdfoError } from '@gdfo/core';

/** Checks a logits/labels pair; returns the number of rows. */
export function checkLogits(
  fn: string,
  logits: ArrayLike<number>,
  labels: ArrayLike<number> | null,
  classes: number,
): number {
  if (!Number.isInteger(classes) || classes < 1) throw new GdfoError('BAD_OPTION', `${fn}: classes must be a positive integer, got ${classes}`);
  if (logits.length === 0 || logits.length % classes !== 0) {
    throw new GdfoError('BAD_SHAPE', `${fn}: logits has ${logits.length} entries, expected a positive multiple of classes = ${classes}`);
  }
  const rows = logits.length / classes;
  if (labels) {
    if (labels.length !== rows) throw new GdfoError('BAD_SHAPE', `${fn}: labels has ${labels.length} entries, expected one per row (${rows})`);
    for (let r = 0; r < rows; r++) {
      const y = labels[r] as number;
      if (!Number.isInteger(y) || y < 0 || y >= classes) {
        throw new GdfoError('BAD_DATA', `${fn}: labels[${r}] = ${y}, expected an integer class id in 0..${classes - 1}`);
      }
    }
  }
  return rows;
}

/** log Σ_c exp(x[off + c]) computed stably. */
export function logSumExp(x: ArrayLike<number>, off: number, classes: number, scale = 1): number {
  let m = -Infinity;
  for (let c = 0; c < classes; c++) m = Math.max(m, (x[off + c] as number) * scale);
  if (m === -Infinity || !Number.isFinite(m)) return m;
  let s = 0;
  for (let c = 0; c < classes; c++) s += Math.exp((x[off + c] as number) * scale - m);
  return m + Math.log(s);
}

/** Per-row cross-entropy −log softmax(s)[y] into `out` (length rows). */
export function ceRows(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, out: Float64Array): void {
  for (let r = 0; r < out.length; r++) {
    const off = r * classes;
    out[r] = logSumExp(logits, off, classes) - (logits[off + (labels[r] as number)] as number);
  }
}

/** Mean cross-entropy of the logits against the labels (BBT's CE fitness). */
export function ceFitness(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const rows = checkLogits('ceFitness', logits, labels, classes);
  const per = new Float64Array(rows);
  ceRows(logits, labels, classes, per);
  return mean(per);
}

/**
 * Mean over rows of BBT's multi-class hinge loss: Σ_{j≠y} max(0, s_j − s_y + margin) (default margin 2).
 * Unlike `torch.nn.MultiMarginLoss`, the sum is not divided by the number of classes (BBT's `metrics.py` and
 * `hinge_loss.py` sum over the wrong classes and divide by the number of examples only).
 */
export function hingeFitness(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number, margin = 2): number {
  const rows = checkLogits('hingeFitness', logits, labels, classes);
  let total = 0;
  for (let r = 0; r < rows; r++) total += hingeRow(logits, r * classes, labels[r] as number, classes, margin);
  return total / rows;
}

export function hingeRow(s: ArrayLike<number>, off: number, y: number, classes: number, margin: number): number {
  const sy = s[off + y] as number;
  let l = 0;
  for (let c = 0; c < classes; c++) {
    if (c === y) continue;
    const v = (s[off + c] as number) - sy + margin;
    if (v > 0) l += v;
  }
  return l;
}

/** Fraction of rows whose argmax (first maximum on ties) equals the label. */
export function accuracyFromLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, classes: number): number {
  const rows = checkLogits('accuracyFromLogits', logits, labels, classes);
  let hit = 0;
  for (let r = 0; r < rows; r++) {
    const off = r * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if ((logits[off + c] as number) > (logits[off + best] as number)) best = c;
    if (best === labels[r]) hit++;
  }
  return hit / rows;
}

function mean(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v;
  return s / x.length;
}

/** 1-based ranks with ties given their average rank (fractional ranking). NaN is an error. */
export function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(x[i] as number)) throw new GdfoError('BAD_DATA', `ranks: entry ${i} is NaN; expected numbers`);
  }
  idx.sort((a, b) => (x[a] as number) - (x[b] as number) || a - b);
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1] as number] === x[idx[i] as number]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k] as number] = avg;
    i = j + 1;
  }
  return out;
}

/** Pearson correlation; NaN when fewer than 2 points or when either side is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new GdfoError('BAD_SHAPE', `pearson: lengths differ (${a.length} vs ${b.length})`);
  const n = a.length;
  if (n < 2) return NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return NaN;
  return sab / Math.sqrt(saa * sbb);
}

/**
 * Spearman rank correlation: Pearson correlation of the fractional ranks (ties → average ranks), as
 * `scipy.stats.spearmanr`. NaN when fewer than 2 points or when either side is constant (undefined).
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new GdfoError('BAD_SHAPE', `spearman: lengths differ (${a.length} vs ${b.length})`);
  if (a.length < 2) return NaN;
  return pearson(ranks(a), ranks(b));
}

/** Cosine of the angle between two vectors; NaN when either is the zero vector. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new GdfoError('BAD_SHAPE', `cosine: lengths differ (${a.length} vs ${b.length})`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 || bb === 0) return NaN;
  return ab / Math.sqrt(aa * bb);
}
