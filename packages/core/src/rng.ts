/**
 * Seeded, serializable random number generator.
 *
 * Algorithm (documented so that any platform can reproduce a stream):
 * - Seeding: the seed (a number or a string) is hashed to 32 bits with FNV-1a over its UTF-8 decimal/string
 *   form; four 32-bit state words are then drawn from SplitMix32 (Steele et al.; constants 0x9e3779b9,
 *   0x85ebca6b, 0xc2b2ae35) started at that hash.
 * - Generator: xoshiro128** (Blackman & Vigna, 2018), 32-bit arithmetic via Math.imul only.
 * - uniform(): 53-bit double in [0, 1) from two outputs: ((a >>> 5) · 2^26 + (b >>> 6)) / 2^53.
 * - gaussian(): Marsaglia's polar method; the second deviate of each pair is cached (part of the state).
 * - int(n): rejection sampling on uniform() (unbiased).
 * - fork(label): a new generator seeded by `${seed}/${label}`; independent of how far this one has run.
 *
 * Only 32-bit integer operations and IEEE double arithmetic (+, ·, /, sqrt, log) are used, so the stream is
 * identical on every conforming JavaScript engine.
 */
import type { Rng, StateValue } from '@gdfo/spec';

// Local bindings: property lookups on the global Math are slow inside jest's VM contexts.
const { imul, sqrt, log, floor } = Math;

export interface RngState {
  readonly [key: string]: StateValue;
  readonly algorithm: 'xoshiro128**';
  readonly seed: string;
  readonly s: readonly number[];
  readonly spare: number | null;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(text);
  for (const b of bytes) {
    h ^= b;
    h = imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Xoshiro128 implements Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;
  readonly seed: string;

  constructor(seed: number | string) {
    this.seed = String(seed);
    const next = splitmix32(fnv1a(this.seed));
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned output. */
  nextUint32(): number {
    const result = imul(rotl(imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  gaussian(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = sqrt((-2 * log(s)) / s);
        this.spare = v * m;
        return u * m;
      }
    }
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`rng.int: n must be a positive integer, got ${n}`);
    return floor(this.uniform() * n);
  }

  /** Fills `out` with N(0, 1) deviates. */
  fillGaussian(out: Float64Array | Float32Array): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.gaussian();
    return out;
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i] as T;
      items[i] = items[j] as T;
      items[j] = t;
    }
    return items;
  }

  fork(label: string): Xoshiro128 {
    return new Xoshiro128(`${this.seed}/${label}`);
  }

  state(): RngState {
    return { algorithm: 'xoshiro128**', seed: this.seed, s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  restore(state: StateValue): void {
    const st = state as RngState;
    if (!st || st.algorithm !== 'xoshiro128**' || !Array.isArray(st.s) || st.s.length !== 4) {
      throw new Error(`rng.restore: expected an xoshiro128** state with 4 words, got ${JSON.stringify(state)}`);
    }
    if (st.seed !== this.seed) {
      // A state may be restored into a generator built with another seed: the seed travels with the state.
      (this as { seed: string }).seed = st.seed;
    }
    [this.s0, this.s1, this.s2, this.s3] = st.s.map((v) => v >>> 0) as [number, number, number, number];
    this.spare = st.spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Creates the project's standard seeded RNG. */
export function createRng(seed: number | string): Xoshiro128 {
  return new Xoshiro128(seed);
}
