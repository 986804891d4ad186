/**
 * Loaders for labelled examples in JSON Lines, TSV and CSV files.
 *
 * Every row is validated; the first bad row stops the load with a one-line error
 * `"<file>:<line>: <what is wrong>"` that names the field and what was expected.
 *
 * - JSONL: one JSON object per line (blank lines are skipped); labels must be JSON integers.
 * - CSV / TSV: RFC 4180 quoting (fields may be wrapped in `"`; a `""` inside a quoted field is one `"`;
 *   quoted fields may span lines; CRLF or LF line ends). The delimiter is `,` for CSV and a tab for TSV
 *   (the BBT-RGB TSVs use pandas-style quoting, which is the same rule). The first record is the header
 *   unless `header` is given. A label cell must be a decimal integer, or a key of `labelMap`.
 *   Line numbers are those of the physical line where the record starts.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Example } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';

export type ExampleFormat = 'jsonl' | 'tsv' | 'csv';

/** Which row fields hold the id, texts and label. Each entry is a field name or a list tried in order. */
export interface FieldMap {
  readonly id?: string | readonly string[];
  readonly text?: string | readonly string[];
  readonly textB?: string | readonly string[];
  readonly label?: string | readonly string[];
}

export const DEFAULT_FIELDS: Required<FieldMap> = {
  id: ['id', 'idx'],
  text: ['text', 'text_a', 'sentence', 'sentence1', 'premise', 'content'],
  textB: ['textB', 'text_b', 'sentence2', 'hypothesis'],
  label: ['label'],
};

export interface ParseOptions {
  /** Name used in error messages (usually the file path). */
  readonly file: string;
  /** Number of classes: labels must be integers in [0, classes). */
  readonly classes: number;
  /** Sentence-pair task: a non-empty second text is required. Default false (a textB present is still kept). */
  readonly pair?: boolean;
  readonly fields?: FieldMap;
  /** For CSV/TSV (and string labels in JSONL): maps label strings to class ids, e.g. `{ negative: 0 }`. */
  readonly labelMap?: Readonly<Record<string, number>>;
  /** Prefix of generated ids `<prefix>-<row index>` for rows without an id field. Default: the file stem. */
  readonly idPrefix?: string;
  /** Applied to each text (and textB) before the empty check, e.g. BBT's strip for DBPedia. */
  readonly transform?: (text: string) => string;
  /** CSV/TSV only: the column names when the file has no header row. */
  readonly header?: readonly string[];
  /** CSV/TSV only: the field delimiter (default `,` for csv, tab for tsv). */
  readonly delimiter?: string;
}

export interface LoadOptions extends Omit<ParseOptions, 'file'> {
  /** Default: from the extension (.jsonl/.ndjson, .tsv, .csv). */
  readonly format?: ExampleFormat;
}

/** A raw row with the physical line it starts on (1-based). */
export interface RawRow {
  readonly line: number;
  readonly record: Readonly<Record<string, unknown>>;
}

