import { ensureBackend, loadCheckpoint, shippedCheckpoint } from '@gdfo/models';
import { alignEmbeddings, embeddingTable, type EmbeddingTable } from './align.js';

/** A deterministic pseudo-random stream in [−1, 1). */
function stream(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

describe('alignEmbeddings', () => {
  it('recovers an exact linear map between two vocabularies in any order, offsets and specials ignored', () => {
    const r = stream(7);
    const Dt = 4;
    const Ds = 3;
    const n = 40;
    const Wtrue = Float64Array.from({ length: Dt * Ds }, () => r());
    const words = Array.from({ length: n }, (_, i) => `w${i}`);
    const x = Float64Array.from({ length: n * Dt }, () => r());
    const tTokens = ['[PAD]', ...words];
    const tValues = new Float32Array(tTokens.length * Dt);
    tValues.fill(9, 0, Dt); // [PAD]: far off the map, must not count
    tValues.set(x, Dt);
    // the student's vocabulary: reversed, a word of its own and [PAD] (both off the map), an offset of +0.5 on every entry
    const sTokens = [...[...words].reverse(), 'own', '[PAD]'];
    const sValues = new Float32Array(sTokens.length * Ds);
    words.forEach((_, i) => {
      const row = n - 1 - i;
      for (let b = 0; b < Ds; b++) {
        let v = 0.5;
        for (let a = 0; a < Dt; a++) v += x[i * Dt + a]! * Wtrue[a * Ds + b]!;
        sValues[row * Ds + b] = v;
      }
    });
    sValues.fill(-3, n * Ds);
    const a = alignEmbeddings(
      { values: tValues, width: Dt, tokens: tTokens },
      { values: sValues, width: Ds, tokens: sTokens },
      0,
    );
    expect(a.pairs).toBe(n);
    for (let k = 0; k < Dt * Ds; k++) expect(a.W[k]!).toBeCloseTo(Wtrue[k]!, 4); // float32 inputs
    expect(a.r2).toBeCloseTo(1, 6);
    // a ridge shrinks the map and costs fit
    const ridged = alignEmbeddings(
      { values: tValues, width: Dt, tokens: tTokens },
      { values: sValues, width: Ds, tokens: sTokens },
      1,
    );
    expect(ridged.r2).toBeLessThan(0.99);
    expect(Math.hypot(...ridged.W)).toBeLessThan(Math.hypot(...a.W));
  });

  it('refuses too few shared tokens, a bad table and a negative ridge, in one line each', () => {
    const t: EmbeddingTable = {
      values: new Float32Array(6 * 2),
      width: 2,
      tokens: ['a', 'b', 'c', 'd', 'e', 'f'],
    };
    const s: EmbeddingTable = { values: new Float32Array(3 * 1), width: 1, tokens: ['a', 'b', 'c'] };
    expect(() => alignEmbeddings(t, s)).toThrow(
      "alignEmbeddings: the vocabularies share 3 tokens, need at least 4 (twice the teacher's width) to fit the map",
    );
    expect(() => alignEmbeddings({ ...t, width: 5 }, s)).toThrow(
      'alignEmbeddings teacher: expected tokens × width = 6 × 5 values, got 12',
    );
    expect(() => alignEmbeddings(t, t, -1)).toThrow('alignEmbeddings ridge: expected a number ≥ 0, got -1');
    expect(() => alignEmbeddings(t, t, 0)).toThrow(/degenerate/); // all-zero teacher rows
  });

  it('on the shipped pair: mlm-4x256 → mlm-2x128 over the 15,995 shared non-special tokens explains 43.9% (numpy: 0.43895)', async () => {
    await ensureBackend();
    const table = (name: 'mlm-4x256' | 'mlm-2x128'): EmbeddingTable => {
      const m = loadCheckpoint(shippedCheckpoint(name));
      const t = embeddingTable(m);
      const copy = { ...t, values: Float32Array.from(t.values) }; // the view dies with the model
      m.model.dispose();
      return copy;
    };
    const a = alignEmbeddings(table('mlm-4x256'), table('mlm-2x128'));
    expect(a.pairs).toBe(15995);
    expect(a.r2).toBeCloseTo(0.43895, 3);
    expect(a.W.length).toBe(256 * 128);
    expect(a.W[0]!).toBeCloseTo(0.04142, 3); // numpy's W[0, 0] (ridge 1e-3 of the mean eigenvalue)
  }, 60_000);
});
