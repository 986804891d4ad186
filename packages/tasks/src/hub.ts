/**
 * Hugging Face datasets loader over the datasets-server "rows" API:
 * `GET {baseUrl}/rows?dataset=…&config=…&split=…&offset=…&length=…` (at most 100 rows per request), answering
 * `{ features, rows: [{ row_idx, row, truncated_cells }], num_rows_total, num_rows_per_page, partial }` or,
 * on failure, an HTTP error status with `{ error }`.
 *
 * Only used when a caller asks for it (e.g. `getTask(name, { source: 'hub' })`); `fetch` and `baseUrl` are
 * injectable so tests run against a loopback server. Nothing here reads the environment.
 */
import type { Example } from '@gdfo/spec';
import { rowsToExamples, type FieldMap, type RawRow } from './loaders.js';
import { GdfoError } from '@gdfo/core';

export const HUB_BASE_URL = 'https://datasets-server.huggingface.co';
/** The rows API's largest page. */
export const HUB_MAX_PAGE = 100;

export type FetchLike = (input: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<{
  ok: boolean;
  status: number;
  statusText?: string;
  text(): Promise<string>;
}>;

export interface HubClientOptions {
  /** Default `https://datasets-server.huggingface.co`. */
  readonly baseUrl?: string;
  /** Default: the global fetch. */
  readonly fetch?: FetchLike;
  /** Sent as `Authorization: Bearer <token>` (gated datasets); never read from the environment here. */
  readonly token?: string;
  readonly signal?: AbortSignal;
  /** Rows per request, 1..100 (default 100). */
  readonly pageSize?: number;
}

export interface HubRowsRequest extends HubClientOptions {
  readonly dataset: string;
  readonly config: string;
  readonly split: string;
  /** First row (default 0). */
  readonly offset?: number;
  /** Rows wanted (default: all rows from offset to the end of the split). */
  readonly length?: number;
}

export interface HubRow {
  readonly rowIdx: number;
  readonly row: Readonly<Record<string, unknown>>;
}

export interface HubRows {
  readonly rows: HubRow[];
  /** Rows in the whole split (`num_rows_total`). */
  readonly total: number;
}

interface RowsPage {
  rows: { row_idx: number; row: Record<string, unknown>; truncated_cells?: string[] }[];
  num_rows_total: number;
}

function pageUrl(base: string, q: { dataset: string; config: string; split: string; offset: number; length: number }): string {
  const p = new URLSearchParams({
    dataset: q.dataset,
    config: q.config,
    split: q.split,
    offset: String(q.offset),
    length: String(q.length),
  });
  return `${base.replace(/\/+$/, '')}/rows?${p.toString()}`;
}

/** Fetches one page (at most 100 rows) and validates its shape. */
export async function fetchHubPage(
  req: HubClientOptions & { dataset: string; config: string; split: string; offset: number; length: number },
): Promise<HubRows> {
  const f: FetchLike = req.fetch ?? (globalThis.fetch as unknown as FetchLike);
  if (typeof f !== 'function') throw new GdfoError('BAD_OPTION', 'hub: no fetch available; pass options.fetch');
  if (!Number.isInteger(req.length) || req.length < 1 || req.length > HUB_MAX_PAGE) {
    throw new GdfoError('BAD_OPTION', `hub: page length must be an integer in 1..${HUB_MAX_PAGE}, got ${req.length}`);
  }
  const url = pageUrl(req.baseUrl ?? HUB_BASE_URL, req);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await f(url, req.signal ? { headers, signal: req.signal } : { headers });
  } catch (e) {
    throw new GdfoError('FETCH_FAILED', `hub: GET ${url} failed: ${oneLine((e as Error).message)}`);
  }
  const body = await res.text();
  if (!res.ok) {
    let detail = body;
    try {
      const j = JSON.parse(body) as { error?: unknown };
      if (typeof j.error === 'string') detail = j.error;
    } catch {
      /* not JSON: keep the raw body */
    }
    throw new GdfoError('FETCH_FAILED', `hub: GET ${url} failed with HTTP ${res.status}: ${oneLine(detail).slice(0, 300)}`);
  }
  let page: RowsPage;
  try {
    page = JSON.parse(body) as RowsPage;
  } catch {
    throw new GdfoError('BAD_RESPONSE', `hub: GET ${url}: expected a JSON body, got ${JSON.stringify(body.slice(0, 60))}`);
  }
  if (!page || !Array.isArray(page.rows) || typeof page.num_rows_total !== 'number') {
    throw new GdfoError('BAD_RESPONSE', `hub: GET ${url}: expected { rows: [...], num_rows_total: number }`);
  }
  const rows: HubRow[] = page.rows.map((r, i) => {
    if (!r || typeof r.row_idx !== 'number' || !r.row || typeof r.row !== 'object') {
      throw new GdfoError('BAD_RESPONSE', `hub: GET ${url}: rows[${i}] is not { row_idx: number, row: object }`);
    }
    if (r.truncated_cells && r.truncated_cells.length > 0) {
      throw new GdfoError('BAD_RESPONSE', `hub: GET ${url}: row ${r.row_idx} has truncated cells (${r.truncated_cells.join(', ')}); the server cut them`);
    }
    return { rowIdx: r.row_idx, row: r.row };
  });
  return { rows, total: page.num_rows_total };
}

