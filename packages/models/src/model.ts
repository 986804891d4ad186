/**
 * A transformer-encoder masked LM in tfjs with prompt injection (BBT shallow "add"/"cat", BBTv2 deep), in two
 * architectures: 'bert' (post-LayerNorm BERT/RoBERTa as Hugging Face defines it: token-type embeddings and an
 * embedding LayerNorm, exact erf GELU, the MLM head's dense + GELU + LayerNorm transform, decoder tied to the
 * word embeddings plus a bias) and 'pre-ln' (the small models gdfo pretrains itself: pre-LayerNorm, a final
 * LayerNorm, sigmoid-approximated GELU). Weights are plain tensors in a name → tensor map so that checkpoints
 * and frozen use are simple.
 */
import * as tf from '@tensorflow/tfjs';
import { addRow, attention, gatherRows, gelu, geluExact, layerNorm, matmul2d } from './ops.js';
import { GdfoError } from '@gdfo/core';

export interface ModelConfig {
  readonly name: string;
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  readonly ffn: number;
  /** Longest input (positions), including [CLS], the prompt and [SEP]. */
  readonly maxPositions: number;
  /** Architecture (default 'pre-ln'). */
  readonly arch?: ModelArch;
  /** LayerNorm epsilon (default 1e-5 for 'pre-ln', 1e-12 for 'bert'). */
  readonly layerNormEps?: number;
  /** 'bert': rows of the token-type table (default 2; every position uses type 0). */
  readonly typeVocabSize?: number;
  /** 'bert': position ids start here (RoBERTa: padding_idx + 1 = 2); the table has maxPositions + offset rows. */
  readonly positionOffset?: number;
}

export type ModelArch = 'pre-ln' | 'bert';

export function archOf(c: ModelConfig): ModelArch {
  return c.arch ?? 'pre-ln';
}

export type Weights = Record<string, tf.Tensor>;

export function validateConfig(c: ModelConfig): void {
  const ints: (keyof ModelConfig)[] = ['vocabSize', 'hidden', 'layers', 'heads', 'ffn', 'maxPositions'];
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new GdfoError('BAD_CONFIG', `model config: '${k}' must be a positive integer, got ${String(v)}`);
  }
  if (c.hidden % c.heads !== 0) throw new GdfoError('BAD_CONFIG', `model config: 'hidden' (${c.hidden}) must be a multiple of 'heads' (${c.heads})`);
  if (c.arch !== undefined && c.arch !== 'pre-ln' && c.arch !== 'bert') throw new GdfoError('BAD_CONFIG', `model config: 'arch' must be 'pre-ln' or 'bert', got ${JSON.stringify(c.arch)}`);
  if (c.layerNormEps !== undefined && !(c.layerNormEps > 0)) throw new GdfoError('BAD_CONFIG', `model config: 'layerNormEps' must be a positive number, got ${String(c.layerNormEps)}`);
  for (const k of ['typeVocabSize', 'positionOffset'] as const) {
    const v = c[k];
    if (v !== undefined && (!Number.isInteger(v) || v < (k === 'typeVocabSize' ? 1 : 0))) throw new GdfoError('BAD_CONFIG', `model config: '${k}' must be a ${k === 'typeVocabSize' ? 'positive' : 'non-negative'} integer, got ${String(v)}`);
  }
}

/** Names and shapes of every weight, in checkpoint order. */
export function weightShapes(c: ModelConfig): [string, number[]][] {
  const { vocabSize: V, hidden: H, ffn: F, maxPositions: P } = c;
  const bert = archOf(c) === 'bert';
  const out: [string, number[]][] = [
    ['tok_emb', [V, H]],
    ['pos_emb', [P + (bert ? (c.positionOffset ?? 0) : 0), H]],
  ];
  if (bert) out.push(['type_emb', [c.typeVocabSize ?? 2, H]], ['emb_ln.g', [H]], ['emb_ln.b', [H]]);
  for (let l = 0; l < c.layers; l++) {
    const p = `l${l}.`;
    out.push(
      [p + 'ln1.g', [H]], [p + 'ln1.b', [H]],
      [p + 'wq', [H, H]], [p + 'bq', [H]],
      [p + 'wk', [H, H]], [p + 'bk', [H]],
      [p + 'wv', [H, H]], [p + 'bv', [H]],
      [p + 'wo', [H, H]], [p + 'bo', [H]],
      [p + 'ln2.g', [H]], [p + 'ln2.b', [H]],
      [p + 'w1', [H, F]], [p + 'b1', [F]],
      [p + 'w2', [F, H]], [p + 'b2', [H]],
    );
  }
  if (bert) out.push(['head.w', [H, H]], ['head.b', [H]], ['head_ln.g', [H]], ['head_ln.b', [H]], ['mlm_bias', [V]]);
  else out.push(['lnf.g', [H]], ['lnf.b', [H]], ['mlm_bias', [V]]);
  return out;
}

