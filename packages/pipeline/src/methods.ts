/**
 * The compositions: BBT, BBTv2, GDFO (shallow and deep, with a harmonizer), KD-only, white-box prompt tuning,
 * manual prompt and in-context learning. Strategies and losses are resolved by name through the registry, so
 * a plugin's strategy or loss is used by naming it.
 */
import type {
  ContinuousShallowPrompt,
  DistillationLoss,
  ScoreRequest,
  Example,
  Optimizer,
  PromptSpace,
  Student,
  Task,
  Teacher,
  TeacherMiddleware,
  Template,
} from '@gdfo/spec';
import { BudgetMeter, createRng, GdfoError, type RunEventBus, type Clock, type ComponentRegistry, type FileOps } from '@gdfo/core';
import { metricFromLogits } from '@gdfo/tasks';
import type { MethodResult, PipelineConfig, Harmonizer } from './context.js';
import { labelsOf } from './context.js';
import { HARMONIZERS, type HarmonizerOptions } from './harmonizers.js';
import { LayerwiseOptimizer } from './layerwise.js';
import { agreement, ask, checkpoint, distill, evaluate, evaluateDev, harmonizeAsk, harmonizeTell, report, tell, type Stage } from './operators.js';
import { DeepProjectionSpace, ShallowProjectionSpace } from './prompt-space.js';
import { runMethodLoop, type RunSetup } from './run.js';

export const METHODS = ['manual', 'icl', 'bbt', 'bbtv2', 'gdfo', 'gdfo-deep', 'kd', 'whitebox'] as const;
export type MethodName = (typeof METHODS)[number];

/** The chain of plain derivative-free tuning (BBT, BBTv2). */
export function dfoChain(): Stage[] {
  return [ask(), evaluate(), tell(), report(), evaluateDev(), checkpoint()];
}

/** The GDFO chain: DFO step, distillation on the replay buffer, harmonization. */
export function gdfoChain(): Stage[] {
  return [ask(), harmonizeAsk(), evaluate(), agreement(), tell(), distill(), harmonizeTell(), report(), evaluateDev(), checkpoint()];
}

/**
 * Gradient access to a local teacher, for the white-box ceiling (not a black box: its weights are local).
 * `@gdfo/adapter-local`'s teacher has this method.
 */
export interface WhiteBoxModel {
  whiteBox(request: ScoreRequest, loss: DistillationLoss): Promise<{ loss: number; grad: Float32Array }>;
}

export interface MethodOptions {
  method: MethodName;
  task: Task;
  teacher: Teacher;
  registry: ComponentRegistry;
  seed: number | string;
  /** Teacher calls (BBT's API-call budget). */
  budget: number;
  dim?: number;
  promptLength?: number;
  popSize?: number;
  sigma0?: number;
  alpha?: number;
  strategy?: string;
  strategyOptions?: Record<string, unknown>;
  /** Fitness loss name: 'ce' (default) or 'hinge'. */
  fitness?: string;
  student?: Student;
  harmonizer?: string;
  harmonizerOptions?: HarmonizerOptions;
  distillLoss?: string;
  distillLossOptions?: Record<string, unknown>;
  /** Overrides the prompt space built from the teacher (e.g. a synthetic or discrete space). */
  space?: PromptSpace;
  pipeline?: Partial<PipelineConfig>;
  /** In-context learning: demonstrations per class (default 1). */
  shotsPerClass?: number;
  /** KD-only / white-box: gradient steps (default 200) and learning rate. */
  steps?: number;
  lr?: number;
  whitebox?: WhiteBoxModel;
  middleware?: TeacherMiddleware[];
  checkpointDir?: string;
  checkpointFileOps?: FileOps;
  resume?: boolean;
  events?: RunEventBus;
  clock?: Clock;
  signal?: AbortSignal;
  runId?: string;
}

function loss(registry: ComponentRegistry, name: string, options: Record<string, unknown> = {}): DistillationLoss {
  return registry.resolveSync<DistillationLoss>('loss', name, options);
}

function strategyFor(o: MethodOptions, dim: number, sigma0: number, label: string): Optimizer {
  return o.registry.resolveSync<Optimizer>(
    'strategy',
    o.strategy ?? 'cma-es',
    { dim, rng: createRng(`${o.seed}/strategy/${label}`), popSize: o.popSize ?? 20, sigma0, options: o.strategyOptions ?? {} },
  );
}