/** Fetches `length` rows (default: to the end of the split) from `offset`, paging by at most 100. */
export async function fetchHubRows(req: HubRowsRequest): Promise<HubRows> {
  const pageSize = req.pageSize ?? HUB_MAX_PAGE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > HUB_MAX_PAGE) {
    throw new GdfoError('BAD_OPTION', `hub: pageSize must be an integer in 1..${HUB_MAX_PAGE}, got ${pageSize}`);
  }
  const offset = req.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new GdfoError('BAD_OPTION', `hub: offset must be a non-negative integer, got ${offset}`);
  const want = req.length ?? Infinity;
  if (want !== Infinity && (!Number.isInteger(want) || want < 0)) {
    throw new GdfoError('BAD_OPTION', `hub: length must be a non-negative integer, got ${want}`);
  }
  const rows: HubRow[] = [];
  let total = Infinity;
  let off = offset;
  while (rows.length < want && off < total) {
    const len = Math.min(pageSize, want - rows.length, total - off);
    const page = await fetchHubPage({ ...req, offset: off, length: len });
    total = page.total;
    if (page.rows.length === 0) break;
    rows.push(...page.rows);
    off += page.rows.length;
  }
  return { rows, total: total === Infinity ? rows.length : total };
}

export interface HubExamplesOptions {
  /** Number of classes: labels must be integers in [0, classes). */
  readonly classes: number;
  readonly pair?: boolean;
  readonly fields?: FieldMap;
  readonly labelMap?: Readonly<Record<string, number>>;
  readonly transform?: (text: string) => string;
  /** Rows whose label is one of these are dropped before validation (SNLI's -1 rows). */
  readonly dropLabels?: readonly number[];
  /** Field holding the label (for dropLabels), default "label". */
  readonly labelField?: string;
}

/** Validates hub rows as Examples; ids are `<split>-<row_idx>`, error positions `hf:<dataset>/<config>/<split>:<row_idx>`. */
export function hubRowsToExamples(
  rows: readonly HubRow[],
  where: { dataset: string; config: string; split: string },
  options: HubExamplesOptions,
): Example[] {
  const labelField = options.labelField ?? 'label';
  const drop = new Set(options.dropLabels ?? []);
  const raw: RawRow[] = rows
    .filter((r) => !drop.has(r.row[labelField] as number))
    .map((r) => ({ line: r.rowIdx, record: { ...r.row, __gdfo_id: `${where.split}-${r.rowIdx}` } }));
  return rowsToExamples(raw, {
    file: `hf:${where.dataset}/${where.config}/${where.split}`,
    classes: options.classes,
    fields: { ...(options.fields ?? {}), id: '__gdfo_id' },
    ...(options.pair !== undefined ? { pair: options.pair } : {}),
    ...(options.labelMap ? { labelMap: options.labelMap } : {}),
    ...(options.transform ? { transform: options.transform } : {}),
  });
}

/** Fetches rows and validates them as Examples. */
export async function loadHubExamples(req: HubRowsRequest & HubExamplesOptions): Promise<Example[]> {
  const { rows } = await fetchHubRows(req);
  return hubRowsToExamples(rows, req, req);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
