import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '@gdfo/spec';
import { eventToJson } from '@gdfo/core';
import { loadRun, parseEventLine, parseEvents } from './load.js';
import { summaryRows, traces } from './series.js';
import { renderReport } from './html.js';
import { writeReport } from './write.js';

const base = { specVersion: '1.0' as const, time: 0 };
const EVENTS: RunEvent[] = [
  { ...base, type: 'run-start', runId: 'bbt-1', method: 'bbt', config: { strategy: 'cma-es', harmonizer: 'none' } },
  { ...base, type: 'generation', runId: 'bbt-1', generation: 0, calls: 10, bestFitness: 0.9, meanFitness: Infinity, sigma: 0.5 },
  { ...base, type: 'eval', runId: 'bbt-1', split: 'dev', calls: 10, metric: 'accuracy', value: 0.6, loss: NaN, improved: true },
  { ...base, type: 'generation', runId: 'bbt-1', generation: 1, calls: 20, bestFitness: 0.7, meanFitness: 1.1, sigma: 0.4 },
  { ...base, type: 'eval', runId: 'bbt-1', split: 'dev', calls: 20, metric: 'accuracy', value: 0.7, loss: 0.6, improved: true },
  { ...base, type: 'eval', runId: 'bbt-1', split: 'test', calls: 20, metric: 'accuracy', value: 0.68, improved: false },
  { ...base, type: 'run-end', runId: 'bbt-1', status: 'completed', result: { method: 'bbt', calls: 20 } },
  { ...base, type: 'run-start', runId: 'gdfo-1', method: 'gdfo', config: { strategy: 'cma-es', harmonizer: 'gradient-sample' } },
  { ...base, type: 'generation', runId: 'gdfo-1', generation: 0, calls: 10, bestFitness: 0.8, meanFitness: 1, sigma: 0.5, gradientCosine: 0.2 },
  { ...base, type: 'generation', runId: 'gdfo-1', generation: 1, calls: 20, bestFitness: 0.5, meanFitness: 0.9, sigma: 0.45, agreement: 0.4, gradientCosine: -0.1 },
  { ...base, type: 'eval', runId: 'gdfo-1', split: 'dev', calls: 20, metric: 'accuracy', value: 0.8, loss: 0.4, improved: true },
];

function runDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gdfo-report-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const jsonl = (events: readonly RunEvent[]) => events.map((e) => eventToJson(e)).join('\n') + '\n';
const RESULT = {
  config: { budget: 20 },
  results: [
    { method: 'manual', task: 't', metric: 'accuracy', calls: 0, evalCalls: 2, generations: 0, bestTrainFitness: null, dev: 0.55, test: 0.5, stopReason: 'completed' },
    { method: 'bbt', task: 't', metric: 'accuracy', calls: 20, evalCalls: 3, generations: 2, bestTrainFitness: 0.7, dev: 0.7, test: 0.68, stopReason: 'budget' },
    { method: 'gdfo', task: 't', metric: 'accuracy', calls: 20, evalCalls: 2, generations: 2, bestTrainFitness: 0.5, dev: 0.8, test: 0.75, stopReason: 'budget' },
  ],
};

