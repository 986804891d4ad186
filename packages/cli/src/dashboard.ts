/**
 * `gdfo dashboard [runs/]`: a live view of run directories, served on 127.0.0.1 only. Each run's page is the
 * report's section (@gdfo/report: method table and SVG plots) plus a status line (fitness, dev metric, σ,
 * agreement, calls and cost so far, ETA); it updates itself over Server-Sent Events as `events.jsonl` grows,
 * without a reload. The index lists the runs of a folder, newest first. No dependency beyond node:http.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { RunEvent } from '@gdfo/spec';
import type { MethodResult } from '@gdfo/pipeline';
import { GdfoError } from '@gdfo/core';
import { escapeXml as esc, parseEventLine, REPORT_CSS, runSection, traces, type RunData } from '@gdfo/report';

export interface DashboardOptions {
  /** A run directory, or a folder of run directories (`runs/`). */
  readonly dir: string;
  /** Port on 127.0.0.1 (0: any free one). */
  readonly port?: number;
  /** How often the files are looked at, in ms (default 500). */
  readonly pollMs?: number;
  /** The clock for "ago" and ETA (tests). */
  readonly now?: () => number;
}

export interface Dashboard {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  /** Stops watching, ends the open streams and closes the server. */
  close(): Promise<void>;
}

/** What the status line shows for the method running (or last run) in a run directory. */
export interface LiveStats {
  readonly method: string | null;
  readonly generation: number | null;
  readonly calls: number;
  readonly budget: number | null;
  /** Best training fitness of the last generation. */
  readonly fitness: number | null;
  /** Best dev metric so far, and its name. */
  readonly dev: number | null;
  readonly metric: string | null;
  readonly sigma: number | null;
  readonly agreement: number | null;
  /** USD charged so far (remote teachers); null when the teacher reports no cost. */
  readonly costUsd: number | null;
  /** Milliseconds left for this method and the methods after it, estimated from the rate so far. */
  readonly etaMs: number | null;
  /** Methods of the config, finished methods (result.json). */
  readonly methods: readonly string[];
  readonly finished: readonly string[];
  readonly done: boolean;
  readonly events: number;
  /** Time of the last event (ms since the epoch). */
  readonly lastEventTime: number | null;
}

/** One watched run directory: its events read incrementally (complete lines only). */
class WatchedRun {
  readonly name: string;
  private offset = 0;
  private pending = '';
  private line = 0;
  private events: RunEvent[] = [];
  private error: string | null = null;
  private signature = '';
  private config: unknown = null;
  private results: MethodResult[] | null = null;
  /** Increases whenever something on disk changed. */
  version = 0;

  constructor(readonly dir: string) {
    this.name = basename(dir);
  }

  /** Reads what changed on disk; returns true when anything did. */
  refresh(): boolean {
    const stamp = (f: string) => {
      try {
        const s = statSync(join(this.dir, f));
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return '-';
      }
    };
    const sig = ['events.jsonl', 'result.json', 'config.json'].map(stamp).join('|');
    if (sig === this.signature) return false;
    this.signature = sig;
    this.config = readJsonOrNull(join(this.dir, 'config.json')) ?? this.config;
    const result = readJsonOrNull(join(this.dir, 'result.json')) as { results?: unknown } | null;
    if (result && Array.isArray(result.results)) this.results = result.results as MethodResult[];
    this.readEvents();
    this.version++;
    return true;
  }

  private readEvents(): void {
    const path = join(this.dir, 'events.jsonl');
    if (!existsSync(path)) return;
    const size = statSync(path).size;
    if (size < this.offset) {
      // rewritten from the start
      this.offset = 0;
      this.pending = '';
      this.line = 0;
      this.events = [];
      this.error = null;
    }
    if (size === this.offset) return;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(size - this.offset);
      const n = readSync(fd, buf, 0, buf.length, this.offset);
      this.offset += n;
      this.pending += buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
    // only complete lines: the writer may be in the middle of one
    const cut = this.pending.lastIndexOf('\n');
    if (cut < 0) return;
    const complete = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut + 1);
    for (const text of complete.split('\n')) {
      this.line++;
      if (text.trim() === '' || this.error) continue;
      try {
        this.events.push(parseEventLine(text, `${path}:${this.line}`));
      } catch (err) {
        this.error = (err as Error).message;
      }
    }
  }

  data(): RunData {
    return { dir: this.dir, name: this.name, config: this.config, events: this.events, results: this.results };
  }

  problem(): string | null {
    return this.error;
  }

  stats(): LiveStats {
    return liveStats(this.data());
  }
}

