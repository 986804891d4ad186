import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContainer } from './registry.js';
import { discoverPlugins, installPlugin, loadPlugin } from './plugins.js';

const here = dirname(fileURLToPath(import.meta.url));

describe('plugin loader', () => {
  it('loads a plugin from a path and resolves what it registered by name', async () => {
    const { registry } = createContainer();
    const loaded = await loadPlugin(registry, './__fixtures__/good-plugin.mjs', here);
    expect(loaded).toMatchObject({ name: 'gdfo-plugin-good', version: '1.2.3', specVersion: '1.0' });
    expect(await registry.resolve('harmonizer', 'always-seven')).toBe(7);
    expect(registry.list('harmonizer')[0]?.origin).toBe('gdfo-plugin-good@1.2.3');
  });

  it('refuses a spec-version mismatch naming the plugin and both versions', async () => {
    const { registry } = createContainer();
    await expect(loadPlugin(registry, './__fixtures__/old-plugin.mjs', here)).rejects.toThrow(
      'plugin gdfo-plugin-old@0.9.0 was written for spec 0.1, but this gdfo implements spec 1.0',
    );
  });

  it('refuses a manifest with a missing field and a missing path', async () => {
    const { registry } = createContainer();
    await expect(installPlugin(registry, { name: 'x', specVersion: '1.0', register() {} }, 'inline')).rejects.toThrow(
      'plugin inline: manifest field "version" must be a non-empty string, got undefined',
    );
    await expect(loadPlugin(registry, './nope.mjs', here)).rejects.toThrow(/plugin \.\/nope\.mjs: no such file/);
    await expect(loadPlugin(registry, 'gdfo-plugin-does-not-exist', here)).rejects.toThrow(/package not found/);
  });

  it('discovers gdfo-plugin-* and @scope/gdfo-plugin-* packages and loads a package directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gdfo-plugins-'));
    const a = join(root, 'node_modules', 'gdfo-plugin-a');
    const b = join(root, 'node_modules', '@acme', 'gdfo-plugin-b');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    mkdirSync(join(root, 'node_modules', 'unrelated'), { recursive: true });
    writeFileSync(join(a, 'package.json'), JSON.stringify({ name: 'gdfo-plugin-a', type: 'module', exports: { '.': './main.js' } }));
    writeFileSync(
      join(a, 'main.js'),
      "export default { name: 'gdfo-plugin-a', version: '1.0.0', specVersion: '1.0', register(r) { r.register('loss', 'from-a', () => 'A'); } };",
    );
    expect(discoverPlugins(root)).toEqual(['@acme/gdfo-plugin-b', 'gdfo-plugin-a']);
    const { registry } = createContainer();
    await loadPlugin(registry, 'gdfo-plugin-a', root);
    expect(await registry.resolve('loss', 'from-a')).toBe('A');
  });
});
