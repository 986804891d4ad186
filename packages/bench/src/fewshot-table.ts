/**
 * The few-shot benchmark's aggregates: the summary line, the markdown table (like the paper's) and the HTML
 * section with the curves. Pure functions of the cell results, so `bench fewshot` can rebuild them from
 * `fewshot.jsonl` at any time.
 */
import { CURVE_POINTS, TASKS_WITH_TEST, curveAt, type CellResult, type FewshotCell } from '@gdfo/cli';
import { GdfoError } from '@gdfo/core';
import { escapeXml, lineChart, methodColor, svgSheet, type Point, type Series } from '@gdfo/report';
import { cellId, checkJson, type CellConfig, type JsonValue } from '@gdfo/sweep';

export interface Row {
  readonly cell: FewshotCell;
  readonly result: CellResult | undefined;
  /** What the cell's run logged of its search (from its events), when its run directory is here. */
  readonly evidence?: SearchEvidence;
}

const METHOD_LABELS: Record<string, string> = {
  manual: 'manual prompt',
  icl: 'in-context learning',
  bbt: 'BBT',
  bbtv2: 'BBTv2',
  gdfo: 'GDFO (gradient-sample)',
  'gdfo-mean-shift': 'GDFO (mean-shift)',
  'gdfo-projected': 'GDFO (gradient-sample, projected student)',
  'gdfo-projected-mean-shift': 'GDFO (mean-shift, projected student)',
  'gdfo-aligned': 'GDFO (gradient-sample, aligned student)',
  'gdfo-aligned-mean-shift': 'GDFO (mean-shift, aligned student)',
  'gdfo-screen': 'GDFO (surrogate-screen)',
  'gdfo-projected-screen': 'GDFO (surrogate-screen, projected student)',
  kd: 'KD-only student',
  whitebox: 'white-box prompt tuning (ceiling)',
};

const round4 = (v: number) => +v.toFixed(4);
const round2 = (v: number) => +v.toFixed(2);
const avg = (vs: readonly number[]) => (vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : undefined);
/** Sample standard deviation (n − 1); 0 for a single value. */
export function sampleStd(vs: readonly number[]): number {
  if (vs.length < 2) return 0;
  const m = avg(vs)!;
  return Math.sqrt(vs.reduce((a, v) => a + (v - m) ** 2, 0) / (vs.length - 1));
}

/**
 * Training-side signals of one search, from its `generation` events: what GDFO may be tuned on (with dev),
 * never test. `agreement`/`cosine`: means over the generations that logged them (GDFO only); `trainLoss`: the
 * best training fitness seen within N calls, at each curve point.
 */
export interface SearchEvidence {
  readonly agreement: number | null;
  readonly cosine: number | null;
  readonly trainLoss: Record<string, number>;
  /**
   * The dev metric of the search's current best point at its last check within N calls (not of the selection,
   * which keeps the best dev so far): falling while the training loss falls is over-fitting of the training set.
   */
  readonly devAt: Record<string, number>;
}