function readJsonOrNull(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return null; // missing, or being written: the next look gets it
  }
}

/** The status of a run from its events, config and results (exported for tests). */
export function liveStats(run: RunData): LiveStats {
  const cfg = (run.config as { config?: { budget?: unknown; methods?: unknown } } | null)?.config;
  const budget = typeof cfg?.budget === 'number' ? cfg.budget : null;
  const methods = Array.isArray(cfg?.methods) ? (cfg.methods as unknown[]).filter((m): m is string => typeof m === 'string') : [];
  const finished = (run.results ?? []).map((r) => r.method);
  const tr = traces(run.events);
  const current = tr[tr.length - 1];
  const last = current?.generations[current.generations.length - 1];
  let start: number | null = null;
  let lastGenTime: number | null = null;
  let costUsd: number | null = null;
  for (const e of run.events) {
    if (!current || e.runId !== current.runId) continue;
    if (e.type === 'run-start' && start === null) start = e.time;
    if (e.type === 'generation') {
      lastGenTime = e.time;
      if (typeof e.costUsd === 'number') costUsd = e.costUsd;
    }
  }
  const dev = current && current.dev.length ? Math.max(...current.dev.map((d) => d.value)) : null;
  const calls = last?.calls ?? 0;
  const done = methods.length > 0 && methods.every((m) => finished.includes(m));
  let etaMs: number | null = null;
  if (done) etaMs = 0;
  else if (budget !== null && start !== null && lastGenTime !== null && calls > 0) {
    const perCall = (lastGenTime - start) / calls;
    const thisOne = current && finished.includes(current.method) ? 0 : Math.max(0, budget - calls);
    const after = methods.filter((m) => m !== current?.method && !finished.includes(m) && m !== 'manual' && m !== 'icl').length;
    etaMs = perCall * (thisOne + after * budget);
  }
  const num = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);
  const lastEvent = run.events[run.events.length - 1];
  return {
    method: current?.method ?? null,
    generation: last ? last.generation : null,
    calls,
    budget,
    fitness: num(last?.best),
    dev,
    metric: current?.metric ?? null,
    sigma: num(last?.sigma),
    agreement: num(last?.agreement),
    costUsd,
    etaMs,
    methods,
    finished,
    done,
    events: run.events.length,
    lastEventTime: lastEvent ? lastEvent.time : null,
  };
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

/** The status line as HTML (each value in an element with a data-stat attribute). */
export function statsHtml(s: LiveStats): string {
  const f = (v: number | null, digits = 4) => (v === null ? '–' : v.toFixed(digits));
  const item = (key: string, label: string, value: string) => `<span class="stat" data-stat="${key}"><b>${esc(label)}</b> <span class="v">${esc(value)}</span></span>`;
  const state = s.done ? 'finished' : s.events ? 'running (or interrupted)' : 'waiting for events';
  return [
    item('state', 'status', state),
    item('method', 'method', s.method ?? '–'),
    item('generation', 'generation', s.generation === null ? '–' : String(s.generation)),
    item('calls', 'calls', s.budget === null ? String(s.calls) : `${s.calls}/${s.budget}`),
    item('fitness', 'best fitness', f(s.fitness)),
    item('dev', `dev ${s.metric ?? 'metric'}`, f(s.dev)),
    item('sigma', 'σ', s.sigma === null ? '–' : s.sigma.toPrecision(3)),
    item('agreement', 'agreement', f(s.agreement, 3)),
    item('cost', 'cost', s.costUsd === null ? '–' : `$${s.costUsd.toFixed(4)}`),
    item('eta', 'ETA', s.etaMs === null ? '–' : s.done ? 'done' : duration(s.etaMs)),
    item('methods', 'methods done', `${s.finished.length}/${s.methods.length || '?'}`),
  ].join(' ');
}

/** Is `dir` a run directory (rather than a folder of them)? */
function isRunDir(dir: string): boolean {
  return ['events.jsonl', 'result.json', 'config.json'].some((f) => existsSync(join(dir, f)));
}

const PAGE_CSS = `${REPORT_CSS}
#status{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:6px 0;z-index:2;display:flex;flex-wrap:wrap;gap:4px 16px}
.stat b{font-weight:600;color:var(--muted)}#conn{color:var(--muted);font-size:12px}
table.runs td,table.runs th{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left}
.problem{color:#b00020}
`;

