import { accuracyFromLogits, ceFitness, cosine, hingeFitness, pearson, ranks, spearman } from './fitness.js';

describe('fitness on plain numbers', () => {
  // Row 0: s = [0, ln 2, ln 5], softmax = [1/8, 2/8, 5/8], y = 2 → CE = −ln(5/8) = ln 1.6
  // Row 1: s = [1, 1, 1], y = 0 → CE = ln 3
  // Mean = (ln 1.6 + ln 3) / 2 = ln(4.8) / 2 = 0.78430795895...
  const logits = new Float32Array([0, Math.log(2), Math.log(5), 1, 1, 1]);
  const labels = new Int32Array([2, 0]);

  it('ceFitness = mean cross-entropy (hand computed ln(4.8)/2)', () => {
    expect(ceFitness(logits, labels, 3)).toBeCloseTo(Math.log(4.8) / 2, 6);
    expect(ceFitness([0, Math.log(2), Math.log(5)], [2], 3)).toBeCloseTo(Math.log(1.6), 14);
  });

  it("hingeFitness = BBT's Σ_{j≠y} max(0, s_j − s_y + margin), mean over rows", () => {
    // Row 0: s = [0.5, 1, 3], y = 1: (0.5 − 1 + 2) + (3 − 1 + 2) = 1.5 + 4 = 5.5
    // Row 1: s = [4, 0, 1], y = 0: max(0, 0 − 4 + 2) + max(0, 1 − 4 + 2) = 0 + 0 = 0
    // Mean = 2.75 (torch's MultiMarginLoss would divide each row by C = 3 instead).
    const s = [0.5, 1, 3, 4, 0, 1];
    expect(hingeFitness(s, [1, 0], 3)).toBe(2.75);
    // margin 1: row 0: 0.5 + 3 = 3.5; row 1: 0 → 1.75
    expect(hingeFitness(s, [1, 0], 3, 1)).toBe(1.75);
  });

  it('accuracyFromLogits uses the first maximum on ties', () => {
    // argmax rows: [2, 0 (tie → first)] vs labels [2, 0] → 1; vs [1, 1] → 0
    expect(accuracyFromLogits(logits, labels, 3)).toBe(1);
    expect(accuracyFromLogits(logits, [1, 1], 3)).toBe(0);
    expect(accuracyFromLogits([0, 1, 1, 0, 0, 1], [1, 1, 1], 2)).toBeCloseTo(2 / 3, 15);
  });

  it('one-line errors for bad shapes and labels', () => {
    expect(() => ceFitness(logits, [2], 3)).toThrow('ceFitness: labels has 1 entries, expected one per row (2)');
    expect(() => ceFitness(logits, [2, 3], 3)).toThrow('ceFitness: labels[1] = 3, expected an integer class id in 0..2');
    expect(() => hingeFitness(logits, labels, 4)).toThrow('logits has 6 entries, expected a positive multiple of classes = 4');
  });
});

describe('rank statistics', () => {
  it('ranks average ties', () => {
    expect(Array.from(ranks([10, 30, 20, 30, 5]))).toEqual([2, 4.5, 3, 4.5, 1]);
  });

  it('spearman with ties (hand computed 4.5/√22.5, = scipy.stats.spearmanr)', () => {
    // a = [1, 2, 2, 3] → ranks [1, 2.5, 2.5, 4]; b → ranks [1, 2, 3, 4]; both means 2.5
    // Σ da·db = 2.25 + 0 + 0 + 2.25 = 4.5; Σ da² = 4.5; Σ db² = 5 → 4.5 / √22.5 = 0.9486832980505138
    expect(spearman([1, 2, 2, 3], [10, 20, 30, 40])).toBeCloseTo(4.5 / Math.sqrt(22.5), 15);
    expect(spearman([1, 2, 2, 3], [10, 20, 30, 40])).toBeCloseTo(0.9486832980505138, 15);
  });

  it('spearman is ±1 for monotone relations and NaN when undefined', () => {
    expect(spearman([1, 2, 3, 4, 5], [1, 4, 9, 16, 25])).toBeCloseTo(1, 15);
    expect(spearman([1, 2, 3, 4, 5], [5, 3, 2, 1, -7])).toBeCloseTo(-1, 15);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1], [2])).toBeNaN();
    expect(() => spearman([1, 2], [1])).toThrow('spearman: lengths differ (2 vs 1)');
    expect(() => spearman([1, NaN], [1, 2])).toThrow('ranks: entry 1 is NaN');
  });

  it('pearson on a hand example', () => {
    // a = [1, 2, 3], b = [2, 4, 7]: da = [−1, 0, 1], db = [−7/3, −1/3, 8/3]
    // Σ da·db = 7/3 + 8/3 = 5; Σ da² = 2; Σ db² = (49 + 1 + 64) / 9 = 114/9 → 5 / √(2 · 114/9) = 15 / √228
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(15 / Math.sqrt(228), 15);
  });

  it('cosine (hand computed 4 / (3√5)) and NaN for a zero vector', () => {
    expect(cosine([1, 2, 2], [2, 0, 1])).toBeCloseTo(4 / (3 * Math.sqrt(5)), 15);
    expect(cosine(new Float64Array([1, 0]), new Float64Array([-3, 0]))).toBe(-1);
    expect(cosine([0, 0], [1, 2])).toBeNaN();
    expect(() => cosine([1], [1, 2])).toThrow('cosine: lengths differ (1 vs 2)');
  });
});
