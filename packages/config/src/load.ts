/**
 * Reading and validating run configs. Every problem is a one-line `GdfoError` naming the file (and line, when
 * the file is YAML or JSON on disk), the key path and what was expected:
 * `run.yaml:4: budget: expected a positive integer, got -5`. A config with several problems lists them all,
 * one such line each (ConfigError). String shorthands (`task: spam`) are expanded first (expandShorthands).
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve as resolvePath } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { GdfoError } from '@gdfo/core';
import { configSchema, type GdfoConfig } from './schema.js';
import { jsonErrorLocation } from '@gdfo/core';

type Path = readonly PropertyKey[];
/** Finds the 1-based line of a key path in the source text, when known. */
type LineOf = (path: Path) => number | undefined;

/** `a.b[2].c` */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out || '(top level)';
}

function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** A short rendering of what was found (for "got ..."). */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (v === null) return 'null';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  valueType?: z.ZodType;
}
const defOf = (s: z.ZodType) => (s as unknown as { def: Def }).def;

/** The schema at a key path (wrappers such as optional/default removed), or undefined when there is none. */
export function schemaAt(path: Path): z.ZodType | undefined {
  let s: z.ZodType = unwrap(configSchema);
  for (const seg of path) {
    const def = defOf(s);
    if (def.type === 'object' && typeof seg === 'string' && def.shape && Object.hasOwn(def.shape, seg)) s = def.shape[seg]!;
    else if (def.type === 'array' && typeof seg === 'number' && def.element) s = def.element;
    else if (def.type === 'record' && typeof seg === 'string' && def.valueType) s = def.valueType;
    else return undefined;
    s = unwrap(s);
  }
  return s;
}

/** The zod type name at a key path ('object', 'number', 'string', 'array', 'enum', ...). */
export function typeAt(path: Path): string | undefined {
  const s = schemaAt(path);
  return s ? defOf(s).type : undefined;
}

/** Keys the object schema at `path` accepts. */
function knownKeys(path: Path): string[] {
  const s = schemaAt(path);
  const def = s ? defOf(s) : undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (let def = defOf(cur); ['optional', 'default', 'prefault', 'nullable', 'pipe'].includes(def.type); def = defOf(cur)) {
    const inner = def.innerType ?? (def as { in?: z.ZodType }).in;
    if (!inner) break;
    cur = inner;
  }
  return cur;
}

/** One line for one zod issue. */
function issueMessage(issue: z.core.$ZodIssue, input: unknown, where: (path: Path) => string): string {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = knownKeys(issue.path);
    const near = known.filter((k) => levenshtein(k.toLowerCase(), key.toLowerCase()) <= 2);
    const hint = near.length ? `did you mean "${near[0]}"? ` : '';
    return `${where([...issue.path, key])}: unknown key; ${hint}expected one of ${known.join(', ')}`;
  }
  const got = valueAt(input, issue.path);
  return `${where(issue.path)}: ${issue.message}, got ${describeValue(got)}`;
}

/**
 * Every problem of a config at once: `message` has one line per problem (each `file:line: key: what was
 * expected`), in the order of the file; `problems` holds the same lines.
 */
export class ConfigError extends GdfoError {
  readonly problems: readonly string[];
  constructor(code: string, problems: readonly string[]) {
    const lines = problems.map((p) => p.replace(/\s*\n\s*/g, ' '));
    super(code, lines[0] ?? 'invalid config');
    this.name = 'ConfigError';
    this.problems = lines;
    this.message = lines.join('\n');
  }
}

/** Throws a ConfigError listing every problem, one line each, sorted by line when lines are known. */
function fail(error: z.ZodError, input: unknown, where: (path: Path) => string, lineOf?: LineOf): never {
  const seen = new Set<string>();
  const problems: { line: number; order: number; text: string }[] = [];
  error.issues.forEach((issue, order) => {
    const text = issueMessage(issue, input, where);
    if (seen.has(text)) return;
    seen.add(text);
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    problems.push({ line: lineOf?.(path) ?? Infinity, order, text });
  });
  problems.sort((a, b) => a.line - b.line || a.order - b.order);
  throw new ConfigError('BAD_CONFIG', problems.map((p) => p.text));
}

/** Built-in kinds a string shorthand of `teacher:` / `student:` may name; any other string is a model. */
const SHORTHAND_KINDS: Record<'teacher' | 'student', readonly string[]> = {
  teacher: ['local', 'lmaas', 'openai', 'huggingface'],
  student: ['local'],
};

