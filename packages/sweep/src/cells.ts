/**
 * Cells and the results file.
 *
 * A cell is a JSON config (e.g. `{ task, method, seed, budget }`); its id is the SHA-256 of its canonical JSON
 * (keys sorted), so the same config is the same cell wherever and however often it is listed. A cell function
 * turns a config into a JSON result.
 *
 * The results file is JSON lines, one per finished cell: `{"id":…,"config":…,"result":…}`. A local run and a
 * queue run write the same lines; readers key them by `id` (the first line of an id wins, later duplicates
 * are ignored), so a file can be appended to by a resumed run without double counting.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson, GdfoError, sha256 } from '@gdfo/core';

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type CellConfig = { readonly [key: string]: JsonValue };

export interface CellContext {
  /** The cell's id (hash of its config). */
  readonly id: string;
  /** 1 for the first start of this cell, 2 after a retry or a re-run of a cell whose worker died, … */
  readonly attempt: number;
}

/** Runs one cell. Must depend on the config only (a cell may be re-run from its start after a crash). */
export type CellFunction = (config: CellConfig, context: CellContext) => Promise<JsonValue> | JsonValue;

export interface ResultRecord {
  readonly id: string;
  readonly config: CellConfig;
  readonly result: JsonValue;
}

/** The cell's id: sha256 of its canonical JSON. */
export function cellId(config: CellConfig): string {
  return sha256(canonicalJson(config));
}

/** Checks that each cell is a JSON object of JSON values; returns the cells with their ids, duplicates removed. */
export function prepareCells(cells: readonly CellConfig[]): { id: string; config: CellConfig }[] {
  if (!Array.isArray(cells)) throw new GdfoError('BAD_CELLS', 'cells: expected an array of JSON objects');
  const seen = new Set<string>();
  const out: { id: string; config: CellConfig }[] = [];
  cells.forEach((c, i) => {
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw new GdfoError('BAD_CELLS', `cells[${i}]: expected a JSON object, got ${Array.isArray(c) ? 'an array' : JSON.stringify(c)}`);
    checkJson(c, `cells[${i}]`);
    const id = cellId(c);
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ id, config: c });
  });
  return out;
}

/** Throws a one-line error naming the place when `v` is not plain JSON (finite numbers, plain objects). */
export function checkJson(v: unknown, where: string): void {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new GdfoError('BAD_CELLS', `${where}: ${v} is not a JSON number`);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, i) => checkJson(x, `${where}[${i}]`));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, x] of Object.entries(v as object)) checkJson(x, `${where}.${k}`);
    return;
  }
  throw new GdfoError('BAD_CELLS', `${where}: expected JSON (null, boolean, number, string, array, plain object), got ${typeof v === 'object' ? (v as object).constructor?.name : typeof v}`);
}

/**
 * Reads a results file into a map id → record (first occurrence wins). A missing file is empty. A last line
 * without its newline (a crash mid-write) is ignored; any other malformed line is an error naming the line.
 */
export function readResults(path: string): Map<string, ResultRecord> {
  const out = new Map<string, ResultRecord>();
  if (!existsSync(path)) return out;
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  // The piece after the last newline is empty or a partial line from a crash mid-write: skipped.
  for (let i = 0; i < lines.length - 1; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    let rec: ResultRecord;
    try {
      rec = JSON.parse(line) as ResultRecord;
    } catch (err) {
      throw new GdfoError('BAD_RESULTS', `${path}:${i + 1}: not a JSON line (${(err as Error).message})`);
    }
    if (!rec || typeof rec.id !== 'string' || !rec.config || typeof rec.config !== 'object' || !('result' in rec)) {
      throw new GdfoError('BAD_RESULTS', `${path}:${i + 1}: expected {"id", "config", "result"}`);
    }
    if (!out.has(rec.id)) out.set(rec.id, rec);
  }
  return out;
}

/** Appends result lines to a results file (fsynced), first cutting off a partial last line left by a crash. */
export class ResultsWriter {
  private readonly known: Map<string, ResultRecord>;
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text.length && !text.endsWith('\n')) truncateSync(path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    }
    this.known = readResults(path);
  }

  /** Records already in the file (id → record). */
  get records(): ReadonlyMap<string, ResultRecord> {
    return this.known;
  }

  has(id: string): boolean {
    return this.known.has(id);
  }

  /**
   * Takes in the records other processes appended since (a second sweep on the same file, a `--jobs` sibling);
   * a last line still being written has no newline yet and is left for the next read.
   */
  refresh(): void {
    for (const [id, rec] of readResults(this.path)) if (!this.known.has(id)) this.known.set(id, rec);
  }

  /** Appends the record unless its id is already in the file; returns whether it was written. */
  append(record: ResultRecord): boolean {
    if (this.known.has(record.id)) return false;
    const line = JSON.stringify({ id: record.id, config: record.config, result: record.result }) + '\n';
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.known.set(record.id, record);
    return true;
  }
}
