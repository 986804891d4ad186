import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Example, ScoreRequest, ScoreResult, Teacher } from '@gdfo/spec';
import { BudgetExhaustedError, BudgetMeter, FakeClock, MemoryCache, TeacherError } from '@gdfo/core';
import { RequestLimiter } from './limiter.js';
import { createRemoteTeacher, withSingleFlight } from './remote.js';
import { PartialResults, scoreByRows, type RowJob } from './rows.js';
import { classScoresFromTopLogprobs, costOf, httpTeacherError, normalizeToken, redact, renderCloze, renderPlain, renderPrefix, BLANK, DEFAULT_INSTRUCTION, renderInstruction } from './text.js';

const ex = (id: string, text: string, textB?: string): Example => ({ id, text, label: 0, ...(textB ? { textB } : {}) });
const template = { specVersion: '1.0' as const, text: '{text} . It was {mask} .' };
const verbalizer = { specVersion: '1.0' as const, words: ['bad', 'great'] };
const req = (examples: Example[], text = 'so very'): ScoreRequest => ({ examples, template, verbalizer, prompt: { kind: 'discrete-text', text }, purpose: 'train' });

describe('rendering', () => {
  it('puts the prompt text first, the mask as the answer position, and refuses continuous prompts', () => {
    const e = ex('1', 'a {mask} movie', 'second');
    expect(renderCloze({ kind: 'discrete-text', text: ' so  very ' }, template, e, BLANK, 'w')).toBe('so very a {mask} movie . It was ___ .');
    expect(renderCloze({ kind: 'none' }, { specVersion: '1.0', text: '{text} ? {mask} , {textB}' }, e, '[MASK]', 'w')).toBe('a {mask} movie ? [MASK] , second');
    expect(renderPrefix({ kind: 'discrete-text', text: 'so' }, template, e, 'w')).toBe('so a {mask} movie . It was');
    expect(renderPlain({ kind: 'none' }, template, ex('2', 'fine film'), 'w')).toBe('fine film. It was.');
    expect(() => renderCloze({ kind: 'continuous-shallow', mode: 'add', length: 1, width: 1, values: new Float32Array(1) }, template, e, BLANK, 'openai m')).toThrow(
      'openai m: accepts prompt kinds none and discrete-text, got continuous-shallow (use a DiscretePromptSpace for text-only APIs)',
    );
    expect(() => renderCloze({ kind: 'none' }, { specVersion: '1.0', text: '{text}' }, e, BLANK, 'w')).toThrow('template "{text}": needs exactly one {mask}');
    expect(renderInstruction(DEFAULT_INSTRUCTION, ['bad', 'great'])).toBe(
      'Replace ___ in the text with the single word that fits best. Choose one of: bad, great. Answer with that word only.',
    );
  });
});

describe('class scores from top-k log-probabilities', () => {
  const top = [
    { token: 'Great', logprob: -0.5 },
    { token: ' great', logprob: -1.5 },
    { token: 'ter', logprob: -2 },
    { token: 'the', logprob: -3 },
    { token: 'x', logprob: -9999 },
  ];
  it('first: best exact surface form, else the longest listed prefix; floor = min − ln 2 for absent words', () => {
    const s = classScoresFromTopLogprobs(top, ['great', 'terrible', 'awful']);
    expect(Array.from(s)).toEqual([-0.5, -2, -3 - Math.LN2]);
    expect(Array.from(classScoresFromTopLogprobs(top, ['awful'], { floor: -20 }))).toEqual([-20]);
  });
  it('sum: pools every matching token (surface forms and prefixes)', () => {
    const s = classScoresFromTopLogprobs(top, ['great', 'terrible']);
    const sum = classScoresFromTopLogprobs(top, ['great', 'terrible'], { strategy: 'sum' });
    expect(sum[0]).toBeCloseTo(Math.log(Math.exp(-0.5) + Math.exp(-1.5)), 12);
    expect(sum[1]).toBe(s[1]);
  });
  it('normalizes BPE, SentencePiece and WordPiece markers', () => {
    expect(['Ġgreat', '▁Great', '##great', '  great '].map(normalizeToken)).toEqual(['great', 'great', 'great', 'great']);
  });
});

