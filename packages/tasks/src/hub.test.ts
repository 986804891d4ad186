import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchHubRows, loadHubExamples, type FetchLike } from './hub.js';
import { getTask } from './tasks.js';

type Row = Record<string, unknown>;

/** A loopback server speaking the datasets-server rows API over an in-memory table. */
const table = new Map<string, Row[]>();
const requests: { dataset: string; split: string; offset: number; length: number }[] = [];
let server: Server;
let base = '';

function key(dataset: string, config: string, split: string): string {
  return `${dataset}|${config}|${split}`;
}

beforeAll(async () => {
  // 250 rows, labels alternating 0/1
  table.set(key('toy/ds', 'default', 'train'), Array.from({ length: 250 }, (_, i) => ({ text: `row ${i}`, label: i % 2 })));
  // GLUE-shaped sst2 with 300 train rows and 60 validation rows
  table.set(key('nyu-mll/glue', 'sst2', 'train'), Array.from({ length: 300 }, (_, i) => ({ sentence: `s${i}`, label: i % 2, idx: i })));
  table.set(key('nyu-mll/glue', 'sst2', 'validation'), Array.from({ length: 60 }, (_, i) => ({ sentence: `v${i}`, label: (i >> 1) % 2, idx: i })));
  // SNLI-shaped with some unlabeled (-1) rows
  table.set(
    key('stanfordnlp/snli', 'plain_text', 'train'),
    Array.from({ length: 120 }, (_, i) => ({ premise: `p${i}`, hypothesis: `h${i}`, label: i % 10 === 9 ? -1 : i % 3 })),
  );
  table.set(
    key('stanfordnlp/snli', 'plain_text', 'test'),
    Array.from({ length: 30 }, (_, i) => ({ premise: `tp${i}`, hypothesis: `th${i}`, label: i % 3 })),
  );
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (url.pathname !== '/rows') return send(404, { error: 'Not found' });
    const q = (n: string) => url.searchParams.get(n) ?? '';
    if (q('dataset') === 'boom/ds') return send(500, 'internal <b>error</b>');
    const rows = table.get(key(q('dataset'), q('config'), q('split')));
    if (!rows) return send(404, { error: 'The dataset does not exist, or is not accessible without authentication.' });
    const offset = Number(q('offset'));
    const length = Number(q('length'));
    if (!(length >= 1 && length <= 100)) return send(422, { error: 'Parameter "length" must be between 1 and 100.' });
    requests.push({ dataset: q('dataset'), split: q('split'), offset, length });
    const page = rows.slice(offset, offset + length).map((row, i) => ({
      row_idx: offset + i,
      row,
      truncated_cells: q('dataset') === 'trunc/ds' ? ['text'] : [],
    }));
    send(200, { features: [], rows: page, num_rows_total: rows.length, num_rows_per_page: 100, partial: false });
  });
  table.set(key('trunc/ds', 'default', 'train'), [{ text: 'long', label: 0 }]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  requests.length = 0;
});

