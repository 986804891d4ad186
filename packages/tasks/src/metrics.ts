/**
 * Classification metrics on predicted class ids (and, for convenience, on rows × classes logits).
 *
 * Conventions follow scikit-learn's defaults (which BBT's `metrics.py` calls):
 * - `accuracy`: fraction of rows with `pred === label`.
 * - `f1`: F1 of the positive class (`positive`, default 1) = 2·tp / (2·tp + fp + fn); 0 when that
 *   denominator is 0 (sklearn's `zero_division` default). This is BBT's MRPC metric (`f1_score(y, ŷ)`).
 * - `macro-f1`: unweighted mean of the per-class F1 over the classes that occur in the labels or in the
 *   predictions (sklearn's `average='macro'` with `labels=None`).
 */
import type { MetricName } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';

type Ids = ArrayLike<number>;

function checkPair(pred: Ids, labels: Ids, fn: string): void {
  if (pred.length !== labels.length) {
    throw new GdfoError('BAD_SHAPE', `${fn}: predictions has ${pred.length} entries but labels has ${labels.length}`);
  }
  if (labels.length === 0) throw new GdfoError('BAD_SHAPE', `${fn}: labels is empty (expected at least one row)`);
}

/** Fraction of rows where `pred[i] === labels[i]`. */
export function accuracy(pred: Ids, labels: Ids): number {
  checkPair(pred, labels, 'accuracy');
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) hit++;
  return hit / labels.length;
}

/** Per-class true positives, false positives and false negatives. */
function confusionCounts(pred: Ids, labels: Ids, cls: number): { tp: number; fp: number; fn: number } {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = pred[i] === cls;
    const y = labels[i] === cls;
    if (p && y) tp++;
    else if (p) fp++;
    else if (y) fn++;
  }
  return { tp, fp, fn };
}

function f1FromCounts(c: { tp: number; fp: number; fn: number }): number {
  const den = 2 * c.tp + c.fp + c.fn;
  return den === 0 ? 0 : (2 * c.tp) / den;
}

/** F1 of the class `positive` (default 1): 2·tp / (2·tp + fp + fn), 0 when undefined. */
export function f1(pred: Ids, labels: Ids, positive = 1): number {
  checkPair(pred, labels, 'f1');
  return f1FromCounts(confusionCounts(pred, labels, positive));
}

/** Mean per-class F1 over the classes present in labels ∪ predictions (sklearn `average='macro'`). */
export function macroF1(pred: Ids, labels: Ids): number {
  checkPair(pred, labels, 'macroF1');
  const present = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    present.add(labels[i] as number);
    present.add(pred[i] as number);
  }
  let sum = 0;
  for (const c of present) sum += f1FromCounts(confusionCounts(pred, labels, c));
  return sum / present.size;
}

/** Row-wise argmax of rows × classes logits (first maximum wins on ties, as `torch.argmax`). */
export function argmaxRows(logits: ArrayLike<number>, classes: number): Int32Array {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new GdfoError('BAD_OPTION', `argmaxRows: classes must be a positive integer, got ${classes}`);
  }
  if (logits.length % classes !== 0) {
    throw new GdfoError('BAD_SHAPE', `argmaxRows: logits has ${logits.length} entries, not a multiple of classes = ${classes}`);
  }
  const rows = logits.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestV = logits[r * classes] as number;
    for (let c = 1; c < classes; c++) {
      const v = logits[r * classes + c] as number;
      if (v > bestV || (Number.isNaN(bestV) && !Number.isNaN(v))) {
        bestV = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/** Computes a task metric by name on predicted class ids. */
export function computeMetric(metric: MetricName, pred: Ids, labels: Ids): number {
  switch (metric) {
    case 'accuracy':
      return accuracy(pred, labels);
    case 'f1':
      return f1(pred, labels, 1);
    case 'macro-f1':
      return macroF1(pred, labels);
    default:
      throw new GdfoError('BAD_OPTION', `computeMetric: metric must be one of accuracy, f1, macro-f1, got ${String(metric)}`);
  }
}

/** Computes a task metric from rows × classes logits (argmax per row) against labels. */
export function metricFromLogits(metric: MetricName, logits: ArrayLike<number>, labels: Ids, classes: number): number {
  return computeMetric(metric, argmaxRows(logits, classes), labels);
}