describe('loading events', () => {
  it('revives non-finite numbers written as strings', () => {
    const lines = jsonl(EVENTS);
    expect(lines).toContain('"meanFitness":"Infinity"');
    expect(lines).toContain('"loss":"NaN"');
    const events = parseEvents(lines, 'events.jsonl');
    expect(events).toHaveLength(EVENTS.length);
    expect((events[1] as { meanFitness: number }).meanFitness).toBe(Infinity);
    expect((events[2] as { loss: number }).loss).toBeNaN();
  });

  it('names file and line of a bad line', () => {
    const good = jsonl(EVENTS.slice(0, 2));
    expect(() => parseEvents(good + '{"type":"generation",\n', '/r/events.jsonl')).toThrow(/^\/r\/events\.jsonl:3: invalid JSON: /);
    expect(() => parseEvents(good + '\n[1,2]\n', 'events.jsonl')).toThrow('events.jsonl:4: expected a run event object, got [1,2]');
    expect(() => parseEventLine('{"type":"party","runId":"x"}', 'e:1')).toThrow('e:1: "type" must be one of run-start, generation, eval, checkpoint, log, run-end, got "party"');
    expect(() => parseEventLine('{"type":"log","level":"info","message":"m"}', 'e:2')).toThrow('e:2: "runId" must be a non-empty string, got undefined');
    expect(() => parseEventLine('{"type":"generation","runId":"a","generation":0,"calls":"ten","bestFitness":1,"meanFitness":1}', 'e:3')).toThrow(
      'e:3: generation "calls" must be a number, got "ten"',
    );
    expect(() => parseEventLine('{"type":"generation","runId":"a","generation":0,"calls":1,"bestFitness":1}', 'e:4')).toThrow(
      'e:4: generation "meanFitness" must be a number, got nothing',
    );
    expect(() => parseEventLine('{"type":"eval","runId":"a","split":"train","calls":1,"value":1}', 'e:5')).toThrow('e:5: eval "split" must be "dev" or "test", got "train"');
    expect(() => parseEventLine('{"type":"run-start","runId":"a"}', 'e:6')).toThrow('e:6: run-start "method" must be a string, got undefined');
  });

  it('loads a run directory and names bad files', () => {
    const dir = runDir({ 'config.json': '{"budget": 20}', 'events.jsonl': jsonl(EVENTS), 'result.json': JSON.stringify(RESULT) });
    const run = loadRun(dir);
    expect(run.config).toEqual({ budget: 20 });
    expect(run.events).toHaveLength(EVENTS.length);
    expect(run.results?.map((r) => r.method)).toEqual(['manual', 'bbt', 'gdfo']);

    expect(() => loadRun(join(dir, 'nope'))).toThrow(`${join(dir, 'nope')}: no such run directory`);
    const empty = runDir({ 'config.json': '{}' });
    expect(() => loadRun(empty)).toThrow(`${empty}: not a gdfo run directory (neither events.jsonl nor result.json is there)`);
    const badResult = runDir({ 'result.json': '{\n  "config": {},\n  "results": [1,]\n}' });
    expect(() => loadRun(badResult)).toThrow(new RegExp(`^${join(badResult, 'result.json')}:3:17: invalid JSON`));
    const wrongShape = runDir({ 'result.json': '{"config": {}}' });
    expect(() => loadRun(wrongShape)).toThrow(`${join(wrongShape, 'result.json')}: expected { "config": ..., "results": [...] }, got keys config`);
    const badDev = runDir({ 'result.json': JSON.stringify({ results: [{ method: 'bbt', dev: '0.7' }] }) });
    expect(() => loadRun(badDev)).toThrow(`${join(badDev, 'result.json')}: results[0].dev must be a number or null, got "0.7"`);
    const badLine = runDir({ 'events.jsonl': jsonl(EVENTS.slice(0, 3)) + 'oops\n' });
    expect(() => loadRun(badLine)).toThrow(new RegExp(`^${join(badLine, 'events.jsonl')}:4: invalid JSON: `));
  });
});

