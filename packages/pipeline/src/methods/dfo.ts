/** Plain derivative-free tuning: BBT (one shallow prompt) and BBTv2 (deep prompts, one strategy per layer). */
import { ask, checkpoint, evaluate, evaluateDev, report, tell, type Stage } from '../operators.js';
import { runMethodLoop } from '../run.js';
import { baseSetup, searchFor } from './common.js';
import { defineMethod, type Method } from './method.js';

/** The chain of plain derivative-free tuning (BBT, BBTv2). */
export function dfoChain(): Stage[] {
  return [ask(), evaluate(), tell(), report(), evaluateDev(), checkpoint()];
}

function dfoMethod(name: string, deep: boolean, description: string): Method {
  return defineMethod({
    name,
    description,
    needsStudent: false,
    space: deep ? 'deep' : 'shallow',
    keepsPrompt: true,
    async run(o) {
      const { space, strategy } = await searchFor(o, deep);
      return runMethodLoop(baseSetup(o, space, strategy), dfoChain());
    },
  });
}

export const bbt = dfoMethod('bbt', false, 'black-box tuning: CMA-ES on z, prompt = p0 + A·z added to the first L input positions');
export const bbtv2 = dfoMethod('bbtv2', true, 'BBTv2: deep prompts, one CMA-ES per layer searched in turn');
