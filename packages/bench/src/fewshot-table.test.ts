import type { CellResult, FewshotCell } from '@gdfo/cli';
import { cellId } from '@gdfo/sweep';
import { curveCharts, curvesHtml, curvesSvg, evidenceFromEvents, markdownTable, meanCurve, recordsFromReport, searchSummary, summarize, type Row } from './fewshot-table.js';

const setting = { budget: 2000 };
function row(task: string, method: string, value: number, curve: [number, number][], calls = 2000, seed = 42): Row {
  const cell: FewshotCell = { task, method, seed, budget: 2000, dim: 500, popSize: 20, promptLength: 10, maxLength: 48, distillSteps: 16, kernels: 'native' };
  const split = task === 'yelp' ? 'dev' : 'test';
  const points = curve.map(([c, v]) => ({ calls: c, value: v }));
  const at: Record<string, number> = {};
  for (const p of [200, 500, 1000, 2000]) {
    const hit = points.filter((q) => q.calls <= p).at(-1);
    if (hit) at[p] = hit.value;
  }
  const result: CellResult = { metric: 'accuracy', split, value, dev: value, calls, seconds: 10, curve: points, at };
  return { cell, result };
}

const rows: Row[] = [
  row('sst2', 'manual', 0.5, [], 0),
  row('rte', 'manual', 0.4, [], 0),
  row('yelp', 'manual', 0.6, [], 0),
  row('sst2', 'bbt', 0.7, [[20, 0.5], [420, 0.6], [2000, 0.7]]),
  row('rte', 'bbt', 0.5, [[20, 0.45], [2000, 0.5]]),
  row('yelp', 'bbt', 0.8, [[20, 0.7], [2000, 0.8]]),
  row('sst2', 'gdfo', 0.75, [[20, 0.5], [320, 0.72], [920, 0.75]]),
  row('rte', 'gdfo', 0.48, [[20, 0.48], [2000, 0.48]]),
  row('yelp', 'gdfo', 0.9, [[20, 0.9], [2000, 0.9]]),
];
const tasks = ['sst2', 'rte', 'yelp'];
const methods = ['manual', 'bbt', 'gdfo', 'whitebox'];

