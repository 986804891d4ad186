/**
 * Hugging Face checkpoints as masked LMs of the project: a folder with `config.json` (`model_type` 'bert' or
 * 'roberta'), `model.safetensors` (or a sharded `model.safetensors.index.json`; F32, F16 or BF16) and the
 * tokenizer files (`vocab.txt` + `tokenizer_config.json` for BERT; `vocab.json` + `merges.txt` for RoBERTa).
 *
 * BERT: post-LayerNorm encoder with token-type embeddings, exact GELU, the config's LayerNorm epsilon, and the
 * MLM head (dense + GELU + LayerNorm) whose decoder is tied to the word embeddings plus `cls.predictions.bias`.
 * RoBERTa: the same network under `roberta.*` / `lm_head.*` names, position ids offset by `padding_idx + 1`.
 * PyTorch `Linear` weights ([out, in]) are transposed to the project's [in, out].
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ByteLevelBpeTokenizer } from './bpe.js';
import { defaultPromptTokens, type LoadedModel } from './loaded.js';
import { MaskedLM, weightShapes, type ModelConfig, type Weights } from './model.js';
import { readSafetensorsFolder, type TensorEntry } from './safetensors.js';
import { WordPieceTokenizer, type SpecialIds, type Tokenizer } from './tokenizer.js';
import { GdfoError } from '@gdfo/core';

export const HF_MODEL_TYPES = ['bert', 'roberta'] as const;
export type HfModelType = (typeof HF_MODEL_TYPES)[number];

function readJsonFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new GdfoError('NOT_FOUND', `${path} does not exist`);
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new GdfoError('BAD_CHECKPOINT', `${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new GdfoError('BAD_CHECKPOINT', `${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/** True when `dir/config.json` is a Hugging Face config (it names a `model_type`). */
export function isHuggingFaceFolder(dir: string): boolean {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) return false;
  try {
    const c = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
    return typeof c.model_type === 'string' && c.format === undefined;
  } catch {
    return false;
  }
}

/** The project's model config from a Hugging Face `config.json` (one-line errors naming the field). */
export function configFromHuggingFace(raw: Record<string, unknown>, path: string, name: string): ModelConfig & { readonly modelType: HfModelType } {
  const type = raw.model_type;
  if (typeof type !== 'string' || !(HF_MODEL_TYPES as readonly string[]).includes(type)) throw new GdfoError('BAD_CHECKPOINT', `${path}: model_type ${JSON.stringify(type)} is not supported (expected one of ${HF_MODEL_TYPES.join(', ')})`);
  const int = (field: string, fallback?: number): number => {
    const v = raw[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new GdfoError('BAD_CHECKPOINT', `${path}: '${field}' must be a positive integer, got ${JSON.stringify(raw[field])}`);
    return v;
  };
  const act = raw.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw new GdfoError('BAD_CHECKPOINT', `${path}: hidden_act ${JSON.stringify(act)} is not supported (expected 'gelu', the exact erf GELU)`);
  const posType = raw.position_embedding_type ?? 'absolute';
  if (posType !== 'absolute') throw new GdfoError('BAD_CHECKPOINT', `${path}: position_embedding_type ${JSON.stringify(posType)} is not supported (expected 'absolute')`);
  if (raw.tie_word_embeddings === false) throw new GdfoError('BAD_CHECKPOINT', `${path}: tie_word_embeddings false is not supported (the decoder must be the word embeddings)`);
  const eps = raw.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0)) throw new GdfoError('BAD_CHECKPOINT', `${path}: 'layer_norm_eps' must be a positive number, got ${JSON.stringify(raw.layer_norm_eps)}`);
  const hidden = int('hidden_size');
  const heads = int('num_attention_heads');
  if (hidden % heads !== 0) throw new GdfoError('BAD_CHECKPOINT', `${path}: hidden_size ${hidden} is not a multiple of num_attention_heads ${heads}`);
  const maxPos = int('max_position_embeddings');
  let offset = 0;
  if (type === 'roberta') {
    const pad = raw.pad_token_id ?? 1;
    if (typeof pad !== 'number' || !Number.isInteger(pad) || pad < 0) throw new GdfoError('BAD_CHECKPOINT', `${path}: 'pad_token_id' must be a non-negative integer, got ${JSON.stringify(raw.pad_token_id)}`);
    offset = pad + 1;
    if (maxPos <= offset + 3) throw new GdfoError('BAD_CHECKPOINT', `${path}: max_position_embeddings ${maxPos} leaves no positions after the offset ${offset} (pad_token_id + 1)`);
  }
  return {
    name,
    modelType: type as HfModelType,
    arch: 'bert',
    vocabSize: int('vocab_size'),
    hidden,
    layers: int('num_hidden_layers'),
    heads,
    ffn: int('intermediate_size'),
    maxPositions: maxPos - offset,
    positionOffset: offset,
    typeVocabSize: int('type_vocab_size', type === 'roberta' ? 1 : 2),
    layerNormEps: eps,
  };
}