/** The search evidence of one run from its events (a resumed run's repeated generations count once, the last). */
export function evidenceFromEvents(events: readonly Record<string, unknown>[]): SearchEvidence | undefined {
  const byGen = new Map<number, Record<string, unknown>>();
  for (const e of events) if (e['type'] === 'generation' && typeof e['generation'] === 'number') byGen.set(e['generation'], e);
  if (!byGen.size) return undefined;
  const gens = [...byGen.values()].sort((a, b) => (a['calls'] as number) - (b['calls'] as number));
  const num = (k: string) => gens.map((g) => g[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const mean = (vs: number[]) => (vs.length ? round4(avg(vs)!) : null);
  const trainLoss: Record<string, number> = {};
  for (const p of CURVE_POINTS) {
    const seen = gens.filter((g) => (g['calls'] as number) <= p).map((g) => g['bestFitness']).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (seen.length) trainLoss[p] = round4(Math.min(...seen));
  }
  const devChecks = new Map<number, number>();
  for (const e of events) if (e['type'] === 'eval' && e['split'] === 'dev' && typeof e['calls'] === 'number' && typeof e['value'] === 'number') devChecks.set(e['calls'], e['value']);
  const checks = [...devChecks].sort((a, b) => a[0] - b[0]);
  const devAt: Record<string, number> = {};
  for (const p of CURVE_POINTS) {
    const last = checks.filter(([calls]) => calls <= p).at(-1);
    if (last) devAt[p] = round4(last[1]);
  }
  return { agreement: mean(num('agreement')), cosine: mean(num('gradientCosine')), trainLoss, devAt };
}

/** What a cell contributes to a mean: its final metric by default, or e.g. its curve at a point. */
type Pick = (r: CellResult) => number | null | undefined;
const finalValue: Pick = (r) => r.value;

/** Mean of one method on one task over its seeds (undefined when no cell of it has a value). */
export function cellMean(rows: readonly Row[], method: string, task: string, pick: Pick = finalValue): number | undefined {
  return avg(rows.filter((r) => r.cell.method === method && r.cell.task === task && r.result && pick(r.result) != null).map((r) => pick(r.result!)!));
}

/** Mean over `tasks` of the per-task means; undefined unless every task has a value (no partial means). */
function meanOver(rows: readonly Row[], method: string, tasks: readonly string[], pick: Pick = finalValue): number | undefined {
  const per = tasks.map((t) => cellMean(rows, method, t, pick));
  return per.every((v) => v !== undefined) && per.length ? avg(per as number[]) : undefined;
}

/**
 * Calls GDFO needed, per task and seed with a test set, for its test curve to reach BBT's final test metric
 * (Infinity when it never did).
 */
export function callsToBbtFinal(rows: readonly Row[], method = 'gdfo'): { task: string; seed: number; calls: number }[] {
  const out: { task: string; seed: number; calls: number }[] = [];
  for (const r of rows.filter((x) => x.cell.method === method && x.result)) {
    const bbt = rows.find((x) => x.cell.method === 'bbt' && x.cell.task === r.cell.task && x.cell.seed === r.cell.seed)?.result;
    if (!bbt || bbt.value === null || bbt.split !== 'test') continue;
    const hit = r.result!.curve.find((p) => p.value >= bbt.value!);
    out.push({ task: r.cell.task, seed: r.cell.seed, calls: hit ? hit.calls : Infinity });
  }
  return out;
}

/** The seeds with a value for `method` on every one of `tasks`, and per such seed the mean over the tasks. */
function perSeedMeans(rows: readonly Row[], method: string, tasks: readonly string[]): Map<number, number> {
  const seeds = [...new Set(rows.map((r) => r.cell.seed))];
  const out = new Map<number, number>();
  for (const seed of seeds) {
    const vals = tasks.map((t) => rows.find((r) => r.cell.method === method && r.cell.task === t && r.cell.seed === seed)?.result?.value);
    if (tasks.length && vals.every((v) => v !== undefined && v !== null)) out.set(seed, avg(vals as number[])!);
  }
  return out;
}

export interface FewshotSummary {
  bench: 'fewshot';
  cells: number;
  setting: object;
  /** Per method: mean over the tasks of the table (test where there is a test set, dev for Yelp and DBPedia). */
  mean: Record<string, number>;
  /** Per method: mean over the five tasks with a test set. */
  mean_test: Record<string, number>;
  /** Per curve point (calls): per method, mean over the tasks with a test set of the test metric then. */
  mean_at: Record<string, Record<string, number>>;
  /** Per method: sample std over the seeds of the seed's mean over the tasks with a test set. */
  mean_test_std: Record<string, number>;
  gdfo_minus_bbt: number | null;
  /**
   * GDFO's mean test metric minus BBT's in percentage points, over the tasks with a test set and the seeds
   * (null unless both have every such cell); `_std`: sample std over the seeds of that seed's difference.
   */
  gdfo_minus_bbt_points: number | null;
  gdfo_minus_bbt_points_std: number | null;
  /** Per task (test tasks), per method: the mean test metric over the seeds in points; `per_task_std` its sample std. */
  per_task: Record<string, Record<string, number>>;
  per_task_std: Record<string, Record<string, number>>;
  /**
   * Calls GDFO's test curve needed to reach BBT's final test metric of the same seed: overall mean (a string when
   * some task and seed never did); per task the mean over its seeds (null when a seed never reached it); per seed.
   */
  calls_to_bbt_final: { gdfo: number | string | null; per_task: Record<string, number | null>; per_seed: Record<string, Record<string, number | null>> };
  /**
   * Per task, per method: the training-side signals over the seeds whose run directory is here (means) — the
   * dev metric of the selection, the best training loss within N calls, the dev of the current best point at
   * those calls, GDFO's agreement and cosine. What a GDFO configuration is chosen on; test stays out of it.
   */
  search: Record<string, Record<string, SearchSummary>>;
  failed: number;
  /** Cells of the table with no result (not run yet, or failed), as task/method/seed. */
  missing: string[];
}

export interface SearchSummary {
  readonly seeds: number;
  readonly dev: number | null;
  readonly agreement: number | null;
  readonly cosine: number | null;
  readonly train_loss_at: Record<string, number>;
  readonly dev_of_best_at: Record<string, number>;
}

/** The training-side signals of one method on one task, averaged over its cells with evidence. */
export function searchSummary(rows: readonly Row[], method: string, task: string): SearchSummary | undefined {
  const mine = rows.filter((r) => r.cell.method === method && r.cell.task === task && r.result && r.evidence);
  if (!mine.length) return undefined;
  const mean = (vs: (number | null | undefined)[]) => {
    const ok = vs.filter((v): v is number => typeof v === 'number');
    return ok.length === vs.length ? round4(avg(ok)!) : null; // no partial means
  };
  const trainLoss: Record<string, number> = {};
  const devAt: Record<string, number> = {};
  for (const p of CURVE_POINTS) {
    const v = mean(mine.map((r) => r.evidence!.trainLoss[p]));
    if (v !== null) trainLoss[p] = v;
    const dv = mean(mine.map((r) => r.evidence!.devAt?.[p]));
    if (dv !== null) devAt[p] = dv;
  }
  return {
    seeds: mine.length,
    dev: mean(mine.map((r) => r.result!.dev)),
    agreement: mean(mine.map((r) => r.evidence!.agreement)),
    cosine: mean(mine.map((r) => r.evidence!.cosine)),
    train_loss_at: trainLoss,
    dev_of_best_at: devAt,
  };
}

export function summarize(rows: readonly Row[], tasks: readonly string[], methods: readonly string[], setting: object, failed: number): FewshotSummary {
  const testTasks = tasks.filter((t) => TASKS_WITH_TEST.has(t));
  const mean: Record<string, number> = {};
  const meanTest: Record<string, number> = {};
  const meanAt: Record<string, Record<string, number>> = {};
  for (const m of methods) {
    const all = meanOver(rows, m, tasks);
    if (all !== undefined) mean[m] = round4(all);
    const t = meanOver(rows, m, testTasks);
    if (t !== undefined) meanTest[m] = round4(t);
  }
  for (const p of CURVE_POINTS) {
    const at: Record<string, number> = {};
    for (const m of methods) {
      const v = meanOver(rows, m, testTasks, (r) => r.at[p]);
      if (v !== undefined) at[m] = round4(v);
    }
    if (Object.keys(at).length) meanAt[p] = at;
  }
  const reach = callsToBbtFinal(rows);
  const finite = reach.filter((r) => Number.isFinite(r.calls));
  const perTask: Record<string, number | null> = {};
  const perSeed: Record<string, Record<string, number | null>> = {};
  for (const t of [...new Set(reach.map((r) => r.task))]) {
    const mine = reach.filter((r) => r.task === t);
    perTask[t] = mine.every((r) => Number.isFinite(r.calls)) ? Math.round(avg(mine.map((r) => r.calls))!) : null;
    perSeed[t] = Object.fromEntries(mine.map((r) => [String(r.seed), Number.isFinite(r.calls) ? r.calls : null]));
  }
  const meanTestStd: Record<string, number> = {};
  for (const m of methods) {
    const per = [...perSeedMeans(rows, m, testTasks).values()];
    if (per.length) meanTestStd[m] = round4(sampleStd(per));
  }
  const perTaskPoints: Record<string, Record<string, number>> = {};
  const perTaskStd: Record<string, Record<string, number>> = {};
  for (const t of testTasks) {
    for (const m of methods) {
      const vals = rows.filter((r) => r.cell.method === m && r.cell.task === t && r.result?.value != null).map((r) => 100 * r.result!.value!);
      if (!vals.length) continue;
      (perTaskPoints[t] ??= {})[m] = round2(avg(vals)!);
      (perTaskStd[t] ??= {})[m] = round2(sampleStd(vals));
    }
  }
  const g = perSeedMeans(rows, 'gdfo', testTasks);
  const b = perSeedMeans(rows, 'bbt', testTasks);
  const diffs = [...g].filter(([seed]) => b.has(seed)).map(([seed, v]) => 100 * (v - b.get(seed)!));
  const complete = meanTest['gdfo'] !== undefined && meanTest['bbt'] !== undefined && diffs.length > 0;
  return {
    bench: 'fewshot',
    cells: rows.filter((r) => r.result).length,
    setting,
    mean,
    mean_test: meanTest,
    mean_at: meanAt,
    mean_test_std: meanTestStd,
    gdfo_minus_bbt: mean['gdfo'] !== undefined && mean['bbt'] !== undefined ? round4(mean['gdfo'] - mean['bbt']) : null,
    gdfo_minus_bbt_points: complete ? round2(100 * (meanTest['gdfo']! - meanTest['bbt']!)) : null,
    gdfo_minus_bbt_points_std: complete ? round2(sampleStd(diffs)) : null,
    per_task: perTaskPoints,
    per_task_std: perTaskStd,
    calls_to_bbt_final: {
      gdfo: !reach.length ? null : finite.length === reach.length ? Math.round(avg(finite.map((r) => r.calls))!) : `reached in ${finite.length} of ${reach.length} task-seed runs`,
      per_task: perTask,
      per_seed: perSeed,
    },
    search: Object.fromEntries(
      tasks
        .map((t) => [t, Object.fromEntries(methods.map((m) => [m, searchSummary(rows, m, t)]).filter(([, v]) => v))] as const)
        .filter(([, v]) => Object.keys(v).length),
    ),
    failed,
    missing: rows.filter((r) => !r.result).map((r) => `${r.cell.task}/${r.cell.method}/${r.cell.seed}`),
  };
}

const pct = (v: number | undefined) => (v === undefined ? '-' : (100 * v).toFixed(2));

/** A cell of the table: the mean over seeds in percent, with ± the sample std when there are several. */
function pctCell(rows: readonly Row[], method: string, task: string): string {
  const vals = rows.filter((r) => r.cell.method === method && r.cell.task === task && r.result?.value != null).map((r) => 100 * r.result!.value!);
  if (!vals.length) return '-';
  return vals.length > 1 ? `${avg(vals)!.toFixed(2)} ± ${sampleStd(vals).toFixed(2)}` : avg(vals)!.toFixed(2);
}

/** The markdown table (methods × tasks, percent), then the curve (mean over the test tasks at each point). */
export function markdownTable(rows: readonly Row[], tasks: readonly string[], methods: readonly string[], setting: object): string {
  const testTasks = tasks.filter((t) => TASKS_WITH_TEST.has(t));
  const lines = [`Setting: \`${JSON.stringify(setting)}\``, ''];
  lines.push(`| method | ${tasks.map((t) => (TASKS_WITH_TEST.has(t) ? t : `${t} (dev)`)).join(' | ')} | mean | mean (test tasks) | wall s |`);
  lines.push(`|${' --- |'.repeat(tasks.length + 4)}`);
  for (const m of methods) {
    const seconds = rows.filter((r) => r.cell.method === m && r.result).reduce((s, r) => s + r.result!.seconds, 0);
    const seedMeans = [...perSeedMeans(rows, m, testTasks).values()].map((v) => 100 * v);
    const testMean = seedMeans.length > 1 ? `${pct(meanOver(rows, m, testTasks))} ± ${sampleStd(seedMeans).toFixed(2)}` : pct(meanOver(rows, m, testTasks));
    lines.push(`| ${METHOD_LABELS[m] ?? m} | ${tasks.map((t) => pctCell(rows, m, t)).join(' | ')} | ${pct(meanOver(rows, m, tasks))} | ${testMean} | ${seconds} |`);
  }
  if (!testTasks.length) return lines.join('\n') + '\n';
  lines.push('', `Test metric (mean over ${testTasks.join(', ')}) of the prompt selected on dev after N teacher calls:`, '');
  lines.push(`| method | ${CURVE_POINTS.map((p) => `${p} calls`).join(' | ')} |`, `|${' --- |'.repeat(CURVE_POINTS.length + 1)}`);
  for (const m of methods) {
    const vals = CURVE_POINTS.map((p) => meanOver(rows, m, testTasks, (r) => r.at[p]));
    if (vals.some((v) => v !== undefined)) lines.push(`| ${METHOD_LABELS[m] ?? m} | ${vals.map(pct).join(' | ')} |`);
  }
  lines.push(...searchLines(rows, tasks, methods));
  return lines.join('\n') + '\n';
}

/** The training-side table (what GDFO is tuned on): per task and method, dev, best training loss and dev of the current best at N calls, agreement, cosine. */
function searchLines(rows: readonly Row[], tasks: readonly string[], methods: readonly string[]): string[] {
  const out: string[] = [];
  const f = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3));
  for (const t of tasks)
    for (const m of methods) {
      const s = searchSummary(rows, m, t);
      if (!s) continue;
      if (!out.length) {
        out.push('', 'Search evidence (training and dev only; means over the seeds whose run directory is here): the selection\'s dev, the best training loss within N calls, the dev of the current best point at the last check within N calls, GDFO\'s agreement and cosine:', '');
        out.push(`| task | method | seeds | dev | ${CURVE_POINTS.map((p) => `train loss ≤ ${p}`).join(' | ')} | ${CURVE_POINTS.map((p) => `dev of best @${p}`).join(' | ')} | agreement | cosine |`);
        out.push(`|${' --- |'.repeat(2 * CURVE_POINTS.length + 6)}`);
      }
      const dev = CURVE_POINTS.map((p) => (s.dev_of_best_at[p] === undefined ? '-' : (100 * s.dev_of_best_at[p]!).toFixed(1)));
      out.push(`| ${t} | ${METHOD_LABELS[m] ?? m} | ${s.seeds} | ${s.dev === null ? '-' : (100 * s.dev).toFixed(2)} | ${CURVE_POINTS.map((p) => f(s.train_loss_at[p])).join(' | ')} | ${dev.join(' | ')} | ${f(s.agreement)} | ${f(s.cosine)} |`);
    }
  return out;
}

