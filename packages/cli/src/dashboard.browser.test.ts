/// <reference lib="dom" />
/**
 * `gdfo dashboard` in headless Chromium, watching a run that is still writing: the events of a real run of the
 * synthetic black box are written into a run directory in stages (with a half-written line in between), and
 * the open page must show each new generation without a reload, then the finished run.
 *
 * Needs Debian's chromium: `apt-get update && apt-get install -y chromium` (or GDFO_CHROMIUM=/path/to/chrome).
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runExperiment } from './experiment.js';
import { startDashboard, type Dashboard } from './dashboard.js';

const CHROMIUM = process.env['GDFO_CHROMIUM'] ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('gdfo dashboard in headless Chromium', () => {
  let browser: Browser | undefined;
  let dash: Dashboard | undefined;
  let source: string;
  let lines: string[];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: the dashboard browser test needs it. Install it with \`apt-get update && apt-get install -y chromium\` (or set GDFO_CHROMIUM).`);
    }
    // a real run (seconds): its events are what the live run below writes, stage by stage
    source = join(mkdtempSync(join(tmpdir(), 'gdfo-dash-src-')), 'run');
    await runExperiment({ task: { name: 'synthetic' }, methods: ['manual', 'bbt'], budget: 200, seed: 3 }, { runDir: source, progress: 'quiet', report: false });
    lines = readFileSync(join(source, 'events.jsonl'), 'utf8').trim().split('\n');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  }, 60_000);

  afterAll(async () => {
    await dash?.close();
    await browser?.close();
  });

  /** Index (in `lines`) just after the n-th generation event of bbt. */
  const afterGeneration = (n: number) => {
    let seen = -1;
    for (let i = 0; i < lines.length; i++) {
      const e = JSON.parse(lines[i]!) as { type: string; runId: string };
      if (e.type === 'generation' && e.runId.startsWith('bbt') && ++seen === n) return i + 1;
    }
    throw new Error(`no generation ${n} in the source run`);
  };
  const stat = (page: Page, key: string) => page.locator(`[data-stat="${key}"] .v`).textContent();
  const waitStat = (page: Page, key: string, value: string) =>
    page.waitForFunction(([k, v]) => document.querySelector(`[data-stat="${k}"] .v`)?.textContent === v, [key, value] as const, { timeout: 10_000 });

  it('shows the new generations of a run that is still writing, without a reload', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'gdfo-dash-runs-'));
    const live = join(runs, 'synthetic-live');
    mkdirSync(live);
    copyFileSync(join(source, 'config.json'), join(live, 'config.json'));
    const events = join(live, 'events.jsonl');
    const g2 = afterGeneration(2);
    writeFileSync(events, lines.slice(0, g2).join('\n') + '\n');

    dash = await startDashboard({ dir: runs, port: 0, pollMs: 100 });
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(dash!.url)) foreign.push(r.url());
    });

    // the index lists the run as running; its link opens the live page
    await page.goto(dash.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.locator('tr[data-run="synthetic-live"] td').nth(1).textContent()).toMatch(/^running \(or interrupted\): bbt 60\/200 calls$/);
    await page.click('a[href="/run/synthetic-live"]');
    await page.waitForSelector('body[data-ready="true"]');
    expect(await stat(page, 'method')).toBe('bbt');
    expect(await stat(page, 'generation')).toBe('2');
    expect(await stat(page, 'calls')).toBe('60/200');
    expect(await stat(page, 'eta')).toMatch(/^\d+:\d\d$/);
    // the method table counts generations; the fitness plot is drawn from them
    const generationsCell = () => page.locator('#run0-table tr[data-method="bbt"] td').nth(4).textContent();
    const fitnessSvg = () => page.locator('#run0-fitness').innerHTML();
    expect(await generationsCell()).toBe('3');
    const before = await fitnessSvg();
    // a mark that a reload would erase
    await page.evaluate(() => ((window as unknown as { noReload: number }).noReload = 42));

    // the run writes on: generations 3–5 and half of the next line
    const g5 = afterGeneration(5);
    const next = lines[g5]!;
    appendFileSync(events, lines.slice(g2, g5).join('\n') + '\n' + next.slice(0, Math.floor(next.length / 2)));
    await waitStat(page, 'generation', '5');
    expect(await stat(page, 'calls')).toBe('120/200');
    await page.waitForTimeout(400);
    expect(await stat(page, 'generation')).toBe('5'); // the half line is not read yet
    expect(await page.evaluate(() => (window as unknown as { noReload?: number }).noReload)).toBe(42);
    expect(await generationsCell()).toBe('6');
    expect(await fitnessSvg()).not.toBe(before);
    const devs = lines
      .slice(0, g5)
      .map((l) => JSON.parse(l) as { type: string; split?: string; runId: string; value?: number })
      .filter((e) => e.type === 'eval' && e.split === 'dev' && e.runId.startsWith('bbt'))
      .map((e) => e.value!);
    if (devs.length) expect(await stat(page, 'dev')).toBe(Math.max(...devs).toFixed(4));

    // the rest, then result.json: the page says finished
    appendFileSync(events, next.slice(Math.floor(next.length / 2)) + '\n' + lines.slice(g5 + 1).join('\n') + '\n');
    copyFileSync(join(source, 'result.json'), join(live, 'result.json'));
    await waitStat(page, 'state', 'finished');
    expect(await stat(page, 'eta')).toBe('done');
    expect(await stat(page, 'calls')).toBe('200/200');
    expect(await stat(page, 'methods')).toBe('2/2');
    expect(await page.locator('#run0-table tr[data-method="bbt"]').count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { noReload?: number }).noReload)).toBe(42);
    // the legend still toggles after the updates
    const item = page.locator('#run0-fitness g.legend-item').first();
    await item.click();
    expect(await item.getAttribute('class')).toContain('off');
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  }, 60_000);
});