describe('HTTP errors', () => {
  it('one line, status, retry hint from headers, secrets redacted', () => {
    const headers: Record<string, string> = { 'retry-after': '7' };
    const e = httpTeacherError({ who: 'openai m', status: 429, header: (n) => headers[n], message: 'slow down,\n key sk-secret-123456 is over quota', secrets: ['sk-secret-123456'] });
    expect(e.message).toBe('openai m: HTTP 429 — slow down, key [redacted] is over quota');
    expect(e).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000, code: 'RATE_LIMITED' });
    expect(httpTeacherError({ who: 'w', status: 404, secrets: [] })).toMatchObject({ retryable: false, message: 'w: HTTP 404' });
    expect(redact('a abc b', ['abc'])).toBe('a abc b'); // too short to be a secret: left alone
  });
  it('prices: one table or per model; a missing model is refused', () => {
    expect(costOf({ promptPer1k: 1, completionPer1k: 2 }, 'm', { promptTokens: 500, completionTokens: 250 })).toBe(1);
    expect(costOf({ a: { promptPer1k: 3, completionPer1k: 0 } }, 'a', { promptTokens: 1000, completionTokens: 9 })).toBe(3);
    expect(() => costOf({ a: { promptPer1k: 3, completionPer1k: 0 } }, 'b', { promptTokens: 0, completionTokens: 0 })).toThrow('priceTable: no prices for model "b"');
  });
});

describe('request limiter', () => {
  it('keeps concurrency, spaces starts to the rpm, and holds until a rate-limit reset', async () => {
    const clock = new FakeClock(0);
    const lim = new RequestLimiter({ concurrency: 2, rpm: 3, clock });
    const starts: number[] = [];
    let active = 0;
    let peak = 0;
    const job = async () => {
      starts.push(clock.now());
      peak = Math.max(peak, ++active);
      await clock.sleep(10);
      active--;
    };
    const all = Promise.all(Array.from({ length: 5 }, () => lim.run(job)));
    await clock.runAll();
    await all;
    expect(peak).toBe(2);
    expect(starts).toEqual([0, 0, 10, 60_000, 60_000]);
    lim.holdFor(5000);
    const p = lim.run(async () => clock.now());
    await clock.runAll();
    expect(await p).toBe(60_010 + 5000); // the hold; the window then has 2 starts, below the rpm
  });
});

function countingTeacher(fn: (n: number, r: ScoreRequest) => Promise<ScoreResult> | ScoreResult, id = 't') {
  let n = 0;
  const t: Teacher & { n: () => number } = {
    specVersion: '1.0',
    info: { id, accepts: ['none', 'discrete-text'] },
    n: () => n,
    async score(r) {
      n++;
      return fn(n, r);
    },
  };
  return t;
}
const result = (rows = 1): ScoreResult => ({ rows, classes: 2, logits: new Float32Array(2 * rows).fill(1), usage: { promptTokens: 10, completionTokens: 1, costUsd: 0.5 } });

