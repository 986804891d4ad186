/**
 * `npm run bench -- fewshot` (options: `--help`, or ../usage.ts)
 *
 * The few-shot benchmark: every (task, method, seed) is a cell run by `@gdfo/sweep` — in this process, or on a
 * Redis queue with `--queue` — with results appended per cell (resumable: a finished cell never runs again).
 * Tasks with a test set report test; Yelp and DBPedia have none here and report dev (marked). Prints a
 * wall-time estimate up front, writes `fewshot.jsonl` (cells), `fewshot.json`, `fewshot.md` (a table like
 * the paper's) and `fewshot.html` (report of every cell's run), and ends with one JSON summary line.
 *
 * The default setting is BBT's scaled to a 2-core CPU: budget 2,000 calls, d = 500, λ = 20 as in BBT, but
 * L = 10 prompt positions (BBT: 50) and inputs cut to 48 positions (prompt included), and GDFO's student takes
 * K = 16 steps per generation. It was sized for the earlier 1.9 M-parameter teacher, on which the whole default
 * table took 1.2 h with @gdfo/kernels' native kernels; on the shipped `mlm-4x256` a call costs ≈ 0.23 s over 32
 * examples and the table is estimated at 5.6 h on two processes (from 48 measured cells; docs/benchmarks.md).
 * The estimate printed up front prices each cell with `cellCost`, in units measured on the finished cells of
 * the same setting in the results file when it has some, else by a probe of three calls.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { DEFAULT_STUDENT, DEFAULT_TEACHER, initBackend, resolveModelPath } from '@gdfo/models';
import { createLocalTeacher } from '@gdfo/adapter-local';
import { getTask } from '@gdfo/tasks';
import { cellRunner, kernelsName, mergeOverrides, METHOD_SPECS, type CellResult, type FewshotCell } from '@gdfo/cli';
import { parseEvents, writeReport } from '@gdfo/report';
import { cellId, readResults, ResultsWriter, runSweep } from '@gdfo/sweep';
import { curvesHtml, curvesSvg, evidenceFromEvents, markdownTable, recordsFromReport, summarize, type Row, type SearchEvidence } from '../fewshot-table.js';
import { arg } from '../args.js';

/** The search evidence of a cell's run directory (undefined when it is not here, e.g. run by a remote worker). */
function runEvidence(runDir: string): SearchEvidence | undefined {
  const file = join(runDir, 'events.jsonl');
  if (!existsSync(file)) return undefined;
  return evidenceFromEvents(parseEvents(readFileSync(file, 'utf8'), file) as unknown as Record<string, unknown>[]);
}

/** `cellRunner` with a line on stderr when each cell starts and ends (a `--jobs` child, or the one process). */
function loggedRunner(resultsDir: string): (c: FewshotCell) => Promise<CellResult> {
  const runCell = cellRunner(resultsDir);
  return async (c) => {
    const name = `${c.task}/${c.method}/${c.seed}`;
    console.error(`fewshot: ${name} started (${new Date().toISOString().slice(11, 19)})`);
    const r = await runCell(c);
    console.error(`fewshot: ${name} done in ${r.seconds} s: ${r.split} ${r.metric} ${r.value === null ? '-' : r.value.toFixed(4)}`);
    return r;
  };
}

/** Appends the finished cells of `files` (fewshot.json records) that the results file does not hold yet. */
function importRecords(files: readonly string[], resultsPath: string): void {
  const writer = new ResultsWriter(resultsPath);
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`--import ${file}: expected a fewshot.json record (${(err as Error).message})`);
    }
    const records = recordsFromReport(json, file, { teacher: DEFAULT_TEACHER, student: DEFAULT_STUDENT });
    const added = records.filter((r) => writer.append(r)).length;
    console.error(`fewshot: imported ${added} finished cells from ${file} (${records.length - added} already in ${resultsPath})`);
  }
}

/**
 * Cells that name no teacher ran on the default pair of their day, and their ids do not say which: a results
 * folder records that pair in `defaults.json` when first used, and a later run whose default pair differs is
 * refused (in one line naming the file) instead of taking the other pair's cells as its own.
 */