const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:`;

function page(title: string, body: string, bodyAttrs: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${PAGE_CSS}</style></head><body ${bodyAttrs}>`,
    body,
    `<script>${CLIENT}</script></body></html>`,
    '',
  ].join('\n');
}

/**
 * The client: subscribes to the page's event stream and swaps the live parts in place. Legend toggles (as in
 * the report) survive the updates.
 */
const CLIENT = `
(function () {
  'use strict';
  var hidden = {};
  function apply(svg) {
    svg.querySelectorAll('g.series').forEach(function (g) { g.style.display = hidden[svg.id + '|' + g.getAttribute('data-series')] ? 'none' : ''; });
    svg.querySelectorAll('g.legend-item').forEach(function (i) { i.classList.toggle('off', !!hidden[svg.id + '|' + i.getAttribute('data-series')]); });
  }
  function bind() {
    document.querySelectorAll('svg.gdfo-plot').forEach(function (svg) {
      apply(svg);
      svg.querySelectorAll('g.legend-item').forEach(function (item) {
        function toggle() { var k = svg.id + '|' + item.getAttribute('data-series'); hidden[k] = !hidden[k]; apply(svg); }
        item.addEventListener('click', toggle);
        item.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(); } });
      });
    });
  }
  var stream = document.body.getAttribute('data-stream');
  var conn = document.getElementById('conn');
  bind();
  var source = new EventSource(stream);
  source.addEventListener('update', function (m) {
    var d = JSON.parse(m.data);
    if (d.status !== undefined) document.getElementById('status').innerHTML = d.status;
    document.getElementById('live').innerHTML = d.html;
    document.body.setAttribute('data-version', String(d.version));
    bind();
    if (conn) conn.textContent = 'live · updated ' + new Date().toLocaleTimeString();
  });
  source.onerror = function () { if (conn) conn.textContent = 'disconnected; retrying…'; };
  document.body.setAttribute('data-ready', 'true');
})();
`;

interface Client {
  res: ServerResponse;
  key: string;
}

