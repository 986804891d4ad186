import type { Prompt, ScoreRequest } from '@gdfo/spec';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BudgetMeter, composeTeacher, createContainer, installPlugin, withBudget } from '@gdfo/core';
import { createSyntheticTeacher, SyntheticWorld } from '@gdfo/testing';
import { createTeacherPool, type PoolEvent } from './pool.js';
import { createWorkerTeacher, workerReplicas } from './worker-teacher.js';
import { buildTeacher, teacherRegistry, type SyntheticTeacherSpec } from './specs.js';

const spec: SyntheticTeacherSpec = { kind: 'synthetic', world: { dim: 16, width: 8, classes: 3, seed: 11 } };
const world = new SyntheticWorld({ ...spec.world });
const task = world.task({ train: 24, dev: 4, test: 4 });
const serial = createSyntheticTeacher(world);

const point = (i: number): Prompt => ({
  kind: 'continuous-shallow',
  mode: 'add',
  length: 1,
  width: 16,
  values: Float32Array.from({ length: 16 }, (_v, j) => Math.sin(i * 16 + j)),
});
const request = (i: number): ScoreRequest => ({
  examples: task.train,
  template: task.template,
  verbalizer: task.verbalizer,
  prompt: point(i),
  purpose: 'train',
});

describe('worker teacher', () => {
  it('scores in a worker thread exactly as in-process, without detaching the caller’s prompt', async () => {
    const t = await createWorkerTeacher(spec);
    try {
      expect(t.info.id).toBe(serial.info.id);
      expect(t.alive).toBe(true);
      const req = request(1);
      const got = await t.score(req);
      const want = await serial.score(req);
      expect(got.rows).toBe(24);
      expect(got.classes).toBe(3);
      expect(Array.from(got.logits)).toEqual(Array.from(want.logits));
      expect((req.prompt as { values: Float32Array }).values.length).toBe(16);
      // a bad request is the request's error: not retryable, the thread stays up
      const bad = { ...req, prompt: { ...point(1), width: 3, values: new Float32Array(3) } as Prompt };
      await expect(t.score(bad)).rejects.toMatchObject({ code: 'BAD_PROMPT', message: expect.stringContaining('expected a 1×16 shallow prompt') });
      await expect(t.ping()).resolves.toBeUndefined();
    } finally {
      await t.close();
    }
    expect(t.alive).toBe(false);
  });

  it('refuses a bad spec in one line, and reports a failed build', async () => {
    await expect(createWorkerTeacher({ options: {} } as never)).rejects.toThrow('teacher spec kind: expected the name of a teacher kind, got undefined');
    await expect(createWorkerTeacher({ kind: 'nope' })).rejects.toMatchObject({
      code: 'UNKNOWN_COMPONENT',
      message: 'unknown teacher "nope"; known: lmaas, local, module, synthetic',
    });
    await expect(createWorkerTeacher({ kind: 'synthetic', world: { dim: 0, width: 1, classes: 2, seed: 1 } })).rejects.toThrow(
      'synthetic teacher world.dim: expected a positive integer',
    );
    await expect(createWorkerTeacher({ kind: 'module', module: '@gdfo/core', export: 'nothingHere' })).rejects.toThrow(
      'teacher spec export: module @gdfo/core has no function export "nothingHere"',
    );
  });
});

