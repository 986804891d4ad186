import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunEventBus, writeEventsJsonl } from '@gdfo/core';
import { createRemoteTeacher } from '@gdfo/provider-kit';
import { runMethod, type MethodResult } from '@gdfo/pipeline';
import type { Teacher } from '@gdfo/spec';
import { createOpenAITeacher } from '@gdfo/adapter-openai';
import { createHuggingFaceTeacher } from '@gdfo/adapter-huggingface';
import { directTeacher } from '../servers/backends.js';
import { startOpenAIServer } from '../servers/openai.js';
import { startHuggingFaceServer } from '../servers/huggingface.js';
import { API_KEY, HF_TOKEN, registry, serverPerTest, syntheticSetup } from './fixture.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('interrupted and resumed run over the OpenAI loopback server', () => {
  const setup = syntheticSetup();
  const loopback = serverPerTest(() => startOpenAIServer({ apiKey: API_KEY, backend: setup.backend }));

  const gdfo = (teacher: Teacher, checkpointDir: string, events?: RunEventBus) =>
    runMethod({
      method: 'gdfo',
      task: setup.task,
      teacher,
      registry: registry(21),
      seed: 21,
      budget: 48,
      popSize: 6,
      sigma0: 1,
      space: setup.space,
      student: setup.student(21),
      harmonizer: 'gradient-sample',
      pipeline: { evalEvery: 12, checkpointEvery: 2, distill: { steps: 4, batchSize: 16 } },
      checkpointDir,
      resume: true,
      ...(events ? { events } : {}),
    });

  it('re-uses cached responses and fetched rows without paying twice; no file it wrote holds the key', async () => {
    const root = mkdtempSync(join(tmpdir(), 'gdfo-resume-'));
    const runDir = join(root, 'run');
    const cacheDir = join(root, 'cache');
    const partialsDir = join(root, 'partials');
    const ledgerPath = join(root, 'ledger.json');
    const checkpointDir = join(runDir, 'checkpoints');
    const reference = await gdfo(directTeacher(setup.backend), mkdtempSync(join(tmpdir(), 'gdfo-ref-')));

    const session = () => {
      const events = new RunEventBus();
      const sink = writeEventsJsonl(events.events$, join(runDir, 'events.jsonl'));
      // Default concurrency: several calls and HTTP requests in flight when the provider refuses. The generation
      // stops its other calls (`CallOptions.stop`) instead of cutting them, so a request the server answered is
      // kept, not sent again on resume (with a cut, this check failed about one run in two under load).
      const teacher = createRemoteTeacher(
        createOpenAITeacher({ apiKey: API_KEY, baseURL: loopback.server.baseURL, model: 'gpt-loopback', partialsDir, priceTable: { promptPer1k: 1, completionPer1k: 2 } }),
        { cacheDir, ledgerPath, retries: { retries: 1, baseMs: 1 } },
      );
      let inFlight = 0;
      const counted: Teacher = {
        ...teacher,
        async score(r, o) {
          inFlight++;
          try {
            return await teacher.score(r, o);
          } finally {
            inFlight--;
          }
        },
      };
      // a stopped process has nothing in flight: wait for the calls the failed generation left running
      const settled = async () => {
        while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
      };
      return { events, sink, teacher, counted, settled };
    };

    // first session: the provider starts refusing after 150 answers (mid-generation), the run stops
    loopback.server.refuseAfter = 150;
    const one = session();
    const err = await gdfo(one.counted, checkpointDir, one.events).catch((e: unknown) => e as Error);
    await one.settled();
    one.events.emit({ specVersion: '1.0', type: 'log', time: 0, runId: 'resume', level: 'error', message: String(err) });
    one.events.complete();
    one.sink.unsubscribe();
    expect(String(err)).toMatch(/^TeacherError: openai gpt-loopback: HTTP 400 — refused: the test stops the run here$/);
    const paidBefore = one.teacher.budget.usage();
    const servedBefore = loopback.server.ok;
    expect(servedBefore).toBe(150);
    expect(loopback.server.hits).toBeGreaterThan(150);
    const heldRows = files(partialsDir).length;
    expect(heldRows).toBeGreaterThan(0); // rows of calls that did not finish, kept for the resume

    // second session: a fresh process (new teacher, new meter from the ledger) resumes from the checkpoint
    loopback.server.refuseAfter = Infinity;
    const two = session();
    expect(two.teacher.budget.usage()).toEqual(paidBefore);
    const resumed: MethodResult = await gdfo(two.counted, checkpointDir, two.events);
    two.events.complete();
    two.sink.unsubscribe();
    expect(resumed).toEqual(reference);
    expect(two.teacher.cacheStats.hits).toBeGreaterThan(0);

    // never paid twice: every HTTP request body served once; what the ledger charged is what the server billed
    expect([...loopback.server.served.values()].every((n) => n === 1)).toBe(true);
    const paid = two.teacher.budget.usage();
    expect(paid.promptTokens).toBe(loopback.server.billed.promptTokens);
    expect(paid.completionTokens).toBe(loopback.server.billed.completionTokens);
    expect(paid.costUsd).toBeCloseTo((loopback.server.billed.promptTokens + 2 * loopback.server.billed.completionTokens) / 1000, 9);
    expect(paid.calls + paid.evalCalls).toBe(files(cacheDir).length);
    expect(files(partialsDir)).toHaveLength(0);
    console.log(
      `resume: ${servedBefore} HTTP answers before the stop (${heldRows} rows held), ${loopback.server.ok} in all, ${two.teacher.cacheStats.hits} cache hits after resuming, ` +
        `${paid.calls + paid.evalCalls} paid calls = ${files(cacheDir).length} cache entries`,
    );

    writeFileSync(join(runDir, 'result.json'), JSON.stringify(resumed));
    const written = [...files(root)];
    expect(written.length).toBeGreaterThan(10);
    for (const f of written) {
      const text = readFileSync(f).toString('latin1');
      expect(text.includes(API_KEY) ? f : null).toBeNull();
      expect(text.includes('LOOPBACK-7f3a') ? f : null).toBeNull();
    }
  }, 30_000);

  it('a Hugging Face run writes no token either (cache, ledger, events), and errors carry none', async () => {
    const hf = await startHuggingFaceServer({ token: HF_TOKEN, backend: setup.backend });
    try {
      const root = mkdtempSync(join(tmpdir(), 'gdfo-hf-secret-'));
      const events = new RunEventBus();
      const sink = writeEventsJsonl(events.events$, join(root, 'events.jsonl'));
      const teacher = createRemoteTeacher(createHuggingFaceTeacher({ mode: 'chat', accessToken: HF_TOKEN, endpointUrl: hf.endpoint('chat'), model: 'tgi-loopback', partialsDir: join(root, 'partials') }), {
        cacheDir: join(root, 'cache'),
        ledgerPath: join(root, 'ledger.json'),
        retries: 0,
      });
      const result = await runMethod({
        method: 'bbt',
        task: setup.task,
        teacher,
        registry: registry(3),
        seed: 3,
        budget: 12,
        popSize: 6,
        space: setup.space,
        pipeline: { evalEvery: 12, checkpointEvery: 1, distill: { steps: 1, batchSize: 1 } },
        checkpointDir: join(root, 'checkpoints'),
        events,
      });
      const wrong = createHuggingFaceTeacher({ mode: 'chat', accessToken: 'hf_WRONGtokenAAAABBBBCCCCDDDD', endpointUrl: hf.endpoint('chat'), model: 'tgi-loopback' });
      const err = (await wrong.score({ examples: setup.task.train.slice(0, 1), template: setup.task.template, verbalizer: setup.task.verbalizer, prompt: { kind: 'none' }, purpose: 'train' }).catch((e: unknown) => e)) as Error;
      expect(err.message).toBe('huggingface chat tgi-loopback: HTTP 401 — Incorrect API key provided: Bearer [redacted]');
      events.emit({ specVersion: '1.0', type: 'log', time: 0, runId: 'hf', level: 'error', message: err.message });
      events.complete();
      sink.unsubscribe();
      writeFileSync(join(root, 'result.json'), JSON.stringify(result));
      expect(hf.authHeaders.has(`Bearer ${HF_TOKEN}`)).toBe(true);
      const written = files(root);
      expect(written.length).toBeGreaterThan(5);
      for (const f of written) {
        const text = readFileSync(f).toString('latin1');
        expect(text.includes(HF_TOKEN) || text.includes('hf_WRONG') ? f : null).toBeNull();
      }
    } finally {
      await hf.close();
    }
  }, 30_000);
});
