/**
 * The three Hugging Face folders of ../shared/models (pretrained on a GPU for gdfo) load and reproduce their
 * golden.json, computed by `transformers`: token ids exactly, verbalizer logits within 1e-3, top-5 fills.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend } from './backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { checkGolden } from './hf.js';

const MODELS = process.env['GDFO_MODELS_DIR'] ?? resolve(process.cwd(), '..', 'shared', 'models');

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

test.each([
  ['mlm-4x256', 256, 4],
  ['mlm-2x128', 128, 2],
  ['mlm-6x384', 384, 6],
])('%s matches its golden.json', (name, hidden, layers) => {
  const dir = join(MODELS, name);
  if (!existsSync(join(dir, 'golden.json'))) throw new Error(`${dir}/golden.json is missing: npm run test:shared needs ../shared/models (set GDFO_MODELS_DIR)`);
  const loaded = loadCheckpoint(dir);
  try {
    expect(loaded.model.config).toMatchObject({ arch: 'bert', hidden, layers, vocabSize: 16000, maxPositions: 128 });
    const check = checkGolden(loaded, join(dir, 'golden.json'));
    expect(check).toMatchObject({ cases: 5, idsMatched: 5, top5Matched: 5 });
    expect(check.maxLogitDiff).toBeLessThan(1e-3);
  } finally {
    loaded.model.dispose();
  }
});
