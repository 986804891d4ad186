/**
 * Command-line flags over a config: a flag overrides the config's value. Flag names are the config's keys in
 * camelCase (as commander gives them) or dotted paths (`distill.steps`); a string given for an object-valued
 * key sets its name (`--strategy sep-cma-es`, `--harmonizer none`, `--teacher lmaas`, `--task sst2`).
 */
import { GdfoError } from '@gdfo/core';
import type { MethodOptions } from '@gdfo/pipeline';
import { ConfigError, describeValue, formatPath, parseConfig, typeAt } from './load.js';
import type { GdfoConfig } from './schema.js';

/** Flags as a CLI parser returns them; `undefined` values are ignored. */
export type ConfigFlags = Readonly<Record<string, unknown>>;

/** Where a string given for an object-valued key goes. */
const NAME_KEY: Record<string, string> = { task: 'name', strategy: 'name', harmonizer: 'name', teacher: 'kind', student: 'kind' };
/** Flat aliases for nested keys. */
const ALIASES: Record<string, readonly string[]> = {
  distillLoss: ['distill', 'loss'],
  distillSteps: ['distill', 'steps'],
  batchSize: ['distill', 'batchSize'],
  dataDir: ['task', 'dataDir'],
  k: ['task', 'k'],
  taskSeed: ['task', 'seed'],
};
/** Keys whose comma-separated string is a list. */
const LIST_KEYS = new Set(['methods', 'plugins']);

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function coerce(path: readonly string[], value: unknown, flag: string): unknown {
  const type = typeAt(path);
  if (type === undefined) throw new GdfoError('BAD_FLAG', `command line: ${flag}: unknown option (no config key ${formatPath(path)})`);
  if (typeof value !== 'string') return value;
  if (type === 'number') {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw new GdfoError('BAD_FLAG', `command line: ${flag}: expected a number, got ${describeValue(value)}`);
    return n;
  }
  if (type === 'array' && path.length === 1 && LIST_KEYS.has(path[0]!)) {
    return value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }
  return value;
}

/**
 * Returns a new config with `flags` applied over `config` and validated again. Problems name the flag:
 * `command line: --budget: expected a positive integer, got -5`.
 */
export function mergeFlags(config: GdfoConfig, flags: ConfigFlags): GdfoConfig {
  const merged = structuredClone(config) as unknown as Record<string, unknown>;
  const flagOf = new Map<string, string>();
  for (const [key, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const flag = `--${kebab(key)}`;
    let path: string[] = ALIASES[key] ? [...ALIASES[key]] : key.split('.');
    let value: unknown = raw;
    const nameKey = path.length === 1 ? NAME_KEY[path[0]!] : undefined;
    if (nameKey && typeof raw === 'string') path = [path[0]!, nameKey];
    value = coerce(path, value, flag);
    let obj = merged;
    for (const seg of path.slice(0, -1)) {
      const next = obj[seg];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) obj[seg] = {};
      obj = obj[seg] as Record<string, unknown>;
    }
    obj[path[path.length - 1]!] = value;
    flagOf.set(formatPath(path), flag);
  }
  try {
    return parseConfig(merged, 'config');
  } catch (err) {
    if (!(err instanceof GdfoError)) throw err;
    // Re-attribute each problem to the flag that set the key (or a key under it).
    const problems = err instanceof ConfigError ? err.problems : [err.message];
    let byFlag = false;
    const lines = problems.map((line) => {
      const m = /^config: ([^:]+): (.*)$/.exec(line);
      if (!m) return line;
      const keyPath = m[1]!;
      for (const [p, flag] of flagOf) {
        if (keyPath === p || keyPath.startsWith(`${p}.`) || keyPath.startsWith(`${p}[`) || p.startsWith(`${keyPath}.`)) {
          byFlag = true;
          return `command line: ${flag}: ${m[2]}`;
        }
      }
      return line;
    });
    if (!byFlag) throw err;
    throw new ConfigError('BAD_FLAG', lines);
  }
}

/** The parts of `runMethod`'s options that come straight from a config (everything but objects to build). */
export type ConfigMethodOptions = Pick<
  MethodOptions,
  | 'budget'
  | 'seed'
  | 'dim'
  | 'promptLength'
  | 'popSize'
  | 'sigma0'
  | 'alpha'
  | 'strategy'
  | 'strategyOptions'
  | 'fitness'
  | 'harmonizer'
  | 'harmonizerOptions'
  | 'distillLoss'
  | 'distillLossOptions'
  | 'pipeline'
>;

/**
 * Maps a config onto `runMethod` options. The caller adds `method`, `task`, `teacher`, `student`, `registry`,
 * `middleware` (built from `config.middleware`), `events` and `checkpointDir`.
 */
export function methodOptions(config: GdfoConfig): ConfigMethodOptions {
  return {
    budget: config.budget,
    seed: config.seed,
    dim: config.dim,
    promptLength: config.promptLength,
    popSize: config.popSize,
    ...(config.sigma0 !== undefined ? { sigma0: config.sigma0 } : {}),
    ...(config.alpha !== undefined ? { alpha: config.alpha } : {}),
    strategy: config.strategy.name,
    strategyOptions: { ...config.strategy.options },
    fitness: config.fitness,
    harmonizer: config.harmonizer.name,
    harmonizerOptions: { ...config.harmonizer.options } as MethodOptions['harmonizerOptions'],
    distillLoss: config.distill.loss,
    distillLossOptions: { ...config.distill.options },
    pipeline: {
      evalEvery: config.evalEvery,
      checkpointEvery: config.checkpointEvery,
      testCurve: config.testCurve,
      distill: { steps: config.distill.steps, batchSize: config.distill.batchSize },
    },
  };
}