export function checkDefaultPair(resultsDir: string, pair: { readonly teacher: string; readonly student: string }): void {
  const file = join(resultsDir, 'defaults.json');
  if (!existsSync(file)) {
    writeFileSync(file, JSON.stringify({ teacher: pair.teacher, student: pair.student }) + '\n');
    return;
  }
  let held: { teacher?: unknown; student?: unknown };
  try {
    held = JSON.parse(readFileSync(file, 'utf8')) as typeof held;
  } catch (err) {
    throw new Error(`${file}: expected {"teacher": …, "student": …} (${(err as Error).message})`);
  }
  if (held.teacher !== pair.teacher || held.student !== pair.student) {
    throw new Error(`${file}: this folder's default cells ran on ${String(held.teacher)} → ${String(held.student)}, today's default pair is ${pair.teacher} → ${pair.student}; use another --results folder`);
  }
}

/** Seconds per teacher call on this machine, measured on a few calls. */
async function probeCallSeconds(teacherModel: string, promptLength: number, maxLength: number): Promise<number> {
  await initBackend();
  const task = await getTask('sst2');
  const teacher = await createLocalTeacher({ checkpoint: resolveModelPath(teacherModel), promptLength, maxLength });
  const req = { examples: task.train, template: task.template, verbalizer: task.verbalizer, prompt: { kind: 'none' as const }, purpose: 'dev' as const };
  await teacher.score(req);
  const t0 = performance.now();
  for (let i = 0; i < 3; i++) await teacher.score(req);
  await teacher.close();
  return (performance.now() - t0) / 3000;
}

/**
 * A wall-time model per cell, in units of one teacher call over 32 examples (what `probeCallSeconds` times):
 * training calls scale with the training set; dev checks every 100 calls; test scoring when the selection
 * changes (counted 6 times a run; the measured runs re-scored test 1–7 times, 3 typically); GDFO's K student steps per
 * generation (`studentStep` units each: ≈ 1.4 calls of the default teacher, fewer of a larger one — the student
 * does not grow with the teacher); white-box's 200 forward+backward steps over the training set (≈ 3.7 calls
 * each). Checked against the measured cells of the default setting (docs/benchmarks.md).
 */
export function cellCost(cell: FewshotCell, train: number, test: number, studentStep = 1.4): number {
  const size = train / 32;
  const testUnits = test / 32;
  const devChecks = (cell.budget / 100) * size;
  switch (cell.method) {
    case 'manual':
      return testUnits + size;
    case 'icl':
      return 2.5 * (testUnits + size);
    case 'kd':
      return 200 * studentStep + 10 * size + testUnits;
    case 'whitebox':
      return 200 * 3.7 * size + 10 * size + testUnits;
    default:
      // every GDFO variant (any harmonizer or generator); surrogate-screen's student scoring of κ·λ candidates is not counted
      if (METHOD_SPECS[cell.method]?.method === 'gdfo') return cell.budget * size + (cell.budget / cell.popSize) * cell.distillSteps * studentStep + devChecks + 6 * testUnits;
      return cell.budget * size + devChecks + 6 * testUnits;
  }
}

/**
 * Seconds per unit of `cellCost`, measured on the finished search cells of a results file that match `like`
 * (same teacher, kernels, prompt length and input length): their own times over their modelled units. The
 * probe times three calls at the moment it runs, so other work on the machine skews it; finished cells
 * average over whole runs (a cell resumed from a checkpoint counts only its resumed part, so it pulls the
 * figure down a little). Manual cells (a few seconds, mostly loading) are left out. Undefined when fewer than
 * `min` cells match.
 */
export function measuredSecondsPerUnit(
  records: Iterable<{ config: unknown; result: unknown }>,
  like: { promptLength: number; maxLength: number; kernels: string; teacher: string | undefined },
  sizeOf: (task: string) => { train: number; test: number } | undefined,
  studentStep: number,
  min = 3,
): { secondsPerUnit: number; cells: number } | undefined {
  let seconds = 0;
  let units = 0;
  let cells = 0;
  for (const rec of records) {
    const c = rec.config as FewshotCell;
    const r = rec.result as Partial<CellResult> | null;
    if (!r || typeof r.seconds !== 'number' || !(Number(r.calls) > 0)) continue;
    if (c.teacher !== like.teacher || c.kernels !== like.kernels || c.promptLength !== like.promptLength || c.maxLength !== like.maxLength) continue;
    const size = sizeOf(c.task);
    if (!size) continue;
    seconds += r.seconds;
    units += cellCost(c, size.train, size.test, studentStep);
    cells++;
  }
  return cells >= min && units > 0 ? { secondsPerUnit: seconds / units, cells } : undefined;
}

