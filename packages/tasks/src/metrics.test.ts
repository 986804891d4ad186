import { accuracy, argmaxRows, computeMetric, f1, macroF1, metricFromLogits } from './metrics.js';

// A fixed 8-row example used by several tests.
//   labels: 1 1 1 0 0 0 1 0
//   pred  : 1 0 1 0 1 0 1 1
// class 1: tp = rows 0,2,6 = 3; fp = rows 4,7 = 2; fn = row 1 = 1  → F1 = 2·3 / (2·3 + 2 + 1) = 6/9
// class 0: tp = rows 3,5 = 2;   fp = row 1 = 1;    fn = rows 4,7 = 2 → F1 = 2·2 / (4 + 1 + 2) = 4/7
// accuracy: correct rows 0,2,3,5,6 = 5/8
const labels = [1, 1, 1, 0, 0, 0, 1, 0];
const pred = [1, 0, 1, 0, 1, 0, 1, 1];

describe('metrics', () => {
  it('accuracy = correct / rows', () => {
    expect(accuracy(pred, labels)).toBe(5 / 8);
    expect(accuracy([2, 2], [2, 1])).toBe(0.5);
  });

  it('f1 of the positive class (hand computed 6/9) and of class 0 (4/7)', () => {
    expect(f1(pred, labels)).toBeCloseTo(6 / 9, 15);
    expect(f1(pred, labels, 0)).toBeCloseTo(4 / 7, 15);
  });

  it('f1 is 0 when there are no positives at all (sklearn zero_division default)', () => {
    expect(f1([0, 0, 0], [0, 0, 0])).toBe(0);
    // All predicted positive, 1 of 3 truly positive: tp 1, fp 2, fn 0 → 2/(2+2) = 0.5
    expect(f1([1, 1, 1], [1, 0, 0])).toBe(0.5);
  });

  it('macro-F1 averages per-class F1 over classes present: (6/9 + 4/7) / 2', () => {
    expect(macroF1(pred, labels)).toBeCloseTo((6 / 9 + 4 / 7) / 2, 15);
    // Three classes; class 2 predicted once but never true → its F1 is 0 and it counts.
    //   labels 0 1 1 0 ; pred 0 1 2 0
    //   class 0: tp 2 fp 0 fn 0 → 1;  class 1: tp 1 fp 0 fn 1 → 2/3;  class 2: tp 0 fp 1 fn 0 → 0
    expect(macroF1([0, 1, 2, 0], [0, 1, 1, 0])).toBeCloseTo((1 + 2 / 3 + 0) / 3, 15);
  });

  it('argmaxRows picks the first maximum per row', () => {
    const logits = new Float32Array([0.1, 0.9, 0.2, /**/ 3, 3, 1, /**/ -1, -2, -0.5]);
    expect(Array.from(argmaxRows(logits, 3))).toEqual([1, 0, 2]);
    expect(() => argmaxRows(logits, 4)).toThrow('not a multiple of classes = 4');
  });

  it('computeMetric and metricFromLogits dispatch by name', () => {
    expect(computeMetric('accuracy', pred, labels)).toBe(5 / 8);
    expect(computeMetric('f1', pred, labels)).toBeCloseTo(2 / 3, 15);
    expect(computeMetric('macro-f1', pred, labels)).toBeCloseTo((6 / 9 + 4 / 7) / 2, 15);
    // rows → argmax 1, 0 ; labels 1, 1 → accuracy 1/2
    expect(metricFromLogits('accuracy', [0, 1, 5, 2], [1, 1], 2)).toBe(0.5);
    expect(() => computeMetric('auc' as never, pred, labels)).toThrow('metric must be one of');
  });

  it('rejects mismatched or empty inputs with one-line errors', () => {
    expect(() => accuracy([1], [1, 0])).toThrow('predictions has 1 entries but labels has 2');
    expect(() => f1([], [])).toThrow('labels is empty');
  });
});
