// Fails loudly when ../shared/data (the few-shot benchmark data) is missing: `npm run test:shared` needs it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
const dir = process.env.GDFO_DATA_DIR ?? resolve(process.cwd(), '..', 'shared', 'data');
if (!existsSync(resolve(dir, 'fewshot'))) {
  console.error(`test:shared: benchmark data not found at ${dir} (expected ${dir}/fewshot/<task>/seed-42/*.jsonl; set GDFO_DATA_DIR)`);
  process.exit(1);
}
console.error(`test:shared: using benchmark data at ${dir}`);