/** Deals cells to `n` shards, longest estimated cost first onto the least loaded shard. */
export function dealCells<T>(cells: readonly T[], n: number, cost: (c: T) => number): { cells: T[]; cost: number }[] {
  const shards = Array.from({ length: n }, () => ({ cells: [] as T[], cost: 0 }));
  const order = cells.map((c, i) => ({ c, i, w: cost(c) })).sort((a, b) => b.w - a.w || a.i - b.i);
  for (const { c, w } of order) {
    const s = shards.reduce((a, b) => (b.cost < a.cost ? b : a));
    s.cells.push(c);
    s.cost += w;
  }
  return shards;
}

/** Runs each shard in a child process (this bench with `--shard-file`); resolves to the number of failed shards. */
async function runShards(shards: { cells: FewshotCell[] }[], resultsDir: string, args: string[]): Promise<number> {
  const main = process.argv[1]!;
  const codes = await Promise.all(
    shards.map((sh, i) => {
      const file = join(resultsDir, `.shard-${process.pid}-${i}.json`); // unique per invocation: several may share a results folder
      writeFileSync(file, JSON.stringify(sh.cells));
      const child = spawn(process.execPath, [main, 'fewshot', ...args, '--shard-file', file], { stdio: ['ignore', 'ignore', 'pipe'] });
      // Each child's progress lines, prefixed with its shard.
      createInterface({ input: child.stderr! }).on('line', (line) => console.error(`[${i + 1}/${shards.length}] ${line}`));
      return new Promise<number>((res) =>
        child.on('close', (code) => {
          rmSync(file, { force: true });
          res(code ?? 1);
        }),
      );
    }),
  );
  return codes.filter((c) => c !== 0).length;
}