describe('fetchHubRows (datasets-server rows API)', () => {
  it('pages through a split 100 rows at a time', async () => {
    const r = await fetchHubRows({ baseUrl: base, dataset: 'toy/ds', config: 'default', split: 'train' });
    expect(r.total).toBe(250);
    expect(r.rows.length).toBe(250);
    expect(r.rows.map((x) => x.rowIdx)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(r.rows[249]?.row).toEqual({ text: 'row 249', label: 1 });
    expect(requests.map((q) => [q.offset, q.length])).toEqual([
      [0, 100],
      [100, 100],
      [200, 50],
    ]);
  });

  it('honours offset, length and pageSize', async () => {
    const r = await fetchHubRows({ baseUrl: base, dataset: 'toy/ds', config: 'default', split: 'train', offset: 30, length: 120 });
    expect(r.rows.map((x) => x.rowIdx)).toEqual(Array.from({ length: 120 }, (_, i) => 30 + i));
    expect(requests.map((q) => [q.offset, q.length])).toEqual([
      [30, 100],
      [130, 20],
    ]);
    requests.length = 0;
    const s = await fetchHubRows({ baseUrl: base, dataset: 'toy/ds', config: 'default', split: 'train', offset: 240, pageSize: 7 });
    expect(s.rows.length).toBe(10);
    expect(requests.map((q) => [q.offset, q.length])).toEqual([
      [240, 7],
      [247, 3],
    ]);
  });

  it('uses an injected fetch and sends the token', async () => {
    const seen: { url: string; auth: string | undefined }[] = [];
    const f: FetchLike = async (url, init) => {
      seen.push({ url, auth: init?.headers?.authorization });
      return fetch(url);
    };
    await fetchHubRows({ baseUrl: `${base}/`, fetch: f, token: 'hf_x', dataset: 'toy/ds', config: 'default', split: 'train', length: 5 });
    expect(seen).toEqual([{ url: `${base}/rows?dataset=toy%2Fds&config=default&split=train&offset=0&length=5`, auth: 'Bearer hf_x' }]);
  });

  it('turns an HTTP error into one line with the server message', async () => {
    await expect(fetchHubRows({ baseUrl: base, dataset: 'nope/ds', config: 'default', split: 'train' })).rejects.toThrow(
      `hub: GET ${base}/rows?dataset=nope%2Fds&config=default&split=train&offset=0&length=100 failed with HTTP 404: The dataset does not exist, or is not accessible without authentication.`,
    );
    await expect(fetchHubRows({ baseUrl: base, dataset: 'boom/ds', config: 'c', split: 's' })).rejects.toThrow(
      'failed with HTTP 500: internal <b>error</b>',
    );
    await expect(fetchHubRows({ baseUrl: base, dataset: 'trunc/ds', config: 'default', split: 'train' })).rejects.toThrow(
      'row 0 has truncated cells (text)',
    );
    await expect(fetchHubRows({ baseUrl: base, dataset: 'toy/ds', config: 'default', split: 'train', pageSize: 101 })).rejects.toThrow(
      'hub: pageSize must be an integer in 1..100, got 101',
    );
  });

  it('reports a network failure in one line', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await fetchHubRows({ baseUrl: `http://127.0.0.1:${port}`, dataset: 'a', config: 'b', split: 'c' }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^hub: GET http:\/\/127\.0\.0\.1:\d+\/rows\?.* failed: /);
  });
});

describe('loadHubExamples and getTask(source: hub)', () => {
  it('validates rows, drops unlabeled rows and names the row in errors', async () => {
    const ex = await loadHubExamples({
      baseUrl: base,
      dataset: 'stanfordnlp/snli',
      config: 'plain_text',
      split: 'train',
      classes: 3,
      pair: true,
      fields: { text: 'premise', textB: 'hypothesis' },
      dropLabels: [-1],
    });
    expect(ex.length).toBe(108);
    expect(ex[0]).toEqual({ id: 'train-0', text: 'p0', textB: 'h0', label: 0 });
    await expect(
      loadHubExamples({ baseUrl: base, dataset: 'stanfordnlp/snli', config: 'plain_text', split: 'train', classes: 3, pair: true, fields: { text: 'premise', textB: 'hypothesis' } }),
    ).rejects.toThrow('hf:stanfordnlp/snli/plain_text/train:9: field "label": expected an integer class id in 0..2, got -1');
  });

  it('builds a k-shot task from random pages of the train split and a test set', async () => {
    const task = await getTask('sst2', { source: 'hub', k: 4, seed: 3, hub: { baseUrl: base, poolSize: 150, testSize: 50 } });
    expect(task.train.length).toBe(8);
    expect(task.dev.length).toBe(8);
    expect(task.test?.length).toBe(50);
    for (const c of [0, 1]) {
      expect(task.train.filter((e) => e.label === c).length).toBe(4);
      expect(task.dev.filter((e) => e.label === c).length).toBe(4);
    }
    const trainIds = new Set(task.train.map((e) => e.id));
    expect(task.dev.some((e) => trainIds.has(e.id))).toBe(false);
    expect(task.verbalizer.words).toEqual(['bad', 'great']);
    // page 0 is read first; the pool then stops as soon as each class has 2k = 8 examples
    const trainReqs = requests.filter((q) => q.split === 'train');
    expect(trainReqs[0]).toEqual({ dataset: 'nyu-mll/glue', split: 'train', offset: 0, length: 100 });
    expect(trainReqs.length).toBe(1);
    const again = await getTask('sst2', { source: 'hub', k: 4, seed: 3, hub: { baseUrl: base, poolSize: 150, testSize: 50 } });
    expect(again.train.map((e) => e.id)).toEqual(task.train.map((e) => e.id));
  });

  it('reads the whole split when it is smaller than the pool', async () => {
    const task = await getTask('snli', { source: 'hub', k: 3, hub: { baseUrl: base } });
    expect(task.train.length).toBe(9);
    expect(task.test?.length).toBe(30);
    expect(task.test?.[0]).toEqual({ id: 'test-0', text: 'tp0', textB: 'th0', label: 0 });
  });

  it('refuses hub for the embedded spam task', async () => {
    await expect(getTask('spam', { source: 'hub' })).rejects.toThrow("getTask(spam): source must be 'embedded', got 'hub'");
  });
});
