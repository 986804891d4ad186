import type { ScoreResult, Teacher, TeacherMiddleware } from '@gdfo/spec';
import { FakeClock } from './clock.js';
import { TeacherError } from './errors.js';
import { registerCore } from './module.js';
import { createContainer, TOKENS } from './registry.js';

const ok: ScoreResult = { rows: 1, classes: 2, logits: new Float32Array([1, -1]) };
const request = {
  examples: [{ id: 'a', text: 'good', label: 1 }],
  template: { specVersion: '1.0' as const, text: '{text} . It was {mask} .' },
  verbalizer: { specVersion: '1.0' as const, words: ['bad', 'great'] },
  prompt: { kind: 'none' as const },
  purpose: 'train' as const,
};

function teacherWith(score: () => Promise<ScoreResult> | ScoreResult): Teacher {
  return { specVersion: '1.0', info: { id: 't', accepts: ['none'] }, score: async () => score() };
}

describe('core middleware by name, with the container’s clock injected', () => {
  it('rate-limit waits on the clock bound in the container, which no option names', async () => {
    const clock = new FakeClock(0);
    const { registry } = createContainer({ seed: 1, clock });
    registerCore(registry);
    const starts: number[] = [];
    const mw = await registry.resolve<TeacherMiddleware>('middleware', 'rate-limit', { rpm: 2 });
    const t = mw(teacherWith(() => (starts.push(clock.now()), ok)));
    const all = Promise.all([1, 2, 3].map(() => t.score(request)));
    await clock.runAll();
    await all;
    expect(starts).toEqual([0, 0, 60_000]);
  });

  it('rebinding the clock changes it for components built afterwards; retry backs off on it', async () => {
    const { registry, container } = createContainer({ seed: 1 });
    registerCore(registry);
    const clock = new FakeClock(0);
    (await container.rebind(TOKENS.Clock)).toConstantValue(clock);
    let calls = 0;
    const mw = await registry.resolve<TeacherMiddleware>('middleware', 'retry', { retries: 2, baseMs: 100, jitter: 0 });
    const t = mw(
      teacherWith(() => {
        calls++;
        if (calls < 3) throw new TeacherError('busy', { status: 503 });
        return ok;
      }),
    );
    const done = t.score(request);
    await clock.runAll();
    await done;
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([100, 200]);
  });

  it('lists the built-in middleware and refuses a bad option in one line', async () => {
    const { registry } = createContainer();
    registerCore(registry);
    expect(registry.names('middleware')).toEqual(['cache', 'concurrency', 'rate-limit', 'retry', 'timeout']);
    await expect(registry.resolve('middleware', 'rate-limit', {})).rejects.toThrow('middleware rate-limit: option "rpm": expected an integer ≥ 1, got undefined');
    await expect(registry.resolve('middleware', 'retry', { retries: 'x' })).rejects.toThrow('middleware retry: option "retries" must be a number ≥ 0, got "x"');
  });
});
