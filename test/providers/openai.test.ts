import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScoreRequest } from '@gdfo/spec';
import { BudgetMeter, cacheKey, createRng, FakeClock, MemoryCache, TeacherError } from '@gdfo/core';
import { BLANK, createRemoteTeacher, renderCloze } from '@gdfo/provider-kit';
import { distillOnly, runMethod } from '@gdfo/pipeline';
import { SyntheticStudent } from '@gdfo/testing';
import { createOpenAITeacher } from '@gdfo/adapter-openai';
import { directTeacher } from '../servers/backends.js';
import { startOpenAIServer, topTokens } from '../servers/openai.js';
import { API_KEY, pumped, registry, serverPerTest, spy, syntheticSetup } from './fixture.js';

const PRICES = { promptPer1k: 0.15, completionPer1k: 0.6 };

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return n;
}

describe('OpenAI teacher against a loopback OpenAI server (official SDK)', () => {
  const setup = syntheticSetup();
  const loopback = serverPerTest(() => startOpenAIServer({ apiKey: API_KEY, backend: setup.backend }));

  const gdfo = (teacher: Parameters<typeof runMethod>[0]['teacher'], extra: Partial<Parameters<typeof runMethod>[0]> = {}) =>
    runMethod({
      method: 'gdfo',
      task: setup.task,
      teacher,
      registry: registry(11),
      seed: 11,
      budget: 36,
      popSize: 6,
      sigma0: 1,
      space: setup.space,
      student: setup.student(11),
      harmonizer: 'gradient-sample',
      pipeline: { evalEvery: 12, checkpointEvery: 0, distill: { steps: 4, batchSize: 16 } },
      ...extra,
    });

  it.each(['chat', 'completions'] as const)('%s: a full GDFO run equals the same run on the scores without HTTP; budget and cache are exact', async (endpoint) => {
    const raw = spy(createOpenAITeacher({ apiKey: API_KEY, baseURL: loopback.server.baseURL, model: 'gpt-loopback', endpoint, priceTable: PRICES, topLogprobs: 10 }));
    const cacheDir = mkdtempSync(join(tmpdir(), 'gdfo-openai-cache-'));
    const remote = createRemoteTeacher(raw, { cacheDir, retries: 2 });
    const viaHttp = await gdfo(remote);
    const direct = await gdfo(directTeacher(setup.backend));
    expect(viaHttp).toEqual(direct);
    expect(viaHttp.calls).toBe(36);
    expect(viaHttp.bestTrainFitness!).toBeLessThan(viaHttp.trainHistory[0]!.mean);
    // what was paid: provider calls that succeeded; every HTTP request served exactly once
    const u = remote.budget.usage();
    const paid = u.calls + u.evalCalls;
    expect(paid).toBe(remote.cacheStats.misses);
    expect(raw.succeeded).toHaveLength(paid);
    expect(countFiles(cacheDir)).toBe(paid);
    expect([...loopback.server.served.values()].every((n) => n === 1)).toBe(true);
    const httpPerCall = (r: ScoreRequest) => (endpoint === 'chat' ? r.examples.length : Math.ceil(r.examples.length / 16));
    expect(loopback.server.ok).toBe(raw.succeeded.reduce((n, r) => n + httpPerCall(r), 0));
    expect(u.promptTokens).toBe(loopback.server.billed.promptTokens);
    expect(u.completionTokens).toBe(loopback.server.billed.completionTokens);
    expect(u.costUsd).toBeCloseTo((loopback.server.billed.promptTokens * 0.15 + loopback.server.billed.completionTokens * 0.6) / 1000, 12);
    expect(loopback.server.authHeaders).toEqual(new Set([`Bearer ${API_KEY}`]));
    console.log(
      `openai ${endpoint}: ${viaHttp.calls} charged calls (+${viaHttp.evalCalls} eval), ${remote.cacheStats.misses} paid, ${remote.cacheStats.hits} cache hits, ` +
        `${loopback.server.ok} HTTP requests, ${u.promptTokens}+${u.completionTokens} tokens, $${u.costUsd.toFixed(6)}; best CE ${viaHttp.bestTrainFitness!.toFixed(3)}, dev ${viaHttp.dev}, test ${viaHttp.test}`,
    );
  });

  it("distillation only: the API model's few-shot behaviour becomes a tuned local student (one paid call)", async () => {
    const raw = spy(createOpenAITeacher({ apiKey: API_KEY, baseURL: loopback.server.baseURL, model: 'gpt-loopback' }));
    const remote = createRemoteTeacher(raw, { retries: 2 });
    const inner = new SyntheticStudent(setup.world, { seed: 4, lr: 0.05 });
    const result = await distillOnly({ task: setup.task, teacher: remote, registry: registry(4), seed: 4, budget: 1, student: inner, shotsPerClass: 1, steps: 300 });
    expect(result.method).toBe('kd');
    expect(raw.succeeded).toHaveLength(1);
    expect(loopback.server.ok).toBe(setup.task.train.length); // one teacher call: the training set, once
    const fewShot = raw.succeeded[0]!.template.text;
    expect(fewShot.match(/It was (bad|great) \./g)).toHaveLength(2);
    // the tuned student predicts what the teacher (with those demonstrations) predicts on unseen examples
    const teacherOnTest = await directTeacher(setup.backend).score({ examples: setup.task.test!, template: { specVersion: '1.0', text: fewShot }, verbalizer: setup.task.verbalizer, prompt: { kind: 'none' }, purpose: 'test' });
    const studentOnTest = await inner.predict(new Float64Array(inner.info.dim), 1, setup.task.test!);
    let agree = 0;
    for (let i = 0; i < setup.task.test!.length; i++) agree += Number(teacherOnTest.logits[2 * i]! > teacherOnTest.logits[2 * i + 1]! === studentOnTest[2 * i]! > studentOnTest[2 * i + 1]!);
    console.log(`distillOnly via OpenAI loopback: student agrees with the few-shot teacher on ${agree}/${setup.task.test!.length} test examples; student dev ${result.dev}, test ${result.test}`);
    expect(agree).toBe(15); // recorded (300 steps of KL on 8 soft-labelled examples; 14/16 after 150 steps)
  });

  const request = (examples = setup.task.train.slice(0, 2), prompt: ScoreRequest['prompt'] = setup.space.toTeacher(Float64Array.from({ length: 12 }, (_v, i) => Math.sin(i)))): ScoreRequest => ({
    examples,
    template: setup.task.template,
    verbalizer: setup.task.verbalizer,
    prompt,
    purpose: 'train',
  });

  it('reads the first answer token: surface forms, multi-token words (first / sum) and the floor for absent words', async () => {
    await loopback.server.close();
    loopback.server = await startOpenAIServer({ apiKey: API_KEY, backend: setup.backend, chatStyle: { capitalize: true, pieceLength: 3 }, completionStyle: { leadingSpace: true, pieceLength: 3 } });
    const req = request(setup.task.train.slice(0, 3));
    const dists = await Promise.all(req.examples.map((ex) => setup.backend.answer(renderCloze(req.prompt, req.template, ex, BLANK, 't'))));
    const score = (o: Partial<Parameters<typeof createOpenAITeacher>[0]>) =>
      createOpenAITeacher({ apiKey: API_KEY, baseURL: loopback.server.baseURL, model: 'm', ...o }).score(req);
    // 'great' arrives as 'Gre' + 'at', 'bad' as 'Bad': 'first' reads the first piece, which only 'great' starts with
    const first = await score({});
    req.examples.forEach((_e, i) => {
      expect(first.logits[2 * i]).toBe(Math.fround(dists[i]!.get('bad')!));
      expect(first.logits[2 * i + 1]).toBe(Math.fround(dists[i]!.get('great')!));
    });
    // top-2 only: a class word outside the top-2 gets min(top-2) − ln 2
    const two = await score({ topLogprobs: 2 });
    req.examples.forEach((_e, i) => {
      const top = topTokens(dists[i]!, 2, { capitalize: true, pieceLength: 3 }, false);
      const floor = Math.min(...top.map((t) => t.logprob)) - Math.LN2;
      const want = ['bad', 'great'].map((w) => (top.some((t) => t.token.toLowerCase() === w.slice(0, 3)) ? dists[i]!.get(w)! : floor));
      expect(Array.from(two.logits.subarray(2 * i, 2 * i + 2))).toEqual(want.map(Math.fround));
    });
    const fixed = await score({ topLogprobs: 1, logprobFloor: -30 });
    expect(Array.from(fixed.logits)).toContain(-30);
    // 'sequence' (completions + echo) is exact for multi-token words: log P(word | prefix) = Σ of its tokens
    const seq = await score({ endpoint: 'completions', multiToken: 'sequence' });
    req.examples.forEach((_e, i) => {
      expect(seq.logits[2 * i]).toBeCloseTo(dists[i]!.get('bad')!, 5);
      expect(seq.logits[2 * i + 1]).toBeCloseTo(dists[i]!.get('great')!, 5);
    });
    expect(seq.usage).toMatchObject({ calls: 1, completionTokens: 6 }); // one echo request per example, 2 prompts each
    expect(() => createOpenAITeacher({ apiKey: API_KEY, model: 'm', multiToken: 'sequence' })).toThrow("createOpenAITeacher multiToken: 'sequence' needs endpoint 'completions'");
  });

  describe('faults: retried or reported in one line, budget and cache consistent', () => {
    function remoteFor(o: { clock?: FakeClock; timeoutMs?: number; apiKey?: string; retries?: number; concurrency?: number } = {}) {
      const clock = o.clock ?? new FakeClock();
      const raw = spy(createOpenAITeacher({ apiKey: o.apiKey ?? API_KEY, baseURL: loopback.server.baseURL, model: 'gpt-loopback', timeoutMs: o.timeoutMs ?? 5000, clock, concurrency: o.concurrency ?? 4 }));
      const cache = new MemoryCache();
      const budget = new BudgetMeter({ calls: 100 });
      const remote = createRemoteTeacher(raw, { budget, cache, retries: { retries: o.retries ?? 3, baseMs: 100, jitter: 0 }, clock, rng: createRng(1) });
      return { raw, cache, budget, remote, clock };
    }
    async function consistent(r: ReturnType<typeof remoteFor>) {
      expect(r.budget.usage().calls).toBe(r.raw.succeeded.length);
      expect(r.cache.size).toBe(new Set(r.raw.succeeded.map((q) => cacheKey(r.remote.info.id, q))).size);
      expect(r.budget.remainingCalls()).toBe(100 - r.raw.succeeded.length);
      expect([...loopback.server.served.values()].every((n) => n === 1)).toBe(true);
      expect(loopback.server.ok).toBe(r.raw.succeeded.reduce((n, q) => n + q.examples.length, 0));
      expect(r.budget.usage().promptTokens).toBe(loopback.server.billed.promptTokens);
    }

    it('429 with Retry-After: waits what the server asked, re-sends only the failed example, charges once', async () => {
      const r = remoteFor();
      loopback.server.fail({ status: 429, headers: { 'retry-after': '2' } });
      const res = await pumped(r.clock, r.remote.score(request()));
      expect(res.rows).toBe(2);
      expect(r.clock.sleeps).toEqual([2000]);
      expect(loopback.server.log.map((e) => e.status)).toEqual([429, 200, 200]);
      await consistent(r);
      expect(r.budget.usage().calls).toBe(1);
      // the same request again: a cache hit, nothing sent, nothing charged
      expect((await r.remote.score(request())).cached).toBe(true);
      expect(loopback.server.hits).toBe(3);
      await consistent(r);
    });

    it('429 with retry-after-ms and x-ratelimit reset; a 500 is retried with back-off', async () => {
      const r = remoteFor({ concurrency: 1 });
      loopback.server.fail({ status: 429, headers: { 'retry-after-ms': '750' } }, { status: 500 }, { status: 429, headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s' } });
      await pumped(r.clock, r.remote.score(request()));
      // attempt 1: ex0 429 (750 ms), ex1 500; attempt 2: ex0 429 (reset 6 min) ; attempt 3 ok
      expect(r.clock.sleeps).toEqual([750, 360_000]);
      await consistent(r);
    });

    it('an exhausted x-ratelimit on a success holds the next request until the reset', async () => {
      await loopback.server.close();
      loopback.server = await startOpenAIServer({ apiKey: API_KEY, backend: setup.backend, headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '3s' } });
      const r = remoteFor({ concurrency: 1 });
      await pumped(r.clock, r.remote.score(request()));
      expect(r.clock.sleeps).toEqual([3000]);
      await consistent(r);
    });

    it('a timeout (real, short) is retried', async () => {
      const r = remoteFor({ timeoutMs: 150 });
      loopback.server.fail({ hangMs: 1500 });
      const res = await pumped(r.clock, r.remote.score(request()));
      expect(res.rows).toBe(2);
      expect(loopback.server.log[0]!.status).toBe('hang');
      expect(r.clock.sleeps).toEqual([100]);
      await consistent(r);
    });

    it('a malformed body is retried; a 400 is reported in one line and not retried', async () => {
      const r = remoteFor();
      loopback.server.fail({ malformed: true });
      await pumped(r.clock, r.remote.score(request()));
      expect(loopback.server.log.map((e) => e.status)).toContain('malformed');
      await consistent(r);
      loopback.server.fail({ status: 400, body: { error: { message: 'Invalid value for top_logprobs.\nMust be ≤ 20.' } } });
      const bad = request(setup.task.train.slice(2, 3));
      const err = await pumped(r.clock, r.remote.score(bad)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TeacherError);
      expect((err as TeacherError).message).toBe('openai gpt-loopback: HTTP 400 — Invalid value for top_logprobs. Must be ≤ 20.');
      expect((err as TeacherError).status).toBe(400);
      expect(loopback.server.log.filter((e) => e.status === 400)).toHaveLength(1);
      await consistent(r);
    });

    it('gives up after its retries with the last error; nothing charged, nothing cached', async () => {
      const r = remoteFor({ retries: 2 });
      loopback.server.fail({ status: 503 }, { status: 502 }, { status: 500 });
      const err = await pumped(r.clock, r.remote.score(request(setup.task.train.slice(0, 1)))).catch((e: unknown) => e);
      expect((err as TeacherError).message).toBe('openai gpt-loopback: HTTP 500 — injected 500');
      expect(r.clock.sleeps).toEqual([100, 200]);
      expect(r.budget.usage().calls).toBe(0);
      expect(r.cache.size).toBe(0);
      await consistent(r);
    });

    it('a wrong key: 401 in one line with the key redacted, even when the server echoes it', async () => {
      const wrong = 'sk-wrong-KEY-0123456789abcdef';
      const r = remoteFor({ apiKey: wrong });
      const err = (await pumped(r.clock, r.remote.score(request())).catch((e: unknown) => e)) as TeacherError;
      expect(err.status).toBe(401);
      expect(err.message).toBe('openai gpt-loopback: HTTP 401 — Incorrect API key provided: Bearer [redacted]');
      expect(JSON.stringify(err)).not.toContain(wrong);
      expect(String(err.stack)).not.toContain(wrong);
      await consistent(r);
    });
  });
});
