/**
 * End to end on the shipped teacher and student with SST-2 from ../shared/data: BBT, BBTv2 and GDFO each run a
 * small budget and must improve the dev loss over the starting prompt (z = 0, i.e. P = p0).
 */
import type { Task } from '@gdfo/spec';
import { createLocalStudent, createLocalTeacher, type LocalTeacher } from '@gdfo/adapter-local';
import { initBackend, shippedCheckpoint } from '@gdfo/models';
import { getTask } from '@gdfo/tasks';
import { metricFromLogits } from '@gdfo/tasks';
import { createRegistry } from '@gdfo/cli';
import { runMethod, type MethodName } from '@gdfo/pipeline';
import { createLoss } from '@gdfo/distill';

let task: Task;
let teacher: LocalTeacher;
let startLoss: number;
let startAcc: number;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  task = await getTask('sst2');
  teacher = await createLocalTeacher({ checkpoint: shippedCheckpoint('teacher'), promptLength: 50 });
  const width = teacher.info.width!;
  const r = await teacher.score({
    examples: task.dev,
    template: task.template,
    verbalizer: task.verbalizer,
    prompt: { kind: 'continuous-shallow', mode: 'add', length: 50, width, values: new Float32Array(50 * width) },
    purpose: 'dev',
  });
  const labels = Int32Array.from(task.dev, (e) => e.label);
  startLoss = createLoss('ce').value(r.logits, null, labels, 2);
  startAcc = metricFromLogits('accuracy', r.logits, labels, 2);
}, 120_000);

afterAll(async () => {
  await teacher?.close();
});

describe.each<MethodName>(['bbt', 'bbtv2', 'gdfo'])('%s on SST-2 with the shipped teacher', (method) => {
  it('improves the dev loss over the starting prompt within a small budget', async () => {
    const result = await runMethod({
      method,
      task,
      teacher,
      registry: createRegistry(42),
      seed: 42,
      budget: 120,
      dim: 100,
      popSize: 10,
      ...(method === 'gdfo'
        ? {
            student: await createLocalStudent({ checkpoint: shippedCheckpoint('student'), dim: 100, template: task.template, verbalizer: task.verbalizer, promptLength: 50, seed: 42 }),
            pipeline: { evalEvery: 40, checkpointEvery: 0, distill: { steps: 8, batchSize: 32 } },
          }
        : { pipeline: { evalEvery: 40, checkpointEvery: 0 } }),
    });
    const bestDevLoss = Math.min(...result.devHistory.map((h) => h.loss));
    console.log(
      `${method}: dev loss ${startLoss.toFixed(4)} → ${bestDevLoss.toFixed(4)}; dev acc ${startAcc.toFixed(3)} → ${result.dev?.toFixed(3)}; test ${result.test?.toFixed(3)}; calls ${result.calls}`,
    );
    expect(result.calls).toBe(120);
    expect(bestDevLoss).toBeLessThan(startLoss);
  }, 600_000);
});
