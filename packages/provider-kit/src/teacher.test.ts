import type { ScoreRequest } from '@gdfo/spec';
import { TeacherError } from '@gdfo/core';
import { chatMessages, chatRow } from './chat.js';
import { RequestLimiter } from './limiter.js';
import { createRowTeacher } from './teacher.js';
import { connectionFailed, requestFailed, requestTimedOut, settingsId } from './text.js';

const request = (n = 2): ScoreRequest => ({
  examples: Array.from({ length: n }, (_v, i) => ({ id: `e${i}`, text: `text ${i}`, label: 0 })),
  template: { specVersion: '1.0', text: '{text} . It was {mask} .' },
  verbalizer: { specVersion: '1.0', words: ['bad', 'great'] },
  prompt: { kind: 'none' },
  purpose: 'train',
});

describe('createRowTeacher', () => {
  it('scores each pending row with its jobs, sums usage and money, and checks the request first', async () => {
    const sent: number[] = [];
    const t = createRowTeacher({
      id: 'row-1',
      who: 'row teacher',
      limiter: new RequestLimiter({ concurrency: 2 }),
      cost: (u) => u.promptTokens / 1000 + u.requests,
      jobs: (_request, pending) =>
        pending.map((r) => ({
          rows: [r],
          async run() {
            sent.push(r);
            return { scores: [Float64Array.of(-r, r)], usage: { promptTokens: 10, completionTokens: 1 } };
          },
        })),
    });
    expect(t.info).toEqual({ id: 'row-1', accepts: ['none', 'discrete-text'] });
    const r = await t.score(request(3));
    expect(Array.from(r.logits)).toEqual([-0, 0, -1, 1, -2, 2]);
    expect(r.usage).toEqual({ calls: 1, promptTokens: 30, completionTokens: 3, costUsd: 3.03 });
    expect(sent.sort()).toEqual([0, 1, 2]);
    await expect(t.score(request(0))).rejects.toThrow('row teacher: score request needs at least one example');
    await expect(t.score({ ...request(), prompt: { kind: 'continuous-shallow', mode: 'add', length: 1, width: 1, values: new Float32Array(1) } })).rejects.toThrow(
      'row teacher: accepts prompt kinds none and discrete-text, got continuous-shallow',
    );
  });
});

describe('chat format and errors', () => {
  it('reads a chat row, refuses a response without logprobs, and words failures in one line', () => {
    expect(chatMessages('Pick one of: {words}.', ['bad', 'great'], 'x ___')).toEqual([
      { role: 'system', content: 'Pick one of: bad, great.' },
      { role: 'user', content: 'x ___' },
    ]);
    const data = { choices: [{ logprobs: { content: [{ token: 'great', logprob: -0.1, top_logprobs: [{ token: 'great', logprob: -0.1 }, { token: 'bad', logprob: -2.5 }] }] } }], usage: { prompt_tokens: 7, completion_tokens: 1 } };
    const row = chatRow(data, ['bad', 'great'], { who: 'w', what: 'server' });
    expect(Array.from(row.scores[0]!)).toEqual([-2.5, -0.1]);
    expect(row.usage).toEqual({ promptTokens: 7, completionTokens: 1 });
    expect(() => chatRow({ choices: [] }, ['bad'], { who: 'w', what: 'server' })).toThrow('w: malformed response — no choices[0].logprobs.content[0].top_logprobs (does this server support logprobs?)');
    expect(requestTimedOut('w', 50)).toMatchObject({ code: 'TIMEOUT', retryable: true, message: 'w: HTTP request timed out after 50 ms' });
    const refused = connectionFailed('w', new Error('fetch failed', { cause: new Error('ECONNREFUSED key-12345') }), ['key-12345']);
    expect(refused).toMatchObject({ code: 'CONNECTION', retryable: true, message: 'w: connection failed — ECONNREFUSED [redacted]' });
    expect(refused.cause).toBeUndefined();
    expect(requestFailed('w', new SyntaxError('Unexpected end'), [])).toMatchObject({ code: 'BAD_RESPONSE', retryable: true });
    expect(requestFailed('w', new Error('odd'), [])).toBeInstanceOf(TeacherError);
    expect(settingsId('p', { b: 1, a: 2 })).toBe(settingsId('p', { a: 2, b: 1 }));
    expect(settingsId('p', { a: 1 })).toMatch(/^p#[0-9a-f]{12}$/);
  });
});
