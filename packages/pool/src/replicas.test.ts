import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Example, Prompt, ScoreRequest, ScoreResult, Teacher } from '@gdfo/spec';
import { BudgetMeter, composeTeacher, withBudget } from '@gdfo/core';
import { initBackend, saveCheckpoint, tinyModel } from '@gdfo/models';
import { createLocalTeacher } from '@gdfo/adapter-local';
import { createLmaasServer, type LmaasServer } from '@gdfo/adapter-lmaas';
import { createSyntheticTeacher, SyntheticWorld } from '@gdfo/testing';
import { createTeacherPool, type PoolEvent } from './pool.js';
import { workerReplicas } from './worker-teacher.js';
import { lmaasReplicas, createLmaasReplica } from './lmaas.js';

describe('local teachers in worker threads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdfo-pool-ckpt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a pool of 2 threads, each with its own wasm backend, gives the in-process logits exactly', async () => {
    saveCheckpoint(dir, tinyModel({ seed: 'pool' }));
    const options = { promptLength: 4, maxPromptLength: 8, batchSize: 4, backend: 'wasm' };
    await initBackend({ prefer: 'wasm' });
    const local = await createLocalTeacher({ checkpoint: dir, ...options });
    const examples: Example[] = ['the movie was very good', 'a bad film', 'this is not the answer', 'great', 'it was a movie'].map((text, i) => ({
      id: String(i),
      text,
      label: i % 2,
    }));
    const H = local.info.width!;
    const req = (i: number): ScoreRequest => ({
      examples,
      template: { specVersion: '1.0', text: '{text} . it was {mask} .' },
      verbalizer: { specVersion: '1.0', words: ['bad', 'great'] },
      prompt: { kind: 'continuous-shallow', mode: 'add', length: 4, width: H, values: Float32Array.from({ length: 4 * H }, (_v, j) => Math.sin(i + j) * 0.5) },
      purpose: 'train',
    });
    const pool = await createTeacherPool({ replicas: workerReplicas({ kind: 'local', checkpoint: dir, options }, 2) });
    try {
      expect(pool.info.id).toBe(local.info.id);
      const got = await Promise.all(Array.from({ length: 8 }, (_v, i) => pool.score(req(i))));
      for (let i = 0; i < 8; i++) {
        const want = await local.score(req(i));
        expect(Array.from(got[i]!.logits)).toEqual(Array.from(want.logits));
        expect(got[i]!.usage).toEqual(want.usage);
      }
      // both threads served (the split depends on timing)
      const served = pool.stats().map((s) => s.completed);
      expect(served[0]! + served[1]!).toBe(8);
      expect(Math.min(...served)).toBeGreaterThanOrEqual(1);
      // the calibrated hidden scales reach the pool's info
      expect(pool.info.scale?.hidden).toHaveLength(2);
    } finally {
      await pool.close();
      await local.close();
    }
  }, 60_000);
});