describe('teacher specs through the registry', () => {
  const plugin = fileURLToPath(new URL('./__fixtures__/teacher-plugin.mjs', import.meta.url));
  const constant = { kind: 'constant', options: { logits: [0.5, -1] }, plugins: [plugin] };
  const one: ScoreRequest = { ...request(0), examples: task.train.slice(0, 2), prompt: { kind: 'none' } };

  it('builds a kind a plugin registers: in this thread from the plugin object, in a worker from the spec’s plugins', async () => {
    const { registry } = createContainer();
    await installPlugin(registry, (await import(pathToFileURL(plugin).href)) as unknown, 'fixture');
    const here = await buildTeacher({ kind: 'constant', options: { logits: [0.5, -1] } }, registry);
    expect(Array.from((await here.score(one)).logits)).toEqual([0.5, -1, 0.5, -1]);
    const t = await createWorkerTeacher(constant);
    try {
      expect(t.info.id).toBe('constant-0.5,-1');
      expect(Array.from((await t.score(one)).logits)).toEqual([0.5, -1, 0.5, -1]);
    } finally {
      await t.close();
    }
  });

  it('lists the built-in kinds with the plugins’, and refuses an unknown one naming them', async () => {
    const registry = await teacherRegistry({ plugins: [plugin] });
    expect(registry.names('teacher')).toEqual(['constant', 'lmaas', 'local', 'module', 'synthetic']);
    await expect(buildTeacher({ kind: 'gpt-9' }, registry)).rejects.toMatchObject({
      code: 'UNKNOWN_COMPONENT',
      message: 'unknown teacher "gpt-9"; known: constant, lmaas, local, module, synthetic',
    });
    // the built-in synthetic kind (registered by @gdfo/testing) is the in-process teacher
    const built = await buildTeacher(spec, registry);
    expect(Array.from((await built.score(request(2))).logits)).toEqual(Array.from((await serial.score(request(2))).logits));
  });
});

describe('pool of worker threads', () => {
  it('answers a generation in candidate order, identical to the serial teacher, on both threads', async () => {
    const pool = await createTeacherPool({ replicas: workerReplicas(spec, 2) });
    try {
      const got = await Promise.all(Array.from({ length: 20 }, (_v, i) => pool.score(request(i))));
      for (let i = 0; i < 20; i++) expect(Array.from(got[i]!.logits)).toEqual(Array.from((await serial.score(request(i))).logits));
      // both threads served (the split depends on timing)
      const served = pool.stats().map((s) => s.completed);
      expect(served[0]! + served[1]!).toBe(20);
      expect(Math.min(...served)).toBeGreaterThanOrEqual(1);
    } finally {
      await pool.close();
    }
  });

  it('fails over when a thread dies mid-call, charges each request once, and restarts the thread', async () => {
    const events: PoolEvent[] = [];
    // replica 0's first thread exits as soon as its first call starts; the restarted thread is healthy
    const dying = () => createWorkerTeacher(spec, { faults: { exitOnCall: 1, delayMs: 15 } });
    const pool = await createTeacherPool({
      replicas: [dying, () => createWorkerTeacher(spec, { faults: { delayMs: 15 } })],
      healthIntervalMs: 50,
      onEvent: (e) => events.push(e),
    });
    const budget = new BudgetMeter({ calls: 100 });
    const teacher = composeTeacher(pool, withBudget(budget));
    try {
      const counts = new Array<number>(12).fill(0);
      const got = await Promise.all(
        Array.from({ length: 12 }, (_v, i) =>
          teacher.score(request(i)).then((r) => {
            counts[i]!++;
            return r;
          }),
        ),
      );
      for (let i = 0; i < 12; i++) expect(Array.from(got[i]!.logits)).toEqual(Array.from((await serial.score(request(i))).logits));
      expect(counts).toEqual(new Array(12).fill(1));
      expect(budget.usage().calls).toBe(12);
      expect(pool.stats()[0]!.failures).toBe(1);
      expect(pool.stats()[0]!.completed + pool.stats()[1]!.completed).toBe(12);
      // the probe (ping) restarts the dead thread and the replica comes back
      for (let i = 0; i < 100 && !events.some((e) => e.type === 'up'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(events.map((e) => `${e.type}:${e.replica}`)).toEqual(['down:0', 'resend:0', 'up:0']);
      expect(pool.stats()[0]!.up).toBe(true);
    } finally {
      await pool.close();
    }
  }, 30_000);
});
