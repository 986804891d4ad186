/**
 * The run configuration as a strict zod schema. Every key has a description and (where it has one) a default;
 * the configuration reference (docs/configuration.md) and the JSON Schema are generated from this file.
 */
import { z } from 'zod';
import { DEFAULT_PIPELINE_CONFIG, METHOD_DEFAULTS, METHODS } from '@gdfo/pipeline';

const NAME_RE = /^[a-z0-9][a-z0-9._/@-]*$/i;

/** A registry component name (strategy, harmonizer, loss, middleware, teacher or student kind). */
const componentName = (what: string) =>
  z
    .string({ error: `expected a ${what} name (a string)` })
    .regex(NAME_RE, { error: `expected a ${what} name: letters, digits, '.', '-', '_', '/' or '@'` });

const positiveInt = () =>
  z
    .number({ error: 'expected a positive integer' })
    .int({ error: 'expected a positive integer' })
    .positive({ error: 'expected a positive integer' });

const nonNegativeInt = () =>
  z
    .number({ error: 'expected a non-negative integer' })
    .int({ error: 'expected a non-negative integer' })
    .nonnegative({ error: 'expected a non-negative integer' });

const positiveNumber = () => z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' });

const options = (of: string) =>
  z
    .record(z.string(), z.unknown(), { error: 'expected a mapping of option names to values' })
    .default({})
    .describe(`Options passed to the ${of}'s factory (see its README).`);

export const taskSchema = z
  .strictObject({
    name: componentName('task').describe(
      "Task name: `sst2`, `yelp`, `agnews`, `dbpedia`, `mrpc`, `rte`, `snli`, `spam`, `synthetic` (the built-in synthetic black box, no data needed) or a plugin's task.",
    ),
    dataDir: z
      .string({ error: 'expected a directory path (a string)' })
      .min(1, { error: 'expected a non-empty directory path' })
      .optional()
      .describe('Folder holding `fewshot/` and `test/` (default: `../shared/data` beside the repository).'),
    seed: nonNegativeInt().default(42).describe('Few-shot sampling seed: which k-shot split is used (BBT ships seeds 13, 42, 100, 87, 21).'),
    k: positiveInt().default(16).describe('Examples per class in train and in dev (BBT: 16).'),
    options: options('task'),
  }, { error: 'expected a task name (`task: spam`) or a mapping { name, seed, k, dataDir, options }' })
  .describe('The task: data, template, verbalizer and metric. A string is a shorthand of `{ name: <string> }` (`task: spam`).');

/** `{ name, options }` with a default name. */
const componentRef = (what: string, defaultName: string, description: string) =>
  z
    .strictObject({
      name: componentName(what).default(defaultName).describe(`The ${what}'s registered name.`),
      options: options(what),
    }, { error: `expected a ${what} name (a string) or a mapping { name, options }` })
    .describe(`${description} A string is a shorthand of \`{ name: <string> }\`.`);

/** `{ name, options }` whose name is required. */
const requiredRef = (what: string, description: string) =>
  z
    .strictObject({
      name: componentName(what).describe(`The ${what}'s registered name.`),
      options: options(what),
    })
    .describe(description);