/**
 * The mean over a method's seeds of the metric of the selection in force, as a step curve sampled at every
 * call count where some seed's selection changed (and at the budget); a point only where every seed has a
 * value. Methods without calls in the loop (or without a curve) give a flat line at their mean.
 */
export function meanCurve(rows: readonly Row[], task: string, method: string, budget: number): { points: Point[]; seeds: number; flat: boolean } | undefined {
  const mine = rows.filter((r) => r.cell.task === task && r.cell.method === method && r.result && r.result.value !== null).map((r) => r.result!);
  if (!mine.length) return undefined;
  if (mine.every((r) => r.calls < 100 || r.curve.length === 0)) {
    const v = avg(mine.map((r) => r.value!))!;
    return { points: [{ x: 0, y: v }, { x: budget, y: v }], seeds: mine.length, flat: true };
  }
  const xs = [...new Set([...mine.flatMap((r) => r.curve.map((p) => p.calls)), budget])].filter((x) => x <= budget).sort((a, b) => a - b);
  const points: Point[] = [];
  for (const x of xs) {
    const vs = mine.map((r) => (r.curve.length ? curveAt(r.curve, x) : (r.value ?? undefined)));
    if (vs.every((v) => v !== undefined)) points.push({ x, y: avg(vs as number[])! });
  }
  return { points, seeds: mine.length, flat: false };
}

