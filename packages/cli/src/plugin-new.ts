/**
 * `gdfo plugin new <name>`: copies the plugin template (plugins/template of the gdfo repository) to
 * `<destDir>/<name>` as package `gdfo-plugin-<name>`, ready to build, test and pack on its own.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GdfoError } from '@gdfo/core';

export interface PluginNewOptions {
  /** The template to copy (default: the repository's plugins/template, see `defaultTemplateDir`). */
  templateDir?: string;
}

export interface PluginNewResult {
  /** The new plugin's directory. */
  readonly dir: string;
  /** Its npm package name, `gdfo-plugin-<name>`. */
  readonly packageName: string;
  /** The component name prefix (`<name>`). */
  readonly shortName: string;
  /** Files written, relative to `dir`, sorted. */
  readonly files: string[];
}

/** Names: lowercase letters and digits in words joined by single hyphens, starting with a letter. */
const NAME_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** What is never copied from the template. */
const SKIP = new Set(['node_modules', 'dist', 'coverage', '.turbo']);
const TEXT = /\.(ts|js|mjs|cjs|json|md|txt|yaml|yml)$|^\.gitignore$/;

/** plugins/template beside this package in the gdfo repository (from src/ or dist/). */
export function defaultTemplateDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'plugins', 'template');
}

/** Validates a plugin name (an optional `gdfo-plugin-` prefix is dropped); returns the short name. */
export function pluginShortName(name: string): string {
  const short = name.startsWith('gdfo-plugin-') ? name.slice('gdfo-plugin-'.length) : name;
  if (!NAME_RE.test(short) || short.length > 50 || short === 'template') {
    throw new GdfoError(
      'BAD_NAME',
      `plugin new: invalid name ${JSON.stringify(name)}: expected lowercase letters and digits in words joined by single hyphens, starting with a letter, at most 50 characters, not "template" (e.g. "my-strategy")`,
    );
  }
  return short;
}

function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out.sort();
}

/** Copies the template to `<destDir>/<short name>` and renames the package. */
export function pluginNew(name: string, destDir: string, options: PluginNewOptions = {}): PluginNewResult {
  const shortName = pluginShortName(name);
  const packageName = `gdfo-plugin-${shortName}`;
  const templateDir = resolve(options.templateDir ?? defaultTemplateDir());
  if (!existsSync(join(templateDir, 'package.json')) || !existsSync(join(templateDir, 'src', 'index.ts'))) {
    throw new GdfoError('NO_TEMPLATE', `plugin new: no plugin template at ${templateDir} (expected package.json and src/index.ts)`);
  }
  if (!existsSync(destDir) || !statSync(destDir).isDirectory()) {
    throw new GdfoError('BAD_DIR', `plugin new: destination ${destDir} is not a directory`);
  }
  const dir = resolve(destDir, shortName);
  if (existsSync(dir)) throw new GdfoError('EXISTS', `plugin new: ${dir} already exists; choose another name or remove it`);
  cpSync(templateDir, dir, {
    recursive: true,
    filter: (src) => {
      const b = basename(src);
      return !SKIP.has(b) && !b.endsWith('.tgz') && !b.endsWith('.tsbuildinfo');
    },
  });
  const files = listFiles(dir);
  for (const f of files) {
    if (!TEXT.test(basename(f))) continue;
    const p = join(dir, f);
    const before = readFileSync(p, 'utf8');
    const after = before
      .replaceAll('gdfo-plugin-template', packageName)
      .replaceAll('template-random-search', `${shortName}-random-search`)
      .replaceAll("SHORT_NAME = 'template'", `SHORT_NAME = '${shortName}'`);
    if (after !== before) writeFileSync(p, after);
  }
  const pjPath = join(dir, 'package.json');
  const pj = JSON.parse(readFileSync(pjPath, 'utf8')) as Record<string, unknown>;
  pj['name'] = packageName;
  pj['version'] = '0.1.0';
  delete pj['private'];
  writeFileSync(pjPath, JSON.stringify(pj, null, 2) + '\n');
  return { dir, packageName, shortName, files };
}
