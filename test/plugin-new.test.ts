/**
 * `gdfo plugin new` end to end: the generated plugin builds, tests and packs on its own, outside the monorepo.
 * Offline, its node_modules is a symlink to the monorepo's (which holds jest, ts-jest, typescript and the
 * @gdfo/* workspace links), as `npm install` would provide once @gdfo/spec and @gdfo/core are published.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pluginNew } from '@gdfo/cli';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('gdfo plugin new (end to end)', () => {
  it('makes a plugin whose npm test passes and whose npm pack holds dist/index.js and package.json', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'gdfo-plugin-e2e-'));
    const { dir, packageName } = pluginNew('e2e-check', dest);
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');

    const test = await run('npm', ['test'], { cwd: dir, env: { ...process.env, CI: 'true' } });
    expect(test.stderr).toMatch(/Tests:\s+2 passed, 2 total/);

    const packDir = join(dest, 'packed');
    mkdirSync(packDir);
    await run('npm', ['pack', '--pack-destination', packDir], { cwd: dir });
    const tarballs = readdirSync(packDir);
    expect(tarballs).toEqual([`${packageName}-0.1.0.tgz`]);
    const { stdout } = await run('tar', ['-tzf', join(packDir, tarballs[0]!)]);
    const files = stdout.trim().split('\n').sort();
    expect(files).toEqual(expect.arrayContaining(['package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/search.js', 'package/package.json', 'package/README.md']));
    expect(files.filter((f) => f.includes('.test.') || f.includes('/src/') || f.includes('tsbuildinfo'))).toEqual([]);
  }, 90_000);
});
