import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Example, ScoreRequest, ScoreResult, Teacher, TeacherMiddleware, Usage } from '@gdfo/spec';
import { BudgetMeter, composeTeacher, createContainer, installPlugin, withBudget } from '@gdfo/core';
import plugin, { costGuard, estimatePromptTokens, type CostGuardMiddleware } from './index.js';

const examples = (n: number, chars = 40): Example[] => Array.from({ length: n }, (_v, i) => ({ id: `e${i}`, text: 'a'.repeat(chars), label: i % 2 }));

function request(n: number, purpose: ScoreRequest['purpose'] = 'train', prompt: ScoreRequest['prompt'] = { kind: 'none' }): ScoreRequest {
  return {
    examples: examples(n),
    template: { specVersion: '1.0', text: '{text} . It was {mask} .' },
    verbalizer: { specVersion: '1.0', words: ['bad', 'great'] },
    prompt,
    purpose,
  };
}

/** A teacher that records its calls and reports the given usage. */
function fakeTeacher(usage?: Partial<Usage>, cached = false): Teacher & { calls: number } {
  const t = {
    specVersion: '1.0' as const,
    info: { id: 'fake', accepts: ['none', 'discrete-text'] as const },
    calls: 0,
    async score(req: ScoreRequest): Promise<ScoreResult> {
      t.calls++;
      return { logits: new Float32Array(req.examples.length * 2), rows: req.examples.length, classes: 2, ...(usage ? { usage } : {}), ...(cached ? { cached } : {}) };
    },
  };
  return t;
}

const quiet = { write: () => undefined, clock: { now: () => 1000, sleep: async () => undefined } };

describe('estimatePromptTokens', () => {
  it('counts each filled template at 4 characters per token, plus the mask and the prompt', () => {
    // "aaaa…a (40) . It was  ." is 52 characters → 13 tokens, + 1 for the mask = 14 per example.
    expect(estimatePromptTokens(request(3))).toBe(42);
    expect(estimatePromptTokens(request(3), 2)).toBe(3 * (26 + 1));
    // A 20-character discrete prompt adds 5 tokens per example.
    expect(estimatePromptTokens(request(3, 'train', { kind: 'discrete-text', text: 'b'.repeat(20) }))).toBe(3 * 19);
    // A continuous prompt in 'cat' mode adds its positions; in 'add' mode it adds none.
    const values = new Float32Array(50 * 8);
    expect(estimatePromptTokens(request(2, 'train', { kind: 'continuous-shallow', mode: 'cat', length: 50, width: 8, values }))).toBe(2 * 64);
    expect(estimatePromptTokens(request(2, 'train', { kind: 'continuous-shallow', mode: 'add', length: 50, width: 8, values }))).toBe(2 * 14);
  });
});