describe('LMaaS servers as replicas', () => {
  const world = new SyntheticWorld({ dim: 8, width: 4, classes: 2, seed: 21 });
  const task = world.task({ train: 6, dev: 2, test: 2 });
  const TOKEN = 'pool-token';
  const request = (i: number): ScoreRequest => ({
    examples: task.train,
    template: task.template,
    verbalizer: task.verbalizer,
    prompt: { kind: 'continuous-shallow', mode: 'add', length: 1, width: 8, values: Float32Array.from({ length: 8 }, (_v, j) => Math.cos(i * 8 + j)) } as Prompt,
    purpose: 'train',
  });
  /** A synthetic teacher behind a switch: while `hang` is set, calls never return (a stuck server). */
  const switched = () => {
    const inner = createSyntheticTeacher(world);
    const state = { hang: false, calls: 0 };
    const teacher: Teacher = {
      ...inner,
      async score(req): Promise<ScoreResult> {
        state.calls++;
        if (state.hang) return new Promise<ScoreResult>(() => undefined);
        await new Promise((r) => setTimeout(r, 5));
        return inner.score(req);
      },
    };
    return { teacher, state };
  };

  it('balances over two servers, fails over when one dies mid-call, and takes it back after a restart', async () => {
    const a = switched();
    const b = switched();
    let serverA: LmaasServer = createLmaasServer({ teacher: a.teacher, token: TOKEN, shutdownGraceMs: 0 });
    const serverB = createLmaasServer({ teacher: b.teacher, token: TOKEN });
    const { url: urlA, port: portA } = await serverA.listen();
    const { url: urlB } = await serverB.listen();
    const events: PoolEvent[] = [];
    const pool = await createTeacherPool({ replicas: lmaasReplicas([urlA, urlB], { token: TOKEN }), healthIntervalMs: 100, onEvent: (e) => events.push(e) });
    const serial = createSyntheticTeacher(world);
    const budget = new BudgetMeter({ calls: 1000 });
    const teacher = composeTeacher(pool, withBudget(budget));
    try {
      const first = await Promise.all(Array.from({ length: 10 }, (_v, i) => teacher.score(request(i))));
      for (let i = 0; i < 10; i++) expect(Array.from(first[i]!.logits)).toEqual(Array.from((await serial.score(request(i))).logits));
      expect(a.state.calls).toBeGreaterThan(2);
      expect(b.state.calls).toBeGreaterThan(2);

      // server A hangs on its next call, then is shut down: the call in flight is dropped and re-sent to B
      a.state.hang = true;
      const second = Promise.all(Array.from({ length: 6 }, (_v, i) => teacher.score(request(100 + i))));
      await new Promise((r) => setTimeout(r, 50));
      await serverA.close();
      const got = await second;
      for (let i = 0; i < 6; i++) expect(Array.from(got[i]!.logits)).toEqual(Array.from((await serial.score(request(100 + i))).logits));
      expect(budget.usage().calls).toBe(16);
      expect(events.filter((e) => e.type === 'down').map((e) => e.replica)).toEqual([0]);
      expect(pool.stats()[0]!.up).toBe(false);

      // a fresh server on A's port: the /healthz probe brings the replica back
      a.state.hang = false;
      serverA = createLmaasServer({ teacher: a.teacher, token: TOKEN, port: portA });
      await serverA.listen();
      for (let i = 0; i < 50 && !pool.stats()[0]!.up; i++) await new Promise((r) => setTimeout(r, 50));
      expect(pool.stats()[0]!.up).toBe(true);
      const before = a.state.calls;
      await Promise.all(Array.from({ length: 4 }, (_v, i) => teacher.score(request(200 + i))));
      expect(a.state.calls).toBeGreaterThan(before);
    } finally {
      await pool.close();
      await serverA.close();
      await serverB.close();
    }
  }, 30_000);

  it('classifies a refused connection as a replica failure and a 4xx as the request’s own', async () => {
    await expect(createLmaasReplica('http://127.0.0.1:9', { token: TOKEN })).rejects.toMatchObject({ code: 'REPLICA_DOWN', retryable: true });
    const s = createLmaasServer({ teacher: createSyntheticTeacher(world), token: TOKEN });
    const { url } = await s.listen();
    try {
      const r = await createLmaasReplica(url, { token: TOKEN });
      await expect(r.ping()).resolves.toBeUndefined();
      const bad = { ...request(0), examples: [] };
      const err = await r.score(bad).catch((e: unknown) => e);
      expect(err).toMatchObject({ retryable: false });
      expect((err as { status: number }).status).toBeGreaterThanOrEqual(400);
      expect((err as { status: number }).status).toBeLessThan(500);
      expect(() => lmaasReplicas(['ftp://x'], { token: TOKEN })).toThrow('lmaasReplicas urls[0]: expected http(s)://host:port, got "ftp://x"');
    } finally {
      await s.close();
    }
  });
});