/**
 * Expands the string shorthands of a config into their object forms (a copy; the input is not changed):
 * `task: spam` → `task: { name: spam }`; `strategy: sep-cma-es` and `harmonizer: none` → `{ name }`;
 * `teacher: <kind>` (local, lmaas, openai, huggingface) → `{ kind }` and `teacher: <model>` (a shipped model
 * name or a checkpoint directory) → `{ kind: local, options: { checkpoint: <model> } }`, the same for
 * `student:` (kind `local`); a middleware list item `cost-guard` → `{ name: cost-guard }`. A relative
 * checkpoint path (`./m`, `models/m`) is resolved against `baseDir` when one is given (the config's folder).
 */
export function expandShorthands(input: Readonly<Record<string, unknown>>, baseDir?: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
  if (nonEmpty(out['task'])) out['task'] = { name: out['task'] };
  for (const key of ['strategy', 'harmonizer'] as const) if (nonEmpty(out[key])) out[key] = { name: out[key] };
  for (const key of ['teacher', 'student'] as const) {
    const v = out[key];
    if (!nonEmpty(v)) continue;
    if (SHORTHAND_KINDS[key].includes(v)) out[key] = { kind: v };
    else {
      const pathLike = v.startsWith('.') || v.includes('/') || v.includes('\\');
      const checkpoint = baseDir && pathLike && !isAbsolute(v) ? resolvePath(baseDir, v) : v;
      out[key] = { kind: 'local', options: { checkpoint } };
    }
  }
  if (Array.isArray(out['middleware'])) out['middleware'] = out['middleware'].map((m: unknown) => (nonEmpty(m) ? { name: m } : m));
  return out;
}

function validate(input: unknown, where: (path: Path) => string, topLevel: string, lineOf?: LineOf, baseDir?: string): GdfoConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new GdfoError('BAD_CONFIG', `${topLevel}: expected a mapping of config keys at the top level, got ${Array.isArray(input) ? 'a list' : describeValue(input)}`);
  }
  const expanded = expandShorthands(input as Record<string, unknown>, baseDir);
  const r = configSchema.safeParse(expanded);
  if (!r.success) fail(r.error, expanded, where, lineOf);
  return r.data;
}

/**
 * Validates a config object (already parsed from YAML/JSON, or built in code). `source` names it in errors
 * (a file name). Returns the config with every default filled in.
 */
export function parseConfig(object: unknown, source = 'config', lineOf?: LineOf, baseDir?: string): GdfoConfig {
  return validate(
    object,
    (path) => {
      const line = lineOf?.(path);
      return `${source}${line ? `:${line}` : ''}: ${formatPath(path)}`;
    },
    source,
    lineOf,
    baseDir,
  );
}

/** Line of the deepest node along `path` in a YAML document (map keys point at the key). */
function yamlLineOf(root: YamlNode | null, counter: LineCounter): LineOf {
  return (path) => {
    let node: unknown = root;
    let offset: number | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as YamlNode | undefined;
        if (!item) break;
        if (item.range) offset = item.range[0];
        node = item;
      } else break;
    }
    if (offset === undefined) {
      const r = (root as { range?: [number, number, number] } | null)?.range;
      if (!r) return undefined;
      offset = r[0];
    }
    return counter.linePos(offset).line;
  };
}

/** Parses YAML or JSON text; syntax errors name `source:line:col`. */
export function parseConfigText(text: string, source: string, format: 'yaml' | 'json' = 'yaml', baseDir?: string): GdfoConfig {
  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      const at = jsonErrorLocation(text);
      throw new GdfoError('BAD_CONFIG', `${source}${at}: invalid JSON: ${msg.split('\n')[0]}`);
    }
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos?.[0];
    const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new GdfoError('BAD_CONFIG', `${source}${at ? `:${at.line}:${at.col}` : ''}: invalid ${format === 'json' ? 'JSON' : 'YAML'}: ${first}`);
  }
  const object: unknown = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 100 });
  return parseConfig(object, source, yamlLineOf(doc.contents as YamlNode | null, counter), baseDir);
}

/** Reads a `.yaml`, `.yml` or `.json` run config. Errors name `path` as given. */
export function loadConfig(path: string): GdfoConfig {
  const ext = extname(path).toLowerCase();
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    throw new GdfoError('BAD_CONFIG', `${path}: expected a .yaml, .yml or .json config file, got "${ext || '(no extension)'}"`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GdfoError('BAD_CONFIG', `${path}: cannot read the config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfigText(text, path, ext === '.json' ? 'json' : 'yaml', dirname(resolvePath(path)));
}
