/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * End to end: real runs of the synthetic black box (BBT and GDFO) → run directories → report.html, opened in
 * headless Chromium. Every plot must have drawn lines or points, the legend must toggle series, and the page
 * must raise no console or page errors and make no request outside its own file.
 *
 * Needs Debian's chromium: `apt-get update && apt-get install -y chromium` (or GDFO_CHROMIUM=/path/to/chrome).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { createContainer, RunEventBus, writeEventsJsonl, writeFileAtomic } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { registerPipeline, runMethod, type MethodName, type MethodResult } from '@gdfo/pipeline';
import { createSyntheticTeacher, SyntheticStudent, SyntheticWorld, syntheticSpace } from '@gdfo/testing';
import { writeReport } from './write.js';

const CHROMIUM = process.env['GDFO_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What `gdfo run` writes, for the synthetic black box (small budget). */
async function syntheticRun(seed: number, methods: MethodName[], budget: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `gdfo-report-run-${seed}-`));
  const world = new SyntheticWorld({ dim: 30, width: 12, classes: 2, seed: 3, logitScale: 3, optimumScale: 0.4 });
  const task = world.task({ train: 32, dev: 32, test: 200 });
  const config = { task: 'synthetic', methods, budget, seed };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  const results: MethodResult[] = [];
  for (const method of methods) {
    const { registry } = createContainer({ seed });
    registerDfo(registry);
    registerLosses(registry);
    registerPipeline(registry);
    const events = new RunEventBus();
    const sink = writeEventsJsonl(events.events$, join(dir, 'events.jsonl'));
    try {
      results.push(
        await runMethod({
          method,
          task,
          teacher: createSyntheticTeacher(world),
          registry,
          seed,
          budget,
          popSize: 10,
          sigma0: 0.5,
          space: syntheticSpace(30),
          student: new SyntheticStudent(world, { seed, lr: 0.002 }),
          harmonizer: 'gradient-sample',
          pipeline: { evalEvery: 50, checkpointEvery: 0, distill: { steps: 8, batchSize: 32 } },
          events,
          runId: `${method}-synthetic-${seed}`,
        }),
      );
    } finally {
      events.complete();
      sink.unsubscribe();
    }
  }
  writeFileAtomic(join(dir, 'result.json'), JSON.stringify({ config, results }, null, 2));
  return dir;
}

interface PlotInfo {
  id: string;
  kind: string | null;
  empty: string | null;
  paths: number;
  pathLength: number;
  points: number;
  width: number;
  height: number;
}

describe('report.html in headless Chromium', () => {
  let browser: Browser | undefined;
  let runA: string;
  let runB: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: the report browser test needs it. Install it with \`apt-get update && apt-get install -y chromium\` (or set GDFO_CHROMIUM to a Chromium/Chrome binary).`,
      );
    }
    runA = await syntheticRun(42, ['manual', 'bbt', 'gdfo'], 200);
    runB = await syntheticRun(7, ['bbt', 'gdfo'], 100);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string) {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    const external: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    const plots: PlotInfo[] = await page.$$eval('svg.gdfo-plot', (svgs) =>
      svgs.map((svg) => {
        const paths = [...svg.querySelectorAll<SVGPathElement>('path.series-line')].filter((p) => (p.getAttribute('d') ?? '').length > 0);
        const box = svg.getBoundingClientRect();
        return {
          id: svg.id,
          kind: svg.getAttribute('data-kind'),
          empty: svg.getAttribute('data-empty'),
          paths: paths.length,
          pathLength: paths.reduce((s, p) => s + p.getTotalLength(), 0),
          points: svg.querySelectorAll('circle.series-point').length,
          width: box.width,
          height: box.height,
        };
      }),
    );
    return { page, plots, consoleErrors, pageErrors, external };
  }

  it('draws every plot of a BBT + GDFO run, with no errors and no network', async () => {
    const out = join(runA, 'report.html');
    writeReport([runA], out);
    const { page, plots, consoleErrors, pageErrors, external } = await open(out);
    try {
      expect(plots.map((p) => p.kind)).toEqual(['fitness', 'dev', 'sigma', 'agreement', 'cosine']);
      for (const p of plots) {
        expect([p.id, p.empty]).toEqual([p.id, 'false']);
        expect(p.paths + p.points).toBeGreaterThan(0);
        expect(p.width).toBeGreaterThan(300);
        expect(p.height).toBeGreaterThan(200);
      }
      const byKind = Object.fromEntries(plots.map((p) => [p.kind, p]));
      // Best and mean lines for two methods; 20 generations each (budget 200, 10 points per generation).
      expect(byKind['fitness']!.paths).toBe(4);
      expect(byKind['fitness']!.points).toBe(4 * 20);
      expect(byKind['fitness']!.pathLength).toBeGreaterThan(500);
      expect(byKind['sigma']!.paths).toBe(2);
      // BBT's and GDFO's dev checks, and the manual prompt's dev score (one point at 0 calls: the baseline)
      expect(byKind['dev']!.paths).toBe(3);
      // Only GDFO has a student: one moving-average line, points per measured generation.
      expect(byKind['agreement']!.paths).toBe(1);
      expect(byKind['agreement']!.points).toBeGreaterThanOrEqual(15);
      expect(byKind['cosine']!.paths).toBe(1);
      // The table lists the three methods.
      expect(await page.$$eval('#run0-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-method')))).toEqual(['manual', 'bbt', 'gdfo']);
      // Clicking a legend entry hides that method's series, clicking again shows them.
      const visible = () =>
        page.$$eval('#run0-fitness g.series[data-series="bbt"]', (gs) => gs.filter((g) => getComputedStyle(g).display !== 'none').length);
      expect(await visible()).toBe(2);
      await page.click('#run0-fitness g.legend-item[data-series="bbt"] >> nth=0');
      expect(await visible()).toBe(0);
      await page.click('#run0-fitness g.legend-item[data-series="bbt"] >> nth=0');
      expect(await visible()).toBe(2);
      expect(consoleErrors).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('compares methods across two runs', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gdfo-report-cmp-')), 'report.html');
    writeReport([runA, runB], out);
    const { page, plots, consoleErrors, pageErrors, external } = await open(out);
    try {
      expect(plots).toHaveLength(1 + 2 * 5);
      const cmp = plots.find((p) => p.id === 'compare-plot')!;
      expect(cmp.empty).toBe('false');
      // manual (run A only) + bbt and gdfo in both runs = 5 dots, 3 mean bars.
      expect(cmp.points).toBe(5);
      expect(cmp.paths).toBe(3);
      for (const p of plots) expect(p.paths + p.points).toBeGreaterThan(0);
      expect(await page.$$eval('#compare-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-method')))).toEqual(['manual', 'bbt', 'gdfo']);
      expect(consoleErrors).toEqual([]);
      expect(pageErrors).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
