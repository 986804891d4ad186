/**
 * `npm run bench -- fewshot [--tasks a,b] [--methods a,b] [--seeds 42] [--budget 2000] [--dim 500]
 *   [--pop-size 20] [--prompt-length 50] [--results bench/results] [--queue redis://host:port [--workers 1]]
 *   [--estimate-only]`
 *
 * The few-shot benchmark: every (task, method, seed) is a cell run by `@gdfo/sweep` — in this process, or on a
 * Redis queue with `--queue` — with results appended per cell (resumable: a finished cell never runs again).
 * Tasks with a test set report test; Yelp and DBPedia have none here and report dev (marked). Prints a
 * wall-time estimate up front, writes `fewshot.jsonl` (cells), `fewshot.json`, `fewshot.md` (a table like
 * the paper's) and `fewshot.html` (report of every cell's run), and ends with one JSON summary line.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend, shippedCheckpoint } from '@gdfo/models';
import { createLocalTeacher } from '@gdfo/adapter-local';
import { getTask } from '@gdfo/tasks';
import { cellRunner, METHOD_SPECS, TASKS_WITH_TEST, type CellResult, type FewshotCell } from '@gdfo/cli';
import { writeReport } from '@gdfo/report';
import { cellId, readResults, runSweep } from '@gdfo/sweep';

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

/** Seconds per teacher call on this machine, measured on a few calls. */
async function probeCallSeconds(): Promise<number> {
  await initBackend();
  const task = await getTask('sst2');
  const teacher = await createLocalTeacher({ checkpoint: shippedCheckpoint('teacher'), promptLength: 50 });
  const req = { examples: task.train, template: task.template, verbalizer: task.verbalizer, prompt: { kind: 'none' as const }, purpose: 'dev' as const };
  await teacher.score(req);
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await teacher.score(req);
  await teacher.close();
  return (performance.now() - t0) / 3000;
}

/** A rough wall-time model per cell, in teacher-call units (student work and evaluations included). */
function cellCost(cell: FewshotCell, classesOf: (t: string) => number): number {
  const perClassCalls = classesOf(cell.task) / 2; // larger tasks have more training examples per call
  const evals = (cell.budget / 100) * 30; // dev + test-curve evaluations
  switch (cell.method) {
    case 'manual':
    case 'icl':
      return 30;
    case 'kd':
      return 200 * 0.8 + 30;
    case 'whitebox':
      return 200 * 7 + 60;
    case 'gdfo':
    case 'gdfo-mean-shift':
      return (cell.budget * 1 + (cell.budget / cell.popSize) * 25) * perClassCalls + evals;
    default:
      return cell.budget * perClassCalls + evals;
  }
}

