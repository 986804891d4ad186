/** GDFO: the DFO search plus a student distilled from the teacher's outputs, coupled by a harmonizer. */
import { agreement, ask, checkpoint, distill, evaluate, evaluateDev, harmonizeAsk, harmonizeTell, report, tell, type Stage } from '../operators.js';
import { runMethodLoop, type RunSetup } from '../run.js';
import { baseSetup, harmonizerFor, loss, requireStudentOption, searchFor } from './common.js';
import { defineMethod, METHOD_DEFAULTS, type Method } from './method.js';

/** The GDFO chain: DFO step, distillation on the replay buffer, harmonization. */
export function gdfoChain(): Stage[] {
  return [ask(), harmonizeAsk(), evaluate(), agreement(), tell(), distill(), harmonizeTell(), report(), evaluateDev(), checkpoint()];
}

function gdfoMethod(name: string, deep: boolean, description: string): Method {
  return defineMethod({
    name,
    description,
    needsStudent: true,
    space: deep ? 'deep' : 'shallow',
    keepsPrompt: true,
    async run(o) {
      const student = requireStudentOption(o);
      const { space, strategy } = await searchFor(o, deep);
      student.bindSpace?.(space);
      const setup: RunSetup = {
        ...baseSetup(o, space, strategy),
        student,
        distillLoss: loss(o.registry, o.distillLoss ?? METHOD_DEFAULTS.distillLoss, o.distillLossOptions),
        harmonizer: harmonizerFor(o),
      };
      return runMethodLoop(setup, gdfoChain());
    },
  });
}

export const gdfo = gdfoMethod('gdfo', false, "GDFO: BBT's search plus a distilled student whose gradient a harmonizer feeds into it");
export const gdfoDeep = gdfoMethod('gdfo-deep', true, 'GDFO on deep prompts (BBTv2 search, one strategy per layer)');