/** Deterministic random init from a seeded normal generator: N(0, 0.02²) matrices, LN gains 1, biases 0. */
export function initWeights(c: ModelConfig, gaussian: () => number): Weights {
  validateConfig(c);
  const w: Weights = {};
  for (const [name, shape] of weightShapes(c)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const leaf = name.split('.').pop()!;
    if (leaf === 'g') data.fill(1);
    else if (shape.length === 2) {
      // GPT-2 style: residual projections scaled by 1/√(2·layers)
      const s = leaf === 'wo' || leaf === 'w2' ? 0.02 / Math.sqrt(2 * c.layers) : 0.02;
      for (let i = 0; i < size; i++) data[i] = gaussian() * s;
    }
    w[name] = tf.tensor(data, shape);
  }
  return w;
}

/** One batch of token ids, padded to a common length. */
export interface EncodedBatch {
  /** batch × seq token ids, row-major. */
  readonly ids: Int32Array;
  readonly batch: number;
  readonly seq: number;
  /** Real (unpadded) length of each row. */
  readonly lengths: Int32Array;
}

/**
 * A prompt tensor. Shallow: [L, H] shared by the batch or [B, L, H] per row. Deep: [layers, L, H] shared or
 * [B, layers, L, H] per row. Positions `start .. start+L-1` of every row receive it.
 */
export interface PromptInjection {
  readonly shallow?: tf.Tensor;
  /** 'add' adds to the word embeddings there; 'cat' replaces them (the input holds placeholders). */
  readonly mode?: 'add' | 'cat';
  readonly deep?: tf.Tensor;
  readonly start: number;
  readonly length: number;
}

export interface ForwardOptions {
  readonly prompt?: PromptInjection;
  /** Flat row indices (b·seq + position) whose final hidden states to return; default all. */
  readonly outRows?: Int32Array;
  /** Called with the input of every layer (l = 0 is the embedding output) and after the last layer. */
  readonly onHidden?: (layer: number, x: tf.Tensor2D) => void;
}

/** Pads a [.., L, H] prompt on the position axis to [.., S, H] with zeros outside start..start+L-1. */
function padPositions(p: tf.Tensor, start: number, seq: number): tf.Tensor {
  const rank = p.rank;
  const L = p.shape[rank - 2]!;
  const pads: [number, number][] = p.shape.map(() => [0, 0] as [number, number]);
  pads[rank - 2] = [start, seq - start - L];
  return tf.pad(p, pads);
}

export class MaskedLM {
  readonly config: ModelConfig;
  weights: Weights;