describe('traces and summary', () => {
  it('groups by run, dedupes repeated generations and dev checks (later wins)', () => {
    const resumed: RunEvent[] = [
      ...EVENTS.slice(0, 5),
      { ...base, type: 'generation', runId: 'bbt-1', generation: 1, calls: 20, bestFitness: 0.65, meanFitness: 1, sigma: 0.4 },
      { ...base, type: 'eval', runId: 'bbt-1', split: 'dev', calls: 20, metric: 'accuracy', value: 0.72, loss: 0.5, improved: true },
    ];
    const [t] = traces(resumed);
    expect(t!.method).toBe('bbt');
    expect(t!.generations.map((g) => g.best)).toEqual([0.9, 0.65]);
    expect(t!.dev.map((d) => d.value)).toEqual([0.6, 0.72]);
    const all = traces(EVENTS);
    expect(all.map((x) => x.method)).toEqual(['bbt', 'gdfo']);
    expect(all[1]!.generations.map((g) => g.agreement)).toEqual([NaN, 0.4]);
    expect(all[0]!.test).toBe(0.68);
  });

  it('summarizes from result.json, or from events while the run goes on', () => {
    const finished = summaryRows({ dir: '/r', name: 'r', config: null, events: EVENTS, results: RESULT.results as never });
    expect(finished.map((r) => [r.method, r.harmonizer, r.dev, r.test])).toEqual([
      ['manual', '', 0.55, 0.5],
      ['bbt', 'none', 0.7, 0.68],
      ['gdfo', 'gradient-sample', 0.8, 0.75],
    ]);
    const running = summaryRows({ dir: '/r', name: 'r', config: null, events: EVENTS, results: null });
    expect(running.map((r) => [r.method, r.calls, r.bestTrain, r.dev, r.test, r.stopReason])).toEqual([
      ['bbt', 20, 0.7, 0.7, 0.68, 'completed'],
      ['gdfo', 20, 0.5, 0.8, null, 'running (no result.json yet)'],
    ]);
  });
});

describe('renderReport', () => {
  it('is one self-contained page with every plot, the table and no NaN in the drawing', () => {
    const html = renderReport([{ dir: '/runs/a', name: 'a', config: { budget: 20 }, events: EVENTS, results: RESULT.results as never }]);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    for (const kind of ['fitness', 'dev', 'sigma', 'agreement', 'cosine']) expect(html).toContain(`id="run0-${kind}" class="gdfo-plot" data-kind="${kind}" data-empty="false"`);
    expect(html).toContain('id="run0-table"');
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    expect(html).toContain("default-src 'none'");
    const drawn = [...html.matchAll(/ d="([^"]*)"/g)].map((m) => m[1]!).join(' ');
    expect(drawn).not.toMatch(/NaN|Infinity|undefined/);
    expect([...html.matchAll(/ c[xy]="([^"]*)"/g)].every((m) => Number.isFinite(Number(m[1])))).toBe(true);
    // The best dev and test of the table are marked.
    expect(html).toMatch(/<td class="num best">0\.8000<\/td><td class="num best">0\.7500<\/td>/);
    expect(html).not.toContain('id="comparison"');
  });

  it('compares methods across runs', () => {
    const a = { dir: '/runs/a', name: 'a', config: null, events: EVENTS, results: RESULT.results as never };
    const b = { ...a, dir: '/runs/b', name: 'b', results: RESULT.results.map((r) => ({ ...r, test: r.test + 0.1 })) as never };
    const html = renderReport([a, b]);
    expect(html).toContain('id="comparison"');
    expect(html).toContain('id="compare-plot" class="gdfo-plot" data-kind="compare" data-empty="false"');
    expect(html).toContain('id="run1-fitness"');
    // gdfo: test 0.75 and 0.85 → mean 0.8, sd √0.005.
    expect(html).toContain(`0.8000 ± ${Math.sqrt(0.005).toFixed(4)} <small>(n = 2)</small>`);
  });

  it('draws empty plots with a note for a run without generations', () => {
    const html = renderReport([{ dir: '/runs/m', name: 'm', config: null, events: [], results: [RESULT.results[0]] as never }]);
    expect(html).toContain('id="run0-fitness" class="gdfo-plot" data-kind="fitness" data-empty="true"');
    expect(html).toContain('no generations recorded');
  });

  it('writes the report atomically', () => {
    const dir = runDir({ 'config.json': '{}', 'events.jsonl': jsonl(EVENTS), 'result.json': JSON.stringify(RESULT) });
    mkdirSync(join(dir, 'out'));
    const w = writeReport([dir], join(dir, 'out', 'report.html'));
    expect(w.runs).toBe(1);
    expect(readFileSync(w.path).length).toBe(w.bytes);
    expect(() => writeReport([], join(dir, 'x.html'))).toThrow('report: expected at least one run directory');
  });
});
