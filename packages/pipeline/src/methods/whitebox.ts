/** White-box prompt tuning: Adam on the continuous prompt through the local teacher's gradient (the ceiling). */
import type { ContinuousShallowPrompt, Example, ScoreRequest, StateValue } from '@gdfo/spec';
import { Adam, GdfoError, type AdamState } from '@gdfo/core';
import { metricFromLogits } from '@gdfo/tasks';
import { labelsOf } from '../context.js';
import { loss } from './common.js';
import { runGradientMethod, type GradientModel } from './gradient.js';
import { defineMethod, METHOD_DEFAULTS } from './method.js';

export const whitebox = defineMethod({
  name: 'whitebox',
  description: "white-box prompt tuning: Adam on the L prompt vectors through the local teacher's gradient (the ceiling, not a black box)",
  needsStudent: false,
  space: 'none',
  keepsPrompt: false,
  async run(o) {
    const wb = o.whitebox;
    if (!wb) throw new GdfoError('NO_WHITEBOX', 'method whitebox: needs a local teacher with gradient access (a white-box model)');
    const width = o.teacher.info.width;
    if (!width) throw new GdfoError('BAD_TEACHER', `teacher ${o.teacher.info.id}: white-box tuning needs info.width`);
    const length = o.promptLength ?? METHOD_DEFAULTS.promptLength;
    const { task } = o;
    const ce = loss(o.registry, o.fitness ?? METHOD_DEFAULTS.fitness);
    let p = new Float32Array(length * width);
    const adam = new Adam(p.length, { lr: o.lr ?? METHOD_DEFAULTS.lr });
    const classes = task.verbalizer.words.length;
    const prompt = (values: Float32Array): ContinuousShallowPrompt => ({ kind: 'continuous-shallow', mode: 'add', length, width, values });
    const request = (examples: readonly Example[], purpose: ScoreRequest['purpose']): ScoreRequest => ({
      examples,
      template: task.template,
      verbalizer: task.verbalizer,
      prompt: prompt(p),
      purpose,
    });
    const model: GradientModel = {
      async step() {
        const { loss: value, grad } = await wb.whiteBox(request(task.train, 'train'), ce);
        adam.apply(p, grad);
        return value;
      },
      async metric(examples, purpose) {
        const r = await o.teacher.score(request(examples, purpose));
        return metricFromLogits(task.metric, r.logits, labelsOf(examples), classes);
      },
      state: (): StateValue => ({ p: Float32Array.from(p), adam: adam.state() as unknown as StateValue }),
      restore(state) {
        const s = state as unknown as { p: Float32Array; adam: AdamState };
        p = Float32Array.from(s.p);
        adam.restore(s.adam);
      },
    };
    const steps = o.steps ?? METHOD_DEFAULTS.steps;
    return runGradientMethod(o, model, { stopReason: `${steps} gradient steps (white box)` });
  },
});
