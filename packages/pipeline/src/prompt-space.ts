/**
 * Random-subspace prompt spaces (BBT / BBTv2).
 *
 * Shallow (BBT): P(z) = A·z with z ∈ R^d, A ∈ R^{(L·D)×d}, entries N(0, s²), s = α·σ̂ / (√d·σ0), where σ̂ is the
 * std of the teacher's word-embedding entries. In "add" mode the teacher adds P(z) to the embeddings of its
 * L fixed prompt tokens (p0), so the full prompt is p0 + A·z.
 * Deep (BBTv2): one A_l per layer with s_l = α·σ̂_l / (√d·σ0); z is the concatenation of the layers' z_l.
 *
 * A is drawn from a seeded RNG, so it is rebuilt identically on resume and never stored in checkpoints.
 */
import type { ContinuousDeepPrompt, ContinuousShallowPrompt, LinearProjection, PromptSpace } from '@gdfo/spec';
import { createRng, GdfoError } from '@gdfo/core';

export interface ProjectionOptions {
  /** Intrinsic dimension d (per layer for deep spaces). */
  dim: number;
  /** Prompt length L. */
  length: number;
  /** Width D of each prompt vector. */
  width: number;
  /** σ̂: the std the projection is scaled to (embedding std; per layer for deep). */
  scale: number;
  alpha?: number;
  sigma0?: number;
  seed: number | string;
  mode?: 'add' | 'cat';
}

/** A dense (rows × dim) Gaussian projection stored row-major in float32. */
export class Projection {
  readonly matrix: Float32Array;
  readonly std: number;
  constructor(
    readonly rows: number,
    readonly dim: number,
    std: number,
    seed: number | string,
  ) {
    if (!(std > 0) || !Number.isFinite(std)) throw new GdfoError('BAD_SCALE', `projection: std must be a positive number, got ${std}`);
    this.std = std;
    const rng = createRng(seed);
    this.matrix = new Float32Array(rows * dim);
    for (let i = 0; i < this.matrix.length; i++) this.matrix[i] = rng.gaussian() * std;
  }

  /** out = A·z (float64 accumulation). */
  apply(z: Float64Array, out: Float32Array = new Float32Array(this.rows), outOffset = 0): Float32Array {
    if (z.length !== this.dim) throw new GdfoError('BAD_DIM', `projection: z has length ${z.length}, expected ${this.dim}`);
    const { matrix: a, dim } = this;
    for (let r = 0; r < this.rows; r++) {
      let s = 0;
      const base = r * dim;
      for (let j = 0; j < dim; j++) s += a[base + j]! * z[j]!;
      out[outOffset + r] = s;
    }
    return out;
  }
}

export function projectionStd(scale: number, dim: number, alpha = 1, sigma0 = 1): number {
  return (alpha * scale) / (Math.sqrt(dim) * sigma0);
}

export class ShallowProjectionSpace implements PromptSpace {
  readonly specVersion = '1.0' as const;
  readonly kind = 'continuous-shallow' as const;
  readonly dim: number;
  readonly projection: Projection;
  constructor(readonly options: ProjectionOptions) {
    this.dim = options.dim;
    const std = projectionStd(options.scale, options.dim, options.alpha ?? 1, options.sigma0 ?? 1);
    this.projection = new Projection(options.length * options.width, options.dim, std, `${options.seed}/projection`);
  }
  get linear(): LinearProjection {
    const p = this.projection;
    return { matrix: p.matrix, rows: p.rows, dim: p.dim, length: this.options.length, width: this.options.width, std: p.std };
  }
  toTeacher(z: Float64Array): ContinuousShallowPrompt {
    return {
      kind: 'continuous-shallow',
      mode: this.options.mode ?? 'add',
      length: this.options.length,
      width: this.options.width,
      values: this.projection.apply(z),
    };
  }
}

export interface DeepProjectionOptions extends Omit<ProjectionOptions, 'scale' | 'mode'> {
  /** σ̂_l for each layer. */
  scales: readonly number[];
}

/** BBTv2: z = [z_0 … z_{layers−1}], each z_l ∈ R^d projected by its own A_l to the layer-l prompt. */
export class DeepProjectionSpace implements PromptSpace {
  readonly specVersion = '1.0' as const;
  readonly kind = 'continuous-deep' as const;
  readonly dim: number;
  readonly layers: number;
  readonly projections: Projection[];
  constructor(readonly options: DeepProjectionOptions) {
    this.layers = options.scales.length;
    this.dim = options.dim * this.layers;
    this.projections = options.scales.map(
      (s, l) =>
        new Projection(
          options.length * options.width,
          options.dim,
          projectionStd(s, options.dim, options.alpha ?? 1, options.sigma0 ?? 1),
          `${options.seed}/projection/${l}`,
        ),
    );
  }
  toTeacher(z: Float64Array): ContinuousDeepPrompt {
    if (z.length !== this.dim) throw new GdfoError('BAD_DIM', `deep prompt space: z has length ${z.length}, expected ${this.dim}`);
    const { length, width, dim } = this.options;
    const values = new Float32Array(this.layers * length * width);
    this.projections.forEach((p, l) => p.apply(z.subarray(l * dim, (l + 1) * dim), values, l * length * width));
    return { kind: 'continuous-deep', layers: this.layers, length, width, values };
  }
}
