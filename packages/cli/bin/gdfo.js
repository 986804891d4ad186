#!/usr/bin/env node
// The `gdfo` command's entry: runs the compiled CLI (dist/bin.js). In a clone of the repository dist/ exists
// only after `npm run build` (tsc -b; `npm start` builds too), so say that in one line instead of a stack.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(`gdfo: ${fileURLToPath(entry)} is missing: the CLI is not built yet; run \`npm run build\` (tsc -b) in the repository first\n`);
  process.exit(1);
}
await import(entry.href);
