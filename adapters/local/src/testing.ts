/** Small tf losses for tests (the real ones live in @gdfo/distill). */
import * as tf from '@tensorflow/tfjs';
import type { DistillationLoss } from '@gdfo/spec';

function softmaxRow(row: ArrayLike<number>, off: number, C: number, tau = 1): number[] {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, row[off + c]! / tau);
  const e = Array.from({ length: C }, (_, c) => Math.exp(row[off + c]! / tau - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

export const testCe: DistillationLoss<tf.Tensor> = {
  specVersion: '1.0',
  name: 'test-ce',
  params: {},
  usesTeacher: false,
  value(s, _t, y, C) {
    let total = 0;
    const rows = y.length;
    for (let r = 0; r < rows; r++) total -= Math.log(softmaxRow(s, r * C, C)[y[r]!]!);
    return total / rows;
  },
  tensor(s, _t, y) {
    const C = s.shape[1]!;
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(s), tf.oneHot(y as tf.Tensor1D, C)), 1)));
  },
};

export const testKl: DistillationLoss<tf.Tensor> = {
  specVersion: '1.0',
  name: 'test-kl',
  params: { tau: 1 },
  usesTeacher: true,
  value(s, t, y, C) {
    let total = 0;
    for (let r = 0; r < y.length; r++) {
      const p = softmaxRow(t!, r * C, C);
      const q = softmaxRow(s, r * C, C);
      for (let c = 0; c < C; c++) total += p[c]! * (Math.log(p[c]!) - Math.log(q[c]!));
    }
    return total / y.length;
  },
  tensor(s, t, _y) {
    const p = tf.softmax(t!);
    return tf.mean(tf.sum(tf.mul(p, tf.sub(tf.logSoftmax(t!), tf.logSoftmax(s))), 1));
  },
};
