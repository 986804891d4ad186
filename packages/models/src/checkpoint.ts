/**
 * Checkpoint format of a gdfo masked LM (a directory):
 *   config.json   { format: 'gdfo-mlm', formatVersion: 1, model: ModelConfig, weights: {file, dtype, sha256,
 *                   tensors: [{name, shape, offset}]}, tokenizer: {file}, promptTokens, meta }
 *   vocab.txt     the WordPiece vocabulary, one token per line (id = line − 1)
 *   weights.bin   little-endian float32 or float16 tensors in `tensors` order
 * Files are written atomically (temporary file, fsync, rename).
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fromHalfBits, roundToHalf, toHalfBits } from './half.js';
import { MaskedLM, validateConfig, weightShapes, type ModelConfig, type Weights } from './model.js';
import { WordPieceTokenizer } from './tokenizer.js';
import type { LoadedModel } from './loaded.js';
import { isHuggingFaceFolder, loadHuggingFace } from './hf.js';
import { GdfoError } from '@gdfo/core';

export type WeightDtype = 'float32' | 'float16';

export interface CheckpointConfig {
  readonly format: 'gdfo-mlm';
  readonly formatVersion: 1;
  readonly model: ModelConfig;
  readonly tokenizer: { readonly file: string; readonly lowercase: true };
  readonly weights: {
    readonly file: string;
    readonly dtype: WeightDtype;
    readonly sha256: string;
    readonly tensors: readonly { readonly name: string; readonly shape: readonly number[]; readonly offset: number }[];
  };
  /** The fixed vocabulary tokens whose embeddings are p0 in 'add' mode (BBT: ids 1000..1049). */
  readonly promptTokens: readonly number[];
  readonly meta?: Record<string, unknown>;
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Serialises tensors (in order) to bytes. */
export function packTensors(named: readonly [string, tf.Tensor][], dtype: WeightDtype): { bytes: Uint8Array; tensors: CheckpointConfig['weights']['tensors'] } {
  const total = named.reduce((a, [, t]) => a + t.size, 0);
  const width = dtype === 'float32' ? 4 : 2;
  const bytes = new Uint8Array(total * width);
  const view = new DataView(bytes.buffer);
  const tensors: { name: string; shape: number[]; offset: number }[] = [];
  let off = 0;
  for (const [name, t] of named) {
    const d = t.dataSync() as Float32Array;
    tensors.push({ name, shape: [...t.shape], offset: off });
    for (let i = 0; i < d.length; i++) {
      if (dtype === 'float32') view.setFloat32((off + i) * 4, d[i]!, true);
      else view.setUint16((off + i) * 2, toHalfBits(d[i]!), true);
    }
    off += d.length;
  }
  return { bytes, tensors };
}

