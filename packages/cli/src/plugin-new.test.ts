import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTemplateDir, pluginNew, pluginShortName } from './plugin-new.js';

describe('pluginNew', () => {
  it('copies the template as gdfo-plugin-<name>, renaming package, manifest and component', () => {
    const dest = mkdtempSync(join(tmpdir(), 'gdfo-plugin-new-'));
    const r = pluginNew('my-strategy', dest);
    expect(r.dir).toBe(join(dest, 'my-strategy'));
    expect(r.packageName).toBe('gdfo-plugin-my-strategy');
    expect(r.files).toEqual(['.gitignore', 'README.md', 'jest.config.js', 'package.json', 'src/index.test.ts', 'src/index.ts', 'src/search.ts', 'tsconfig.json']);
    const pj = JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'));
    expect(pj.name).toBe('gdfo-plugin-my-strategy');
    expect(pj.version).toBe('0.1.0');
    expect(pj.gdfo).toEqual({ specVersion: '1.0' });
    expect(pj.peerDependencies).toEqual({ '@gdfo/core': '^0.1.0', '@gdfo/dfo': '^0.1.0', '@gdfo/spec': '^0.1.0' }); // the strategy kit
    const index = readFileSync(join(r.dir, 'src/index.ts'), 'utf8');
    expect(index).toContain("export const name = 'gdfo-plugin-my-strategy';");
    expect(index).toContain("export const SHORT_NAME = 'my-strategy';");
    expect(index).toContain("export const specVersion = '1.0' as const;");
    const readme = readFileSync(join(r.dir, 'README.md'), 'utf8');
    expect(readme.startsWith('# gdfo-plugin-my-strategy\n')).toBe(true);
    expect(readme).toContain('my-strategy-random-search');
    for (const f of r.files) expect(readFileSync(join(r.dir, f), 'utf8')).not.toMatch(/gdfo-plugin-template|template-random-search/);
    // The tsconfig stands alone (no path into the gdfo repository).
    expect(readFileSync(join(r.dir, 'tsconfig.json'), 'utf8')).not.toContain('..');
  });

  it('accepts the full package name and leaves build output of the template behind', () => {
    const template = mkdtempSync(join(tmpdir(), 'gdfo-template-'));
    mkdirSync(join(template, 'src'));
    mkdirSync(join(template, 'dist'));
    mkdirSync(join(template, 'node_modules'));
    writeFileSync(join(template, 'package.json'), JSON.stringify({ name: 'gdfo-plugin-template', private: true }));
    writeFileSync(join(template, 'src', 'index.ts'), "export const name = 'gdfo-plugin-template';\n");
    writeFileSync(join(template, 'dist', 'index.js'), '');
    writeFileSync(join(template, 'gdfo-plugin-template-0.1.0.tgz'), '');
    const dest = mkdtempSync(join(tmpdir(), 'gdfo-plugin-new-'));
    const r = pluginNew('gdfo-plugin-cache2', dest, { templateDir: template });
    expect(r.shortName).toBe('cache2');
    expect(r.files).toEqual(['package.json', 'src/index.ts']);
    expect(JSON.parse(readFileSync(join(r.dir, 'package.json'), 'utf8'))).toEqual({ name: 'gdfo-plugin-cache2', version: '0.1.0' });
    expect(existsSync(join(r.dir, 'dist'))).toBe(false);
  });

  it('refuses bad names, an existing directory and a missing template in one line', () => {
    const dest = mkdtempSync(join(tmpdir(), 'gdfo-plugin-new-'));
    for (const bad of ['My_Plugin', '9lives', 'a--b', 'trailing-', '', 'template', 'x'.repeat(51), '../evil']) {
      expect(() => pluginShortName(bad)).toThrow(/^plugin new: invalid name .*: expected lowercase letters and digits in words joined by single hyphens/);
    }
    pluginNew('taken', dest);
    expect(() => pluginNew('taken', dest)).toThrow(`plugin new: ${join(dest, 'taken')} already exists; choose another name or remove it`);
    expect(() => pluginNew('other', dest, { templateDir: join(dest, 'nope') })).toThrow(`plugin new: no plugin template at ${join(dest, 'nope')} (expected package.json and src/index.ts)`);
    expect(() => pluginNew('other', join(dest, 'missing'))).toThrow(`plugin new: destination ${join(dest, 'missing')} is not a directory`);
    expect(existsSync(join(defaultTemplateDir(), 'src', 'index.ts'))).toBe(true);
  });
});
