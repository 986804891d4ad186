/**
 * Load on the LMaaS server (loopback only, bounded): 16 concurrent clients for GDFO_LOAD_SECONDS (default 30)
 * seconds — zero errors, every response the right one (no lost, duplicated or swapped responses), p50/p99
 * latency printed. Then a burst beyond the queue: the excess gets 503, the server never crashes and serves
 * again afterwards.
 */
import type { Example, ScoreRequest, Teacher } from '@gdfo/spec';
import { initBackend, tinyModel } from '@gdfo/models';
import { createLocalTeacher } from '@gdfo/adapter-local';
import { createLmaasServer, createLmaasTeacher } from '@gdfo/adapter-lmaas';

const SECONDS = Number(process.env['GDFO_LOAD_SECONDS'] ?? 30);

function request(i: number): ScoreRequest {
  const examples: Example[] = [0, 1, 2, 3].map((j) => ({ id: `r${i}-${j}`, text: `load request ${i} example ${j} was great`, label: j % 2 }));
  return {
    examples,
    template: { specVersion: '1.0', text: '{text} . It was {mask} .' },
    verbalizer: { specVersion: '1.0', words: ['bad', 'great'] },
    prompt: { kind: 'none' },
    purpose: 'dev',
  };
}

describe('LMaaS server under load', () => {
  it(`16 clients for ${SECONDS} s: no errors, no lost or swapped responses; a burst past the queue gets 503`, async () => {
    await initBackend({ prefer: 'cpu' });
    const local = await createLocalTeacher({ model: tinyModel({ seed: 3 }), promptLength: 4 });
    const DISTINCT = 8;
    const expected: Float32Array[] = [];
    for (let i = 0; i < DISTINCT; i++) expected.push((await local.score(request(i))).logits);
    const server = createLmaasServer({ teacher: local, host: '127.0.0.1', port: 0, token: 'load-token', maxQueue: 16 });
    const { url } = await server.listen();
    try {
      const clients = await Promise.all(Array.from({ length: 16 }, () => createLmaasTeacher({ url, token: 'load-token' })));
      const latencies: number[] = [];
      let sent = 0;
      let wrong = 0;
      let errors = 0;
      const end = performance.now() + SECONDS * 1000;
      await Promise.all(
        clients.map(async (client, c) => {
          for (let k = 0; performance.now() < end; k++) {
            const i = (c * 7 + k) % DISTINCT;
            const t0 = performance.now();
            sent++;
            try {
              const r = await client.score(request(i));
              latencies.push(performance.now() - t0);
              if (Buffer.compare(Buffer.from(r.logits.buffer, r.logits.byteOffset, r.logits.byteLength), Buffer.from(expected[i]!.buffer)) !== 0) wrong++;
            } catch {
              errors++;
            }
          }
        }),
      );
      latencies.sort((a, b) => a - b);
      const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
      console.log(JSON.stringify({ load: 'lmaas', clients: 16, seconds: SECONDS, requests: sent, p50_ms: +q(0.5).toFixed(1), p99_ms: +q(0.99).toFixed(1) }));
      expect(errors).toBe(0);
      expect(wrong).toBe(0);
      expect(latencies).toHaveLength(sent);

      const after = await clients[0]!.score(request(3));
      expect(Array.from(after.logits)).toEqual(Array.from(expected[3]!));
    } finally {
      await server.close();
    }

    // Burst: 60 raw requests at once against a queue of 4 → the excess gets 503, every reply is well-formed,
    // and the server still answers afterwards. The teacher waits 20 ms (as a remote model would) so that
    // requests really pile up: the CPU backend scores synchronously and would otherwise drain the queue
    // between two arrivals.
    const slow: Teacher = { ...local, score: async (r, o) => (await new Promise((ok) => setTimeout(ok, 20)), local.score(r, o)) };
    const small = createLmaasServer({ teacher: slow, host: '127.0.0.1', port: 0, token: 'load-token', maxQueue: 4 });
    const { url: smallUrl } = await small.listen();
    try {
      const body = JSON.stringify({ ...request(0), prompt: { kind: 'none' } });
      const statuses = await Promise.all(
        Array.from({ length: 60 }, async () => {
          const r = await fetch(`${smallUrl}/v1/score`, { method: 'POST', headers: { authorization: 'Bearer load-token', 'content-type': 'application/json' }, body });
          const json = (await r.json()) as { error?: { message: string } };
          if (r.status === 503) expect(json.error?.message).toMatch(/queue full/);
          return r.status;
        }),
      );
      console.log(JSON.stringify({ burst: 60, ok: statuses.filter((s) => s === 200).length, rejected503: statuses.filter((s) => s === 503).length }));
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      const again = await (await createLmaasTeacher({ url: smallUrl, token: 'load-token' })).score(request(5));
      expect(Array.from(again.logits)).toEqual(Array.from(expected[5]!));
    } finally {
      await small.close();
    }
  }, (SECONDS + 60) * 1000);
});
