import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { MODEL_PRESETS } from './pretrain.js';
import { shippedCheckpoint } from './shipped.js';
import { VERBALIZER_WORDS, MASK_ID, CLS_ID, SEP_ID } from './tokenizer.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

test.each([
  ['teacher', MODEL_PRESETS.teacher],
  ['student', MODEL_PRESETS.student],
] as const)('the shipped %s checkpoint loads, matches its preset and has its verbalizer words as single tokens', (which, preset) => {
  const dir = shippedCheckpoint(which);
  const { model, tokenizer, promptTokens, meta } = loadCheckpoint(dir);
  expect(model.config).toEqual(preset);
  expect(tokenizer.size).toBe(8192);
  expect(promptTokens).toHaveLength(64);
  for (const w of VERBALIZER_WORDS) expect(tokenizer.wordId(w)).toBeDefined();
  const heldOut = (meta as { heldOut: { accuracy: number } }).heldOut;
  expect(heldOut.accuracy).toBeGreaterThan(MIN_ACCURACY[which]);
  const card = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
  expect(card).toContain(heldOut.accuracy.toFixed(4));
  expect(card).toContain(`npm run pretrain -w @gdfo/models -- --model ${which}`);
  model.dispose();
});

// the accuracies recorded at training time (0.1419 and 0.1345): tiny models after ~8M tokens
const MIN_ACCURACY = { teacher: 0.14, student: 0.13 };

test('teacher and student share one vocabulary', () => {
  const a = readFileSync(join(shippedCheckpoint('teacher'), 'vocab.txt'), 'utf8');
  const b = readFileSync(join(shippedCheckpoint('student'), 'vocab.txt'), 'utf8');
  expect(a).toBe(b);
});

test('the shipped teacher fills an obvious blank', () => {
  const { model, tokenizer } = loadCheckpoint(shippedCheckpoint('teacher'));
  const ids = [CLS_ID, ...tokenizer.encode('the president of the united'), MASK_ID, ...tokenizer.encode('of america .'), SEP_ID];
  const batch = { ids: Int32Array.from(ids), batch: 1, seq: ids.length, lengths: Int32Array.from([ids.length]) };
  const mask = ids.indexOf(MASK_ID);
  const top = tf.tidy(() => Array.from(tf.topk(model.vocabLogits(model.forward(batch, { outRows: Int32Array.from([mask]) })), 5).indices.dataSync()));
  expect(top.map((i) => tokenizer.vocab[i])).toContain('states');
  model.dispose();
});