/**
 * Per task, the charts of the few-shot curves: the metric of the dev-selected prompt against calls (mean over
 * seeds), then, where the cells' search evidence is here, the dev metric of the search's current best point
 * and the best training CE at the curve points (means over seeds): the over-fitting picture.
 */
export function curveCharts(rows: readonly Row[], tasks: readonly string[], methods: readonly string[], budget: number): string[][] {
  return tasks.map((task, i) => {
    const split = TASKS_WITH_TEST.has(task) ? 'test' : 'dev';
    const series: Series[] = [];
    const counts: number[] = []; // seeds behind each search's curve (a flat manual line says nothing of them)
    for (const m of methods) {
      const c = meanCurve(rows, task, m, budget);
      if (!c) continue;
      if (!c.flat) counts.push(c.seeds);
      series.push({ name: m, color: methodColor(m), points: c.points, ...(c.flat ? { dash: '5 3', markers: false } : {}), label: split });
    }
    const lo = Math.min(...counts);
    const hi = Math.max(...counts);
    const over = hi > 1 ? ` (mean of ${lo === hi ? hi : `${lo}–${hi}`} seeds)` : '';
    const charts = [
      lineChart({ id: `fewshot-curve-${i}`, kind: 'curve', title: `${task}: ${split === 'test' ? 'test' : 'dev (no test set)'} metric of the dev-selected prompt${over}`, xLabel: 'teacher calls', yLabel: split, series, xDomain: [0, budget], emptyText: 'no finished cells' }),
    ];
    const evidence = methods.map((m) => [m, searchSummary(rows, m, task)] as const).filter((e): e is readonly [string, SearchSummary] => e[1] !== undefined);
    if (evidence.length) {
      const at = (rec: Record<string, number>) => CURVE_POINTS.filter((p) => rec[p] !== undefined).map((p) => ({ x: p, y: rec[p]! }));
      const evidenceChart = (kind: string, title: string, yLabel: string, pick: (s: SearchSummary) => Record<string, number>) =>
        lineChart({ id: `fewshot-${kind}-${i}`, kind, title, xLabel: 'teacher calls', yLabel, xDomain: [0, budget], series: evidence.map(([m, s]) => ({ name: m, color: methodColor(m), points: at(pick(s)) })) });
      charts.push(
        evidenceChart('dev-of-best', `${task}: dev metric of the search's current best point`, 'dev', (s) => s.dev_of_best_at),
        evidenceChart('train-loss', `${task}: best training CE`, 'training CE', (s) => s.train_loss_at),
      );
    }
    return charts;
  });
}