describe('createRemoteTeacher', () => {
  it('shares one provider call among identical concurrent requests', async () => {
    const clock = new FakeClock();
    const inner = countingTeacher(async () => {
      await clock.sleep(5);
      return result();
    });
    const stats = { shared: 0 };
    const t = withSingleFlight(stats)(inner);
    const all = Promise.all([t.score(req([ex('1', 'a')])), t.score(req([ex('1', 'a')])), t.score(req([ex('2', 'b')]))]);
    await clock.runAll();
    const [a, b] = await all;
    expect(inner.n()).toBe(2);
    expect(stats.shared).toBe(1);
    expect(a.cached).toBeUndefined();
    expect(b.cached).toBe(true);
  });

  it('charges only what reached the provider (cache hits are free), keeps a ledger, and enforces money limits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-remote-'));
    const ledgerPath = join(dir, 'ledger.json');
    const inner = countingTeacher(() => result());
    const t = createRemoteTeacher(inner, { cacheDir: join(dir, 'cache'), ledgerPath, budget: { costUsd: 1 } });
    await t.score(req([ex('1', 'a')]));
    expect((await t.score(req([ex('1', 'a')]))).cached).toBe(true);
    await t.score(req([ex('2', 'b')]));
    expect(t.budget.usage()).toEqual({ calls: 2, evalCalls: 0, promptTokens: 20, completionTokens: 2, costUsd: 1 });
    expect(t.cacheStats).toEqual({ hits: 1, misses: 2 });
    await expect(t.score(req([ex('3', 'c')]))).rejects.toThrow(BudgetExhaustedError);
    await expect(t.score(req([ex('3', 'c')]))).rejects.toThrow('budget exhausted: cost budget of $1 spent');
    expect(inner.n()).toBe(2);
    expect(JSON.parse(readFileSync(ledgerPath, 'utf8'))).toEqual(t.budget.usage());
    // a new process over the same ledger and cache: spending is remembered, cached answers are free
    const again = createRemoteTeacher(countingTeacher(() => result()), { cacheDir: join(dir, 'cache'), ledgerPath });
    expect(again.budget.usage().costUsd).toBe(1);
    expect((await again.score(req([ex('2', 'b')]))).cached).toBe(true);
  });

  it('enforces a token budget from the usage the adapter reported', async () => {
    const t = createRemoteTeacher(countingTeacher(() => result()), { budget: { tokens: 15 } });
    await t.score(req([ex('1', 'a')]));
    await t.score(req([ex('2', 'b')])); // 11 tokens spent < 15: allowed, overshoots to 22
    await expect(t.score(req([ex('3', 'c')]))).rejects.toThrow('budget exhausted: token budget of 15 spent');
    expect(t.budget.usage()).toMatchObject({ calls: 2, promptTokens: 20, completionTokens: 2 });
  });

  it('retries inside the budget: a request retried twice is charged once', async () => {
    const clock = new FakeClock();
    const inner = countingTeacher((n) => {
      if (n < 3) throw new TeacherError('503', { status: 503, retryAfterMs: 40 });
      return result();
    });
    const budget = new BudgetMeter({ calls: 5 });
    const t = createRemoteTeacher(inner, { budget, cache: new MemoryCache(), retries: { retries: 3, baseMs: 10, jitter: 0 }, clock });
    const p = t.score(req([ex('1', 'a')]));
    await clock.runAll();
    await p;
    expect(clock.sleeps).toEqual([40, 40]);
    expect(budget.usage().calls).toBe(1);
    expect(inner.n()).toBe(3);
  });
});

describe('scoreByRows', () => {
  const limiter = new RequestLimiter({ concurrency: 2 });
  it('keeps the rows that succeeded; a retry sends only the missing ones; duplicates are fetched and paid once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-rows-'));
    const partial = new PartialResults(dir);
    const sent: number[] = [];
    let fail = true;
    const request = req([ex('1', 'a'), ex('2', 'b'), ex('1', 'a'), ex('3', 'c')]);
    const run = () =>
      scoreByRows({
        teacherId: 't',
        request,
        classes: 2,
        partial,
        limiter,
        cost: (u) => u.promptTokens / 100 + u.requests,
        jobs: (pending) =>
          pending.map(
            (r): RowJob => ({
              rows: [r],
              async run() {
                sent.push(r);
                if (r === 3 && fail) throw new TeacherError('429', { status: 429, retryAfterMs: 1000 });
                return { scores: [Float64Array.of(r, -r)], usage: { promptTokens: 10, completionTokens: 1 } };
              },
            }),
          ),
      });
    await expect(run()).rejects.toMatchObject({ retryAfterMs: 1000 });
    expect(sent).toEqual([0, 1, 3]);
    expect(partial.size).toBe(2);
    // another process (a new store over the same directory) after a crash
    const fresh = new PartialResults(dir);
    expect(fresh.get(PartialResults.key('t', request, 1))?.scores).toEqual(Float64Array.of(1, -1));
    fail = false;
    const r = await run();
    expect(sent).toEqual([0, 1, 3, 3]);
    expect(Array.from(r.logits)).toEqual([0, -0, 1, -1, 0, -0, 3, -3]);
    expect(r.usage).toEqual({ calls: 1, promptTokens: 30, completionTokens: 3, costUsd: 3.3 });
    expect(existsSync(join(dir, PartialResults.key('t', request, 0).slice(0, 2)))).toBe(true);
    expect(partial.size).toBe(0);
    expect(fresh.get(PartialResults.key('t', request, 1))).toBeUndefined();
  });
});