function teacherScale(teacher: Teacher, what: string): { width: number; embedding: number; hidden?: readonly number[] } {
  const { width, scale } = teacher.info;
  if (!width || !scale) {
    throw new GdfoError('BAD_TEACHER', `teacher ${teacher.info.id}: ${what} needs info.width and info.scale (a continuous-prompt teacher)`);
  }
  return { width, ...scale };
}

function shallowSpace(o: MethodOptions): PromptSpace {
  if (o.space) return o.space;
  const s = teacherScale(o.teacher, o.method);
  return new ShallowProjectionSpace({
    dim: o.dim ?? 500,
    length: o.promptLength ?? 50,
    width: s.width,
    scale: s.embedding,
    alpha: o.alpha ?? 1,
    sigma0: o.sigma0 ?? 1,
    seed: o.seed,
  });
}

function deepSpace(o: MethodOptions): DeepProjectionSpace {
  const s = teacherScale(o.teacher, o.method);
  const layers = o.teacher.info.layers;
  if (!layers || !s.hidden || s.hidden.length < layers) {
    throw new GdfoError('BAD_TEACHER', `teacher ${o.teacher.info.id}: deep prompts need info.layers and info.scale.hidden for every layer`);
  }
  return new DeepProjectionSpace({
    dim: o.dim ?? 500,
    length: o.promptLength ?? 50,
    width: s.width,
    scales: s.hidden.slice(0, layers),
    alpha: o.alpha ?? 0.2,
    sigma0: o.sigma0 ?? 0.2,
    seed: o.seed,
  });
}

function harmonizerFor(o: MethodOptions): Harmonizer {
  const name = o.harmonizer ?? 'gradient-sample';
  if (o.registry.has('harmonizer', name)) return o.registry.resolveSync<Harmonizer>('harmonizer', name, { ...o.harmonizerOptions });
  const make = HARMONIZERS[name];
  if (!make) throw new GdfoError('UNKNOWN_COMPONENT', `unknown harmonizer "${name}"; known: ${Object.keys(HARMONIZERS).join(', ')}`);
  return make(o.harmonizerOptions ?? {});
}

function baseSetup(o: MethodOptions, space: PromptSpace, strategy: Optimizer): RunSetup {
  return {
    method: o.method,
    task: o.task,
    teacher: o.teacher,
    budget: new BudgetMeter({ calls: o.budget }),
    space,
    strategy,
    fitnessLoss: loss(o.registry, o.fitness ?? 'ce'),
    seed: o.seed,
    ...(o.runId ? { runId: o.runId } : {}),
    ...(o.middleware ? { middleware: o.middleware } : {}),
    ...(o.pipeline ? { config: o.pipeline } : {}),
    ...(o.events ? { events: o.events } : {}),
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.checkpointDir ? { checkpointDir: o.checkpointDir } : {}),
    ...(o.checkpointFileOps ? { checkpointFileOps: o.checkpointFileOps } : {}),
    ...(o.resume ? { resume: o.resume } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  };
}

/**
 * The prompt space a method searches (the one `runMethod` builds): `o.space` when given, else BBT's shallow
 * projection or BBTv2's deep one from the teacher's scales. Rebuilt identically from the seed, so a saved z
 * (result.json's `bestZ`) can be scored again later (`gdfo eval`).
 */
export async function promptSpaceFor(o: MethodOptions): Promise<PromptSpace> {
  if (o.space) return o.space;
  const deep = o.method === 'bbtv2' || o.method === 'gdfo-deep';
  await ensureTeacherScale(o.teacher, o.task, deep);
  return deep ? deepSpace(o) : shallowSpace(o);
}

