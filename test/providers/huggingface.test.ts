import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScoreRequest, Teacher } from '@gdfo/spec';
import { BudgetMeter, cacheKey, createRng, FakeClock, MemoryCache, TeacherError } from '@gdfo/core';
import { BLANK, createRemoteTeacher, renderCloze } from '@gdfo/provider-kit';
import { runMethod } from '@gdfo/pipeline';
import { createHuggingFaceTeacher, type HuggingFaceTeacherOptions } from '@gdfo/adapter-huggingface';
import { directTeacher } from '../servers/backends.js';
import { startHuggingFaceServer } from '../servers/huggingface.js';
import { HF_TOKEN, pumped, registry, serverPerTest, spy, syntheticSetup } from './fixture.js';

describe('Hugging Face teacher against a loopback endpoint (official @huggingface/inference client)', () => {
  const setup = syntheticSetup();
  const loopback = serverPerTest(() => startHuggingFaceServer({ token: HF_TOKEN, backend: setup.backend }));

  const gdfo = (teacher: Teacher) =>
    runMethod({
      method: 'gdfo',
      task: setup.task,
      teacher,
      registry: registry(13),
      seed: 13,
      budget: 30,
      popSize: 6,
      sigma0: 1,
      space: setup.space,
      student: setup.student(13),
      harmonizer: 'gradient-sample',
      pipeline: { evalEvery: 12, checkpointEvery: 0, distill: { steps: 4, batchSize: 16 } },
    });

  const modes: [HuggingFaceTeacherOptions['mode'], Partial<HuggingFaceTeacherOptions>][] = [
    ['fill-mask', {}],
    ['text-classification', { labels: ['BAD', 'GREAT'] }],
    ['chat', { model: 'tgi-loopback' }],
  ];

  it.each(modes)('%s: a full GDFO run through the endpoint; every example served once, budget = what succeeded', async (mode, extra) => {
    const raw = spy(createHuggingFaceTeacher({ mode, accessToken: HF_TOKEN, endpointUrl: loopback.server.endpoint(mode), requestPriceUsd: 0.001, ...extra }));
    const remote = createRemoteTeacher(raw, { cacheDir: mkdtempSync(join(tmpdir(), 'gdfo-hf-cache-')), retries: 1 });
    const viaHttp = await gdfo(remote);
    const direct = await gdfo(directTeacher(setup.backend));
    expect(viaHttp.calls).toBe(30);
    expect(viaHttp.bestTrainFitness!).toBeLessThan(viaHttp.trainHistory[0]!.mean);
    // the class scores are the same function of the text (ln p read back from p for fill-mask/classification;
    // the softmax over the class labels differs from ln((1 − m)·p) by a constant per row: same fitness)
    expect(viaHttp.bestTrainFitness!).toBeCloseTo(direct.bestTrainFitness!, 5);
    expect(viaHttp.bestZ).toEqual(direct.bestZ);
    expect(viaHttp.dev).toBe(direct.dev);
    expect(viaHttp.test).toBe(direct.test);
    const u = remote.budget.usage();
    expect(u.calls + u.evalCalls).toBe(raw.succeeded.length);
    expect([...loopback.server.served.values()].every((n) => n === 1)).toBe(true);
    const examples = raw.succeeded.reduce((n, r) => n + r.examples.length, 0);
    expect(loopback.server.ok).toBe(examples);
    expect(u.costUsd).toBeCloseTo(examples * 0.001, 9); // per-request price; no token prices set
    expect(u.promptTokens).toBe(loopback.server.billed.promptTokens);
    expect(loopback.server.authHeaders).toEqual(new Set([`Bearer ${HF_TOKEN}`]));
    console.log(`huggingface ${mode}: ${viaHttp.calls} charged calls, ${raw.succeeded.length} paid, ${loopback.server.ok} HTTP requests; best CE ${viaHttp.bestTrainFitness!.toFixed(3)}, dev ${viaHttp.dev}, test ${viaHttp.test}`);
  });

  const request = (examples = setup.task.train.slice(0, 2)): ScoreRequest => ({
    examples,
    template: setup.task.template,
    verbalizer: setup.task.verbalizer,
    prompt: setup.space.toTeacher(Float64Array.from({ length: 12 }, (_v, i) => Math.cos(i))),
    purpose: 'train',
  });

  it('fill-mask scores are ln of the target probabilities; a target the endpoint omits gets the floor', async () => {
    const req = request(setup.task.train.slice(0, 3));
    const t = createHuggingFaceTeacher({ mode: 'fill-mask', accessToken: HF_TOKEN, endpointUrl: loopback.server.endpoint('fill-mask') });
    const r = await t.score(req);
    for (const [i, ex] of req.examples.entries()) {
      const d = await setup.backend.answer(renderCloze(req.prompt, req.template, ex, BLANK, 't'));
      expect(r.logits[2 * i]).toBeCloseTo(d.get('bad')!, 5);
      expect(r.logits[2 * i + 1]).toBeCloseTo(d.get('great')!, 5);
    }
    const odd = await t.score({ ...req, verbalizer: { specVersion: '1.0', words: ['great', 'zebra'] } });
    for (let i = 0; i < 3; i++) expect(odd.logits[2 * i + 1]).toBeCloseTo(odd.logits[2 * i]! - Math.LN2, 5); // only 'great' returned
    expect(() => createHuggingFaceTeacher({ mode: 'fill-mask' })).toThrow('createHuggingFaceTeacher: give endpointUrl (a self-hosted endpoint) or model (a model id on the Hub)');
    expect(() => createHuggingFaceTeacher({ mode: 'summarize' as never, model: 'x' })).toThrow("createHuggingFaceTeacher mode: expected 'fill-mask', 'text-classification' or 'chat', got summarize");
  });

  describe('faults', () => {
    function remoteFor(mode: HuggingFaceTeacherOptions['mode'], o: { timeoutMs?: number; retries?: number } = {}) {
      const clock = new FakeClock();
      const raw = spy(createHuggingFaceTeacher({ mode, accessToken: HF_TOKEN, endpointUrl: loopback.server.endpoint(mode), model: 'tgi-loopback', timeoutMs: o.timeoutMs ?? 5000, clock }));
      const cache = new MemoryCache();
      const budget = new BudgetMeter({ calls: 50 });
      const remote = createRemoteTeacher(raw, { budget, cache, retries: { retries: o.retries ?? 3, baseMs: 100, jitter: 0 }, clock, rng: createRng(2) });
      return { raw, cache, budget, remote, clock };
    }
    function consistent(r: ReturnType<typeof remoteFor>) {
      expect(r.budget.usage().calls).toBe(r.raw.succeeded.length);
      expect(r.cache.size).toBe(new Set(r.raw.succeeded.map((q) => cacheKey(r.remote.info.id, q))).size);
      expect([...loopback.server.served.values()].every((n) => n === 1)).toBe(true);
      expect(loopback.server.ok).toBe(r.raw.succeeded.reduce((n, q) => n + q.examples.length, 0));
    }

    it('429 with Retry-After (headers read through the injected fetch) and a 503 the client does not retry itself', async () => {
      const r = remoteFor('fill-mask');
      loopback.server.fail({ status: 429, headers: { 'retry-after': '3' }, body: { error: 'Rate limit reached' } }, { status: 503, body: { error: 'Model is loading' } });
      await pumped(r.clock, r.remote.score(request()));
      expect(r.clock.sleeps).toEqual([3000]);
      expect(loopback.server.log.map((e) => e.status).sort()).toEqual([200, 200, 429, 503]);
      consistent(r);
    });

    it('a malformed body and a timeout are retried; a 400 is reported in one line', async () => {
      const r = remoteFor('chat', { timeoutMs: 150 });
      loopback.server.fail({ malformed: true }, { hangMs: 1500 });
      await pumped(r.clock, r.remote.score(request()));
      expect(loopback.server.log.map((e) => e.status).slice(0, 2).sort()).toEqual(['hang', 'malformed']);
      expect(r.clock.sleeps).toEqual([100]);
      consistent(r);
      loopback.server.fail({ status: 400, body: { error: 'Input validation error: `top_logprobs` must be <= 5' } });
      const err = (await pumped(r.clock, r.remote.score(request(setup.task.train.slice(4, 5)))).catch((e: unknown) => e)) as TeacherError;
      expect(err.message).toBe('huggingface chat tgi-loopback: HTTP 400 — Input validation error: `top_logprobs` must be <= 5');
      expect(err.retryable).toBe(false);
      consistent(r);
    });

    it('text classification: a missing label gets the floor; retries exhausted leave nothing charged', async () => {
      const r = remoteFor('text-classification', { retries: 1 });
      loopback.server.fail({ status: 500, body: { error: 'boom' } }, { status: 500, body: { error: 'boom again' } });
      const err = (await pumped(r.clock, r.remote.score(request(setup.task.train.slice(0, 1)))).catch((e: unknown) => e)) as TeacherError;
      expect(err.message).toBe('huggingface text-classification tgi-loopback: HTTP 500 — boom again');
      expect(r.budget.usage().calls).toBe(0);
      consistent(r);
      const t = createHuggingFaceTeacher({ mode: 'text-classification', endpointUrl: loopback.server.endpoint('text-classification'), accessToken: HF_TOKEN, labels: ['BAD', 'NEUTRAL'] });
      const ok = await t.score(request(setup.task.train.slice(0, 1)));
      const probs = await setup.backend.classify(renderCloze(request().prompt, setup.task.template, setup.task.train[0]!, '', 't'));
      expect(ok.logits[0]).toBeCloseTo(Math.log(probs.get('BAD')!), 6);
      expect(ok.logits[1]).toBeCloseTo(Math.min(Math.log(probs.get('BAD')!), Math.log(probs.get('GREAT')!)) - Math.LN2, 6);
    });
  });
});