export function unpackTensor(bytes: Uint8Array, dtype: WeightDtype, offset: number, size: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(size);
  if (dtype === 'float32') for (let i = 0; i < size; i++) out[i] = view.getFloat32((offset + i) * 4, true);
  else for (let i = 0; i < size; i++) out[i] = fromHalfBits(view.getUint16((offset + i) * 2, true));
  return out;
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Rounds the model's weights to binary16 in place (so that a float16 checkpoint reloads them exactly). */
export function roundWeightsToHalf(model: MaskedLM): void {
  for (const [name] of weightShapes(model.config)) {
    const t = model.weights[name]!;
    const r = tf.tensor(roundToHalf(Float32Array.from(t.dataSync() as Float32Array)), t.shape);
    t.dispose();
    model.weights[name] = r;
  }
}

export interface SaveOptions {
  readonly dtype?: WeightDtype;
  readonly meta?: Record<string, unknown>;
}

/** Writes a checkpoint directory. With dtype float16 call `roundWeightsToHalf` first for an exact round trip. */
export function saveCheckpoint(dir: string, loaded: Omit<LoadedModel, 'meta' | 'path'> & { meta?: Record<string, unknown> }, options: SaveOptions = {}): CheckpointConfig {
  const dtype = options.dtype ?? 'float32';
  mkdirSync(dir, { recursive: true });
  const { model, tokenizer } = loaded;
  if (!(tokenizer instanceof WordPieceTokenizer)) throw new GdfoError('BAD_OPTION', `checkpoint: only WordPiece models are written in the gdfo-mlm format (this one has a ${tokenizer.kind} tokenizer)`);
  if (tokenizer.size !== model.config.vocabSize) throw new GdfoError('BAD_CHECKPOINT', `checkpoint: tokenizer has ${tokenizer.size} tokens, model expects ${model.config.vocabSize}`);
  const named = weightShapes(model.config).map(([name]) => [name, model.weights[name]!] as [string, tf.Tensor]);
  const { bytes, tensors } = packTensors(named, dtype);
  writeFileAtomic(join(dir, 'weights.bin'), bytes);
  writeFileAtomic(join(dir, 'vocab.txt'), tokenizer.toVocabText());
  const config: CheckpointConfig = {
    format: 'gdfo-mlm',
    formatVersion: 1,
    model: model.config,
    tokenizer: { file: 'vocab.txt', lowercase: true },
    weights: { file: 'weights.bin', dtype, sha256: sha256(bytes), tensors },
    promptTokens: [...loaded.promptTokens],
    meta: { ...(loaded.meta ?? {}), ...(options.meta ?? {}) },
  };
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  return config;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new GdfoError('NOT_FOUND', `checkpoint: ${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new GdfoError('BAD_CHECKPOINT', `checkpoint: ${path} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Loads a model folder: a Hugging Face BERT/RoBERTa folder (`config.json` with `model_type`, safetensors
 * weights) or a gdfo-mlm checkpoint written by `saveCheckpoint` (whose weights' sha256 is verified).
 */
export function loadCheckpoint(dir: string): LoadedModel {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new GdfoError('NOT_FOUND', `checkpoint: ${configPath} does not exist (expected a Hugging Face BERT/RoBERTa folder or a gdfo-mlm checkpoint)`);
  if (isHuggingFaceFolder(dir)) return loadHuggingFace(dir);
  const c = readJson(configPath) as CheckpointConfig;
  if (c.format !== 'gdfo-mlm' || c.formatVersion !== 1) throw new GdfoError('BAD_CHECKPOINT', `checkpoint: ${configPath} is not a gdfo-mlm v1 checkpoint (format '${String(c.format)}', version ${String(c.formatVersion)})`);
  validateConfig(c.model);
  const tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(join(dir, c.tokenizer.file), 'utf8'), join(dir, c.tokenizer.file));
  const wpath = join(dir, c.weights.file);
  if (!existsSync(wpath)) throw new GdfoError('NOT_FOUND', `checkpoint: ${wpath} does not exist`);
  const bytes = new Uint8Array(readFileSync(wpath));
  const digest = sha256(bytes);
  if (digest !== c.weights.sha256) throw new GdfoError('BAD_CHECKPOINT', `checkpoint: ${wpath} sha256 ${digest} does not match config.json (${c.weights.sha256}); the file is corrupt or was replaced`);
  const byName = new Map(c.weights.tensors.map((t) => [t.name, t]));
  const weights: Weights = {};
  for (const [name, shape] of weightShapes(c.model)) {
    const t = byName.get(name);
    if (!t) throw new GdfoError('BAD_CHECKPOINT', `checkpoint: ${configPath} lacks tensor '${name}'`);
    if (t.shape.join(',') !== shape.join(',')) throw new GdfoError('BAD_CHECKPOINT', `checkpoint: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    const size = shape.reduce((a, b) => a * b, 1);
    weights[name] = tf.tensor(unpackTensor(bytes, c.weights.dtype, t.offset, size), shape);
  }
  return { model: new MaskedLM(c.model, weights), tokenizer, promptTokens: c.promptTokens, meta: c.meta ?? {}, path: dir };
}