/** Hugging Face tensor names of each of the project's weights (alternatives in order), and whether to transpose. */
export function tensorNames(c: ModelConfig, type: HfModelType, has: (n: string) => boolean): Map<string, { names: string[]; transpose: boolean }> {
  const base = type === 'bert' ? 'bert.' : 'roberta.';
  const pre = has(base + 'embeddings.word_embeddings.weight') ? base : '';
  const ln = (p: string): [string[], string[]] => [
    [p + '.weight', p + '.gamma'],
    [p + '.bias', p + '.beta'],
  ];
  const m = new Map<string, { names: string[]; transpose: boolean }>();
  const put = (ours: string, names: string[], transpose = false) => m.set(ours, { names, transpose });
  const lnPut = (ours: string, p: string) => {
    const [g, b] = ln(p);
    put(ours + '.g', g);
    put(ours + '.b', b);
  };
  put('tok_emb', [pre + 'embeddings.word_embeddings.weight']);
  put('pos_emb', [pre + 'embeddings.position_embeddings.weight']);
  put('type_emb', [pre + 'embeddings.token_type_embeddings.weight']);
  lnPut('emb_ln', pre + 'embeddings.LayerNorm');
  for (let l = 0; l < c.layers; l++) {
    const p = `${pre}encoder.layer.${l}.`;
    const o = `l${l}.`;
    for (const [ours, theirs] of [['q', 'query'], ['k', 'key'], ['v', 'value']] as const) {
      put(o + 'w' + ours, [p + `attention.self.${theirs}.weight`], true);
      put(o + 'b' + ours, [p + `attention.self.${theirs}.bias`]);
    }
    put(o + 'wo', [p + 'attention.output.dense.weight'], true);
    put(o + 'bo', [p + 'attention.output.dense.bias']);
    lnPut(o + 'ln1', p + 'attention.output.LayerNorm');
    put(o + 'w1', [p + 'intermediate.dense.weight'], true);
    put(o + 'b1', [p + 'intermediate.dense.bias']);
    put(o + 'w2', [p + 'output.dense.weight'], true);
    put(o + 'b2', [p + 'output.dense.bias']);
    lnPut(o + 'ln2', p + 'output.LayerNorm');
  }
  if (type === 'bert') {
    put('head.w', ['cls.predictions.transform.dense.weight'], true);
    put('head.b', ['cls.predictions.transform.dense.bias']);
    lnPut('head_ln', 'cls.predictions.transform.LayerNorm');
    put('mlm_bias', ['cls.predictions.bias', 'cls.predictions.decoder.bias']);
  } else {
    put('head.w', ['lm_head.dense.weight'], true);
    put('head.b', ['lm_head.dense.bias']);
    lnPut('head_ln', 'lm_head.layer_norm');
    put('mlm_bias', ['lm_head.bias', 'lm_head.decoder.bias']);
  }
  return m;
}

/**
 * Names and shapes (PyTorch's layout) of the tensors a Hugging Face folder with this config holds, in the
 * model's order: what a converter or a test writing a folder needs.
 */
export function huggingFaceTensorShapes(c: ModelConfig, type: HfModelType): { name: string; shape: number[] }[] {
  const names = tensorNames(c, type, () => true);
  return weightShapes(c).map(([ours, shape]) => {
    const spec = names.get(ours)!;
    return { name: spec.names[0]!, shape: spec.transpose ? [shape[1]!, shape[0]!] : shape };
  });
}

