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

describe('stopping a call (CallOptions.stop) against cutting it (signal)', () => {
  /** A row teacher whose requests (one per row) wait until the test answers them. */
  function manual() {
    const sent: number[] = [];
    const cut: number[] = [];
    const answer = new Map<number, (ok: boolean) => void>();
    const teacher = createRowTeacher({
      id: 'row-stop',
      who: 'row teacher',
      limiter: new RequestLimiter({ concurrency: 2 }),
      jobs: (_request, pending) =>
        pending.map((r) => ({
          rows: [r],
          run: (signal?: AbortSignal) =>
            new Promise((resolve, reject) => {
              sent.push(r);
              signal?.addEventListener('abort', () => (cut.push(r), reject(signal.reason)), { once: true });
              answer.set(r, (ok) => (ok ? resolve({ scores: [Float64Array.of(r, -r)] }) : reject(new TeacherError(`row ${r} refused`, { retryable: false, code: 'HTTP_400' }))));
            }),
        })),
    });
    const tick = () => new Promise((r) => setTimeout(r, 0));
    return { sent, cut, answer, teacher, tick };
  }

  it('stop: nothing more is sent, the request in flight finishes and its row is kept; a retry sends only the rest', async () => {
    const m = manual();
    const stop = new AbortController();
    const call = m.teacher.score(request(4), { stop: stop.signal });
    await m.tick();
    expect(m.sent).toEqual([0, 1]); // concurrency 2: rows 2 and 3 wait
    const failed = new TeacherError('a sibling call failed', { retryable: false, code: 'HTTP_400' });
    stop.abort(failed);
    m.answer.get(1)!(false);
    await m.tick();
    m.answer.get(0)!(true); // answered after the stop: kept, not cut
    await expect(call).rejects.toThrow(/^row 1 refused$|^a sibling call failed$/);
    expect(m.sent).toEqual([0, 1]);
    expect(m.cut).toEqual([]);
    const again = m.teacher.score(request(4));
    await m.tick();
    for (let k = 0; k < 3; k++) {
      for (const r of [1, 2, 3]) m.answer.get(r)?.(true);
      await m.tick();
    }
    const r = await again;
    expect(m.sent).toEqual([0, 1, 1, 2, 3]); // row 0 was paid once
    expect(Array.from(r.logits)).toEqual([0, -0, 1, -1, 2, -2, 3, -3]);
  });

  it('signal: the requests in flight are cut and nothing of them is kept', async () => {
    const m = manual();
    const ctrl = new AbortController();
    const call = m.teacher.score(request(3), { signal: ctrl.signal });
    await m.tick();
    ctrl.abort(new Error('interrupted'));
    await expect(call).rejects.toThrow('interrupted');
    expect(m.sent).toEqual([0, 1]);
    expect(m.cut.sort()).toEqual([0, 1]);
    const again = m.teacher.score(request(3));
    await m.tick();
    for (let k = 0; k < 3; k++) {
      for (const r of [0, 1, 2]) m.answer.get(r)?.(true);
      await m.tick();
    }
    await again;
    expect(m.sent).toEqual([0, 1, 0, 1, 2]); // the cut rows are sent again
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