describe('few-shot table', () => {
  it('summarizes means, curve points, GDFO − BBT and the calls GDFO needed to reach BBT, by hand', () => {
    const s = summarize(rows, tasks, methods, setting, 0);
    expect(s.cells).toBe(9);
    expect(s.mean).toEqual({ manual: 0.5, bbt: 0.6667, gdfo: 0.71 }); // (0.5+0.4+0.6)/3, (0.7+0.5+0.8)/3, (0.75+0.48+0.9)/3
    expect(s.mean_test).toEqual({ manual: 0.45, bbt: 0.6, gdfo: 0.615 });
    expect(s.gdfo_minus_bbt).toBe(0.0433);
    // curve points over the test tasks: bbt at 200 → (0.5+0.45)/2, at 500 → (0.6+0.45)/2; gdfo at 500 → (0.72+0.48)/2
    expect(s.mean_at['200']).toEqual({ bbt: 0.475, gdfo: 0.49 });
    expect(s.mean_at['500']).toEqual({ bbt: 0.525, gdfo: 0.6 });
    expect(s.mean_at['2000']).toEqual({ bbt: 0.6, gdfo: 0.615 });
    // sst2: BBT's final 0.7 is reached by GDFO at its check after 320 calls; rte: GDFO never reaches 0.5
    expect(s.calls_to_bbt_final).toEqual({ gdfo: 'reached in 1 of 2 task-seed runs', per_task: { sst2: 320, rte: null }, per_seed: { sst2: { 42: 320 }, rte: { 42: null } } });
    expect(s.gdfo_minus_bbt_points).toBe(1.5); // (61.5 − 60.0) over sst2 and rte
    expect(s.per_task).toEqual({ sst2: { manual: 50, bbt: 70, gdfo: 75 }, rte: { manual: 40, bbt: 50, gdfo: 48 } });
    const ok = summarize(rows.filter((r) => r.cell.task !== 'rte'), ['sst2', 'yelp'], methods, setting, 0);
    expect(ok.calls_to_bbt_final.gdfo).toBe(320);
    expect(s.missing).toEqual([]);
    expect(summarize([...rows, { cell: { ...rows[0]!.cell, method: 'whitebox' }, result: undefined }], tasks, methods, setting, 0).missing).toEqual(['sst2/whitebox/42']);
  });

  it('over seeds: means ± sample std per task and of the test mean, GDFO − BBT in points, calls to BBT per seed', () => {
    const seeded = [
      ...rows.filter((r) => r.cell.task !== 'yelp'),
      row('sst2', 'bbt', 0.6, [[20, 0.5], [2000, 0.6]], 2000, 7),
      row('rte', 'bbt', 0.5, [[20, 0.5], [2000, 0.5]], 2000, 7),
      row('sst2', 'gdfo', 0.71, [[20, 0.61], [2000, 0.71]], 2000, 7),
      row('rte', 'gdfo', 0.52, [[20, 0.5], [2000, 0.52]], 2000, 7),
    ];
    const s = summarize(seeded, ['sst2', 'rte'], ['bbt', 'gdfo'], setting, 0);
    // per seed, mean over sst2 and rte: bbt 0.60 (42), 0.55 (7); gdfo 0.615, 0.615
    expect(s.mean_test).toEqual({ bbt: 0.575, gdfo: 0.615 });
    expect(s.mean_test_std).toEqual({ bbt: 0.0354, gdfo: 0 }); // √((0.025² + 0.025²) / 1)
    expect(s.gdfo_minus_bbt_points).toBe(4); // 61.5 − 57.5; per seed 1.5 and 6.5
    expect(s.gdfo_minus_bbt_points_std).toBe(3.54); // √((2.5² + 2.5²) / 1)
    expect(s.per_task).toEqual({ sst2: { bbt: 65, gdfo: 73 }, rte: { bbt: 50, gdfo: 50 } });
    expect(s.per_task_std).toEqual({ sst2: { bbt: 7.07, gdfo: 2.83 }, rte: { bbt: 0, gdfo: 2.83 } });
    // sst2: 320 (seed 42), 20 (seed 7: GDFO's first check already has BBT's 0.6); rte: seed 42 never reaches 0.5
    expect(s.calls_to_bbt_final).toEqual({ gdfo: 'reached in 3 of 4 task-seed runs', per_task: { sst2: 170, rte: null }, per_seed: { sst2: { 42: 320, 7: 20 }, rte: { 42: null, 7: 20 } } });
    const md = markdownTable(seeded, ['sst2', 'rte'], ['bbt', 'gdfo'], setting);
    expect(md).toContain('| BBT | 65.00 ± 7.07 | 50.00 ± 0.00 | 57.50 | 57.50 ± 3.54 | 40 |');
  });

  it('writes the markdown table with dev-only tasks marked and missing cells as "-"', () => {
    const md = markdownTable(rows, tasks, methods, setting);
    expect(md).toContain('| method | sst2 | rte | yelp (dev) | mean | mean (test tasks) | wall s |');
    expect(md).toContain('| BBT | 70.00 | 50.00 | 80.00 | 66.67 | 60.00 | 30 |');
    expect(md).toContain('| white-box prompt tuning (ceiling) | - | - | - | - | - | 0 |');
    expect(md).toContain('| GDFO (gradient-sample) | 49.00 | 60.00 | 61.50 | 61.50 |');
    expect(markdownTable(rows, ['yelp'], methods, setting)).not.toContain('Test metric'); // no test task, no test curve
  });

  it('draws one chart per task, flat dashed lines for methods without calls', () => {
    const html = curvesHtml(rows, tasks, methods, 2000);
    expect(html.match(/<svg/g)).toHaveLength(3);
    expect(html).toContain('<tr><th scope="row">BBT</th><td>70.00</td><td>50.00</td><td>80.00</td><td>66.67</td><td>60.00</td></tr>');
    expect(html).toContain('yelp: dev (no test set) metric of the dev-selected prompt');
    expect(html.match(/stroke-dasharray="5 3"/g)?.length).toBe(6); // manual on each task: its line and its legend swatch
  });

  it('reads the search evidence from generation events and averages it over seeds, by hand', () => {
    const gen = (generation: number, calls: number, best: number, extra: Record<string, number> = {}) => ({ type: 'generation', generation, calls, bestFitness: best, meanFitness: best + 0.1, ...extra });
    const events = [
      { type: 'run-start' },
      gen(1, 20, 0.6, { agreement: 0.2, gradientCosine: 0.1 }),
      gen(2, 200, 0.5, { agreement: 0.4, gradientCosine: -0.1 }),
      gen(3, 400, 0.55), // worse than before: the best seen within 500 calls stays 0.5
      gen(3, 400, 0.45, { agreement: 0.6 }), // the same generation again after a resume: the last one counts
      gen(4, 1200, 0.3, { gradientCosine: 0.3 }),
      { type: 'eval', split: 'dev', calls: 20, value: 0.5 },
      { type: 'eval', split: 'test', calls: 20, value: 0.9 }, // test never enters the evidence
      { type: 'eval', split: 'dev', calls: 420, value: 0.75 },
      { type: 'eval', split: 'dev', calls: 420, value: 0.625 }, // again after a resume: the last one counts
      { type: 'eval', split: 'dev', calls: 1020, value: 0.5 },
    ];
    const e = evidenceFromEvents(events)!;
    expect(e.agreement).toBe(0.4); // (0.2 + 0.4 + 0.6) / 3
    expect(e.cosine).toBe(0.1); // (0.1 − 0.1 + 0.3) / 3
    expect(e.trainLoss).toEqual({ 200: 0.5, 500: 0.45, 1000: 0.45, 2000: 0.3 });
    expect(e.devAt).toEqual({ 200: 0.5, 500: 0.625, 1000: 0.625, 2000: 0.5 });
    expect(evidenceFromEvents([{ type: 'run-start' }])).toBeUndefined();
    const bbt = evidenceFromEvents([gen(1, 20, 0.7), gen(2, 2000, 0.2)])!;
    expect(bbt).toEqual({ agreement: null, cosine: null, trainLoss: { 200: 0.7, 500: 0.7, 1000: 0.7, 2000: 0.2 }, devAt: {} });

    const seeded: Row[] = [
      { ...row('sst2', 'gdfo', 0.7, [[20, 0.7]], 2000, 42), evidence: e },
      { ...row('sst2', 'gdfo', 0.8, [[20, 0.8]], 2000, 7), evidence: { agreement: 0.2, cosine: 0.3, trainLoss: { 200: 0.7, 2000: 0.1 }, devAt: { 200: 0.75, 500: 0.625 } } },
      row('sst2', 'gdfo', 0.9, [[20, 0.9]], 2000, 13), // no run directory here: not counted
      { ...row('sst2', 'bbt', 0.6, [[20, 0.6]]), evidence: bbt },
    ];
    const s = searchSummary(seeded, 'gdfo', 'sst2')!;
    // dev = value in these rows: (0.7 + 0.8) / 2; the 500 and 1000 points are missing in seed 7: no partial mean
    expect(s).toEqual({ seeds: 2, dev: 0.75, agreement: 0.3, cosine: 0.2, train_loss_at: { 200: 0.6, 2000: 0.2 }, dev_of_best_at: { 200: 0.625, 500: 0.625 } });
    expect(summarize(seeded, ['sst2'], ['bbt', 'gdfo'], setting, 0).search).toEqual({
      sst2: { bbt: { seeds: 1, dev: 0.6, agreement: null, cosine: null, train_loss_at: { 200: 0.7, 500: 0.7, 1000: 0.7, 2000: 0.2 }, dev_of_best_at: {} }, gdfo: s },
    });
    const md = markdownTable(seeded, ['sst2'], ['bbt', 'gdfo'], setting);
    expect(md).toContain('| sst2 | GDFO (gradient-sample) | 2 | 75.00 | 0.600 | - | - | 0.200 | 62.5 | 62.5 | - | - | 0.300 | 0.200 |');
    expect(markdownTable(rows, tasks, methods, setting)).not.toContain('Search evidence'); // no evidence, no section
  });

  it('averages the selection curves over seeds as step functions, by hand; flat lines for methods without calls', () => {
    const seeded: Row[] = [
      row('sst2', 'bbt', 0.7, [[20, 0.5], [420, 0.6], [2000, 0.7]], 2000, 42),
      row('sst2', 'bbt', 0.8, [[20, 0.6], [320, 0.8]], 2000, 7),
      row('sst2', 'manual', 0.5, [], 0, 42),
      row('sst2', 'manual', 0.7, [], 0, 7),
    ];
    const close = (pts: { x: number; y: number }[]) => pts.map((p) => [p.x, +p.y.toFixed(6)]);
    // at 20: (0.5 + 0.6) / 2; 320: (0.5 + 0.8) / 2; 420: (0.6 + 0.8) / 2; 2000: (0.7 + 0.8) / 2
    expect(close(meanCurve(seeded, 'sst2', 'bbt', 2000)!.points)).toEqual([[20, 0.55], [320, 0.65], [420, 0.7], [2000, 0.75]]);
    expect(meanCurve(seeded, 'sst2', 'manual', 2000)).toEqual({ points: [{ x: 0, y: 0.6 }, { x: 2000, y: 0.6 }], seeds: 2, flat: true });
    expect(meanCurve(seeded, 'rte', 'bbt', 2000)).toBeUndefined();
    // a seed whose first check comes later: no mean before every seed has a value
    const late = [...seeded, row('sst2', 'bbt', 0.9, [[40, 0.9]], 2000, 13)];
    expect(close(meanCurve(late, 'sst2', 'bbt', 2000)!.points)[0]).toEqual([40, +((0.5 + 0.6 + 0.9) / 3).toFixed(6)]);
  });

  it('adds the dev-of-the-current-best and training-CE charts where the evidence is here, and writes them as one SVG', () => {
    const ev = (devAt: Record<string, number>, trainLoss: Record<string, number>) => ({ agreement: null, cosine: null, devAt, trainLoss });
    const seeded: Row[] = [
      { ...row('sst2', 'bbt', 0.7, [[20, 0.7]], 2000, 42), evidence: ev({ 200: 0.9, 2000: 0.7 }, { 200: 0.5, 2000: 0.1 }) },
      { ...row('sst2', 'bbt', 0.8, [[20, 0.8]], 2000, 7), evidence: ev({ 200: 0.8, 2000: 0.6 }, { 200: 0.4, 2000: 0.2 }) },
      row('rte', 'bbt', 0.5, [[20, 0.5]], 2000, 42),
    ];
    const charts = curveCharts(seeded, ['sst2', 'rte'], ['bbt'], 2000);
    expect(charts.map((c) => c.length)).toEqual([3, 1]); // rte has no evidence here
    expect(charts[0]![0]).toContain('sst2: test metric of the dev-selected prompt (mean of 2 seeds)');
    expect(charts[1]![0]).not.toContain('mean of');
    // the seeds behind the searches' curves, not the manual line's (which every seed has at no cost)
    const uneven: Row[] = [...seeded, row('sst2', 'gdfo', 0.7, [[20, 0.7]], 2000, 42), ...[42, 7, 13].map((s) => row('sst2', 'manual', 0.5, [], 0, s))];
    expect(curveCharts(uneven, ['sst2'], ['manual', 'bbt', 'gdfo'], 2000)[0]![0]).toContain('dev-selected prompt (mean of 1–2 seeds)');
    // dev of the current best: means (0.85 at 200, 0.65 at 2000) drawn as two points
    const dev = charts[0]![1]!;
    expect(dev).toContain("sst2: dev metric of the search&#39;s current best point");
    expect([...dev.matchAll(/<title>bbt: teacher calls (\d+), ([\d.]+)<\/title>/g)].map((m) => [Number(m[1]), Number(m[2])])).toEqual([
      [200, 0.85],
      [2000, 0.65],
    ]);
    expect(charts[0]![2]).toContain('sst2: best training CE');
    const svg = curvesSvg(seeded, ['sst2', 'rte'], ['bbt'], 2000, 'figure');
    expect(svg.match(/<svg/g)).toHaveLength(5);
    expect(svg).toMatch(/<svg x="0" y="384"[^>]*id="fewshot-curve-1"/); // rte starts the second row
  });
});