export const configSchema = z
  .strictObject({
    task: taskSchema.prefault({ name: 'synthetic' }),
    methods: z
      .array(componentName('method'), { error: 'expected a list of method names' })
      .min(1, { error: 'expected at least one method' })
      .refine((m) => new Set(m).size === m.length, { error: 'expected each method at most once' })
      .default(['manual', 'bbt', 'gdfo'])
      .describe(`Methods to run, in order, each with the same budget and seed: ${METHODS.map((m) => `\`${m}\``).join(', ')}, or a plugin's method (\`gdfo list\` shows the registered ones).`),
    budget: positiveInt().default(METHOD_DEFAULTS.budget).describe("Teacher calls charged per method (BBT's API-call budget is 8000). Dev/test evaluations are counted but not charged."),
    seed: nonNegativeInt().default(42).describe('Run seed: projections, strategy, student and harmonizer streams are all forked from it.'),
    dim: positiveInt().default(METHOD_DEFAULTS.dim).describe('Dimension d of the search space z (BBT: 500).'),
    promptLength: positiveInt().default(METHOD_DEFAULTS.promptLength).describe('Prompt length in positions (BBT: 50).'),
    popSize: positiveInt().default(METHOD_DEFAULTS.popSize).describe('Points the strategy asks per generation (CMA-ES λ; BBT: 20).'),
    sigma0: positiveNumber()
      .optional()
      .describe('Initial step size of the strategy (default by method: 1 for shallow prompts, 0.2 for deep prompts, as BBT/BBTv2).'),
    alpha: positiveNumber()
      .optional()
      .describe("Scale α of the random projection A (default by method: 1 for shallow prompts, 0.2 for deep prompts)."),
    strategy: componentRef('strategy', METHOD_DEFAULTS.strategy, 'The derivative-free strategy (`gdfo list` shows the registered ones; plugins add more).').prefault({}),
    fitness: z
      .enum(['ce', 'hinge'], { error: 'expected one of ce, hinge' })
      .default('ce')
      .describe('Fitness of a teacher evaluation: `ce` (cross-entropy, BBT) or `hinge` (multi-class hinge).'),
    harmonizer: componentRef(
      'harmonizer',
      METHOD_DEFAULTS.harmonizer,
      'How GDFO couples the student gradient with the strategy: `none`, `gradient-sample`, `mean-shift`, `surrogate-screen` or a plugin\'s.',
    ).prefault({}),
    distill: z
      .strictObject({
        loss: componentName('loss').default(METHOD_DEFAULTS.distillLoss).describe('Distillation loss name (`kd`, `kl`, `mse`, `ce`, `hinge`, `mixture`, or a plugin\'s).'),
        options: options('loss'),
        steps: positiveInt().default(DEFAULT_PIPELINE_CONFIG.distill.steps).describe('Student optimizer steps per generation (K).'),
        batchSize: positiveInt().default(DEFAULT_PIPELINE_CONFIG.distill.batchSize).describe('(z, example) rows per distillation step.'),
      })
      .prefault({})
      .describe('Distillation of the teacher into the student (GDFO, KD).'),
    teacher: z
      .strictObject({
        kind: componentName('teacher')
          .default('local')
          .describe("Teacher kind: `local`, `lmaas`, `openai`, `huggingface` or a plugin's teacher."),
        options: options('teacher'),
      }, { error: 'expected a teacher kind or model (a string) or a mapping { kind, options }' })
      .prefault({})
      .describe(
        'The black-box teacher. A string is a shorthand: a built-in kind (`local`, `lmaas`, `openai`, `huggingface`) is `{ kind: <string> }`; anything else is a local model, a shipped model name or a checkpoint directory (relative to the config file): `{ kind: local, options: { checkpoint: <string> } }`.',
      ),
    student: z
      .strictObject({
        kind: componentName('student').default('local').describe("Student kind: `local` or a plugin's student."),
        options: options('student'),
      }, { error: 'expected a student kind or model (a string) or a mapping { kind, options }' })
      .prefault({})
      .describe(
        'The white-box student (used by `gdfo`, `gdfo-deep` and `kd`). A string is a shorthand: `local` is `{ kind: local }`; anything else is a shipped model name or a checkpoint directory (relative to the config file): `{ kind: local, options: { checkpoint: <string> } }`.',
      ),
    middleware: z
      .array(requiredRef('middleware', 'A teacher middleware by name: `retry`, `rate-limit`, `timeout`, `concurrency`, `cache` (core) or a plugin\'s (e.g. `cost-guard`).'), { error: 'expected a list of { name, options }' })
      .default([])
      .describe('Extra teacher middleware, outermost first, inside the budget meter (a call a middleware refuses or that fails is not charged), e.g. a plugin\'s cost guard.'),
    plugins: z
      .array(z.string({ error: 'expected a package name or a path (a string)' }).min(1, { error: 'expected a non-empty package name or path' }), {
        error: 'expected a list of package names or paths',
      })
      .default([])
      .describe('Plugins to load before the run: npm package names (resolved from the config file\'s folder) or paths.'),
    evalEvery: positiveInt().default(DEFAULT_PIPELINE_CONFIG.evalEvery).describe('Score the best point so far on dev every this many teacher calls (BBT: 100).'),
    checkpointEvery: nonNegativeInt().default(DEFAULT_PIPELINE_CONFIG.checkpointEvery).describe('Save a checkpoint every this many generations (0 = never).'),
    testCurve: z
      .boolean({ error: 'expected true or false' })
      .default(false)
      .describe('Also record the test metric of the selected prompt at every dev check (a curve of the test metric against calls; evaluation calls, not charged; the test set is scored again only when the selection changed).'),
    out: z
      .string({ error: 'expected a directory path (a string)' })
      .min(1, { error: 'expected a non-empty directory path' })
      .default('runs')
      .describe('Folder where run directories are written.'),
  })
  .superRefine(
    (c, ctx) => {
      // Without plugins only the built-in methods exist: a typo is caught here, with its line, alongside the
      // config's other problems. With plugins, names are checked against the registry once they are loaded.
      const { plugins, methods } = c as { plugins?: unknown; methods?: unknown };
      if ((Array.isArray(plugins) && plugins.length > 0) || !Array.isArray(methods)) return;
      methods.forEach((m: unknown, i) => {
        if (typeof m === 'string' && NAME_RE.test(m) && !(METHODS as readonly string[]).includes(m)) {
          ctx.addIssue({ code: 'custom', path: ['methods', i], message: `expected one of ${METHODS.join(', ')}`, input: m });
        }
      });
    },
    { when: () => true },
  )
  .describe('A gdfo run configuration.');

/** A validated configuration with every default filled in. */
export type GdfoConfig = z.output<typeof configSchema>;
/** What a config file may contain (defaults optional). */
export type GdfoConfigInput = z.input<typeof configSchema>;

/** The JSON Schema of a config file (for editors and the reference). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input' }) as { properties?: Record<string, { type?: unknown; items?: { type?: unknown } }> };
  // the string shorthands (expandShorthands in load.ts): `task: spam`, `teacher: <kind or model>`, ...
  const props = schema.properties ?? {};
  for (const key of ['task', 'strategy', 'harmonizer', 'teacher', 'student']) if (props[key]?.type === 'object') props[key].type = ['object', 'string'];
  const items = props['middleware']?.items;
  if (items?.type === 'object') items.type = ['object', 'string'];
  return schema as Record<string, unknown>;
}