export function transpose2d(d: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(d.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = d[r * cols + c]!;
  return out;
}

/** Reads the weights of a folder into the project's names and layouts (one-line errors naming the tensor). */
export function weightsFromHuggingFace(dir: string, c: ModelConfig, type: HfModelType): Weights {
  const tensors = readSafetensorsFolder(dir);
  const file = existsSync(join(dir, 'model.safetensors')) ? join(dir, 'model.safetensors') : join(dir, 'model.safetensors.index.json');
  const names = tensorNames(c, type, (n) => tensors.has(n));
  const weights: Weights = {};
  try {
    for (const [ours, shape] of weightShapes(c)) {
      const spec = names.get(ours)!;
      const found: TensorEntry | undefined = spec.names.map((n) => tensors.get(n)).find((t) => t !== undefined);
      if (!found) throw new GdfoError('BAD_CHECKPOINT', `${file}: missing tensor '${spec.names[0]}'`);
      const theirs = spec.transpose ? [shape[1]!, shape[0]!] : shape;
      if (found.shape.join(',') !== theirs.join(',')) throw new GdfoError('BAD_CHECKPOINT', `${found.file}: tensor '${found.name}' has shape [${found.shape.join(', ')}], expected [${theirs.join(', ')}] (from config.json)`);
      const data = found.read();
      weights[ours] = tf.tensor(spec.transpose ? transpose2d(data, theirs[0]!, theirs[1]!) : data, shape);
    }
  } catch (e) {
    tf.dispose(Object.values(weights));
    throw e;
  }
  return weights;
}

function tokenName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}