  constructor(config: ModelConfig, weights: Weights) {
    validateConfig(config);
    for (const [name, shape] of weightShapes(config)) {
      const t = weights[name];
      if (!t) throw new GdfoError('BAD_CHECKPOINT', `model weights: missing '${name}'`);
      if (t.shape.join(',') !== shape.join(',')) throw new GdfoError('BAD_CHECKPOINT', `model weights: '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    this.config = config;
    this.weights = weights;
  }

  w<T extends tf.Tensor = tf.Tensor2D>(name: string): T {
    const t = this.weights[name];
    if (!t) throw new GdfoError('BAD_CHECKPOINT', `model weights: missing '${name}'`);
    return t as T;
  }

  /** Additive key mask [B, 1, S]: 0 for real tokens, -1e9 for padding. */
  keyMask(batch: EncodedBatch): tf.Tensor3D {
    const m = new Float32Array(batch.batch * batch.seq);
    for (let b = 0; b < batch.batch; b++) for (let s = batch.lengths[b]!; s < batch.seq; s++) m[b * batch.seq + s] = -1e9;
    return tf.tensor3d(m, [batch.batch, 1, batch.seq]);
  }

  /**
   * The states the MLM decoder reads (after the last LayerNorm; for 'bert', after the MLM head's transform) at
   * `outRows` (default: every position), [rows, H]. Call inside tf.tidy (or a gradient function).
   */
  forward(batch: EncodedBatch, options: ForwardOptions = {}): tf.Tensor2D {
    const c = this.config;
    const { batch: B, seq: S } = batch;
    if (S > c.maxPositions) {
      const L = options.prompt?.length ?? 0;
      throw new GdfoError('BAD_PROMPT', `model input: ${S} positions${L ? ` (a prompt of ${L} + ${S - L} input tokens)` : ''} exceed the ${c.maxPositions} positions of ${c.name} (max_position_embeddings); shorten the prompt or maxLength`);
    }
    const bert = archOf(c) === 'bert';
    const eps = c.layerNormEps ?? (bert ? 1e-12 : 1e-5);
    const act = bert ? geluExact : gelu;
    const H = c.hidden;
    const N = B * S;
    const prompt = options.prompt;
    let x: tf.Tensor2D = gatherRows(this.w('tok_emb'), batch.ids);
    if (prompt?.shallow) {
      const p = prompt.shallow;
      const perRow = p.rank === 3;
      const padded = padPositions(p, prompt.start, S);
      let x3 = tf.reshape(x, [B, S, H]);
      if (prompt.mode === 'cat') {
        const keep = new Float32Array(S).fill(1);
        for (let i = 0; i < prompt.length; i++) keep[prompt.start + i] = 0;
        x3 = tf.mul(x3, tf.tensor3d(keep, [1, S, 1]));
      }
      x = tf.reshape(tf.add(x3, perRow ? padded : tf.expandDims(padded, 0)), [N, H]);
    }
    const off = bert ? (c.positionOffset ?? 0) : 0;
    let pos = tf.slice(this.w('pos_emb'), [off, 0], [S, H]) as tf.Tensor2D;
    if (bert) pos = tf.add(pos, tf.slice(this.w('type_emb'), [0, 0], [1, H])) as tf.Tensor2D; // every position is segment 0
    x = tf.reshape(addRow(tf.reshape(x, [B, S * H]), tf.reshape(pos, [S * H]) as tf.Tensor1D), [N, H]);
    if (bert) x = layerNorm(x, this.w('emb_ln.g'), this.w('emb_ln.b'), eps);
    const mask = this.keyMask(batch);
    const dh = H / c.heads;
    const scale = 1 / Math.sqrt(dh);
    let deepPads: tf.Tensor[] | undefined;
    if (prompt?.deep) {
      const d = prompt.deep;
      const perRow = d.rank === 4;
      const layers = d.shape[perRow ? 1 : 0]!;
      if (layers !== c.layers) throw new GdfoError('BAD_PROMPT', `deep prompt: covers ${layers} layers, the model has ${c.layers}`);
      deepPads = tf.unstack(d, perRow ? 1 : 0).map((t) => {
        const padded = padPositions(t, prompt.start, S);
        return perRow ? padded : tf.expandDims(padded, 0);
      });
    }
    for (let l = 0; l < c.layers; l++) {
      const p = `l${l}.`;
      if (deepPads) x = tf.reshape(tf.add(tf.reshape(x, [B, S, H]), deepPads[l]!), [N, H]);
      options.onHidden?.(l, x);
      const a = bert ? x : layerNorm(x, this.w(p + 'ln1.g'), this.w(p + 'ln1.b'), eps);
      const q = tf.mul(addRow(matmul2d(a, this.w(p + 'wq')), this.w(p + 'bq')), scale) as tf.Tensor2D;
      const k = addRow(matmul2d(a, this.w(p + 'wk')), this.w(p + 'bk'));
      const v = addRow(matmul2d(a, this.w(p + 'wv')), this.w(p + 'bv'));
      let ctx = attention(q, k, v, B, S, c.heads, mask);
      if (l === c.layers - 1 && options.outRows) {
        // Only the requested rows matter after the last attention.
        ctx = gatherRows(ctx, options.outRows);
        x = gatherRows(x, options.outRows);
      }
      x = tf.add(x, addRow(matmul2d(ctx, this.w(p + 'wo')), this.w(p + 'bo'))) as tf.Tensor2D;
      if (bert) x = layerNorm(x, this.w(p + 'ln1.g'), this.w(p + 'ln1.b'), eps);
      const a2 = bert ? x : layerNorm(x, this.w(p + 'ln2.g'), this.w(p + 'ln2.b'), eps);
      const f = act(addRow(matmul2d(a2, this.w(p + 'w1')), this.w(p + 'b1'))) as tf.Tensor2D;
      x = tf.add(x, addRow(matmul2d(f, this.w(p + 'w2')), this.w(p + 'b2'))) as tf.Tensor2D;
      if (bert) x = layerNorm(x, this.w(p + 'ln2.g'), this.w(p + 'ln2.b'), eps);
    }
    options.onHidden?.(c.layers, x);
    if (!bert) return layerNorm(x, this.w('lnf.g'), this.w('lnf.b'), eps);
    const t = act(addRow(matmul2d(x, this.w('head.w')), this.w('head.b'))) as tf.Tensor2D;
    return layerNorm(t, this.w('head_ln.g'), this.w('head_ln.b'), eps);
  }

  /** Logits [rows, ids.length] of the given vocabulary ids from final hidden states [rows, H]. */
  logitsFor(hidden: tf.Tensor2D, tokenIds: Int32Array): tf.Tensor2D {
    const rows = gatherRows(this.w('tok_emb'), tokenIds); // [k, H]
    const bias = tf.reshape(gatherRows(tf.reshape(this.w('mlm_bias'), [-1, 1]) as tf.Tensor2D, tokenIds), [-1]);
    return tf.add(matmul2d(hidden, tf.transpose(rows) as tf.Tensor2D), bias) as tf.Tensor2D;
  }

  /** Logits over the whole vocabulary [rows, V]. */
  vocabLogits(hidden: tf.Tensor2D): tf.Tensor2D {
    return addRow(matmul2d(hidden, tf.transpose(this.w('tok_emb')) as tf.Tensor2D), this.w('mlm_bias'));
  }

  dispose(): void {
    tf.dispose(Object.values(this.weights));
  }
}
