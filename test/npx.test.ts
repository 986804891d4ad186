/**
 * `npx gdfo …` after the README's install runs the local CLI (never the npm registry): the root depends on the
 * workspace @gdfo/cli, so `npm ci` links node_modules/.bin/gdfo; its bin says in one line when dist/ is not
 * built yet. `npm run gdfo -- …` keeps working.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const json = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8')) as Record<string, unknown>;

describe('npx gdfo', () => {
  it('the root depends on @gdfo/cli, so npm ci links its bin (package.json and the lock agree)', () => {
    expect(json('package.json')['dependencies']).toMatchObject({ '@gdfo/cli': '*' });
    const lock = json('package-lock.json')['packages'] as Record<string, Record<string, unknown>>;
    expect(lock['']!['dependencies']).toMatchObject({ '@gdfo/cli': '*' });
    expect(lock['node_modules/@gdfo/cli']).toMatchObject({ resolved: 'packages/cli', link: true });
    const cli = json('packages/cli/package.json');
    expect(lock['packages/cli']!['bin']).toEqual(cli['bin']);
    const bin = (cli['bin'] as Record<string, string>)['gdfo']!;
    expect(existsSync(join(root, 'packages', 'cli', bin))).toBe(true);
    expect(cli['files']).toContain(bin.split('/')[0]);
  });

  it('runs the local CLI from the repository (node_modules/.bin/gdfo, no registry)', async () => {
    const link = join(root, 'node_modules', '.bin', 'gdfo');
    expect(existsSync(link)).toBe(true); // linked by `npm ci` (see the test above for why)
    expect(realpathSync(link)).toBe(join(root, 'packages', 'cli', 'bin', 'gdfo.js'));
    expect(readlinkSync(link)).not.toMatch(/^\//);
    const { stdout } = await run('npx', ['--no', 'gdfo', 'list'], { cwd: root, env: { ...process.env, npm_config_offline: 'true' } });
    expect(stdout).toMatch(/^strategy\s+cma-es\s/m);
    const viaScript = await run('npm', ['run', '--silent', 'gdfo', '--', 'list'], { cwd: root });
    expect(viaScript.stdout).toBe(stdout);
  }, 60_000);

  it('says in one line that the CLI is not built when dist/ is missing', async () => {
    const pkg = mkdtempSync(join(tmpdir(), 'gdfo-bin-'));
    mkdirSync(join(pkg, 'bin'));
    copyFileSync(join(root, 'packages', 'cli', 'bin', 'gdfo.js'), join(pkg, 'bin', 'gdfo.js'));
    const failed = await run(process.execPath, [join(pkg, 'bin', 'gdfo.js'), 'run']).then(
      () => null,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    expect(failed).not.toBeNull();
    expect(failed!.code).toBe(1);
    expect(failed!.stdout).toBe('');
    expect(failed!.stderr).toBe(`gdfo: ${join(pkg, 'dist', 'bin.js')} is missing: the CLI is not built yet; run \`npm run build\` (tsc -b) in the repository first\n`);
  });

  it('README and getting started show the commands: npx gdfo, the shorthands, the dashboard, the install from tarballs', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const guide = readFileSync(join(root, 'docs', 'getting-started.md'), 'utf8');
    for (const doc of [readme, guide]) {
      expect(doc).toContain('npx gdfo run');
      expect(doc).toContain('npx gdfo dashboard runs/');
      expect(doc).toContain('task: spam');
    }
    expect(guide).toContain('## Install as a user');
    expect(readme).toContain('docs/getting-started.md#install-as-a-user');
    // the pack command names every workspace package @gdfo/cli needs (the ones test/cli-pack.test.ts packs)
    const packed = [...guide.matchAll(/-w ((?:packages|adapters)\/[a-z-]+)/g)].map((m) => m[1]);
    const cliDeps = Object.keys((json('packages/cli/package.json')['dependencies'] ?? {}) as Record<string, string>).filter((d) => d.startsWith('@gdfo/'));
    const dirOf = (name: string) => (name.startsWith('@gdfo/adapter-') ? `adapters/${name.slice('@gdfo/adapter-'.length)}` : `packages/${name.slice('@gdfo/'.length)}`);
    expect(packed).toEqual(expect.arrayContaining(['packages/cli', 'packages/kernels', ...cliDeps.map(dirOf)]));
  });
});
