/**
 * Each plugin of plugins/ packs into an installable tarball: dist/index.js and package.json are in it, tests
 * and sources are not, and the unpacked package loads through gdfo's plugin loader and registers its
 * components (with @gdfo/core and @gdfo/spec provided beside it, as peer dependencies).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const PLUGINS: [dir: string, components: string[]][] = [
  ['de', ['strategy:de-rand-1-bin', 'strategy:jade']],
  ['cost-guard', ['middleware:cost-guard']],
  ['template', ['strategy:template-random-search']],
];

describe.each(PLUGINS)('npm pack plugins/%s', (dir, components) => {
  it('gives a tarball with dist/index.js and package.json that installs and registers its components', async () => {
    const pluginDir = join(root, 'plugins', dir);
    const { name, version, peerDependencies } = JSON.parse(readFileSync(join(pluginDir, 'package.json'), 'utf8')) as { name: string; version: string; peerDependencies?: Record<string, string> };
    const work = mkdtempSync(join(tmpdir(), `gdfo-pack-${dir}-`));
    await run('npm', ['pack', '--pack-destination', work], { cwd: pluginDir });
    const tarball = join(work, `${name}-${version}.tgz`);
    expect(readdirSync(work)).toEqual([`${name}-${version}.tgz`]);
    const files = (await run('tar', ['-tzf', tarball])).stdout.trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/dist/index.js', 'package/dist/index.d.ts', 'package/package.json', 'package/README.md']));
    expect(files.filter((f) => /\.test\.|\/src\/|tsbuildinfo/.test(f))).toEqual([]);

    // Install: unpack into a project's node_modules beside the peer dependencies, load by package name.
    const project = join(work, 'project');
    const target = join(project, 'node_modules', name);
    mkdirSync(target, { recursive: true });
    mkdirSync(join(project, 'node_modules', '@gdfo'));
    await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    // the plugin's @gdfo peer dependencies (spec, core, and the kit it builds on, e.g. @gdfo/dfo)
    const peers = Object.keys(peerDependencies ?? {}).filter((d) => d.startsWith('@gdfo/')).map((d) => d.slice('@gdfo/'.length));
    expect(peers).toEqual(expect.arrayContaining(['core', 'spec']));
    for (const peer of peers) symlinkSync(join(root, 'packages', peer), join(project, 'node_modules', '@gdfo', peer), 'dir');
    const script = `
      import { createContainer, loadPlugin, discoverPlugins } from '@gdfo/core';
      const { registry } = createContainer({ seed: 1 });
      const found = discoverPlugins(process.cwd());
      const loaded = await loadPlugin(registry, ${JSON.stringify(name)}, process.cwd());
      console.log(JSON.stringify({ found, loaded, components: registry.list().map((r) => r.kind + ':' + r.name + ':' + r.origin) }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    const out = JSON.parse(stdout) as { found: string[]; loaded: { name: string; version: string; specVersion: string }; components: string[] };
    expect(out.found).toEqual([name]);
    expect(out.loaded).toMatchObject({ name, version, specVersion: '1.0' });
    expect(out.components).toEqual(components.map((c) => `${c}:${name}@${version}`));
  }, 60_000);
});