export async function run(args: string[]): Promise<void> {
  const tasks = arg(args, 'tasks', 'sst2,agnews,mrpc,rte,snli,yelp,dbpedia').split(',');
  const methods = arg(args, 'methods', 'manual,icl,bbt,bbtv2,gdfo,gdfo-mean-shift,kd,whitebox').split(',');
  const seeds = arg(args, 'seeds', '42').split(',').map(Number);
  const budget = Number(arg(args, 'budget', '2000'));
  const dim = Number(arg(args, 'dim', '500'));
  const popSize = Number(arg(args, 'pop-size', '20'));
  const promptLength = Number(arg(args, 'prompt-length', '50'));
  const resultsDir = resolve(arg(args, 'results', 'bench/results'));
  const queue = arg(args, 'queue', '');
  for (const m of methods) if (!METHOD_SPECS[m]) throw new Error(`--methods: unknown method "${m}"; known: ${Object.keys(METHOD_SPECS).join(', ')}`);
  mkdirSync(resultsDir, { recursive: true });
  const resultsPath = join(resultsDir, 'fewshot.jsonl');
  const cells: FewshotCell[] = [];
  for (const task of tasks) for (const method of methods) for (const seed of seeds) cells.push({ task, method, seed, budget, dim, popSize, promptLength });

  const done = new Set(readResults(resultsPath).keys());
  const pending = cells.filter((c) => !done.has(cellId(c)));
  const callSeconds = await probeCallSeconds();
  const classes: Record<string, number> = { sst2: 2, yelp: 2, agnews: 4, dbpedia: 14, mrpc: 2, rte: 2, snli: 3 };
  const estimate = pending.reduce((s, c) => s + cellCost(c, (t) => classes[t] ?? 2), 0) * callSeconds;
  const setting = { budget, dim, popSize, promptLength, k: 16, seeds, teacher: 'gdfo-teacher-mini', student: 'gdfo-student-tiny' };
  console.error(
    `fewshot: ${cells.length} cells (${pending.length} to run, ${cells.length - pending.length} done); setting ${JSON.stringify(setting)}; ` +
      `one teacher call ≈ ${(callSeconds * 1000).toFixed(0)} ms here → estimated wall time ${(estimate / 3600).toFixed(2)} h${queue ? ' (split over the queue workers)' : ''}`,
  );
  if (args.includes('--estimate-only')) {
    console.log(JSON.stringify({ bench: 'fewshot', estimate_only: true, cells: cells.length, pending: pending.length, estimated_hours: +(estimate / 3600).toFixed(2), setting }));
    return;
  }
  const outcome = await runSweep(cells, cellRunner(resultsDir) as unknown as Parameters<typeof runSweep>[1], {
    resultsPath,
    // --workers: cells this process runs itself from the queue (default 1; 0 = only `gdfo worker`s elsewhere)
    ...(queue ? { queue: { connection: queue, workers: Number(arg(args, 'workers', '1')) } } : {}),
  });
  const results = readResults(resultsPath);
  const rows = cells.map((c) => ({ cell: c, result: results.get(cellId(c))?.result as CellResult | undefined }));
  for (const r of rows) if (r.result) console.log(JSON.stringify({ bench: 'fewshot', ...r.cell, ...r.result, curve: undefined }));

  // Aggregates: mean over the cells of each method (cells with a value).
  const mean: Record<string, number> = {};
  for (const m of methods) {
    const vs = rows.filter((r) => r.cell.method === m && r.result?.value !== null && r.result?.value !== undefined).map((r) => r.result!.value!);
    if (vs.length) mean[m] = +(vs.reduce((a, b) => a + b, 0) / vs.length).toFixed(4);
  }
  // Calls GDFO needed to reach BBT's final metric on the same task and seed (from GDFO's test curve).
  const reach: number[] = [];
  for (const r of rows.filter((x) => x.cell.method === 'gdfo' && x.result)) {
    const bbt = rows.find((x) => x.cell.method === 'bbt' && x.cell.task === r.cell.task && x.cell.seed === r.cell.seed)?.result;
    if (!bbt || bbt.value === null || bbt.split !== 'test') continue;
    const hit = r.result!.curve.find((p) => p.value >= bbt.value!);
    reach.push(hit ? hit.calls : Infinity);
  }
  const finite = reach.filter(Number.isFinite);
  const summary = {
    bench: 'fewshot',
    cells: rows.filter((r) => r.result).length,
    setting,
    mean,
    gdfo_minus_bbt: mean['gdfo'] !== undefined && mean['bbt'] !== undefined ? +(mean['gdfo'] - mean['bbt']).toFixed(4) : null,
    calls_to_bbt_final: { gdfo: finite.length === reach.length && reach.length ? Math.round(finite.reduce((a, b) => a + b, 0) / finite.length) : reach.length ? `reached in ${finite.length}/${reach.length} cells` : null },
    failed: outcome.failed.length,
  };
  writeFileSync(join(resultsDir, 'fewshot.json'), JSON.stringify({ summary, rows }, null, 2) + '\n');
  writeFileSync(join(resultsDir, 'fewshot.md'), markdownTable(tasks, methods, rows, setting));
  // Cells run by `gdfo worker`s elsewhere keep their run directories on those machines: the HTML report
  // covers the cells whose run directory is here.
  const runDirs = rows.filter((r) => r.result).map((r) => join(resultsDir, 'runs', cellId(r.cell).slice(0, 16)));
  const local = runDirs.filter((d) => existsSync(d));
  if (local.length < runDirs.length) console.error(`fewshot: ${runDirs.length - local.length} cell run directories are on other machines; the HTML report covers the ${local.length} here`);
  if (local.length) writeReport(local, join(resultsDir, 'fewshot.html'), { title: 'gdfo few-shot benchmark' });
  console.log(JSON.stringify(summary));
}

function markdownTable(tasks: string[], methods: string[], rows: { cell: FewshotCell; result: CellResult | undefined }[], setting: object): string {
  const head = `| method | ${tasks.map((t) => (TASKS_WITH_TEST.has(t) ? t : `${t} (dev)`)).join(' | ')} | mean |`;
  const lines = [`Setting: ${JSON.stringify(setting)}`, '', head, `|${' --- |'.repeat(tasks.length + 2)}`];
  for (const m of methods) {
    const vals = tasks.map((t) => {
      const vs = rows.filter((r) => r.cell.method === m && r.cell.task === t && r.result?.value != null).map((r) => r.result!.value!);
      return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
    });
    const present = vals.filter((v): v is number => v !== null);
    const mean = present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
    lines.push(`| ${m} | ${vals.map((v) => (v === null ? '-' : (100 * v).toFixed(2))).join(' | ')} | ${mean === null ? '-' : (100 * mean).toFixed(2)} |`);
  }
  return lines.join('\n') + '\n';
}