/** Starts the dashboard on 127.0.0.1. */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const root = resolve(options.dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new GdfoError('BAD_RUN', `${options.dir}: no such folder (expected a run directory or a folder of them, such as runs/)`);
  const single = isRunDir(root);
  const now = options.now ?? (() => Date.now());
  const runs = new Map<string, WatchedRun>();
  let indexVersion = 0;
  let indexSig = '';

  /** Finds the run directories (the folder itself, or its subfolders that hold a run). */
  const scan = (): boolean => {
    const dirs = single ? [root] : readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && isRunDir(join(root, d.name))).map((d) => join(root, d.name));
    let changed = false;
    for (const d of dirs) {
      const name = basename(d);
      if (!runs.has(name)) {
        runs.set(name, new WatchedRun(d));
        changed = true;
      }
    }
    for (const run of runs.values()) if (run.refresh()) changed = true;
    const sig = [...runs.values()].map((r) => `${r.name}:${r.version}`).join(',');
    if (sig !== indexSig) {
      indexSig = sig;
      indexVersion++;
    }
    return changed;
  };
  scan();

  const indexHtml = () => {
    const listed = [...runs.values()].map((r) => ({ r, s: r.stats() }));
    listed.sort((a, b) => (b.s.lastEventTime ?? 0) - (a.s.lastEventTime ?? 0) || a.r.name.localeCompare(b.r.name));
    const rows = listed.map(({ r, s }) => {
      const state = s.done ? 'finished' : s.events ? `running (or interrupted): ${s.method ?? ''} ${s.budget === null ? s.calls : `${s.calls}/${s.budget}`} calls` : 'waiting for events';
      const ago = s.lastEventTime === null ? '–' : `${duration(Math.max(0, now() - s.lastEventTime))} ago`;
      return `<tr data-run="${esc(r.name)}"><td><a href="/run/${encodeURIComponent(r.name)}">${esc(r.name)}</a></td><td>${esc(state)}</td><td>${esc(`${s.finished.length}/${s.methods.length || '?'}`)}</td><td>${esc(ago)}</td></tr>`;
    });
    return rows.length
      ? `<table class="runs"><thead><tr><th>run</th><th>status</th><th>methods done</th><th>last event</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
      : `<p>No run directories in <code>${esc(root)}</code> yet; start one with <code>gdfo run --out ${esc(root)}</code>.</p>`;
  };

  const runLive = (r: WatchedRun) => {
    const problem = r.problem();
    return (problem ? `<p class="problem">${esc(problem)}</p>` : '') + runSection(r.data(), 0);
  };

  const clients = new Set<Client>();
  const payload = (key: string): string => {
    if (key === 'index') return JSON.stringify({ version: indexVersion, html: indexHtml() });
    const r = runs.get(key)!;
    return JSON.stringify({ version: r.version, html: runLive(r), status: statsHtml(r.stats()) });
  };
  const send = (c: Client) => c.res.write(`event: update\ndata: ${payload(c.key)}\n\n`);

  const timer = setInterval(() => {
    let changed: boolean;
    try {
      changed = scan();
    } catch {
      return; // a folder vanished between two looks: the next one sees it
    }
    if (!changed) return;
    for (const c of clients) send(c);
  }, options.pollMs ?? 500);
  timer.unref();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    // loopback only: refuse other Host headers (a page elsewhere cannot rebind a name to 127.0.0.1)
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('gdfo dashboard: only http://127.0.0.1 is served\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const html = (body: string) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
    if (parts.length === 0) {
      if (single) {
        res.writeHead(302, { location: `/run/${encodeURIComponent(basename(root))}` }).end();
        return;
      }
      const body = `<header><h1>gdfo dashboard</h1><p class="meta"><code>${esc(root)}</code> · newest first · <span id="conn">connecting…</span></p></header><main id="live">${indexHtml()}</main>`;
      html(page('gdfo dashboard', body, `data-stream="/events" data-version="${indexVersion}"`));
      return;
    }
    if (parts[0] === 'run' && parts.length === 2) {
      const r = runs.get(parts[1]!);
      if (!r) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`gdfo dashboard: no run named ${parts[1]}\n`);
        return;
      }
      const back = single ? '' : '<a href="/">all runs</a> · ';
      const body =
        `<header><h1>${esc(r.name)}</h1><p class="meta">${back}live view of <code>${esc(r.dir)}</code> · <span id="conn">connecting…</span></p></header>` +
        `<div id="status">${statsHtml(r.stats())}</div><main id="live">${runLive(r)}</main>`;
      html(page(`gdfo dashboard — ${r.name}`, body, `data-stream="/events/run/${esc(encodeURIComponent(r.name))}" data-version="${r.version}"`));
      return;
    }
    if (parts[0] === 'events') {
      const key = parts.length === 1 ? 'index' : parts[1] === 'run' && parts.length === 3 && runs.has(parts[2]!) ? parts[2]! : null;
      if (key === null) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('gdfo dashboard: no such stream\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      const client = { res, key };
      clients.add(client);
      send(client);
      req.on('close', () => clients.delete(client));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('gdfo dashboard: not found\n');
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`gdfo dashboard: ${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new GdfoError('PORT_IN_USE', `--port ${options.port}: already in use (pass --port 0 for any free port)`) : err),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: async () => {
      clearInterval(timer);
      for (const c of clients) c.res.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** Adds `gdfo dashboard [dir]` to the CLI program (bin.ts). */
export function addDashboardCommand(program: Command): void {
  program
    .command('dashboard [dir]')
    .description('watch runs live in a browser: report pages on 127.0.0.1 that update as events.jsonl grows')
    .option('--port <port>', 'port on 127.0.0.1 (0 = any free one)', '6060')
    .addHelpText(
      'after',
      [
        '',
        'dir is a run directory or a folder of them (default: runs). Loopback only: to watch from another',
        'machine, forward the port (ssh -L 6060:127.0.0.1:6060 host).',
        '',
        'Examples:',
        '  gdfo dashboard',
        '  gdfo dashboard runs/sst2-2026-11-27T08-00-00-000Z --port 0',
      ].join('\n'),
    )
    .action(async (dir: string | undefined, opts: { port: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new GdfoError('BAD_FLAG', `command line: --port: expected a port number 0-65535, got "${opts.port}"`);
      const dashboard = await startDashboard({ dir: dir ?? 'runs', port });
      process.stdout.write(`gdfo dashboard: ${dashboard.url} (watching ${resolve(dir ?? 'runs')}); Ctrl-C stops\n`);
      const stop = () => void dashboard.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
