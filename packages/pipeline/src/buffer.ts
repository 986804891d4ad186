/**
 * Replay buffer of teacher evaluations: every (z, teacher logits on the training set) pair from the DFO step.
 * Distillation samples minibatches of (z, example) rows from the whole buffer: it costs no teacher calls.
 */
import type { DistillBatch, Example, StateValue } from '@gdfo/spec';
import { GdfoError, type Xoshiro128 } from '@gdfo/core';

export class ReplayBuffer {
  private zs: Float64Array[] = [];
  private logits: Float32Array[] = [];

  constructor(
    readonly dim: number,
    readonly rows: number,
    readonly classes: number,
    readonly capacity = Infinity,
  ) {}

  get size(): number {
    return this.zs.length;
  }

  add(z: Float64Array, logits: Float32Array): void {
    if (z.length !== this.dim) throw new GdfoError('BAD_DIM', `buffer: z has length ${z.length}, expected ${this.dim}`);
    if (logits.length !== this.rows * this.classes) {
      throw new GdfoError('BAD_SHAPE', `buffer: logits have ${logits.length} values, expected ${this.rows}×${this.classes}`);
    }
    this.zs.push(Float64Array.from(z));
    this.logits.push(Float32Array.from(logits));
    if (this.zs.length > this.capacity) {
      this.zs.shift();
      this.logits.shift();
    }
  }

  /** `size` random (z, example) rows, uniform over the buffer and the examples. */
  sample(rng: Xoshiro128, size: number, examples: readonly Example[]): DistillBatch {
    if (this.size === 0) throw new GdfoError('EMPTY_BUFFER', 'buffer: cannot sample from an empty buffer');
    const picked = new Map<number, number>();
    const zIndex = new Int32Array(size);
    const exampleIndex = new Int32Array(size);
    const teacherLogits = new Float32Array(size * this.classes);
    for (let r = 0; r < size; r++) {
      const b = rng.int(this.size);
      const e = rng.int(this.rows);
      let local = picked.get(b);
      if (local === undefined) {
        local = picked.size;
        picked.set(b, local);
      }
      zIndex[r] = local;
      exampleIndex[r] = e;
      teacherLogits.set(this.logits[b]!.subarray(e * this.classes, (e + 1) * this.classes), r * this.classes);
    }
    const z = new Float64Array(picked.size * this.dim);
    for (const [b, local] of picked) z.set(this.zs[b]!, local * this.dim);
    return { z, count: picked.size, examples, zIndex, exampleIndex, teacherLogits };
  }

  state(): StateValue {
    return { zs: this.zs.map((z) => Float64Array.from(z)), logits: this.logits.map((l) => Float32Array.from(l)) };
  }

  restore(state: StateValue): void {
    const s = state as { zs: Float64Array[]; logits: Float32Array[] };
    if (!Array.isArray(s?.zs) || !Array.isArray(s?.logits) || s.zs.length !== s.logits.length) {
      throw new GdfoError('BAD_STATE', 'buffer state: expected { zs: Float64Array[], logits: Float32Array[] } of equal length');
    }
    this.zs = s.zs.map((z) => Float64Array.from(z));
    this.logits = s.logits.map((l) => Float32Array.from(l));
  }
}