/** Runs one method on one task and returns its result. */
export async function runMethod(o: MethodOptions): Promise<MethodResult> {
  if (!o.space && ['bbt', 'bbtv2', 'gdfo', 'gdfo-deep', 'whitebox'].includes(o.method)) {
    await ensureTeacherScale(o.teacher, o.task, o.method === 'bbtv2' || o.method === 'gdfo-deep');
  }
  switch (o.method) {
    case 'manual':
      return runFixedPrompt(o, [o.task.template]);
    case 'icl':
      return runFixedPrompt(o, demonstrationTemplates(o.task, o.shotsPerClass ?? 1, o.seed, o.teacher.info.maxInputTokens));
    case 'bbt': {
      const space = shallowSpace(o);
      return runMethodLoop(baseSetup(o, space, strategyFor(o, space.dim, o.sigma0 ?? 1, 'shallow')), dfoChain());
    }
    case 'bbtv2': {
      const space = deepSpace(o);
      const layers = Array.from({ length: space.layers }, (_v, l) => strategyFor(o, o.dim ?? 500, o.sigma0 ?? 0.2, `layer-${l}`));
      return runMethodLoop(baseSetup(o, space, new LayerwiseOptimizer(layers)), dfoChain());
    }
    case 'gdfo':
    case 'gdfo-deep': {
      if (!o.student) throw new GdfoError('NO_STUDENT', `method ${o.method}: a student is required (config key "student")`);
      let space: PromptSpace;
      let strategy: Optimizer;
      if (o.method === 'gdfo') {
        space = shallowSpace(o);
        strategy = strategyFor(o, space.dim, o.sigma0 ?? 1, 'shallow');
      } else {
        const deep = deepSpace(o);
        space = deep;
        strategy = new LayerwiseOptimizer(Array.from({ length: deep.layers }, (_v, l) => strategyFor(o, o.dim ?? 500, o.sigma0 ?? 0.2, `layer-${l}`)));
      }
      o.student.bindSpace?.(space);
      const setup: RunSetup = {
        ...baseSetup(o, space, strategy),
        student: o.student,
        distillLoss: loss(o.registry, o.distillLoss ?? 'kd', o.distillLossOptions),
        harmonizer: harmonizerFor(o),
      };
      return runMethodLoop(setup, gdfoChain());
    }
    case 'kd':
      return runKdOnly(o);
    case 'whitebox':
      return runWhiteBox(o);
    default:
      throw new GdfoError('UNKNOWN_COMPONENT', `unknown method "${String(o.method)}"; known: ${METHODS.join(', ')}`);
  }
}

function emptyResult(o: MethodOptions, fields: Partial<MethodResult>): MethodResult {
  return {
    method: o.method,
    task: o.task.name,
    metric: o.task.metric,
    calls: 0,
    evalCalls: 0,
    generations: 0,
    bestTrainFitness: null,
    dev: null,
    test: null,
    testLoss: null,
    bestZ: null,
    stopReason: 'completed',
    devHistory: [],
    testHistory: [],
    trainHistory: [],
    agreement: [],
    ...fields,
  };
}

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
  const dev = o.task.dev.length ? await scoreWith(o.teacher, o.task, templates, o.task.dev, 'dev') : null;
  const test = o.task.test?.length ? await scoreWith(o.teacher, o.task, templates, o.task.test, 'test') : null;
  return emptyResult(o, { dev, test, evalCalls: templates.length * ((dev === null ? 0 : 1) + (test === null ? 0 : 1)) });
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

/**
 * KD-only: one teacher call on the training set at the manual prompt gives soft labels; the student's prompt
 * (its generator at z = 0, i.e. q) is tuned by gradient descent on L_KD; the student is the result.
 */
async function runKdOnly(o: MethodOptions): Promise<MethodResult> {
  if (!o.student) throw new GdfoError('NO_STUDENT', 'method kd: a student is required (config key "student")');
  const student = o.student;
  if (student.bindSpace) {
    // a student tied to the search space needs it even though KD-only tunes the prompt at z = 0
    await ensureTeacherScale(o.teacher, o.task, false);
    student.bindSpace(shallowSpace(o));
  }
  const classes = o.task.verbalizer.words.length;
  const t = await o.teacher.score({ examples: o.task.train, template: o.task.template, verbalizer: o.task.verbalizer, prompt: { kind: 'none' }, purpose: 'train' });
  const kd = loss(o.registry, o.distillLoss ?? 'kd', o.distillLossOptions);
  const z = new Float64Array(student.info.dim);
  const n = o.task.train.length;
  const rng = createRng(`${o.seed}/kd`);
  const steps = o.steps ?? 200;
  const evalEvery = Math.max(1, Math.floor(steps / 10));
  const devHistory: MethodResult['devHistory'] = [];
  let bestDev = -Infinity;
  let bestState = student.state();
  const evalStudent = async (examples: readonly Example[]) =>
    metricFromLogits(o.task.metric, await student.predict(z, 1, examples), labelsOf(examples), classes);
  for (let s = 1; s <= steps; s++) {
    const rows = Math.min(32, n);
    const exampleIndex = Int32Array.from({ length: rows }, () => rng.int(n));
    const teacherLogits = new Float32Array(rows * classes);
    exampleIndex.forEach((e, r) => teacherLogits.set(t.logits.subarray(e * classes, (e + 1) * classes), r * classes));
    await student.trainStep({ z, count: 1, examples: o.task.train, zIndex: new Int32Array(rows), exampleIndex, teacherLogits }, kd);
    if (s % evalEvery === 0 || s === steps) {
      const dev = await evalStudent(o.task.dev);
      devHistory.push({ calls: s, value: dev, loss: NaN });
      if (dev > bestDev) {
        bestDev = dev;
        bestState = student.state();
      }
    }
  }
  student.restore(bestState);
  const test = o.task.test?.length ? await evalStudent(o.task.test) : null;
  return emptyResult(o, { calls: 1, dev: bestDev, test, devHistory, generations: steps, stopReason: `${steps} gradient steps (student evaluated)` });
}

