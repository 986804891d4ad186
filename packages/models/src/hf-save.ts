/**
 * Writes a model as a Hugging Face folder beside the one it came from: the source folder's `config.json` and
 * tokenizer files are copied unchanged (same architecture, same vocabulary) and `model.safetensors` holds the
 * new weights under Hugging Face names in PyTorch's layout, so `transformers` and `loadCheckpoint` read it alike.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GdfoError } from '@gdfo/core';
import { writeFileAtomic } from './checkpoint.js';
import { configFromHuggingFace, isHuggingFaceFolder, tensorNames, transpose2d } from './hf.js';
import { weightShapes, type MaskedLM } from './model.js';
import { encodeSafetensors, type SafetensorsDtype, type TensorToWrite } from './safetensors.js';

const TOKENIZER_FILES = ['vocab.txt', 'tokenizer_config.json', 'vocab.json', 'merges.txt', 'special_tokens_map.json'];

export interface SaveHuggingFaceOptions {
  /** Weight precision (default F16, as the shipped folders). */
  readonly dtype?: SafetensorsDtype;
  /** Written into the safetensors header's `__metadata__` (string values). */
  readonly metadata?: Record<string, string>;
}

/** Writes `model` (whose shapes must be those of the folder `like`) as a Hugging Face folder `dir`. */
export function saveHuggingFace(dir: string, model: MaskedLM, like: string, options: SaveHuggingFaceOptions = {}): void {
  const src = resolve(like);
  if (!isHuggingFaceFolder(src)) throw new GdfoError('BAD_OPTION', `save: ${src} is not a Hugging Face folder (config.json with model_type 'bert' or 'roberta')`);
  const configPath = join(src, 'config.json');
  const { modelType, ...c } = configFromHuggingFace(JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>, configPath, 'model');
  for (const [name, shape] of weightShapes(c)) {
    const t = model.weights[name];
    if (!t || t.shape.join(',') !== shape.join(',')) throw new GdfoError('BAD_OPTION', `save: weight '${name}' has shape [${t?.shape.join(', ') ?? ''}], ${configPath} expects [${shape.join(', ')}]`);
  }
  const names = tensorNames(c, modelType, () => true);
  const tensors: TensorToWrite[] = weightShapes(c).map(([ours, shape]) => {
    const spec = names.get(ours)!;
    const data = model.weights[ours]!.dataSync() as Float32Array;
    return spec.transpose
      ? { name: spec.names[0]!, shape: [shape[1]!, shape[0]!], data: transpose2d(data, shape[0]!, shape[1]!), dtype: options.dtype ?? 'F16' }
      : { name: spec.names[0]!, shape, data, dtype: options.dtype ?? 'F16' };
  });
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt', ...(options.metadata ?? {}) }));
  for (const f of [...TOKENIZER_FILES, 'config.json']) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dir, f));
}