describe('recordsFromReport (bench fewshot --import)', () => {
  const evidence = { agreement: 0.05, cosine: 0.01, trainLoss: { 200: 0.5 }, devAt: { 200: 0.9 } };
  const pair = { teacher: 'mlm-4x256', student: 'mlm-2x128' };
  const record = { summary: { bench: 'fewshot', setting: pair }, rows: [{ ...rows[3]!, evidence }, rows[6]!, { cell: { ...rows[0]!.cell, seed: 7 } }] };
  it('turns a record\'s finished rows into results-file lines: the cell\'s id, its config, its result with the evidence', () => {
    const out = recordsFromReport(JSON.parse(JSON.stringify(record)), 'r.json', pair);
    expect(out).toHaveLength(2); // the row without a result is not a finished cell
    expect(out[0]!.id).toBe(cellId(rows[3]!.cell as never));
    expect(out[0]!.id).not.toBe(out[1]!.id);
    expect(out[0]!.config).toEqual(rows[3]!.cell);
    expect(out[0]!.result).toEqual({ ...rows[3]!.result, evidence });
    expect(out[1]!.result).toEqual(rows[6]!.result); // no evidence in the record: none added
  });
  it('names the file and the field that is not a record\'s', () => {
    expect(() => recordsFromReport({ summary: {} }, 'a.json', pair)).toThrow('a.json: rows: expected an array of { cell, result }');
    expect(() => recordsFromReport([1], 'a.json', pair)).toThrow('a.json: rows: expected');
    expect(() => recordsFromReport({ rows: [3] }, 'a.json', pair)).toThrow('a.json: rows[0]: expected an object { cell, result }');
    const bad = (cell: object, result: object = rows[3]!.result!) => () => recordsFromReport({ summary: record.summary, rows: [rows[3], { cell, result }] }, 'b.json', pair);
    expect(bad({ ...rows[3]!.cell, task: 3 })).toThrow('b.json: rows[1].cell.task: expected a string, got 3');
    expect(bad({ ...rows[3]!.cell, seed: '7' })).toThrow('b.json: rows[1].cell.seed: expected a number, got "7"');
    expect(bad(rows[3]!.cell, { value: 0.7 })).toThrow('b.json: rows[1].result: expected a cell result with metric, calls, seconds and curve');
    expect(bad({ ...rows[3]!.cell, dim: Infinity })).toThrow('b.json: rows[1].cell.dim');
  });
  it('refuses a record of another default pair, whose cells have the same ids as the current default\'s', () => {
    const old = { summary: { setting: { teacher: 'gdfo-teacher-mini', student: 'gdfo-student-tiny' } }, rows: record.rows };
    expect(() => recordsFromReport(old, 'old.json', pair)).toThrow('old.json: summary.setting.teacher: expected "mlm-4x256" (its cells carry no teacher, so they stand for the default pair\'s), got "gdfo-teacher-mini"');
    expect(() => recordsFromReport({ rows: record.rows }, 'bare.json', pair)).toThrow('bare.json: summary.setting.teacher: expected "mlm-4x256"');
    expect(() => recordsFromReport({ summary: { setting: { ...pair, student: 's' } }, rows: record.rows }, 's.json', pair)).toThrow('s.json: summary.setting.student');
    // a cell that names its teacher is that teacher's cell, whatever the default
    const other = { ...rows[3]!, cell: { ...rows[3]!.cell, teacher: '../shared/models/mlm-6x384' } };
    expect(recordsFromReport({ summary: old.summary, rows: [other] }, 'big.json', pair)[0]!.config).toEqual(other.cell);
  });
});
