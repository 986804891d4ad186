/** Fixed prompts, no tuning: the manual template, and in-context learning (demonstrations before the query). */
import type { Example, Task, Teacher, Template } from '@gdfo/spec';
import { createRng, eventEmitter, GdfoError, RunEventBus, systemClock, type RunEventBody } from '@gdfo/core';
import { metricFromLogits } from '@gdfo/tasks';
import { labelsOf, type MethodResult } from '../context.js';
import { emptyResult } from './common.js';
import { defineMethod, METHOD_DEFAULTS, type MethodOptions } from './method.js';

/** The run's event emitter for a method without a run context (stamped like every other event). */
export function methodEmitter(o: MethodOptions): (body: RunEventBody) => void {
  return eventEmitter(o.events ?? new RunEventBus(), o.runId ?? `${o.method}-${o.task.name}-${o.seed}`, o.clock ?? systemClock);
}

export const manual = defineMethod({
  name: 'manual',
  description: 'the task\'s manual template alone (no tuning): the baseline every method is read against',
  needsStudent: false,
  space: 'none',
  keepsPrompt: false,
  run: (o) => runFixedPrompt(o, [o.task.template]),
});

export const icl = defineMethod({
  name: 'icl',
  description: 'in-context learning: demonstrations from train (shotsPerClass per class) before the query',
  needsStudent: false,
  space: 'none',
  keepsPrompt: false,
  run: (o) => runFixedPrompt(o, demonstrationTemplates(o.task, o.shotsPerClass ?? METHOD_DEFAULTS.shotsPerClass, o.seed, o.teacher.info.maxInputTokens)),
});

/**
 * The metric of `examples` scored with one template, or with several (a demonstration ensemble): then the
 * templates' logits are summed per class, whose argmax is that of the averaged class log-probabilities.
 */
async function scoreWith(teacher: Teacher, task: Task, templates: readonly Template[], examples: readonly Example[], purpose: 'dev' | 'test') {
  let sum: Float64Array | undefined;
  for (const template of templates) {
    const { logits } = await teacher.score({ examples, template, verbalizer: task.verbalizer, prompt: { kind: 'none' }, purpose });
    sum ??= new Float64Array(logits.length);
    for (let i = 0; i < logits.length; i++) sum[i]! += logits[i]!;
  }
  return metricFromLogits(task.metric, sum!, labelsOf(examples), task.verbalizer.words.length);
}

/**
 * Manual prompt / in-context learning: no tuning, the template (or an ensemble of demonstration templates)
 * alone scored on dev and test; each template costs one evaluation call per split.
 */
async function runFixedPrompt(o: MethodOptions, templates: readonly Template[]): Promise<MethodResult> {
  const emit = methodEmitter(o);
  emit({ type: 'run-start', method: o.method, config: { task: o.task.name, templates: templates.length } });
  const scored = async (split: 'dev' | 'test', examples: readonly Example[] | undefined) => {
    if (!examples?.length) return null;
    const value = await scoreWith(o.teacher, o.task, templates, examples, split);
    emit({ type: 'eval', split, calls: 0, metric: o.task.metric, value, improved: false });
    return value;
  };
  const dev = await scored('dev', o.task.dev);
  const test = await scored('test', o.task.test);
  const result = emptyResult(o, { dev, test, evalCalls: templates.length * ((dev === null ? 0 : 1) + (test === null ? 0 : 1)) });
  emit({ type: 'run-end', status: 'completed', result: { method: o.method, calls: 0, dev, test, stopReason: result.stopReason } });
  return result;
}

/**
 * In-context learning: `shots` demonstrations per class (drawn from train with the seed), each the template
 * filled with the example and its label word, placed before the query's template. Throws when they do not
 * fit a bounded teacher input in one context; `demonstrationTemplates` splits them instead.
 */
export function demonstrationTemplate(task: Task, shots: number, seed: number | string, maxInputTokens?: number): Template {
  return demonstrationTemplates(task, shots, seed, maxInputTokens, false)[0]!;
}

/**
 * The in-context templates of `demonstrationTemplate`. A teacher with a bounded input gets the demonstrations
 * cut to fit about half of it (at ≤ 1.5 tokens a word), leaving the rest to the query; each demonstration's
 * template words and label count against its share, and it keeps at least 2 words of its text. When all of
 * them cannot fit one context that way (DBPedia's 14 classes in 128 tokens), and `split` allows, the shuffled
 * demonstrations are split into the fewest groups that fit, one template each, and the query is scored with
 * every group and the class log-probabilities averaged (a demonstration ensemble).
 */
export function demonstrationTemplates(task: Task, shots: number, seed: number | string, maxInputTokens?: number, split = true): Template[] {
  const rng = createRng(`${seed}/icl`);
  const count = shots * task.verbalizer.words.length;
  const templateWords = task.template.text.replace(/\{(text|textB|mask)\}/g, ' ').split(/\s+/).filter(Boolean).length + 1;
  const wordsEach = (demos: number) => (maxInputTokens === undefined ? Infinity : Math.floor(maxInputTokens / 2 / 1.5 / demos) - templateWords);
  let groups = 1;
  while (wordsEach(Math.ceil(count / groups)) < 2 && split && groups < count) groups++;
  const maxWords = wordsEach(Math.ceil(count / groups));
  if (maxWords < 2) {
    const what = groups === 1 ? `${count} demonstrations` : 'one demonstration';
    throw new GdfoError(
      'BAD_TASK',
      `icl: ${what} of task ${task.name} do${groups === 1 ? '' : 'es'} not fit the teacher's ${maxInputTokens} input tokens (it needs at least ${3 * (groups === 1 ? count : 1) * (templateWords + 2)})`,
    );
  }
  const cut = (s: string, words: number) => (words === Infinity ? s : s.split(/\s+/).filter(Boolean).slice(0, words).join(' '));
  const escape = (s: string, words: number) => cut(s.replace(/[{}]/g, ''), words);
  const demos: string[] = [];
  for (let c = 0; c < task.verbalizer.words.length; c++) {
    const pool = task.train.filter((e) => e.label === c);
    rng.shuffle(pool);
    for (const ex of pool.slice(0, shots)) {
      demos.push(
        task.template.text
          .replace('{text}', escape(ex.text, ex.textB === undefined ? maxWords : Math.ceil(maxWords / 2)))
          .replace('{textB}', escape(ex.textB ?? '', Math.floor(maxWords / 2)))
          .replace('{mask}', task.verbalizer.words[c]!),
      );
    }
  }
  rng.shuffle(demos);
  const size = Math.ceil(demos.length / groups);
  const templates: Template[] = [];
  for (let g = 0; g * size < demos.length; g++) {
    templates.push({ specVersion: '1.0', text: `${demos.slice(g * size, (g + 1) * size).join(' ')} ${task.template.text}` });
  }
  return templates;
}

