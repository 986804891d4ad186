// Fails loudly when ../shared is incomplete: `npm run test:shared` needs the few-shot benchmark data
// (../shared/data) and the pretrained Hugging Face folders (../shared/models).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
const dir = process.env.GDFO_DATA_DIR ?? resolve(process.cwd(), '..', 'shared', 'data');
if (!existsSync(resolve(dir, 'fewshot'))) {
  console.error(`test:shared: benchmark data not found at ${dir} (expected ${dir}/fewshot/<task>/seed-42/*.jsonl; set GDFO_DATA_DIR)`);
  process.exit(1);
}
const models = process.env.GDFO_MODELS_DIR ?? resolve(process.cwd(), '..', 'shared', 'models');
for (const m of ['mlm-4x256', 'mlm-2x128', 'mlm-6x384']) {
  if (!existsSync(resolve(models, m, 'golden.json'))) {
    console.error(`test:shared: pretrained model ${m} not found at ${resolve(models, m)} (expected config.json, model.safetensors, vocab.txt, golden.json; set GDFO_MODELS_DIR)`);
    process.exit(1);
  }
}
console.error(`test:shared: using benchmark data at ${dir} and models at ${models}`);
