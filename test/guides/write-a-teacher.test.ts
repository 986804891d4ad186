/**
 * Runs docs/guides/write-a-teacher.md's adapter against a local Acme server (127.0.0.1, port 0) that this test
 * starts and stops: scores and cost as the wire protocol says, a cache hit that is not paid, a 429 retried
 * after the server's Retry-After, and a wrong key refused in one line without the key.
 */
import { LoopbackServer, type RouteResult } from '../servers/loopback.js';
import { main } from './write-a-teacher.example.js';

const KEY = 'acme-guide-LOOPBACK-5e6f7a8b';

/** Acme's /v1/score: "great" is likely when the text is funny, "bad" otherwise; one input token per word. */
function score(body: unknown): RouteResult {
  const { text, labels } = body as { model: string; text: string; labels: string[] };
  const funny = text.includes('funny');
  const logprob = (label: string) => (label === 'great' ? (funny ? -0.25 : -2) : funny ? -2 : -0.5);
  const inputTokens = text.split(/\s+/).length;
  return {
    body: { scores: labels.map((label) => ({ label, logprob: logprob(label) })), usage: { input_tokens: inputTokens, output_tokens: 0 } },
    billed: { promptTokens: inputTokens, completionTokens: 0 },
  };
}

describe('guide: write a teacher', () => {
  let server: LoopbackServer;
  beforeEach(async () => {
    server = await new LoopbackServer({ '/v1/score': score }, KEY).start();
  });
  afterEach(async () => {
    await server.close();
  });

  it('scores through the plugin-registered adapter; the second call is a cache hit; cost is the server’s bill', async () => {
    const r = await main({ url: server.url, apiKey: KEY });
    expect(r.id).toMatch(/^acme:acme-small#[0-9a-f]{12}$/);
    expect(r.logits).toEqual([-2, -0.25, -0.5, -2]);
    expect(r.cached).toBe(true);
    expect(server.log.map((e) => e.status)).toEqual([200, 200]);
    expect(r.spent).toEqual({ calls: 1, evalCalls: 0, promptTokens: server.billed.promptTokens, completionTokens: 0, costUsd: (server.billed.promptTokens * 0.5) / 1000 });
    expect(server.authHeaders).toEqual(new Set([`Bearer ${KEY}`]));
  });

  it('a 429 is retried after the server’s Retry-After and charged once; only the failed example is sent again', async () => {
    server.fail({ status: 429, headers: { 'retry-after-ms': '30' } });
    const r = await main({ url: server.url, apiKey: KEY });
    expect(r.logits).toEqual([-2, -0.25, -0.5, -2]);
    expect(server.log.map((e) => e.status)).toEqual([429, 200, 200]);
    expect(r.spent.calls).toBe(1);
  });

  it('a wrong key: HTTP 401 in one line, not retried, the key redacted', async () => {
    const wrong = 'acme-WRONG-key-0000';
    await expect(main({ url: server.url, apiKey: wrong })).rejects.toMatchObject({
      code: 'HTTP_ERROR',
      retryable: false,
      message: expect.stringMatching(/^acme acme-small: HTTP 401 — .*Bearer \[redacted\]/),
    });
    expect(server.log.map((e) => e.status)).toEqual([401, 401]);
  });
});