/** Parses JSON Lines into rows; a line that is not a JSON object is an error. */
export function parseJsonlRows(text: string, file: string): RawRow[] {
  const rows: RawRow[] = [];
  const lines = stripBom(text).split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      throw new GdfoError('BAD_DATA', `${file}:${i + 1}: malformed JSON (${oneLine((e as Error).message)}); expected one JSON object per line`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new GdfoError('BAD_DATA', `${file}:${i + 1}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    }
    rows.push({ line: i + 1, record: value as Record<string, unknown> });
  }
  return rows;
}

/** A delimited record: its cells and the physical line it starts on (1-based). */
export interface DelimitedRecord {
  readonly line: number;
  readonly cells: string[];
}

/**
 * Splits RFC 4180 delimited text into records. Blank lines are skipped. A quote that opens a field must be
 * closed, and a closing quote must be followed by the delimiter or a line end.
 */
export function parseDelimited(text: string, file: string, delimiter = ','): DelimitedRecord[] {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new GdfoError('BAD_OPTION', `parseDelimited: delimiter must be one character other than a quote or line end, got ${JSON.stringify(delimiter)}`);
  }
  const src = stripBom(text);
  const records: DelimitedRecord[] = [];
  let line = 1;
  let i = 0;
  const n = src.length;
  while (i < n) {
    const startLine = line;
    // Skip a blank line.
    if (src[i] === '\n' || (src[i] === '\r' && src[i + 1] === '\n')) {
      i += src[i] === '\r' ? 2 : 1;
      line++;
      continue;
    }
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (src[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new GdfoError('BAD_DATA', `${file}:${quoteLine}: unterminated quoted field (a field opened with " must be closed with ")`);
          const ch = src[i] as string;
          if (ch === '"') {
            if (src[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          cell += ch;
          i++;
        }
        const next = src[i];
        if (!(i >= n || next === delimiter || next === '\n' || (next === '\r' && src[i + 1] === '\n'))) {
          throw new GdfoError('BAD_DATA', `${file}:${line}: malformed quoting: expected a delimiter or line end after a closing quote, got ${JSON.stringify(next)}`);
        }
      } else {
        while (i < n) {
          const ch = src[i] as string;
          if (ch === delimiter || ch === '\n' || (ch === '\r' && src[i + 1] === '\n')) break;
          cell += ch;
          i++;
        }
      }
      cells.push(cell);
      if (i < n && src[i] === delimiter) {
        i++;
        continue;
      }
      // End of record.
      if (i < n) {
        i += src[i] === '\r' ? 2 : 1;
        line++;
      }
      break;
    }
    records.push({ line: startLine, cells });
  }
  return records;
}

/** Turns delimited records into rows keyed by the header (the first record unless `header` is given). */
export function delimitedRows(records: readonly DelimitedRecord[], file: string, header?: readonly string[]): RawRow[] {
  let cols: readonly string[];
  let start = 0;
  if (header) {
    cols = header;
  } else {
    const first = records[0];
    if (!first) throw new GdfoError('BAD_DATA', `${file}:1: expected a header row, the file is empty`);
    cols = first.cells.map((c) => c.trim());
    start = 1;
    const seen = new Set<string>();
    for (const c of cols) {
      if (c === '') throw new GdfoError('BAD_DATA', `${file}:${first.line}: header has an empty column name`);
      if (seen.has(c)) throw new GdfoError('BAD_DATA', `${file}:${first.line}: header names column "${c}" twice`);
      seen.add(c);
    }
  }
  const rows: RawRow[] = [];
  for (let r = start; r < records.length; r++) {
    const rec = records[r] as DelimitedRecord;
    if (rec.cells.length !== cols.length) {
      throw new GdfoError(
        'BAD_DATA',
        `${file}:${rec.line}: expected ${cols.length} fields (${cols.join(', ')}), got ${rec.cells.length}`,
      );
    }
    const record: Record<string, unknown> = {};
    cols.forEach((c, k) => {
      record[c] = rec.cells[k];
    });
    rows.push({ line: rec.line, record });
  }
  return rows;
}

function candidates(v: string | readonly string[] | undefined, dflt: readonly string[]): readonly string[] {
  if (v === undefined) return dflt;
  return typeof v === 'string' ? [v] : v;
}

function pick(record: Readonly<Record<string, unknown>>, names: readonly string[]): [string, unknown] | undefined {
  for (const name of names) if (Object.prototype.hasOwnProperty.call(record, name)) return [name, record[name]];
  return undefined;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Validates raw rows and turns them into Examples. */
export function rowsToExamples(rows: readonly RawRow[], options: ParseOptions): Example[] {
  const { file, classes } = options;
  if (!Number.isInteger(classes) || classes < 1) {
    throw new GdfoError('BAD_OPTION', `${file}: option classes must be a positive integer, got ${classes}`);
  }
  const fields = options.fields ?? {};
  const idNames = candidates(fields.id, DEFAULT_FIELDS.id as readonly string[]);
  const textNames = candidates(fields.text, DEFAULT_FIELDS.text as readonly string[]);
  const textBNames = candidates(fields.textB, DEFAULT_FIELDS.textB as readonly string[]);
  const labelNames = candidates(fields.label, DEFAULT_FIELDS.label as readonly string[]);
  const prefix = options.idPrefix ?? basename(file, extname(file));
  const transform = options.transform ?? ((t: string) => t);
  const seenIds = new Map<string, number>();
  const out: Example[] = [];

  rows.forEach((row, index) => {
    const at = `${file}:${row.line}`;
    const rec = row.record;

    const textHit = pick(rec, textNames);
    if (!textHit) throw new GdfoError('BAD_DATA', `${at}: missing field "${textNames.join('" or "')}" (expected a non-empty string)`);
    const text = checkText(textHit, at, transform);

    let textB: string | undefined;
    const textBHit = pick(rec, textBNames);
    if (textBHit) textB = checkText(textBHit, at, transform);
    else if (options.pair) {
      throw new GdfoError('BAD_DATA', `${at}: missing field "${textBNames.join('" or "')}" (a sentence-pair task needs a non-empty second text)`);
    }

    const labelHit = pick(rec, labelNames);
    if (!labelHit) throw new GdfoError('BAD_DATA', `${at}: missing field "${labelNames.join('" or "')}" (expected an integer class id in 0..${classes - 1})`);
    const label = checkLabel(labelHit, at, classes, options.labelMap);

    let id: string;
    const idHit = pick(rec, idNames);
    if (idHit) {
      const [name, v] = idHit;
      if (typeof v === 'number' && Number.isInteger(v)) id = String(v);
      else if (typeof v === 'string' && v.trim() !== '') id = v;
      else throw new GdfoError('BAD_DATA', `${at}: field "${name}": expected a non-empty string or integer id, got ${describe(v)}`);
      const first = seenIds.get(id);
      if (first !== undefined) throw new GdfoError('BAD_DATA', `${at}: field "${name}": duplicate id "${id}" (first on line ${first})`);
    } else {
      id = `${prefix}-${index}`;
      const first = seenIds.get(id);
      if (first !== undefined) throw new GdfoError('BAD_DATA', `${at}: generated id "${id}" clashes with the id on line ${first}`);
    }
    seenIds.set(id, row.line);

    out.push(textB === undefined ? { id, text, label } : { id, text, textB, label });
  });
  return out;
}

function checkText(hit: [string, unknown], at: string, transform: (t: string) => string): string {
  const [name, v] = hit;
  if (typeof v !== 'string') throw new GdfoError('BAD_DATA', `${at}: field "${name}": expected a non-empty string, got ${describe(v)}`);
  const t = transform(v);
  if (t.trim() === '') throw new GdfoError('BAD_DATA', `${at}: field "${name}": expected a non-empty string, got ${describe(v)}`);
  return t;
}

function checkLabel(
  hit: [string, unknown],
  at: string,
  classes: number,
  labelMap: Readonly<Record<string, number>> | undefined,
): number {
  const [name, v] = hit;
  const range = `0..${classes - 1}`;
  let label: number | undefined;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) label = v;
  } else if (typeof v === 'string') {
    if (labelMap && Object.prototype.hasOwnProperty.call(labelMap, v)) label = labelMap[v];
    else if (/^\s*-?\d+\s*$/.test(v)) label = Number.parseInt(v, 10);
  }
  if (label === undefined || !Number.isInteger(label)) {
    const keys = labelMap ? ` or one of ${Object.keys(labelMap).join('/')}` : '';
    throw new GdfoError('BAD_DATA', `${at}: field "${name}": expected an integer class id in ${range}${keys}, got ${describe(v)}`);
  }
  if (label < 0 || label >= classes) {
    throw new GdfoError('BAD_DATA', `${at}: field "${name}": expected an integer class id in ${range}, got ${label}`);
  }
  return label;
}

/** Parses file text of the given format into validated Examples. */
export function parseExamples(text: string, format: ExampleFormat, options: ParseOptions): Example[] {
  let rows: RawRow[];
  if (format === 'jsonl') rows = parseJsonlRows(text, options.file);
  else if (format === 'tsv' || format === 'csv') {
    const delim = options.delimiter ?? (format === 'tsv' ? '\t' : ',');
    rows = delimitedRows(parseDelimited(text, options.file, delim), options.file, options.header);
  } else throw new GdfoError('BAD_OPTION', `${options.file}: format must be jsonl, tsv or csv, got ${String(format)}`);
  return rowsToExamples(rows, options);
}

/** The format implied by a file name, or undefined. */
export function formatOf(path: string): ExampleFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.tsv') return 'tsv';
  if (ext === '.csv') return 'csv';
  return undefined;
}

/** Reads and validates a JSONL/TSV/CSV file of examples. */
export async function loadExamples(path: string, options: LoadOptions): Promise<Example[]> {
  const format = options.format ?? formatOf(path);
  if (!format) throw new GdfoError('BAD_OPTION', `${path}: cannot tell the format from the extension; expected .jsonl, .tsv or .csv, or pass format`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GdfoError('NOT_FOUND', `${path}: cannot read the file (${code ?? oneLine((e as Error).message)})`);
  }
  return parseExamples(text, format, { ...options, file: path });
}

function stripBom(t: string): string {
  return t.charCodeAt(0) === 0xfeff ? t.slice(1) : t;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
