/**
 * KD-only: one teacher call on the training set at the manual prompt gives soft labels; the student's prompt
 * (its generator at z = 0, i.e. q) is tuned by gradient descent on L_KD; the student is the result.
 */
import type { StateValue } from '@gdfo/spec';
import { createRng } from '@gdfo/core';
import { metricFromLogits } from '@gdfo/tasks';
import { labelsOf } from '../context.js';
import { ensureTeacherScale, loss, requireStudentOption, shallowSpace } from './common.js';
import { runGradientMethod, type GradientModel } from './gradient.js';
import { defineMethod, METHOD_DEFAULTS } from './method.js';

export const kd = defineMethod({
  name: 'kd',
  description: "KD-only: the student distilled from the teacher's soft labels at the manual prompt (one call); the student is the result",
  needsStudent: true,
  space: 'none',
  keepsPrompt: false,
  async run(o) {
    const student = requireStudentOption(o);
    if (student.bindSpace) {
      // a student tied to the search space needs it even though KD-only tunes the prompt at z = 0
      await ensureTeacherScale(o.teacher, o.task, false);
      student.bindSpace(shallowSpace(o));
    }
    const { task } = o;
    const classes = task.verbalizer.words.length;
    const soft = await o.teacher.score({ examples: task.train, template: task.template, verbalizer: task.verbalizer, prompt: { kind: 'none' }, purpose: 'train' });
    const kdLoss = loss(o.registry, o.distillLoss ?? METHOD_DEFAULTS.distillLoss, o.distillLossOptions);
    const z = new Float64Array(student.info.dim);
    const n = task.train.length;
    const rng = createRng(`${o.seed}/kd`);
    const model: GradientModel = {
      async step() {
        const rows = Math.min(32, n);
        const exampleIndex = Int32Array.from({ length: rows }, () => rng.int(n));
        const teacherLogits = new Float32Array(rows * classes);
        exampleIndex.forEach((e, r) => teacherLogits.set(soft.logits.subarray(e * classes, (e + 1) * classes), r * classes));
        return (await student.trainStep({ z, count: 1, examples: task.train, zIndex: new Int32Array(rows), exampleIndex, teacherLogits }, kdLoss)).loss;
      },
      async metric(examples) {
        return metricFromLogits(task.metric, await student.predict(z, 1, examples), labelsOf(examples), classes);
      },
      state: (): StateValue => ({ student: student.state(), rng: rng.state() }),
      restore(state) {
        const s = state as { student: StateValue; rng: StateValue };
        student.restore(s.student);
        rng.restore(s.rng);
      },
    };
    const steps = o.steps ?? METHOD_DEFAULTS.steps;
    return runGradientMethod(o, model, { calls: 1, stopReason: `${steps} gradient steps (student evaluated)` });
  },
});
