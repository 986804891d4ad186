/** What a model folder holds once loaded, whatever its format. */
import type { MaskedLM } from './model.js';
import type { Tokenizer } from './tokenizer.js';

/** A model with its tokenizer: what a checkpoint holds. */
export interface LoadedModel {
  readonly model: MaskedLM;
  readonly tokenizer: Tokenizer;
  readonly promptTokens: readonly number[];
  readonly meta: Record<string, unknown>;
  /** Directory it was loaded from, if any. */
  readonly path?: string;
}

/** BBT's fixed prompt tokens p0: `length` vocabulary ids from 1000 (or as far up as the vocabulary allows). */
export function defaultPromptTokens(vocabSize: number, length = 64): number[] {
  const n = Math.min(length, Math.max(0, vocabSize - 5)); // a tiny vocabulary has fewer than `length` to give
  const start = Math.min(1000, Math.max(5, vocabSize - n));
  return Array.from({ length: n }, (_, i) => start + i);
}

