import type { Example, Prompt, ScoreRequest, ScoreResult, Teacher } from '@gdfo/spec';
import { initBackend, tinyModel } from '@gdfo/models';
import { createLocalTeacher, type LocalTeacher } from '@gdfo/adapter-local';
import { createLmaasServer, type LmaasServer } from './server.js';
import { createLmaasTeacher } from './client.js';
import { decodeFloat32, encodeFloat32 } from './wire.js';

const TOKEN = 'test-token-123';
const template = { specVersion: '1.0' as const, text: '{text} . it was {mask} .' };
const verbalizer = { specVersion: '1.0' as const, words: ['bad', 'great'] };
const examples: Example[] = [
  { id: 'a', text: 'the movie was very good', label: 1 },
  { id: 'b', text: 'a bad film', label: 0 },
  { id: 'c', text: 'this is not the answer', label: 0 },
];
let local: LocalTeacher;
let server: LmaasServer;
let url = '';
const L = 4;
let H = 0;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  local = await createLocalTeacher({ model: tinyModel({ seed: 'lmaas' }), promptLength: L, maxPromptLength: 8 });
  H = local.info.width!;
  server = createLmaasServer({ teacher: local, token: TOKEN, maxBodyBytes: 20_000 });
  url = (await server.listen()).url;
});
afterAll(async () => {
  await server.close();
  await local.close();
});

const req = (prompt: Prompt): ScoreRequest => ({ examples, template, verbalizer, prompt, purpose: 'train' });
const wave = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);

test('base64 float32 round trip', () => {
  const a = Float32Array.from([0, -1.5, 3.25, 1e-30, -7e20]);
  expect(Array.from(decodeFloat32(encodeFloat32(a), 'x'))).toEqual(Array.from(a));
  expect(() => decodeFloat32('abc', 'prompt.values')).toThrow('prompt.values: not valid base64');
  expect(() => decodeFloat32(encodeFloat32(a), 'prompt.values', 4)).toThrow('prompt.values: expected 4 float32 values (16 bytes), got 5');
});

test('the HTTP teacher gives exactly the in-process logits and info', async () => {
  const remote = await createLmaasTeacher({ url, token: TOKEN });
  for (const prompt of [
    { kind: 'continuous-shallow', mode: 'add', length: L, width: H, values: wave(L * H) } as Prompt,
    { kind: 'continuous-shallow', mode: 'cat', length: L, width: H, values: wave(L * H) } as Prompt,
    { kind: 'continuous-deep', layers: 2, length: L, width: H, values: wave(2 * L * H) } as Prompt,
    { kind: 'none' } as Prompt,
  ]) {
    const a = await remote.score(req(prompt));
    const b = await local.score(req(prompt));
    expect(a.rows).toBe(3);
    expect(a.classes).toBe(2);
    expect(Array.from(a.logits)).toEqual(Array.from(b.logits));
    expect(a.usage?.calls).toBe(1);
  }
  expect(remote.info).toEqual(JSON.parse(JSON.stringify(local.info)));
});

