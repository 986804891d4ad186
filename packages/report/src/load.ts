/**
 * Reading a run directory written by `gdfo run`: `config.json`, `events.jsonl` (one RunEvent per line, non-finite
 * numbers written as strings) and `result.json` (`{ config, results }`). Bad input is a one-line error naming
 * the file and line.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { RunEvent } from '@gdfo/spec';
import type { MethodResult } from '@gdfo/pipeline';
import { GdfoError } from '@gdfo/core';
import { jsonErrorOffset } from '@gdfo/core';

export interface RunData {
  /** Absolute path of the run directory. */
  readonly dir: string;
  /** Short name for headings (the directory's base name). */
  readonly name: string;
  /** `config.json` (null when the run has none). */
  readonly config: unknown;
  readonly events: readonly RunEvent[];
  /** `result.json`'s `results` (null while the run has not finished). */
  readonly results: readonly MethodResult[] | null;
}

const EVENT_TYPES = ['run-start', 'generation', 'eval', 'checkpoint', 'log', 'run-end'] as const;

/** Numeric fields of each event type: required ones and optional ones. */
const NUMERIC: Record<string, { required: readonly string[]; optional: readonly string[] }> = {
  'run-start': { required: [], optional: [] },
  generation: { required: ['generation', 'calls', 'bestFitness', 'meanFitness'], optional: ['sigma', 'agreement', 'gradientCosine', 'distillLoss', 'costUsd'] },
  eval: { required: ['calls', 'value'], optional: ['loss'] },
  checkpoint: { required: ['calls'], optional: [] },
  log: { required: [], optional: [] },
  'run-end': { required: [], optional: [] },
};

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

function jsonError(where: string, text: string, err: unknown): GdfoError {
  const msg = (err as Error).message.split('\n')[0]!;
  const offset = jsonErrorOffset(text);
  let at = '';
  if (offset !== undefined) {
    const before = text.slice(0, offset);
    at = `:${before.split('\n').length}:${offset - before.lastIndexOf('\n')}`;
  }
  return new GdfoError('BAD_RUN', `${where}${at}: invalid JSON: ${msg}`);
}

/** Parses one line of events.jsonl (`where` is `path:line`), reviving non-finite numbers. */
export function parseEventLine(line: string, where: string): RunEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    throw new GdfoError('BAD_RUN', `${where}: invalid JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GdfoError('BAD_RUN', `${where}: expected a run event object, got ${JSON.stringify(raw).slice(0, 40)}`);
  }
  const e = raw as Record<string, unknown>;
  if (typeof e['type'] !== 'string' || !(EVENT_TYPES as readonly string[]).includes(e['type'])) {
    throw new GdfoError('BAD_RUN', `${where}: "type" must be one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(e['type'])}`);
  }
  if (typeof e['runId'] !== 'string' || e['runId'] === '') {
    throw new GdfoError('BAD_RUN', `${where}: "runId" must be a non-empty string, got ${JSON.stringify(e['runId'])}`);
  }
  if (e['type'] === 'run-start' && typeof e['method'] !== 'string') {
    throw new GdfoError('BAD_RUN', `${where}: run-start "method" must be a string, got ${JSON.stringify(e['method'])}`);
  }
  if (e['type'] === 'eval' && e['split'] !== 'dev' && e['split'] !== 'test') {
    throw new GdfoError('BAD_RUN', `${where}: eval "split" must be "dev" or "test", got ${JSON.stringify(e['split'])}`);
  }
  const spec = NUMERIC[e['type']]!;
  for (const field of [...spec.required, ...spec.optional]) {
    const v = e[field];
    if (v === undefined && spec.optional.includes(field)) continue;
    if (typeof v === 'number') continue;
    if (typeof v === 'string' && v in NON_FINITE) {
      e[field] = NON_FINITE[v];
      continue;
    }
    throw new GdfoError('BAD_RUN', `${where}: ${e['type']} "${field}" must be a number, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return e as unknown as RunEvent;
}

/** Parses a whole events.jsonl text (`path` names it in errors). Blank lines are skipped. */
export function parseEvents(text: string, path: string): RunEvent[] {
  const out: RunEvent[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    out.push(parseEventLine(line, `${path}:${i + 1}`));
  });
  return out;
}

function readJson(path: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw jsonError(path, text, err);
  }
}

function checkResults(raw: unknown, path: string): MethodResult[] {
  const r = raw as { results?: unknown } | null;
  if (r === null || typeof r !== 'object' || !Array.isArray(r.results)) {
    throw new GdfoError('BAD_RUN', `${path}: expected { "config": ..., "results": [...] }, got ${r === null || typeof r !== 'object' ? JSON.stringify(r) : `keys ${Object.keys(r).join(', ') || '(none)'}`}`);
  }
  r.results.forEach((m: unknown, i: number) => {
    const o = m as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object' || typeof o['method'] !== 'string') {
      throw new GdfoError('BAD_RUN', `${path}: results[${i}] must be a method result with a "method" string`);
    }
    for (const f of ['calls', 'dev', 'test']) {
      if (o[f] !== null && o[f] !== undefined && typeof o[f] !== 'number') {
        throw new GdfoError('BAD_RUN', `${path}: results[${i}].${f} must be a number or null, got ${JSON.stringify(o[f])}`);
      }
    }
  });
  return r.results as MethodResult[];
}

/** Reads a run directory. At least one of events.jsonl and result.json must be there. */
export function loadRun(runDir: string): RunData {
  const dir = resolve(runDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new GdfoError('BAD_RUN', `${runDir}: no such run directory`);
  const eventsPath = join(dir, 'events.jsonl');
  const resultPath = join(dir, 'result.json');
  const configPath = join(dir, 'config.json');
  const hasEvents = existsSync(eventsPath);
  const hasResult = existsSync(resultPath);
  if (!hasEvents && !hasResult) {
    throw new GdfoError('BAD_RUN', `${runDir}: not a gdfo run directory (neither events.jsonl nor result.json is there)`);
  }
  const events = hasEvents ? parseEvents(readFileSync(eventsPath, 'utf8'), eventsPath) : [];
  const results = hasResult ? checkResults(readJson(resultPath), resultPath) : null;
  const config = existsSync(configPath) ? readJson(configPath) : null;
  return { dir, name: basename(dir), config, events, results };
}
