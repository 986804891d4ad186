/**
 * `npm run bench -- <name> [args...]`: runs `benches/<name>.ts`. Each bench prints JSON lines; its last stdout
 * line is one JSON summary object. Progress goes to stderr. `--help` prints a bench's options; an option its
 * usage does not name stops it before it starts (src/usage.ts).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkArgs } from './args.js';
import { USAGE } from './usage.js';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(join(here, 'benches'))
  .filter((f) => f.endsWith('.js') && !f.endsWith('.test.js') && USAGE[f.slice(0, -3)])
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...given] = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [options]; <name> is one of: ${available.join(', ')}${name ? ` (not "${name}")` : ''}`);
  process.exit(name ? 2 : 0);
}
const usage = USAGE[name]!;
const rest = given.filter((a) => a !== '--');
if (rest.includes('--help') || rest.includes('-h')) {
  console.log(`usage: ${usage.usage}`);
  process.exit(0);
}
try {
  checkArgs(name, rest, usage.usage, usage.internal);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
const mod = (await import(join(here, 'benches', `${name}.js`))) as { run(args: string[]): Promise<void> };
await mod.run(rest);