/** White-box prompt tuning: Adam on the continuous prompt through the local teacher's gradient (the ceiling). */
async function runWhiteBox(o: MethodOptions): Promise<MethodResult> {
  const wb = o.whitebox;
  if (!wb) throw new GdfoError('NO_WHITEBOX', 'method whitebox: needs a local teacher with gradient access (a white-box model)');
  const width = o.teacher.info.width;
  if (!width) throw new GdfoError('BAD_TEACHER', `teacher ${o.teacher.info.id}: white-box tuning needs info.width`);
  const length = o.promptLength ?? 50;
  const size = length * width;
  const ce = loss(o.registry, o.fitness ?? 'ce');
  const p = new Float32Array(size);
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  const lr = o.lr ?? 1e-2;
  const steps = o.steps ?? 200;
  const evalEvery = Math.max(1, Math.floor(steps / 10));
  const devHistory: MethodResult['devHistory'] = [];
  let bestDev = -Infinity;
  let best = Float32Array.from(p);
  const classes = o.task.verbalizer.words.length;
  const prompt = (values: Float32Array): ContinuousShallowPrompt => ({ kind: 'continuous-shallow', mode: 'add', length, width, values });
  const request = (examples: readonly Example[], values: Float32Array, purpose: ScoreRequest['purpose']): ScoreRequest => ({
    examples,
    template: o.task.template,
    verbalizer: o.task.verbalizer,
    prompt: prompt(values),
    purpose,
  });
  const metricOn = async (examples: readonly Example[], values: Float32Array, purpose: 'dev' | 'test') => {
    const r = await o.teacher.score(request(examples, values, purpose));
    return metricFromLogits(o.task.metric, r.logits, labelsOf(examples), classes);
  };
  for (let s = 1; s <= steps; s++) {
    const { grad } = await wb.whiteBox(request(o.task.train, p, 'train'), ce);
    for (let i = 0; i < size; i++) {
      const g = grad[i]!;
      m[i] = 0.9 * m[i]! + 0.1 * g;
      v[i] = 0.999 * v[i]! + 0.001 * g * g;
      p[i]! -= (lr * (m[i]! / (1 - 0.9 ** s))) / (Math.sqrt(v[i]! / (1 - 0.999 ** s)) + 1e-8);
    }
    if (s % evalEvery === 0 || s === steps) {
      const dev = await metricOn(o.task.dev, p, 'dev');
      devHistory.push({ calls: s, value: dev, loss: NaN });
      if (dev > bestDev) {
        bestDev = dev;
        best = Float32Array.from(p);
      }
    }
  }
  const test = o.task.test?.length ? await metricOn(o.task.test, best, 'test') : null;
  return emptyResult(o, { dev: bestDev, test, devHistory, generations: steps, stopReason: `${steps} gradient steps (white box)` });
}

/**
 * Makes sure the teacher reports the scales BBT's projection needs: a teacher that measures them on its first
 * forward pass (BBTv2's hidden-state std) gets one uncharged 'dev' pass over the training inputs at the manual
 * prompt. Returns whether a probe call was made.
 */
export async function ensureTeacherScale(teacher: Teacher, task: Task, deep: boolean): Promise<boolean> {
  const s = teacher.info.scale;
  if (s && (!deep || (s.hidden && teacher.info.layers && s.hidden.length >= teacher.info.layers))) return false;
  if (!teacher.info.accepts.some((k) => k.startsWith('continuous'))) return false;
  await teacher.score({ examples: task.train, template: task.template, verbalizer: task.verbalizer, prompt: { kind: 'none' }, purpose: 'dev' });
  return true;
}
