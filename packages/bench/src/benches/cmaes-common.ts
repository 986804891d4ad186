/** Helpers shared by the `cmaes` and `cmaes-quality` benches: locating and running the python reference. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
export const APT_HINT = 'apt-get update && apt-get install -y python3-cmaes libopenblas0-pthread';

/** packages/bench/scripts/cmaes_reference.py, from src/benches or dist/benches. */
export function referenceScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..', '..', 'scripts', 'cmaes_reference.py');
}

export { arg } from '../args.js';

/** Returns an error message when Debian's python3-cmaes cannot be imported, else undefined. Installs nothing. */
export function checkReference(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found; install Debian's Python and the reference with: ${APT_HINT}`;
  const r = spawnSync(PYTHON, ['-c', 'import numpy, cmaes'], { encoding: 'utf8' });
  if (r.status !== 0) {
    const last = (r.stderr || r.error?.message || '').trim().split('\n').pop();
    return `the reference (Debian python3-cmaes, module cmaes, class CMA) is missing (${last}); install it with: ${APT_HINT}`;
  }
  if (!existsSync(referenceScript())) return `reference script ${referenceScript()} not found`;
  return undefined;
}

/** Runs the reference script and returns its JSON lines. */
export function runReference(argv: string[]): Record<string, unknown>[] {
  const r = spawnSync(PYTHON, [referenceScript(), ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`python reference failed with status ${r.status}: ${r.error?.message ?? ''}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
