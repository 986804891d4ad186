import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from './backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { checkGolden } from './hf.js';
import { DEFAULT_STUDENT, DEFAULT_TEACHER, SHIPPED_CHECKPOINTS, resolveModelPath, shippedCheckpoint } from './shipped.js';
import { VERBALIZER_WORDS } from './tokenizer.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

// Figures of the recipe's training run (../shared/models/README.md), repeated in each model card.
const EXPECTED = {
  'mlm-4x256': { layers: 4, hidden: 256, heads: 4, ffn: 1024, params: 7371136, mlmAcc: '0.411', sst2: '63.9' },
  'mlm-2x128': { layers: 2, hidden: 128, heads: 2, ffn: 512, params: 2494208, mlmAcc: '0.262', sst2: '65.7' },
} as const;

test.each(SHIPPED_CHECKPOINTS.map((n) => [n]))('the shipped %s reproduces its golden.json (token ids exactly, logits within 1e-3, top-5 fills)', (name) => {
  const dir = shippedCheckpoint(name);
  const loaded = loadCheckpoint(dir);
  try {
    const e = EXPECTED[name];
    expect(loaded.model.config).toMatchObject({ arch: 'bert', layers: e.layers, hidden: e.hidden, heads: e.heads, ffn: e.ffn, vocabSize: 16000, maxPositions: 128, layerNormEps: 1e-12 });
    const params = Object.values(loaded.model.weights).reduce((a, t) => a + t.size, 0);
    // the recipe counts the decoder bias; the tied decoder weight is the word embedding table
    expect(params).toBe(e.params);
    const check = checkGolden(loaded, join(dir, 'golden.json'));
    expect(check).toMatchObject({ cases: 5, idsMatched: 5, top5Matched: 5 });
    expect(check.maxLogitDiff).toBeLessThan(1e-3);
    for (const w of VERBALIZER_WORDS) expect(loaded.tokenizer.wordId(w)).toBeDefined();
    const card = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
    for (const figure of [e.mlmAcc, e.sst2, 'Apache-2.0', 'IMDB', 'BBC']) expect(card).toContain(figure);
  } finally {
    loaded.model.dispose();
  }
});

test('teacher and student are the new pair and share one vocabulary', () => {
  expect([DEFAULT_TEACHER, DEFAULT_STUDENT]).toEqual(['mlm-4x256', 'mlm-2x128']);
  expect(shippedCheckpoint('teacher')).toBe(shippedCheckpoint('mlm-4x256'));
  const a = readFileSync(join(shippedCheckpoint('teacher'), 'vocab.txt'), 'utf8');
  const b = readFileSync(join(shippedCheckpoint('student'), 'vocab.txt'), 'utf8');
  expect(a).toBe(b);
  expect(resolveModelPath('student')).toBe(shippedCheckpoint('mlm-2x128'));
  expect(resolveModelPath('some/dir')).toMatch(/some\/dir$/);
  expect(() => shippedCheckpoint('mlm-9x999' as 'teacher')).toThrow("model: unknown shipped model 'mlm-9x999' (known: teacher, student, mlm-4x256, mlm-2x128; or pass a folder path)");
});
