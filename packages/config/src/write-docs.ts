/**
 * Writes docs/configuration.md and docs/config.schema.json from the schema (`npm run docs:config`).
 * Usage: node packages/config/dist/write-docs.js [docsDir] (default: <repo root>/docs).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@gdfo/core';
import { configReference, configSchemaText } from './reference.js';

/** Writes both files into `docsDir`; returns their paths. */
export function writeConfigDocs(docsDir: string): string[] {
  const md = join(docsDir, 'configuration.md');
  const schema = join(docsDir, 'config.schema.json');
  writeFileAtomic(md, configReference());
  writeFileAtomic(schema, configSchemaText());
  return [md, schema];
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] && resolve(process.argv[1]) === self) {
  const docsDir = resolve(process.argv[2] ?? join(dirname(self), '..', '..', '..', 'docs'));
  for (const p of writeConfigDocs(docsDir)) process.stdout.write(`wrote ${p}\n`);
}
