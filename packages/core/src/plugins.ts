/**
 * Plugin loading. A plugin is a package (or a path) whose module exports a `GdfoPlugin` object — as
 * `default`, as `plugin`, or as the module itself: `{ name, version, specVersion, register(registry) }`.
 * The manifest is checked before `register` runs; a spec-version mismatch is refused in one line.
 */
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GdfoPlugin, Registry, SpecVersion } from '@gdfo/spec';
import { GdfoError } from './errors.js';
import type { ComponentRegistry } from './registry.js';

/** The spec version this host implements. */
export const SPEC_VERSION: SpecVersion = '1.0';

export interface LoadedPlugin {
  readonly name: string;
  readonly version: string;
  readonly specVersion: string;
  readonly source: string;
}

/** Checks a plugin object's manifest; returns it typed, or throws a one-line error. */
export function validatePlugin(candidate: unknown, source: string): GdfoPlugin {
  const mod = candidate as Record<string, unknown> | null | undefined;
  const obj = (mod?.['default'] ?? mod?.['plugin'] ?? mod) as Record<string, unknown> | undefined;
  if (!obj || typeof obj !== 'object') {
    throw new GdfoError('BAD_PLUGIN', `plugin ${source}: expected an exported object { name, version, specVersion, register }`);
  }
  for (const field of ['name', 'version', 'specVersion'] as const) {
    if (typeof obj[field] !== 'string' || obj[field] === '') {
      throw new GdfoError('BAD_PLUGIN', `plugin ${source}: manifest field "${field}" must be a non-empty string, got ${JSON.stringify(obj[field])}`);
    }
  }
  if (typeof obj['register'] !== 'function') {
    throw new GdfoError('BAD_PLUGIN', `plugin ${String(obj['name'])} (${source}): "register" must be a function (registry) => void`);
  }
  if (obj['specVersion'] !== SPEC_VERSION) {
    throw new GdfoError(
      'SPEC_MISMATCH',
      `plugin ${String(obj['name'])}@${String(obj['version'])} was written for spec ${String(obj['specVersion'])}, but this gdfo implements spec ${SPEC_VERSION}`,
    );
  }
  return obj as unknown as GdfoPlugin;
}

/** Registers an already-imported plugin object. */
export async function installPlugin(registry: ComponentRegistry, candidate: unknown, source: string): Promise<LoadedPlugin> {
  const plugin = validatePlugin(candidate, source);
  const previous = registry.origin;
  registry.origin = `${plugin.name}@${plugin.version}`;
  try {
    await plugin.register(registry as Registry);
  } finally {
    registry.origin = previous;
  }
  return { name: plugin.name, version: plugin.version, specVersion: plugin.specVersion, source };
}

/**
 * Loads a plugin by package name (resolved from `baseDir`) or by path (relative to `baseDir`): a directory
 * with a package.json (its `exports`/`main`), or a module file.
 */
export async function loadPlugin(registry: ComponentRegistry, specifier: string, baseDir = process.cwd()): Promise<LoadedPlugin> {
  const url = resolvePluginUrl(specifier, baseDir);
  let mod: unknown;
  try {
    mod = await import(url);
  } catch (err) {
    throw new GdfoError('PLUGIN_LOAD', `plugin ${specifier}: cannot import ${url}: ${(err as Error).message}`, { cause: err });
  }
  return installPlugin(registry, mod, specifier);
}

function resolvePluginUrl(specifier: string, baseDir: string): string {
  const looksLikePath = specifier.startsWith('.') || isAbsolute(specifier);
  if (looksLikePath) {
    const p = resolve(baseDir, specifier);
    if (!existsSync(p)) throw new GdfoError('PLUGIN_NOT_FOUND', `plugin ${specifier}: no such file or directory ${p}`);
    const pj = join(p, 'package.json');
    if (existsSync(pj)) {
      const meta = JSON.parse(readFileSync(pj, 'utf8')) as { main?: string; exports?: unknown };
      const entry = exportEntry(meta) ?? 'index.js';
      return pathToFileURL(join(p, entry)).href;
    }
    return pathToFileURL(p).href;
  }
  // Walk up from baseDir through node_modules folders, as Node's resolution does.
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    const pj = join(dir, 'node_modules', specifier, 'package.json');
    if (existsSync(pj)) {
      const meta = JSON.parse(readFileSync(pj, 'utf8')) as { main?: string; exports?: unknown };
      return pathToFileURL(join(dirname(pj), exportEntry(meta) ?? 'index.js')).href;
    }
    if (dirname(dir) === dir) break;
  }
  throw new GdfoError('PLUGIN_NOT_FOUND', `plugin ${specifier}: package not found from ${baseDir} (install it with npm, or give a path)`);
}

function exportEntry(meta: { main?: string; exports?: unknown }): string | undefined {
  const ex = meta.exports as Record<string, unknown> | string | undefined;
  if (typeof ex === 'string') return ex;
  const dot = ex?.['.'] as Record<string, unknown> | string | undefined;
  if (typeof dot === 'string') return dot;
  if (dot && typeof dot === 'object') {
    const v = dot['import'] ?? dot['default'];
    if (typeof v === 'string') return v;
  }
  return meta.main;
}

/** Lists installed `gdfo-plugin-*` and `@scope/gdfo-plugin-*` packages in `node_modules` of `baseDir`. */
export function discoverPlugins(baseDir = process.cwd()): string[] {
  const nm = join(baseDir, 'node_modules');
  if (!existsSync(nm)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(nm)) {
    if (entry.startsWith('gdfo-plugin-')) found.push(entry);
    else if (entry.startsWith('@')) {
      for (const sub of readdirSync(join(nm, entry))) if (sub.startsWith('gdfo-plugin-')) found.push(`${entry}/${sub}`);
    }
  }
  return found.sort();
}