export async function run(args: string[]): Promise<void> {
  const started = performance.now();
  const tasks = arg(args, 'tasks', 'sst2,agnews,mrpc,rte,snli,yelp,dbpedia').split(',');
  const methods = arg(args, 'methods', 'manual,icl,bbt,bbtv2,gdfo,gdfo-mean-shift,kd,whitebox').split(',');
  const seeds = arg(args, 'seeds', '42').split(',').map(Number);
  const budget = Number(arg(args, 'budget', '2000'));
  const dim = Number(arg(args, 'dim', '500'));
  const popSize = Number(arg(args, 'pop-size', '20'));
  const promptLength = Number(arg(args, 'prompt-length', '10'));
  const maxLength = Number(arg(args, 'max-length', '48'));
  const distillSteps = Number(arg(args, 'distill-steps', '16'));
  // --teacher: another teacher model (a shipped name or a folder, e.g. ../shared/models/mlm-6x384); the cells
  // then carry it (the default cells do not, so their ids and results stay valid)
  const teacherArg = arg(args, 'teacher', '');
  // --overrides '{"harmonizer":{"options":{"threshold":0.1}}}': merged into every cell's experiment config and
  // carried by the cells (so their ids differ from the defaults'); how a tuning search varies K, β, τ, lr, …
  const overrides = arg(args, 'overrides', '');
  if (overrides) mergeOverrides({}, overrides, '--overrides');
  const resultsDir = resolve(arg(args, 'results', 'bench/results'));
  const queue = arg(args, 'queue', '');
  for (const m of methods) if (!METHOD_SPECS[m]) throw new Error(`--methods: unknown method "${m}"; known: ${Object.keys(METHOD_SPECS).join(', ')}`);
  mkdirSync(resultsDir, { recursive: true });
  checkDefaultPair(resultsDir, { teacher: DEFAULT_TEACHER, student: DEFAULT_STUDENT });
  const resultsPath = join(resultsDir, 'fewshot.jsonl');
  // The kernels are part of a cell: native and wasm matrix products differ by float rounding.
  await initBackend();
  const kernels = kernelsName();
  const cells: FewshotCell[] = [];
  for (const task of tasks) for (const method of methods) for (const seed of seeds) cells.push({ task, method, seed, budget, dim, popSize, promptLength, maxLength, distillSteps, kernels, ...(teacherArg ? { teacher: teacherArg } : {}), ...(overrides ? { overrides } : {}) });

  const shardFile = arg(args, 'shard-file', ''); // a child of `--jobs`: runs the cells it was dealt, estimates nothing
  // --import a.json,b.json: the finished cells of committed records (docs/results/fewshot-*.json) join the
  // results file, so a table started elsewhere resumes, is priced and is reported here (the parent does it once)
  const imports = shardFile ? '' : arg(args, 'import', '');
  if (imports) importRecords(imports.split(','), resultsPath);
  const finished = readResults(resultsPath);
  const pending = cells.filter((c) => !finished.has(cellId(c)));
  const reportOnly = args.includes('--report-only');
  // The cells' data split is always the shipped seed-42 one (the seeds are algorithm seeds), as in cellRunner.
  const sizes = new Map<string, { train: number; test: number }>();
  const sizeOf = (task: Awaited<ReturnType<typeof getTask>>) => ({ train: task.train.length, test: task.test?.length ?? 0 });
  for (const t of tasks) sizes.set(t, sizeOf(await getTask(t)));
  // The time model's unit, one teacher call over 32 examples: probed (not for --report-only, which runs
  // nothing, nor in a child), and measured on the finished cells of this setting where the results file has some.
  let callSeconds = 0;
  let studentStep = 1.4;
  let measured: ReturnType<typeof measuredSecondsPerUnit>;
  if (!reportOnly && !shardFile) {
    callSeconds = await probeCallSeconds(teacherArg || DEFAULT_TEACHER, promptLength, maxLength);
    // A student step costs ≈ 1.4 calls of the default teacher; another teacher's calls are priced by the probe.
    if (teacherArg) studentStep = (1.4 * (await probeCallSeconds(DEFAULT_TEACHER, promptLength, maxLength))) / callSeconds;
    // Finished cells of tasks not asked for this time calibrate too; one whose task cannot be loaded here does not.
    for (const t of new Set([...finished.values()].map((r) => String((r.config as { task?: unknown }).task)))) {
      if (sizes.has(t)) continue;
      const task = await getTask(t).catch(() => undefined);
      if (task) sizes.set(t, sizeOf(task));
    }
    measured = measuredSecondsPerUnit(finished.values(), { promptLength, maxLength, kernels, teacher: teacherArg || undefined }, (t) => sizes.get(t), studentStep);
  }
  const unitSeconds = measured?.secondsPerUnit ?? callSeconds;
  const costOf = (c: FewshotCell) => cellCost(c, sizes.get(c.task)!.train, sizes.get(c.task)!.test, studentStep) * unitSeconds;
  // Local runs use one process per core (tfjs wasm is single-threaded): cells are dealt to `--jobs` child
  // processes, longest estimated first onto the least loaded one, all appending to the same results file.
  const requestedJobs = queue || shardFile ? 1 : Math.max(1, Number(arg(args, 'jobs', String(availableParallelism()))));
  const jobs = Math.max(1, Math.min(requestedJobs, pending.length));
  /** The wall time of `these` cells dealt to `n` processes: the most loaded one's estimated cost. */
  const wallSeconds = (these: FewshotCell[], n: number) => {
    const dealt = dealCells(these, Math.max(1, Math.min(n, these.length)), costOf);
    return { shards: dealt, seconds: Math.max(0, ...dealt.map((sh) => sh.cost)) };
  };
  const { shards, seconds: estimate } = wallSeconds(pending, jobs);
  const setting = { budget, dim, popSize, promptLength, maxLength, distillSteps, seeds, teacher: teacherArg || DEFAULT_TEACHER, student: DEFAULT_STUDENT, kernels, ...(overrides ? { overrides: JSON.parse(overrides) as unknown } : {}) };
  if (!shardFile) {
    const where = queue ? ' of one worker (split over the queue workers)' : ` on ${jobs} process${jobs > 1 ? 'es' : ''}`;
    const unit = measured ? ` (${(measured.secondsPerUnit * 1000).toFixed(0)} ms a call over the ${measured.cells} finished search cells of this setting, used below)` : '';
    const priced = reportOnly ? 'report only' : `one teacher call ≈ ${(callSeconds * 1000).toFixed(0)} ms here${unit} → estimated wall time ${(estimate / 3600).toFixed(2)} h${where}`;
    console.error(`fewshot: ${cells.length} cells (${pending.length} to run, ${cells.length - pending.length} done); setting ${JSON.stringify(setting)}; ${priced}`);
  }
  if (args.includes('--estimate-only')) {
    console.log(
      JSON.stringify({
        bench: 'fewshot', estimate_only: true, cells: cells.length, pending: pending.length, jobs, estimated_hours: +(estimate / 3600).toFixed(2),
        // the same cells from scratch (a fresh results folder), on the same number of processes
        estimated_hours_all: +(wallSeconds(cells, requestedJobs).seconds / 3600).toFixed(2),
        call_ms: Math.round(callSeconds * 1000), ...(measured ? { measured_call_ms: Math.round(measured.secondsPerUnit * 1000), measured_cells: measured.cells } : {}), setting,
      }),
    );
    return;
  }
  let failed = 0;
  if (reportOnly) {
    // --report-only: tables and report from the cells finished so far; the others are '-' and listed as missing.
  } else if (shardFile) {
    // A child of `--jobs`: run the cells it was dealt, then leave the summary to the parent.
    const mine = JSON.parse(readFileSync(shardFile, 'utf8')) as FewshotCell[];
    const outcome = await runSweep(mine, loggedRunner(resultsDir) as unknown as Parameters<typeof runSweep>[1], { resultsPath });
    process.exitCode = outcome.failed.length ? 1 : 0;
    return;
  } else if (jobs > 1) {
    failed = await runShards(shards, resultsDir, args);
  } else {
    const outcome = await runSweep(cells, loggedRunner(resultsDir) as unknown as Parameters<typeof runSweep>[1], {
      resultsPath,
      // --workers: cells this process runs itself from the queue (default 1; 0 = only `gdfo worker`s elsewhere)
      ...(queue ? { queue: { connection: queue, workers: Number(arg(args, 'workers', '1')) } } : {}),
    });
    failed = outcome.failed.length;
  }
  const results = readResults(resultsPath);
  const rows: Row[] = cells.map((c) => {
    const stored = results.get(cellId(c))?.result as (CellResult & { evidence?: SearchEvidence }) | undefined;
    if (!stored) return { cell: c, result: undefined };
    // an imported cell carries the evidence its record had; a cell run here reads it from its run directory
    const { evidence: imported, ...result } = stored;
    const evidence = runEvidence(join(resultsDir, 'runs', cellId(c).slice(0, 16))) ?? imported;
    return { cell: c, result, ...(evidence ? { evidence } : {}) };
  });
  for (const r of rows) if (r.result) console.log(JSON.stringify({ bench: 'fewshot', ...r.cell, ...r.result, curve: undefined, evidence: r.evidence }));

  // Time: this invocation's wall clock, and the finished cells' own times (what a run from scratch would cost).
  const cellSeconds = rows.reduce((a, r) => a + (r.result?.seconds ?? 0), 0);
  const summary = { ...summarize(rows, tasks, methods, setting, failed), wall_s: Math.round((performance.now() - started) / 1000), cell_s: cellSeconds };
  writeFileSync(join(resultsDir, 'fewshot.json'), JSON.stringify({ summary, rows }, null, 2) + '\n');
  const table = markdownTable(rows, tasks, methods, setting);
  writeFileSync(join(resultsDir, 'fewshot.md'), table);
  // The curves as one SVG figure a person can open or put in a document (docs/results/fewshot-curves.svg).
  writeFileSync(join(resultsDir, 'fewshot-curves.svg'), curvesSvg(rows, tasks, methods, budget, `gdfo few-shot benchmark: ${setting.teacher} → ${setting.student}, ${budget} calls, seeds ${seeds.join(', ')}`));
  console.error(table);
  // Cells run by `gdfo worker`s elsewhere keep their run directories on those machines: the HTML report
  // covers the cells whose run directory is here.
  const runDirs = rows.filter((r) => r.result).map((r) => ({ dir: join(resultsDir, 'runs', cellId(r.cell).slice(0, 16)), name: `${r.cell.task} ${r.cell.method} ${r.cell.seed}` }));
  const local = runDirs.filter((d) => existsSync(d.dir));
  if (local.length < runDirs.length) console.error(`fewshot: ${runDirs.length - local.length} cell run directories are on other machines; the HTML report covers the ${local.length} here`);
  if (local.length) {
    writeReport(
      local.map((d) => d.dir),
      join(resultsDir, 'fewshot.html'),
      { title: 'gdfo few-shot benchmark', intro: curvesHtml(rows, tasks, methods, budget), names: local.map((d) => d.name) },
    );
  }
  console.log(JSON.stringify(summary));
}