/** HTML for the top of the report: the table of means, then the charts of `curveCharts`. */
export function curvesHtml(rows: readonly Row[], tasks: readonly string[], methods: readonly string[], budget: number): string {
  const charts = curveCharts(rows, tasks, methods, budget).flat().map((c) => `<figure class="plot">${c}</figure>`);
  const testTasks = tasks.filter((t) => TASKS_WITH_TEST.has(t));
  const head = `<tr><th scope="col">method</th>${tasks.map((t) => `<th scope="col">${escapeXml(TASKS_WITH_TEST.has(t) ? t : `${t} (dev)`)}</th>`).join('')}<th scope="col">mean</th><th scope="col">mean (test tasks)</th></tr>`;
  const body = methods
    .map((m) => `<tr><th scope="row">${escapeXml(METHOD_LABELS[m] ?? m)}</th>${[...tasks.map((t) => cellMean(rows, m, t)), meanOver(rows, m, tasks), meanOver(rows, m, testTasks)].map((v) => `<td>${pct(v)}</td>`).join('')}</tr>`)
    .join('');
  const table = `<section class="run" id="fewshot-table"><h2>Table</h2><p>Accuracy (F1 for MRPC) in percent; Yelp and DBPedia have no test set here and report dev.</p><table class="summary">${head}${body}</table></section>`;
  const text =
    "Per task, the metric of the prompt selected on dev against teacher calls (mean over the seeds); methods without teacher calls in the loop (manual, icl, kd, whitebox) are flat dashed lines at their final value. " +
    "Where the cells' run directories are here, two more charts per task follow the search itself (means over seeds): the dev metric of the point the search stands on, and the best training CE. Every cell's run follows, named task, method, seed.";
  return `${table}<section class="run" id="fewshot-curves"><h2>Curves</h2><p>${escapeXml(text)}</p><div class="plots">${charts.join('')}</div></section>`;
}

