/** The dashboard server without a browser: routes, loopback guard, live stats and the event stream. */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveStats, startDashboard, statsHtml, type Dashboard } from './dashboard.js';

const ev = (o: Record<string, unknown>) => JSON.stringify({ specVersion: '1.0', runId: 'bbt-synthetic-1', ...o });
const gen = (g: number, time: number, extra: Record<string, unknown> = {}) =>
  ev({ type: 'generation', time, generation: g, calls: (g + 1) * 20, bestFitness: 1 - g / 10, meanFitness: 1.2 - g / 10, sigma: 0.9 ** g, ...extra });

function runDir(parent: string, name: string, lines: string[]): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ config: { budget: 200, methods: ['manual', 'bbt', 'gdfo'] } }));
  writeFileSync(join(dir, 'events.jsonl'), lines.map((l) => l + '\n').join(''));
  return dir;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('liveStats', () => {
  it('reads fitness, dev, σ, agreement, calls, cost and an ETA over this and the remaining methods', () => {
    const events = [
      JSON.parse(ev({ type: 'run-start', time: 1000, method: 'bbt', config: {} })),
      JSON.parse(gen(0, 2000)),
      JSON.parse(ev({ type: 'eval', time: 2100, split: 'dev', calls: 20, metric: 'accuracy', value: 0.625, improved: true })),
      JSON.parse(gen(1, 3000, { agreement: 0.5, costUsd: 0.0123 })),
      JSON.parse(ev({ type: 'eval', time: 3100, split: 'dev', calls: 40, metric: 'accuracy', value: 0.5, improved: false })),
    ];
    const s = liveStats({ dir: '/x', name: 'x', config: { config: { budget: 200, methods: ['manual', 'bbt', 'gdfo'] } }, events, results: [{ method: 'manual' }] as never });
    expect(s).toMatchObject({ method: 'bbt', generation: 1, calls: 40, budget: 200, fitness: 0.9, dev: 0.625, metric: 'accuracy', agreement: 0.5, costUsd: 0.0123, done: false });
    expect(s.sigma).toBeCloseTo(0.9);
    // 2000 ms for 40 calls: 160 calls left in bbt + 200 in gdfo → 360 × 50 ms
    expect(s.etaMs).toBe(18_000);
    const html = statsHtml(s);
    expect(html).toContain('<span class="v">40/200</span>');
    expect(html).toContain('<span class="v">$0.0123</span>');
    expect(html).toContain('data-stat="eta"><b>ETA</b> <span class="v">0:18</span>');
    const finished = liveStats({ dir: '/x', name: 'x', config: { config: { budget: 200, methods: ['bbt'] } }, events, results: [{ method: 'bbt' }] as never });
    expect(finished.done).toBe(true);
    expect(finished.etaMs).toBe(0);
  });
});

describe('startDashboard', () => {
  let dash: Dashboard | undefined;
  afterEach(async () => {
    await dash?.close();
    dash = undefined;
  });

  it('serves a folder of runs on 127.0.0.1: an index, run pages, 404s, and refuses other hosts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gdfo-dash-'));
    runDir(root, 'run-a', [ev({ type: 'run-start', time: 1, method: 'bbt', config: {} }), gen(0, 2)]);
    runDir(root, 'run-b', [ev({ type: 'run-start', time: 5, method: 'bbt', config: {} })]);
    mkdirSync(join(root, 'not-a-run'));
    dash = await startDashboard({ dir: root, port: 0, pollMs: 50 });
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await get(dash.url);
    expect(index.status).toBe(200);
    expect(index.body).toContain('<a href="/run/run-a">run-a</a>');
    expect(index.body).not.toContain('not-a-run');
    // newest first: run-b's last event is later
    expect(index.body.indexOf('data-run="run-b"')).toBeLessThan(index.body.indexOf('data-run="run-a"'));
    expect(index.body.indexOf('data-run="run-b"')).toBeGreaterThan(0);
    const page = await get(`${dash.url}run/run-a`);
    expect(page.body).toContain('data-stat="generation"><b>generation</b> <span class="v">0</span>');
    expect(page.body).toContain('id="run0-fitness"');
    expect((await get(`${dash.url}run/nope`)).status).toBe(404);
    expect((await get(`${dash.url}run/..%2F..%2Fetc`)).status).toBe(404);
    const evil = await get(dash.url, { host: 'attacker.example:80' });
    expect(evil.status).toBe(403);
  });

  it('redirects / to the run page when given one run directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gdfo-dash-'));
    const dir = runDir(root, 'only', [ev({ type: 'run-start', time: 1, method: 'bbt', config: {} })]);
    dash = await startDashboard({ dir, port: 0 });
    const res = await get(dash.url);
    expect(res.status).toBe(302);
    expect(res.headers['location']).toBe('/run/only');
  });

  it('pushes an update on the event stream when a complete line is appended, not for half a line', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gdfo-dash-'));
    const dir = runDir(root, 'live', [ev({ type: 'run-start', time: 1, method: 'bbt', config: {} }), gen(0, 2)]);
    dash = await startDashboard({ dir: root, port: 0, pollMs: 30 });
    const updates: { version: number; status: string }[] = [];
    const req = request(`${dash.url}events/run/live`, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data: (.*)$/m.exec(block);
          if (data && /^event: update$/m.test(block)) updates.push(JSON.parse(data[1]!) as { version: number; status: string });
        }
      });
    });
    req.end();
    const waitFor = async (n: number) => {
      for (let t = 0; t < 100 && updates.length < n; t++) await new Promise((r) => setTimeout(r, 20));
      expect(updates.length).toBeGreaterThanOrEqual(n);
    };
    await waitFor(1);
    expect(updates[0]!.status).toContain('<span class="v">0</span>');
    const line = gen(1, 3);
    appendFileSync(join(dir, 'events.jsonl'), line.slice(0, 30));
    await new Promise((r) => setTimeout(r, 200));
    // the half line changed the file, so an update may come, but it still shows generation 0
    expect(updates[updates.length - 1]!.status).toContain('data-stat="generation"><b>generation</b> <span class="v">0</span>');
    const before = updates.length;
    appendFileSync(join(dir, 'events.jsonl'), line.slice(30) + '\n');
    await waitFor(before + 1);
    expect(updates[updates.length - 1]!.status).toContain('data-stat="generation"><b>generation</b> <span class="v">1</span>');
    req.destroy();
  });

  it('refuses a missing folder and a busy port in one line', async () => {
    await expect(startDashboard({ dir: '/nonexistent/runs' })).rejects.toThrow('/nonexistent/runs: no such folder (expected a run directory or a folder of them, such as runs/)');
    const root = mkdtempSync(join(tmpdir(), 'gdfo-dash-'));
    dash = await startDashboard({ dir: root, port: 0 });
    await expect(startDashboard({ dir: root, port: dash.port })).rejects.toThrow(`--port ${dash.port}: already in use (pass --port 0 for any free port)`);
    const index = await get(dash.url);
    expect(index.body).toContain('No run directories in');
  });
});