describe('cost-guard middleware', () => {
  it('refuses a request above the per-call cap before it reaches the teacher or the budget', async () => {
    const inner = fakeTeacher();
    const budget = new BudgetMeter({ calls: 10 });
    const mw = costGuard({ maxPromptTokensPerCall: 100, ...quiet });
    const teacher = composeTeacher(inner, withBudget(budget), mw);
    await expect(teacher.score(request(7))).resolves.toMatchObject({ rows: 7 }); // 98 tokens: allowed
    await expect(teacher.score(request(8))).rejects.toThrow('cost-guard: a train request of ~112 prompt tokens (8 examples) exceeds maxPromptTokensPerCall 100');
    await expect(teacher.score(request(8))).rejects.toMatchObject({ code: 'COST_GUARD', retryable: false });
    expect(inner.calls).toBe(1);
    expect(budget.usage().calls).toBe(1);
    expect(mw.guard.spend()).toMatchObject({ calls: 1, refused: 2, estimatedPromptTokens: 98, promptTokens: 98 });
  });

  it('charges what the provider reports, else prices the estimate; cache hits are free', async () => {
    const priced = costGuard({ usdPerMillionPromptTokens: 2, usdPerMillionCompletionTokens: 10, ...quiet });
    const reported = composeTeacher(fakeTeacher({ promptTokens: 500, completionTokens: 20, costUsd: 0.01 }), priced);
    await reported.score(request(3));
    const estimated = composeTeacher(fakeTeacher({ completionTokens: 100 }), priced);
    await estimated.score(request(3, 'dev'));
    const cached = composeTeacher(fakeTeacher({ promptTokens: 999, costUsd: 5 }, true), priced);
    await cached.score(request(3, 'test'));
    const s = priced.guard.spend();
    expect(s.calls).toBe(3);
    expect(s.cachedCalls).toBe(1);
    expect(s.promptTokens).toBe(500 + 42);
    expect(s.completionTokens).toBe(120);
    // 0.01 reported + (42·2 + 100·10)/1e6 estimated for the dev call.
    expect(s.costUsd).toBeCloseTo(0.01 + 0.001084, 12);
    expect(s.byPurpose.dev.costUsd).toBeCloseTo(0.001084, 12);
    expect(s.byPurpose.test).toMatchObject({ calls: 1, cachedCalls: 1, costUsd: 0, promptTokens: 0 });
  });

  it('refuses the call that would take the total spend over maxTotalUsd', async () => {
    const mw = costGuard({ maxTotalUsd: 0.025, ...quiet });
    const teacher = composeTeacher(fakeTeacher({ costUsd: 0.01 }), mw);
    await teacher.score(request(1));
    await teacher.score(request(1));
    await teacher.score(request(1)); // 0.03 spent: the guard cannot know a call's price before the provider says it
    await expect(teacher.score(request(1))).rejects.toThrow(/^cost-guard: this train call would bring the spend to ~\$0\.0300, above maxTotalUsd \$0\.0250 \(spent \$0\.0300 in 3 calls\)$/);
    const est = costGuard({ maxTotalUsd: 0.0001, usdPerMillionPromptTokens: 10, ...quiet });
    // 14 tokens per example at $10/M: 10 examples = $0.0014 estimated > $0.0001.
    await expect(composeTeacher(fakeTeacher(), est).score(request(10))).rejects.toThrow(/above maxTotalUsd \$0\.0001/);
  });

  it('logs each call as a JSON line, keeps a ledger across restarts and prints summaries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-cost-'));
    const lines: string[] = [];
    const options = { logFile: join(dir, 'spend.jsonl'), ledgerFile: join(dir, 'ledger.json'), maxPromptTokensPerCall: 50, summaryEvery: 2, write: (l: string) => lines.push(l), clock: quiet.clock };
    const first = costGuard(options);
    const t1 = composeTeacher(fakeTeacher({ costUsd: 0.5 }), first);
    await t1.score(request(2));
    await expect(t1.score(request(5))).rejects.toThrow(/exceeds maxPromptTokensPerCall 50/);
    await t1.score(request(3));
    expect(lines).toEqual(['cost-guard: 2 calls (0 cached, 1 refused), ~70 prompt tokens estimated, 70 prompt + 0 completion tokens, $1.0000']);
    const log = readFileSync(options.logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.map((e) => [e['event'], e['estimatedPromptTokens'], e['totalUsd']])).toEqual([
      ['call', 28, 0.5],
      ['refused', 70, undefined],
      ['call', 42, 1],
    ]);
    expect(log[0]!['time']).toBe(1000);
    // A new guard on the same ledger (a resumed run) continues from the saved totals.
    const second = costGuard(options);
    expect(second.guard.spend()).toEqual(first.guard.spend());
    await composeTeacher(fakeTeacher({ costUsd: 0.25 }), second).score(request(1));
    expect(second.guard.spend()).toMatchObject({ calls: 3, refused: 1, costUsd: 1.25 });
    expect(JSON.parse(readFileSync(options.ledgerFile, 'utf8')).total.costUsd).toBe(1.25);
  });

  it('refuses bad options and a foreign ledger in one line', () => {
    expect(() => costGuard({ maxPromptTokensPerCall: -1 })).toThrow('middleware cost-guard: option "maxPromptTokensPerCall" must be a positive number, got -1');
    expect(() => costGuard({ maxTotal: 5 } as never)).toThrow(/^middleware cost-guard: unknown option "maxTotal"; expected one of maxPromptTokensPerCall, maxTotalUsd,/);
    expect(() => costGuard({ logFile: '' })).toThrow('middleware cost-guard: option "logFile" must be a file path, got ""');
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-cost-'));
    const cfg = join(dir, 'package.json');
    writeFileSync(cfg, '{"name":"x"}');
    expect(() => costGuard({ ledgerFile: cfg })).toThrow(`middleware cost-guard: ${cfg} is not a cost-guard ledger (format undefined, expected "gdfo-cost-guard/1")`);
  });
});

describe('plugin', () => {
  it('registers the middleware under kind "middleware" through the public registry', async () => {
    const { registry } = createContainer({ seed: 1 });
    await installPlugin(registry, plugin, 'gdfo-plugin-cost-guard');
    expect(registry.names('middleware')).toEqual(['cost-guard']);
    const mw = await registry.resolve<TeacherMiddleware>('middleware', 'cost-guard', { maxPromptTokensPerCall: 20 });
    const inner = fakeTeacher();
    const teacher = mw(inner);
    expect(teacher.info).toBe(inner.info);
    await expect(teacher.score(request(2))).rejects.toThrow('exceeds maxPromptTokensPerCall 20');
    expect((mw as CostGuardMiddleware).guard.spend().refused).toBe(1);
  });
});
