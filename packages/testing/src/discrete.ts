/**
 * The synthetic black box over the slots of a discrete prompt space (`DiscretePromptSpace` of @gdfo/pipeline,
 * or anything of the same shape): a text-only teacher whose optimum is known, for tests and demos of the
 * discrete path without a language model or an API.
 */
import type { DiscreteTextPrompt, Example, ScoreRequest, ScoreResult, Task, Teacher } from '@gdfo/spec';
import { createRng, GdfoError } from '@gdfo/core';
import type { SyntheticWorld } from './synthetic.js';

/** What the fake needs of a discrete prompt space: L slots of V candidates, one-hots and prompt parsing. */
export interface SlotSpace {
  readonly slots: number;
  /** Candidates per slot (V). */
  readonly vocab: number;
  /** One-hot (L·V) of slot choices; −1 leaves a slot empty. */
  oneHot(choices: Int32Array): Float64Array;
  /** Slot choices of a prompt; −1 for a slot it does not fill. */
  parse(prompt: DiscreteTextPrompt): Int32Array;
}

/**
 * The synthetic black box over slots: `world` must have dim = L·V; the teacher's prompt vector is
 * u = P·onehot(choices) + p0 (empty slots add nothing), its class logits those of `world.logits`.
 */
export function discreteSyntheticLogits(world: SyntheticWorld, space: SlotSpace, choices: Int32Array, example: Example): Float64Array {
  const out = new Float64Array(world.options.classes);
  world.logits(world.teacherPrompt(space.oneHot(choices)), world.features(example), out);
  return out;
}

function checkWorld(world: SyntheticWorld, space: SlotSpace): void {
  if (world.options.dim !== space.slots * space.vocab) {
    throw new GdfoError('BAD_DIM', `discrete synthetic world: dim must be L·V = ${space.slots * space.vocab}, got ${world.options.dim}`);
  }
}

export function createDiscreteSyntheticTeacher(world: SyntheticWorld, space: SlotSpace): Teacher {
  checkWorld(world, space);
  const { classes } = world.options;
  return {
    specVersion: '1.0',
    info: { id: `discrete-synthetic-${world.options.seed}`, accepts: ['discrete-text', 'none'] },
    async score(request: ScoreRequest): Promise<ScoreResult> {
      const p = request.prompt;
      let choices: Int32Array;
      if (p.kind === 'none') choices = new Int32Array(space.slots).fill(-1);
      else if (p.kind === 'discrete-text') choices = space.parse(p);
      else throw new GdfoError('BAD_PROMPT', `discrete synthetic teacher: accepts none and discrete-text prompts, got ${p.kind}`);
      const logits = new Float32Array(request.examples.length * classes);
      request.examples.forEach((ex, i) => logits.set(discreteSyntheticLogits(world, space, choices, ex), i * classes));
      return { logits, rows: request.examples.length, classes };
    },
  };
}

/**
 * A labelled task for the discrete synthetic world: labels are the teacher's argmax at hidden slot choices
 * (drawn from `seed`), so some prompt in the space classifies every example correctly.
 */
export function discreteSyntheticTask(
  world: SyntheticWorld,
  space: SlotSpace,
  sizes: { train: number; dev: number; test: number },
  options: { seed: number | string; words?: readonly string[]; template?: string } = { seed: 0 },
): Task & { hidden: Int32Array } {
  checkWorld(world, space);
  const C = world.options.classes;
  const words = options.words ?? ['bad', 'great', 'okay', 'fine', 'poor', 'superb'].slice(0, C);
  if (words.length !== C) throw new GdfoError('BAD_OPTION', `discrete synthetic task: ${words.length} verbalizer words for ${C} classes`);
  const rng = createRng(`${options.seed}/discrete-hidden`);
  const hidden = Int32Array.from({ length: space.slots }, () => rng.int(space.vocab));
  const make = (split: string, n: number): Example[] =>
    Array.from({ length: n }, (_v, i) => {
      const ex: Example = { id: `${split}-${i}`, text: `example ${split}-${i}`, label: 0 };
      const s = discreteSyntheticLogits(world, space, hidden, ex);
      let best = 0;
      for (let c = 1; c < C; c++) if (s[c]! > s[best]!) best = c;
      return { ...ex, label: best };
    });
  return {
    specVersion: '1.0',
    name: 'discrete-synthetic',
    classes: words.map((w) => `class-${w}`),
    template: { specVersion: '1.0', text: options.template ?? '{text} . It was {mask} .' },
    verbalizer: { specVersion: '1.0', words: [...words] },
    metric: 'accuracy',
    train: make('train', sizes.train),
    dev: make('dev', sizes.dev),
    test: make('test', sizes.test),
    source: `discrete synthetic world seed ${String(world.options.seed)}`,
    hidden,
  };
}
