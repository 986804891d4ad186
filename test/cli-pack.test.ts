/**
 * Installing the tool as a user would: `npm pack` of @gdfo/cli and the workspace packages it depends on, an
 * install of those tarballs into an empty folder, and `npx gdfo run --task spam` there (a tiny budget; about
 * a minute in all on 2 cores: pack 4 s, install 25 s, run 20-30 s). The
 * shipped models travel inside @gdfo/models' tarball.
 *
 * Offline: the third-party dependencies come from npm's cache (filled by `npm ci` of this repository). A fresh
 * install needs the registry's package documents to resolve version ranges, which the cache does not hold, so
 * the empty folder gets a lock file pinning each third-party package to the version and integrity of this
 * repository's lock (and each @gdfo package to its tarball), and `npm ci --offline` installs from the cache.
 * Install scripts are skipped (the optional native kernels are then absent; the run uses the wasm kernels).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Manifest {
  name: string;
  version: string;
  license?: string;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
type LockEntry = Record<string, unknown> & { dev?: boolean; link?: boolean };

/** The workspace packages @gdfo/cli needs, by name: their folder and manifest. */
function workspaceClosure(): Map<string, { dir: string; pkg: Manifest }> {
  const all = new Map<string, { dir: string; pkg: Manifest }>();
  for (const group of ['packages', 'adapters']) {
    for (const d of readdirSync(join(root, group))) {
      const p = join(root, group, d, 'package.json');
      if (!existsSync(p)) continue;
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as Manifest;
      all.set(pkg.name, { dir: `${group}/${d}`, pkg });
    }
  }
  const need = new Map<string, { dir: string; pkg: Manifest }>();
  const visit = (name: string) => {
    const ws = all.get(name);
    if (!ws || need.has(name)) return;
    need.set(name, ws);
    for (const dep of Object.keys({ ...ws.pkg.dependencies, ...ws.pkg.optionalDependencies, ...ws.pkg.peerDependencies })) visit(dep);
  };
  visit('@gdfo/cli');
  return need;
}

const tarballName = (pkg: Manifest) => `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;

describe('@gdfo/cli from packed tarballs', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true }); // about 400 MB of node_modules
  });

  it('installs into an empty folder and `npx gdfo run --task spam` runs there, with the shipped models from the package', async () => {
    const work = mkdtempSync(join(tmpdir(), 'gdfo-cli-pack-'));
    made.push(work);
    const tgz = join(work, 'tgz');
    const app = join(work, 'app');
    mkdirSync(tgz);
    mkdirSync(app);
    const closure = workspaceClosure();
    expect([...closure.keys()]).toEqual(expect.arrayContaining(['@gdfo/cli', '@gdfo/models', '@gdfo/core']));

    // npm pack of every package in one call
    await run('npm', ['pack', '--silent', '--pack-destination', tgz, ...[...closure.values()].flatMap((w) => ['-w', w.dir])], { cwd: root, maxBuffer: 1 << 24 });
    for (const { pkg } of closure.values()) expect(existsSync(join(tgz, tarballName(pkg)))).toBe(true);
    const cli = closure.get('@gdfo/cli')!.pkg;
    const cliFiles = (await run('tar', ['-tzf', join(tgz, tarballName(cli))])).stdout.split('\n');
    expect(cliFiles).toEqual(expect.arrayContaining([`package/${cli.bin!['gdfo']!}`, 'package/dist/bin.js', 'package/package.json']));
    // the shipped models travel inside @gdfo/models: every checkpoint folder with its config and weights
    const models = closure.get('@gdfo/models')!;
    const modelFiles = (await run('tar', ['-tzf', join(tgz, tarballName(models.pkg))], { maxBuffer: 1 << 24 })).stdout.split('\n');
    const shipped = readdirSync(join(root, models.dir, 'checkpoints'), { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(root, models.dir, 'checkpoints', d.name, 'config.json')));
    expect(shipped.length).toBeGreaterThan(0);
    for (const d of shipped) {
      for (const f of readdirSync(join(root, models.dir, 'checkpoints', d.name))) expect(modelFiles).toContain(`package/checkpoints/${d.name}/${f}`);
    }

    // the empty folder: package.json naming the tarballs, a lock pinning every package (see the header)
    const repoLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const deps = Object.fromEntries([...closure.values()].map(({ pkg }) => [pkg.name, `file:../tgz/${tarballName(pkg)}`]));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'gdfo-user', version: '1.0.0', private: true, dependencies: deps }, null, 2));
    const packages: Record<string, unknown> = { '': { name: 'gdfo-user', version: '1.0.0', dependencies: deps } };
    for (const [key, entry] of Object.entries(repoLock.packages)) {
      if (key.startsWith('node_modules/') && !key.startsWith('node_modules/@gdfo/') && !entry.link && !entry.dev) packages[key] = entry;
    }
    for (const { pkg } of closure.values()) {
      const file = join(tgz, tarballName(pkg));
      packages[`node_modules/${pkg.name}`] = {
        version: pkg.version,
        resolved: `file:../tgz/${tarballName(pkg)}`,
        integrity: `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`,
        ...(pkg.license ? { license: pkg.license } : {}),
        ...(pkg.scripts?.['install'] ? { hasInstallScript: true } : {}),
        ...(pkg.bin ? { bin: pkg.bin } : {}),
        ...(pkg.dependencies ? { dependencies: pkg.dependencies } : {}),
        ...(pkg.optionalDependencies ? { optionalDependencies: pkg.optionalDependencies } : {}),
        ...(pkg.peerDependencies ? { peerDependencies: pkg.peerDependencies } : {}),
      };
    }
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'gdfo-user', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2));
    await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, maxBuffer: 1 << 24 });
    expect(existsSync(join(app, 'node_modules', '.bin', 'gdfo'))).toBe(true);
    for (const d of shipped) expect(existsSync(join(app, 'node_modules', '@gdfo', 'models', 'checkpoints', d.name, 'config.json'))).toBe(true);

    // the user's command, in the folder (npx --no: never the registry); a small test split, short messages and
    // a budget of one generation keep it to seconds
    writeFileSync(join(app, 'small.yaml'), 'task:\n  name: spam\n  options: { spamTestSize: 40, spamMaxBodyChars: 200 }\n');
    const args = ['run', '--task', 'spam', '--config', 'small.yaml', '--methods', 'manual,bbt', '--budget', '4', '--pop-size', '4', '--quiet'];
    const { stdout } = await run('npx', ['--no', 'gdfo', ...args], {
      cwd: app,
      env: { ...process.env, npm_config_offline: 'true' },
      maxBuffer: 1 << 24,
    });
    expect(stdout).toMatch(/^manual\s+0\s+\d\.\d{4}\s+\d\.\d{4}$/m);
    expect(stdout).toMatch(/^bbt\s+4\s+\d\.\d{4}\s+\d\.\d{4}$/m);
    expect(stdout).toMatch(/^bbt: accuracy dev \d\.\d{4} \(/m);
    const [runDir] = readdirSync(join(app, 'runs'));
    expect(runDir).toMatch(/^spam-/);
    const result = JSON.parse(readFileSync(join(app, 'runs', runDir!, 'result.json'), 'utf8')) as { results: { method: string; calls: number }[] };
    expect(result.results.map((r) => [r.method, r.calls])).toEqual([
      ['manual', 0],
      ['bbt', 4],
    ]);
    expect(existsSync(join(app, 'runs', runDir!, 'report.html'))).toBe(true);
  }, 300_000);
});
