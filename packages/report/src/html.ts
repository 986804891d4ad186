/**
 * The report page: one self-contained HTML file (inline CSS, inline JS, inline SVG; a Content-Security-Policy
 * that forbids every network request), with per-run plots and tables and, for several runs, a comparison.
 */
import type { RunData } from './load.js';
import { summaryRows, traces, type MethodTrace, type SummaryRow } from './series.js';
import { dotChart, escapeXml as esc, formatValue, lineChart, movingAverage, PLOT_CSS, quantile, type Series } from './svg.js';

const METHOD_COLORS: Record<string, string> = {
  bbt: '#1f77b4',
  gdfo: '#d62728',
  bbtv2: '#17becf',
  'gdfo-deep': '#ff7f0e',
  kd: '#9467bd',
  whitebox: '#2ca02c',
  manual: '#7f7f7f',
  icl: '#bcbd22',
};
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/** A stable colour per method name (known methods have fixed colours). */
export function methodColor(method: string): string {
  const known = METHOD_COLORS[method];
  if (known) return known;
  let h = 0;
  for (const c of method) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

/** A short label for the i-th run in comparison legends: its name when short, else `run <i+1>`. */
export function runLabel(run: RunData, i: number): string {
  return run.name.length <= 18 ? run.name : `run ${i + 1}`;
}

/** Colour of the i-th run in a comparison. */
export function runColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/** Legend labels: the method, or `method (runId)` when one method appears twice. */
function labels(tr: readonly MethodTrace[]): Map<MethodTrace, string> {
  const count = new Map<string, number>();
  for (const t of tr) count.set(t.method, (count.get(t.method) ?? 0) + 1);
  return new Map(tr.map((t) => [t, (count.get(t.method) ?? 0) > 1 ? `${t.method} (${t.runId})` : t.method]));
}

export interface RunPlots {
  readonly fitness: string;
  readonly dev: string;
  readonly sigma: string;
  readonly agreement: string;
  readonly cosine: string;
}

/** The five per-run charts. `prefix` makes the SVG ids unique in the page (`<prefix>-fitness`, ...). */
export function runPlots(tr: readonly MethodTrace[], prefix: string): RunPlots {
  const name = labels(tr);
  const withGens = tr.filter((t) => t.generations.length > 0);
  const fitnessSeries: Series[] = withGens.flatMap((t) => {
    const c = methodColor(t.method);
    const label = name.get(t)!;
    return [
      { name: `${label} best`, group: label, color: c, label: 'best', points: t.generations.map((g) => ({ x: g.calls, y: g.best })) },
      { name: `${label} mean`, group: label, color: c, label: 'mean', dash: '5 3', strokeWidth: 1.2, points: t.generations.map((g) => ({ x: g.calls, y: g.mean })) },
    ];
  });
  const bests = withGens.flatMap((t) => t.generations.map((g) => g.best));
  const means = withGens.flatMap((t) => t.generations.map((g) => g.mean));
  const cap = Math.max(quantile(bests, 1), quantile(means, 0.9));
  const fitness = lineChart({
    id: `${prefix}-fitness`,
    kind: 'fitness',
    title: 'Training fitness (lower is better): best and mean of each generation',
    xLabel: 'teacher calls',
    yLabel: 'fitness (loss on train)',
    series: fitnessSeries,
    ...(Number.isFinite(cap) ? { yCap: cap } : {}),
    emptyText: 'no generations recorded (manual / ICL / KD runs have none)',
  });

  const devTr = tr.filter((t) => t.dev.length > 0);
  const metric = devTr.find((t) => t.metric)?.metric ?? 'metric';
  const dev = lineChart({
    id: `${prefix}-dev`,
    kind: 'dev',
    title: `Dev ${metric} of the best training point at each check`,
    xLabel: 'teacher calls',
    yLabel: `dev ${metric}`,
    series: devTr.map((t) => ({ name: name.get(t)!, color: methodColor(t.method), points: t.dev.map((d) => ({ x: d.calls, y: d.value })) })),
    emptyText: 'no dev evaluations recorded',
  });

  const sigTr = withGens.filter((t) => t.generations.some((g) => Number.isFinite(g.sigma) && g.sigma > 0));
  const sigma = lineChart({
    id: `${prefix}-sigma`,
    kind: 'sigma',
    title: 'Step size σ of the strategy (log scale)',
    xLabel: 'teacher calls',
    yLabel: 'σ',
    yScale: 'log',
    series: sigTr.map((t) => ({ name: name.get(t)!, color: methodColor(t.method), points: t.generations.map((g) => ({ x: g.calls, y: g.sigma })) })),
    emptyText: 'no step size recorded (the strategy is not mean-based)',
  });

  const perGen = (key: 'agreement' | 'cosine', what: string) => {
    const gTr = withGens.filter((t) => t.generations.some((g) => Number.isFinite(g[key])));
    return gTr.flatMap((t): Series[] => {
      const c = methodColor(t.method);
      const label = name.get(t)!;
      const raw = t.generations.map((g) => g[key]);
      const ma = movingAverage(raw, 5);
      return [
        { name: `${label} (mean of 5)`, group: label, color: c, markers: false, strokeWidth: 2.2, points: t.generations.map((g, i) => ({ x: g.generation, y: ma[i]! })) },
        { name: `${label} ${what}`, group: label, color: c, line: false, markers: true, label: what, points: t.generations.map((g) => ({ x: g.generation, y: g[key] })) },
      ];
    });
  };
  const noStudent = 'no student measurements (only GDFO runs have them)';
  const agreement = lineChart({
    id: `${prefix}-agreement`,
    kind: 'agreement',
    title: 'Surrogate agreement: Spearman(student loss, teacher fitness) on new candidates',
    xLabel: 'generation',
    yLabel: 'Spearman ρ',
    yDomain: [-1, 1],
    hLines: [0],
    series: perGen('agreement', 'ρ'),
    emptyText: noStudent,
  });
  const cosine = lineChart({
    id: `${prefix}-cosine`,
    kind: 'cosine',
    title: "Gradient cosine: cos(−∇ student loss, the strategy's step)",
    xLabel: 'generation',
    yLabel: 'cosine',
    yDomain: [-1, 1],
    hLines: [0],
    series: perGen('cosine', 'cos'),
    emptyText: noStudent,
  });
  return { fitness, dev, sigma, agreement, cosine };
}

function bestIndex(rows: readonly SummaryRow[], key: 'dev' | 'test'): number {
  let best = -1;
  rows.forEach((r, i) => {
    const v = r[key];
    if (v !== null && (best < 0 || v > rows[best]![key]!)) best = i;
  });
  return best;
}

/** The method comparison table of one run. */
export function summaryTable(rows: readonly SummaryRow[], id: string): string {
  const metric = rows.find((r) => r.metric)?.metric ?? 'metric';
  const bd = bestIndex(rows, 'dev');
  const bt = bestIndex(rows, 'test');
  const cell = (v: number | null, best: boolean) => `<td class="num${best ? ' best' : ''}">${esc(formatValue(v))}</td>`;
  const body = rows
    .map(
      (r, i) =>
        `<tr data-method="${esc(r.method)}"><th scope="row"><span class="swatch" style="background:${methodColor(r.method)}"></span>${esc(r.method)}</th>` +
        `<td>${esc(r.strategy || '–')}</td><td>${esc(r.harmonizer || '–')}</td>` +
        `${cell(r.calls, false)}${cell(r.evalCalls, false)}${cell(r.generations, false)}${cell(r.bestTrain, false)}${cell(r.dev, i === bd)}${cell(r.test, i === bt)}` +
        `<td class="reason">${esc(r.stopReason)}</td></tr>`,
    )
    .join('');
  return (
    `<table class="methods" id="${esc(id)}"><thead><tr><th scope="col">method</th><th scope="col">strategy</th><th scope="col">harmonizer</th>` +
    `<th scope="col">teacher calls</th><th scope="col">eval calls</th><th scope="col">generations</th><th scope="col">best train fitness</th>` +
    `<th scope="col">dev ${esc(metric)}</th><th scope="col">test ${esc(metric)}</th><th scope="col">stopped</th></tr></thead><tbody>${body}</tbody></table>`
  );
}

function meanSd(values: readonly number[]): { mean: number; sd: number } | null {
  if (!values.length) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

/** Cross-run comparison: a table (dev / test per run, mean ± sd) and a dot plot of the test (or dev) metric. */
export function comparison(runs: readonly RunData[], allRows: readonly (readonly SummaryRow[])[]): string {
  const methods = [...new Set(allRows.flatMap((rows) => rows.map((r) => r.method)))];
  const useTest = allRows.some((rows) => rows.some((r) => r.test !== null));
  const key: 'test' | 'dev' = useTest ? 'test' : 'dev';
  const metric = allRows.flatMap((rows) => rows.map((r) => r.metric)).find((m) => m) ?? 'metric';
  const head = runs
    .map((r, i) => {
      const label = runLabel(r, i);
      return `<th scope="col" title="${esc(r.dir)}"><span class="swatch" style="background:${runColor(i)}"></span>${esc(label)}${label === r.name ? '' : ` <small>${esc(r.name)}</small>`}<br><small>dev / test</small></th>`;
    })
    .join('');
  const body = methods
    .map((m) => {
      const per = allRows.map((rows) => rows.find((r) => r.method === m));
      const vals = per.map((r) => r?.[key]).filter((v): v is number => v !== null && v !== undefined);
      const ms = meanSd(vals);
      const cells = per.map((r) => `<td class="num">${r ? `${esc(formatValue(r.dev))} / ${esc(formatValue(r.test))}` : '–'}</td>`).join('');
      const agg = ms ? `${formatValue(ms.mean)} ± ${formatValue(ms.sd)} <small>(n = ${vals.length})</small>` : '–';
      return `<tr data-method="${esc(m)}"><th scope="row"><span class="swatch" style="background:${methodColor(m)}"></span>${esc(m)}</th>${cells}<td class="num">${agg}</td></tr>`;
    })
    .join('');
  const table = `<table class="methods compare" id="compare-table"><thead><tr><th scope="col">method</th>${head}<th scope="col">${key} ${esc(metric)}: mean ± sd</th></tr></thead><tbody>${body}</tbody></table>`;
  const chart = dotChart({
    id: 'compare-plot',
    kind: 'compare',
    title: `${key === 'test' ? 'Test' : 'Dev'} ${metric} by method across runs (bar: mean)`,
    yLabel: `${key} ${metric}`,
    groups: methods.map((m) => ({
      category: m,
      dots: runs.map((r, i) => ({ series: runLabel(r, i), color: runColor(i), y: allRows[i]!.find((x) => x.method === m)?.[key] ?? null })),
    })),
  });
  return `<section id="comparison"><h2>Comparison across ${runs.length} runs</h2>${table}<figure class="plot">${chart}</figure></section>`;
}

const CSS = `
:root{--fg:#1b1f24;--muted:#5b6570;--line:#d8dde3;--bg:#fff;--accent:#0b5cad}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1500px;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 6px;border-bottom:1px solid var(--line);padding-bottom:4px}
.meta,.path{color:var(--muted);margin:2px 0}code,pre{font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f5f7f9;border:1px solid var(--line);padding:8px;overflow:auto;max-height:360px}
table.methods{border-collapse:collapse;margin:10px 0 14px;font-variant-numeric:tabular-nums}
table.methods th,table.methods td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
table.methods thead th{background:#f5f7f9;font-weight:600}
td.num{text-align:right}td.best{font-weight:700;color:var(--accent)}td.reason{color:var(--muted);max-width:320px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.plots{display:flex;flex-wrap:wrap;gap:12px}
figure.plot{margin:0;border:1px solid var(--line);border-radius:6px;padding:4px;background:#fff;max-width:100%;overflow-x:auto}
svg.gdfo-plot{display:block;max-width:100%;height:auto;font-size:11px}
${PLOT_CSS}
footer{margin-top:32px;color:var(--muted);font-size:12px}
`;

/** Clicking (or Enter on) a legend entry hides or shows that series in its chart. */
const SCRIPT = `
(function () {
  'use strict';
  function toggle(item) {
    var svg = item.closest('svg');
    var name = item.getAttribute('data-series');
    var off = item.classList.toggle('off');
    svg.querySelectorAll('g.series').forEach(function (g) {
      if (g.getAttribute('data-series') === name) g.style.display = off ? 'none' : '';
    });
    svg.querySelectorAll('g.legend-item').forEach(function (other) {
      if (other.getAttribute('data-series') === name) other.classList.toggle('off', off);
    });
  }
  document.querySelectorAll('svg.gdfo-plot g.legend-item').forEach(function (item) {
    item.addEventListener('click', function () { toggle(item); });
    item.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); toggle(item); } });
  });
  document.body.setAttribute('data-ready', 'true');
})();
`;

/**
 * One run's section of the report: heading, status, the method table, the five plots and the config. The
 * live dashboard (`gdfo dashboard`) renders the same section again as the run's events grow.
 */
export function runSection(run: RunData, i: number, rows: readonly SummaryRow[] = summaryRows(run, traces(run.events))): string {
  const tr = traces(run.events);
  const p = runPlots(tr, `run${i}`);
  const figs = [p.fitness, p.dev, p.sigma, p.agreement, p.cosine].map((svg) => `<figure class="plot">${svg}</figure>`).join('');
  const cfg = run.config === null ? '' : `<details><summary>config.json</summary><pre>${esc(JSON.stringify(run.config, null, 2))}</pre></details>`;
  const status = run.results ? `${run.results.length} method(s) finished` : 'no result.json yet (the run is in progress or was interrupted)';
  return (
    `<section class="run" id="run${i}" data-run="${esc(run.name)}"><h2>${esc(run.name)}</h2>` +
    `<p class="path"><code>${esc(run.dir)}</code> · ${esc(status)} · ${run.events.length} events</p>` +
    `${summaryTable(rows, `run${i}-table`)}<div class="plots">${figs}</div>${cfg}</section>`
  );
}

/** The report's style sheet (for pages that embed report sections, such as the live dashboard). */
export const REPORT_CSS = CSS;

export interface ReportOptions {
  /** Page title (default: "gdfo report — <first run name>"). */
  readonly title?: string;
  /** Trusted HTML placed after the header, before the runs (e.g. a benchmark's own table and curves). */
  readonly intro?: string;
}

/** The whole report page for one or more runs. */
export function renderReport(runs: readonly RunData[], options: ReportOptions = {}): string {
  const title = options.title ?? `gdfo report — ${runs.map((r) => r.name).join(', ') || 'no runs'}`;
  const allRows = runs.map((r) => summaryRows(r, traces(r.events)));
  const sections = runs.map((run, i) => runSection(run, i, allRows[i]));
  const compare = runs.length > 1 ? comparison(runs, allRows) : '';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>`,
    `<header><h1>${esc(title)}</h1><p class="meta">${runs.length} run${runs.length === 1 ? '' : 's'}. Fitness is the teacher's training loss (lower is better); dev and test are the task metric of the point chosen on dev (higher is better). Click a legend entry to hide or show a series.</p></header>`,
    options.intro ?? '',
    compare,
    ...sections,
    '<footer>Generated by @gdfo/report. This file is self-contained: it loads nothing from the network.</footer>',
    `<script>${SCRIPT}</script></body></html>`,
    '',
  ].join('\n');
}