/** The same charts as one standalone SVG figure, a task to a row (`fewshot-curves.svg`). */
export function curvesSvg(rows: readonly Row[], tasks: readonly string[], methods: readonly string[], budget: number, title: string): string {
  return svgSheet(curveCharts(rows, tasks, methods, budget), { title });
}

/** A results-file line (`@gdfo/sweep`'s `{ id, config, result }`) rebuilt from a committed record. */
export interface ImportedRecord {
  readonly id: string;
  readonly config: CellConfig;
  readonly result: JsonValue;
}

/**
 * The finished cells of a `fewshot.json` record (`{ summary, rows: [{ cell, result, evidence? }] }`, what
 * `bench fewshot` writes and docs/results keeps) as results-file lines, so that a results folder can be rebuilt
 * on a machine that never ran those cells (`bench fewshot --import`): they count as done, calibrate the
 * estimate and enter the tables. A cell's search evidence, read from its run directory when the record was
 * written, travels in its result as `evidence`, since the run directory does not. Rows without a result (cells
 * missing or failed when the record was written) are skipped. Throws a one-line error naming the file and the
 * field that is not what a record holds.
 */
export function recordsFromReport(json: unknown, file: string, defaults: { readonly teacher: string; readonly student: string }): ImportedRecord[] {
  const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  const rows = isObject(json) ? json.rows : undefined;
  if (!Array.isArray(rows)) throw new GdfoError('BAD_RECORD', `${file}: rows: expected an array of { cell, result } (a fewshot.json record written by bench fewshot)`);
  // A cell without a `teacher` field stands for the default pair's cell; a record measured when the default was
  // another pair (docs/results/fewshot-2026-11-27*.json) has the same cell ids and must not pass for it.
  const setting = isObject(json) && isObject(json.summary) && isObject(json.summary.setting) ? json.summary.setting : undefined;
  const defaultPair = (cell: Record<string, unknown>) => {
    if (cell.teacher !== undefined) return;
    for (const k of ['teacher', 'student'] as const) {
      if (setting?.[k] !== defaults[k]) {
        throw new GdfoError('BAD_RECORD', `${file}: summary.setting.${k}: expected ${JSON.stringify(defaults[k])} (its cells carry no teacher, so they stand for the default pair's), got ${JSON.stringify(setting?.[k])}`);
      }
    }
  };
  const out: ImportedRecord[] = [];
  rows.forEach((row: unknown, i) => {
    const where = `${file}: rows[${i}]`;
    if (!isObject(row)) throw new GdfoError('BAD_RECORD', `${where}: expected an object { cell, result }`);
    if (row.result === undefined || row.result === null) return;
    const { cell, result, evidence } = row;
    if (!isObject(cell)) throw new GdfoError('BAD_RECORD', `${where}.cell: expected an object`);
    for (const k of ['task', 'method'] as const) if (typeof cell[k] !== 'string') throw new GdfoError('BAD_RECORD', `${where}.cell.${k}: expected a string, got ${JSON.stringify(cell[k])}`);
    for (const k of ['seed', 'budget'] as const) if (typeof cell[k] !== 'number') throw new GdfoError('BAD_RECORD', `${where}.cell.${k}: expected a number, got ${JSON.stringify(cell[k])}`);
    if (!isObject(result)) throw new GdfoError('BAD_RECORD', `${where}.result: expected an object`);
    if (typeof result.metric !== 'string' || typeof result.calls !== 'number' || typeof result.seconds !== 'number' || !Array.isArray(result.curve)) {
      throw new GdfoError('BAD_RECORD', `${where}.result: expected a cell result with metric, calls, seconds and curve`);
    }
    checkJson(cell, `${where}.cell`);
    defaultPair(cell);
    const config = cell as CellConfig;
    out.push({ id: cellId(config), config, result: (isObject(evidence) ? { ...result, evidence } : result) as JsonValue });
  });
  return out;
}