async function post(body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<{ status: number; message: string }> {
  const res = await fetch(`${url}/v1/score`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const j = (await res.json()) as { error?: { message: string } };
  return { status: res.status, message: j.error?.message ?? '' };
}

const wireBody = (prompt: unknown) => ({ examples, template, verbalizer, purpose: 'train', prompt });

test('401 without or with a wrong token; healthz needs none', async () => {
  const ok = wireBody({ kind: 'none' });
  expect(await post(ok, {})).toEqual({ status: 401, message: 'missing or invalid bearer token' });
  expect((await post(ok, { authorization: 'Bearer nope' })).status).toBe(401);
  const h = await fetch(`${url}/healthz`);
  expect(h.status).toBe(200);
  expect(await h.json()).toEqual({ ok: true, pending: 0 });
  await expect(createLmaasTeacher({ url, token: 'wrong' })).rejects.toThrow('lmaas 401: missing or invalid bearer token');
});

test('413 for an oversize body', async () => {
  const big = wireBody({ kind: 'continuous-shallow', mode: 'add', length: 8, width: H, values: encodeFloat32(new Float32Array(8 * H)) });
  const r = await post({ ...big, padding: 'x'.repeat(30_000) });
  expect(r.status).toBe(413);
  expect(r.message).toMatch(/request body of \d+ bytes exceeds the limit of 20000 bytes/);
});

test('400 with a clear message for malformed prompts and requests', async () => {
  expect(await post(wireBody({ kind: 'continuous-shallow', mode: 'add', length: L, width: H, values: encodeFloat32(new Float32Array(3)) }))).toEqual({
    status: 400,
    message: `prompt.values: expected ${L * H} float32 values (${L * H * 4} bytes), got 3`,
  });
  expect(await post(wireBody({ kind: 'continuous-shallow', mode: 'add', length: L, width: H, values: '***' }))).toEqual({ status: 400, message: 'prompt.values: not valid base64' });
  expect(await post(wireBody({ kind: 'continuous-shallow', mode: 'sideways', length: L, width: H, values: '' }))).toEqual({ status: 400, message: `prompt.mode: expected 'add' or 'cat', got "sideways"` });
  expect(await post(wireBody({ kind: 'continuous-shallow', mode: 'add', length: L, width: 3, values: encodeFloat32(new Float32Array(L * 3)) }))).toEqual({ status: 400, message: `prompt.width: tiny-test has width ${H}, got 3` });
  expect((await post('{not json')).status).toBe(400);
  expect(await post({ ...wireBody({ kind: 'none' }), verbalizer: { words: ['bad', 'fantastic'] } })).toEqual({
    status: 400,
    message: expect.stringMatching(/^verbalizer: 'fantastic' is not a single token/) as unknown as string,
  });
});

test('503 when the queue is full; close() finishes queued work', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  let calls = 0;
  const slow: Teacher = {
    specVersion: '1.0',
    info: { id: 'slow', accepts: ['none'] },
    async score(r: ScoreRequest): Promise<ScoreResult> {
      calls++;
      await gate;
      return { logits: new Float32Array(r.examples.length * 2).fill(calls), rows: r.examples.length, classes: 2 };
    },
  };
  const s = createLmaasServer({ teacher: slow, token: TOKEN, maxQueue: 1 });
  const u = (await s.listen()).url;
  const remote = await createLmaasTeacher({ url: u, token: TOKEN });
  const first = remote.score(req({ kind: 'none' }));
  const second = remote.score(req({ kind: 'none' }));
  while (s.pending < 2) await new Promise((r) => setTimeout(r, 5));
  await expect(remote.score(req({ kind: 'none' }))).rejects.toThrow(/^lmaas 503: queue full/);
  const closing = s.close();
  release();
  const [a, b] = await Promise.all([first, second]);
  await closing;
  expect(Array.from(a.logits)).toEqual([1, 1, 1, 1, 1, 1]);
  expect(Array.from(b.logits)).toEqual([2, 2, 2, 2, 2, 2]);
  await expect(fetch(`${u}/healthz`)).rejects.toThrow();
});

test("a teacher's BAD_* error is the client's fault (400); any other failure is the server's (500)", async () => {
  const failing = (code: string | undefined, message: string): Teacher => ({
    specVersion: '1.0',
    info: { id: 'failing', accepts: ['none'] },
    async score(): Promise<ScoreResult> {
      throw Object.assign(new Error(message), code ? { code } : {});
    },
  });
  for (const [code, message, status] of [
    ['BAD_PROMPT', 'synthetic teacher: expected a 1×12 shallow prompt', 400],
    [undefined, 'out of memory', 500],
  ] as const) {
    const s = createLmaasServer({ teacher: failing(code, message), token: TOKEN });
    const u = (await s.listen()).url;
    try {
      const remote = await createLmaasTeacher({ url: u, token: TOKEN });
      await expect(remote.score(req({ kind: 'none' }))).rejects.toThrow(new RegExp(`^lmaas ${status}: .*${message}`));
    } finally {
      await s.close();
    }
  }
});
