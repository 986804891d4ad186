/** A tiny random-init model with a small vocabulary, for fast tests of code that needs a LoadedModel. */
import { createRng } from '@gdfo/core';
import type { LoadedModel } from './loaded.js';
import { MaskedLM, initWeights, type ModelConfig } from './model.js';
import { SPECIAL_TOKENS, VERBALIZER_WORDS, WordPieceTokenizer } from './tokenizer.js';

export interface TinyModelOptions {
  readonly seed?: number | string;
  readonly hidden?: number;
  readonly layers?: number;
  readonly heads?: number;
  readonly maxPositions?: number;
  /** Init std multiplier (default 5: larger than pretraining's 0.02 so outputs depend visibly on inputs). */
  readonly initScale?: number;
  readonly promptTokens?: number;
}

const WORDS = ['the', 'a', 'it', 'was', 'is', 'movie', 'film', 'this', 'and', 'not', 'very', 'of', 'question', 'answer', '?', '.', ',', ':', '!'];

export function tinyModel(options: TinyModelOptions = {}): LoadedModel {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
  const vocab = [...new Set([...SPECIAL_TOKENS, ...letters, ...letters.map((l) => '##' + l), ...WORDS, ...VERBALIZER_WORDS])];
  const tokenizer = new WordPieceTokenizer(vocab);
  const hidden = options.hidden ?? 16;
  const config: ModelConfig = {
    name: 'tiny-test',
    vocabSize: vocab.length,
    hidden,
    layers: options.layers ?? 2,
    heads: options.heads ?? 2,
    ffn: hidden * 2,
    maxPositions: options.maxPositions ?? 48,
  };
  const rng = createRng(options.seed ?? 'tiny');
  const s = options.initScale ?? 5;
  const model = new MaskedLM(config, initWeights(config, () => rng.gaussian() * s));
  const n = options.promptTokens ?? 12;
  return { model, tokenizer, promptTokens: Array.from({ length: n }, (_, i) => 5 + i), meta: { tiny: true } };
}