function specialNames(tc: Record<string, unknown>): Partial<Record<keyof SpecialIds, string>> {
  const out: Partial<Record<keyof SpecialIds, string>> = {};
  for (const [k, field] of [['pad', 'pad_token'], ['unk', 'unk_token'], ['cls', 'cls_token'], ['sep', 'sep_token'], ['mask', 'mask_token']] as const) {
    const n = tokenName(tc[field]);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

/** The tokenizer of a Hugging Face folder: WordPiece (`vocab.txt`) or byte-level BPE (`vocab.json` + `merges.txt`). */
export function tokenizerFromHuggingFace(dir: string, type: HfModelType): Tokenizer {
  const tcPath = join(dir, 'tokenizer_config.json');
  const tc = existsSync(tcPath) ? readJsonFile(tcPath) : {};
  const specialTokens = specialNames(tc);
  if (type === 'bert') {
    const vocabPath = join(dir, 'vocab.txt');
    if (!existsSync(vocabPath)) throw new GdfoError('NOT_FOUND', `${vocabPath} does not exist (a BERT folder needs its WordPiece vocabulary)`);
    const lower = tc.do_lower_case ?? true;
    if (typeof lower !== 'boolean') throw new GdfoError('BAD_CHECKPOINT', `${tcPath}: 'do_lower_case' must be true or false, got ${JSON.stringify(tc.do_lower_case)}`);
    const strip = tc.strip_accents ?? null;
    if (strip !== null && typeof strip !== 'boolean') throw new GdfoError('BAD_CHECKPOINT', `${tcPath}: 'strip_accents' must be true, false or null, got ${JSON.stringify(tc.strip_accents)}`);
    const chinese = tc.tokenize_chinese_chars ?? true;
    if (typeof chinese !== 'boolean') throw new GdfoError('BAD_CHECKPOINT', `${tcPath}: 'tokenize_chinese_chars' must be true or false, got ${JSON.stringify(tc.tokenize_chinese_chars)}`);
    return WordPieceTokenizer.fromVocabText(readFileSync(vocabPath, 'utf8'), vocabPath, { lowercase: lower, stripAccents: strip ?? lower, chineseChars: chinese, specialTokens });
  }
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  if (!existsSync(vocabPath) || !existsSync(mergesPath)) throw new GdfoError('NOT_FOUND', `${dir}: a RoBERTa folder needs vocab.json and merges.txt (byte-level BPE)`);
  const vocab = readJsonFile(vocabPath) as Record<string, number>;
  return new ByteLevelBpeTokenizer(vocab, ByteLevelBpeTokenizer.parseMerges(readFileSync(mergesPath, 'utf8'), mergesPath), { source: vocabPath, specialTokens });
}

/** Loads a Hugging Face BERT or RoBERTa masked-LM folder. */
export function loadHuggingFace(dir: string): LoadedModel {
  const abs = resolve(dir);
  const configPath = join(abs, 'config.json');
  const raw = readJsonFile(configPath);
  const { modelType, ...config } = configFromHuggingFace(raw, configPath, basename(abs));
  const tokenizer = tokenizerFromHuggingFace(abs, modelType);
  if (tokenizer.size > config.vocabSize) throw new GdfoError('BAD_CHECKPOINT', `${configPath}: vocab_size ${config.vocabSize} is smaller than the tokenizer's ${tokenizer.size} tokens`);
  const weights = weightsFromHuggingFace(abs, config, modelType);
  const trainingPath = join(abs, 'training.json');
  const meta: Record<string, unknown> = { source: 'huggingface', modelType };
  if (existsSync(trainingPath)) meta.training = readJsonFile(trainingPath);
  return { model: new MaskedLM(config, weights), tokenizer, promptTokens: defaultPromptTokens(config.vocabSize), meta, path: abs };
}

/** One case of a folder's `golden.json` (written by the recipe's `verify_hf.py` with `transformers`). */
export interface GoldenCase {
  readonly text: string;
  readonly ids: readonly number[];
  readonly mask_index: number;
  readonly word_logits: Record<string, number>;
  readonly top5: readonly string[];
}

export interface GoldenCheck {
  readonly cases: number;
  /** Cases whose token ids (with [CLS]/[SEP], `[MASK]` in the text read as the mask token) match exactly. */
  readonly idsMatched: number;
  /** Largest |ours − golden| over every case's verbalizer-word logits. */
  readonly maxLogitDiff: number;
  /** Cases whose top-5 fills match in order. */
  readonly top5Matched: number;
}

/** Tokenizes "… [MASK] …" text as the recipe does: pieces around the literal mask token, the mask in between. */
export function encodeWithMask(tokenizer: Tokenizer, text: string, maskLiteral = '[MASK]'): number[] {
  const pieces = text.split(maskLiteral);
  const ids: number[] = [tokenizer.specials.cls];
  pieces.forEach((p, i) => {
    if (i > 0) ids.push(tokenizer.specials.mask);
    ids.push(...tokenizer.encode(p));
  });
  ids.push(tokenizer.specials.sep);
  return ids;
}

/** Compares a loaded model with a `golden.json` (ids, verbalizer-word logits at the mask, top-5 fills). */
export function checkGolden(loaded: LoadedModel, goldenPath: string): GoldenCheck {
  const golden = readJsonFile(goldenPath) as { cases?: GoldenCase[] };
  if (!Array.isArray(golden.cases)) throw new GdfoError('BAD_DATA', `${goldenPath}: 'cases' must be an array`);
  const { model, tokenizer } = loaded;
  let idsMatched = 0;
  let top5Matched = 0;
  let maxLogitDiff = 0;
  for (const c of golden.cases) {
    const ids = encodeWithMask(tokenizer, c.text);
    if (ids.join(',') === c.ids.join(',')) idsMatched++;
    const words = Object.keys(c.word_logits);
    const wordIds = Int32Array.from(words.map((w) => tokenizer.wordId(w) ?? -1));
    if (wordIds.includes(-1)) throw new GdfoError('BAD_DATA', `${goldenPath}: a verbalizer word of '${c.text}' is not one token`);
    const batch = { ids: Int32Array.from(c.ids), batch: 1, seq: c.ids.length, lengths: Int32Array.from([c.ids.length]) };
    const [logits, top] = tf.tidy(() => {
      const h = model.forward(batch, { outRows: Int32Array.from([c.mask_index]) });
      return [model.logitsFor(h, wordIds).dataSync() as Float32Array, tf.topk(model.vocabLogits(h), 5).indices.dataSync() as Int32Array];
    });
    words.forEach((w, i) => (maxLogitDiff = Math.max(maxLogitDiff, Math.abs(logits[i]! - c.word_logits[w]!))));
    if (Array.from(top, (i) => tokenizer.token(i)).join(' ') === c.top5.join(' ')) top5Matched++;
  }
  return { cases: golden.cases.length, idsMatched, maxLogitDiff, top5Matched };
}
