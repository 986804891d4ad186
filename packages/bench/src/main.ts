/**
 * `npm run bench -- <name> [args...]`: runs `benches/<name>.ts`. Each bench prints JSON lines; its last stdout
 * line is one JSON summary object. Progress goes to stderr.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(join(here, 'benches'))
  .filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [options]; <name> is one of: ${available.join(', ')}`);
  process.exit(name ? 2 : 0);
}
const mod = (await import(join(here, 'benches', `${name}.js`))) as { run(args: string[]): Promise<void> };
await mod.run(rest.filter((a) => a !== '--'));
