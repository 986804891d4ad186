/**
 * A discrete prompt space for text-only APIs (OpenAI, Hugging Face): z ∈ R^d is mapped to L slots, each
 * choosing one of V candidate words.
 *
 *   a = M·z ∈ R^{L·V}   (M fixed, seeded, entries N(0, scale²/d)), reshaped to L rows of V logits
 *   teacher: slot l gets candidate argmax_v a[l, v]; the prompt text is the chosen words joined by spaces
 *   student: π_l = softmax(a[l, ·] / T) — a relaxation the student sees through its candidate embeddings
 *            (u = Σ_v π_{l,v}·E[candidate v] is a linear map of π), so ∇_z exists:
 *            ∂L/∂a_{l,v} = π_{l,v}·(g_{l,v} − Σ_u π_{l,u}·g_{l,u}) / T,   ∇_z = Mᵀ·∂L/∂a
 *
 * `RelaxedStudent` wraps any student whose generator takes a point of dimension L·V (the relaxed one-hots)
 * and presents it as a student of z, so every harmonizer (gradient-sample, mean-shift, surrogate-screen)
 * works unchanged (`createDiscreteSyntheticTeacher` of @gdfo/testing is a black box over the same slots for
 * tests and demos). `textPromptAsTemplate` lets a teacher that only takes a template (a local model) receive text prompts;
 * `distillOnly` turns an API teacher's (few-shot) behaviour into a tuned student with the `kd` method.
 */
import type {
  DiscreteTextPrompt,
  DistillationLoss,
  DistillBatch,
  Example,
  GradientResult,
  PromptSpace,
  StateValue,
  Student,
  StudentInfo,
  StudentTrainResult,
  Teacher,
} from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { Projection } from './prompt-space.js';
import type { MethodResult } from './context.js';
import { demonstrationTemplate, runMethod, type MethodOptions } from './methods/index.js';

/**
 * Common English words used as slot candidates when the config gives none (100 words: function words,
 * sentiment-neutral adjectives and nouns, none of them a verbalizer word of the BBT tasks).
 */
export const DEFAULT_CANDIDATES: readonly string[] = [
  'the', 'of', 'and', 'to', 'in', 'is', 'that', 'for', 'this', 'with',
  'as', 'on', 'be', 'at', 'by', 'from', 'or', 'an', 'are', 'not',
  'all', 'about', 'which', 'their', 'there', 'one', 'would', 'so', 'what', 'when',
  'more', 'some', 'other', 'into', 'only', 'also', 'then', 'than', 'its', 'over',
  'just', 'like', 'well', 'even', 'very', 'much', 'most', 'such', 'many', 'each',
  'review', 'story', 'text', 'opinion', 'question', 'answer', 'topic', 'sentence', 'meaning', 'context',
  'overall', 'clearly', 'really', 'simply', 'truly', 'quite', 'rather', 'indeed', 'perhaps', 'certainly',
  'film', 'movie', 'book', 'news', 'article', 'comment', 'message', 'report', 'claim', 'statement',
  'feeling', 'tone', 'sense', 'view', 'point', 'idea', 'thought', 'judgment', 'verdict', 'summary',
  'here', 'now', 'still', 'again', 'always', 'often', 'never', 'both', 'either', 'whether',
];

export interface DiscreteSpaceOptions {
  /** Dimension d of z. */
  dim: number;
  /** Number of prompt slots L. */
  slots: number;
  /** Candidates shared by every slot, or one list per slot (all of the same length V). Default: DEFAULT_CANDIDATES. */
  candidates?: readonly string[] | readonly (readonly string[])[];
  seed: number | string;
  /** Std of the logits per unit of |z|/√d (default 1): M's entries are N(0, scale²/d). */
  scale?: number;
  /** Student relaxation temperature T (default 0.5). */
  temperature?: number;
}

export class DiscretePromptSpace implements PromptSpace {
  readonly specVersion = '1.0' as const;
  readonly kind = 'discrete-text' as const;
  readonly dim: number;
  readonly slots: number;
  /** Candidates per slot (V). */
  readonly vocab: number;
  readonly candidates: readonly (readonly string[])[];
  readonly projection: Projection;
  readonly temperature: number;
  private readonly index: Map<string, number>[];

  constructor(readonly options: DiscreteSpaceOptions) {
    const { dim, slots } = options;
    if (!(Number.isInteger(dim) && dim >= 1)) throw new GdfoError('BAD_OPTION', `discrete space dim: expected an integer ≥ 1, got ${String(dim)}`);
    if (!(Number.isInteger(slots) && slots >= 1)) throw new GdfoError('BAD_OPTION', `discrete space slots: expected an integer ≥ 1, got ${String(slots)}`);
    const given = options.candidates ?? DEFAULT_CANDIDATES;
    const perSlot: readonly (readonly string[])[] =
      given.length > 0 && Array.isArray(given[0]) ? (given as readonly (readonly string[])[]) : Array.from({ length: slots }, () => given as readonly string[]);
    if (perSlot.length !== slots) throw new GdfoError('BAD_OPTION', `discrete space candidates: ${perSlot.length} per-slot lists for ${slots} slots`);
    const V = perSlot[0]?.length ?? 0;
    if (V < 2) throw new GdfoError('BAD_OPTION', 'discrete space candidates: expected at least 2 candidates per slot');
    perSlot.forEach((list, l) => {
      if (list.length !== V) throw new GdfoError('BAD_OPTION', `discrete space candidates: slot ${l} has ${list.length} candidates, slot 0 has ${V} (all slots need the same number)`);
      const seen = new Set<string>();
      for (const w of list) {
        if (typeof w !== 'string' || w.trim() === '' || /[{}]/.test(w)) throw new GdfoError('BAD_OPTION', `discrete space candidates: slot ${l}: "${String(w)}" is not a non-empty string without braces`);
        if (seen.has(w)) throw new GdfoError('BAD_OPTION', `discrete space candidates: slot ${l} lists "${w}" twice`);
        seen.add(w);
      }
    });
    const scale = options.scale ?? 1;
    this.temperature = options.temperature ?? 0.5;
    if (!(this.temperature > 0)) throw new GdfoError('BAD_OPTION', `discrete space temperature: expected a number > 0, got ${this.temperature}`);
    this.dim = dim;
    this.slots = slots;
    this.vocab = V;
    this.candidates = perSlot.map((l) => [...l]);
    this.index = perSlot.map((l) => new Map(l.map((w, v) => [w, v])));
    this.projection = new Projection(slots * V, dim, scale / Math.sqrt(dim), `${options.seed}/discrete-projection`);
  }

  /** a = M·z (L·V, row-major by slot). */
  logits(z: Float64Array): Float64Array {
    const { matrix, dim, rows } = this.projection;
    if (z.length !== dim) throw new GdfoError('BAD_DIM', `discrete space: z has length ${z.length}, expected ${dim}`);
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += matrix[r * dim + j]! * z[j]!;
      out[r] = s;
    }
    return out;
  }

  /** The chosen candidate index per slot (argmax; the first on ties). */
  choices(z: Float64Array): Int32Array {
    const a = this.logits(z);
    const V = this.vocab;
    return Int32Array.from({ length: this.slots }, (_v, l) => {
      let best = 0;
      for (let v = 1; v < V; v++) if (a[l * V + v]! > a[l * V + best]!) best = v;
      return best;
    });
  }

  words(choices: Int32Array): string[] {
    return Array.from(choices, (v, l) => this.candidates[l]![v]!);
  }

  toTeacher(z: Float64Array): DiscreteTextPrompt {
    const slots = this.words(this.choices(z));
    return { kind: 'discrete-text', text: slots.join(' '), slots };
  }

  /** One-hot (L·V) of slot choices; a choice of −1 leaves its slot empty (all zeros). */
  oneHot(choices: Int32Array): Float64Array {
    const out = new Float64Array(this.slots * this.vocab);
    choices.forEach((v, l) => {
      if (v >= 0) out[l * this.vocab + v] = 1;
    });
    return out;
  }

  /** Slot choices from a prompt's `slots` (or its text split on spaces); −1 for a slot it does not fill. */
  parse(prompt: DiscreteTextPrompt): Int32Array {
    const words = prompt.slots ?? prompt.text.split(/\s+/).filter(Boolean);
    if (words.length > this.slots) throw new GdfoError('BAD_PROMPT', `discrete prompt: ${words.length} slot words for a space of ${this.slots} slots`);
    return Int32Array.from({ length: this.slots }, (_v, l) => {
      const w = words[l];
      if (w === undefined) return -1;
      const v = this.index[l]!.get(w);
      if (v === undefined) throw new GdfoError('BAD_PROMPT', `discrete prompt: "${w}" is not a candidate of slot ${l}`);
      return v;
    });
  }

  /** π = softmax per slot of a/T (L·V). */
  relax(z: Float64Array, temperature = this.temperature): Float64Array {
    const a = this.logits(z);
    const V = this.vocab;
    for (let l = 0; l < this.slots; l++) {
      let m = -Infinity;
      for (let v = 0; v < V; v++) m = Math.max(m, a[l * V + v]! / temperature);
      let s = 0;
      for (let v = 0; v < V; v++) s += a[l * V + v] = Math.exp(a[l * V + v]! / temperature - m);
      for (let v = 0; v < V; v++) a[l * V + v]! /= s;
    }
    return a;
  }

  /** ∇_z of a loss whose gradient with respect to π = relax(z) is `gradPi` (chain rule through softmax and M). */
  relaxBackward(z: Float64Array, gradPi: Float64Array, temperature = this.temperature): Float64Array {
    const V = this.vocab;
    if (gradPi.length !== this.slots * V) throw new GdfoError('BAD_DIM', `relaxBackward: gradient has length ${gradPi.length}, expected ${this.slots * V}`);
    const pi = this.relax(z, temperature);
    const gA = new Float64Array(this.slots * V);
    for (let l = 0; l < this.slots; l++) {
      let dot = 0;
      for (let v = 0; v < V; v++) dot += pi[l * V + v]! * gradPi[l * V + v]!;
      for (let v = 0; v < V; v++) gA[l * V + v] = (pi[l * V + v]! * (gradPi[l * V + v]! - dot)) / temperature;
    }
    const { matrix, dim } = this.projection;
    const grad = new Float64Array(dim);
    for (let r = 0; r < gA.length; r++) {
      const g = gA[r]!;
      if (g === 0) continue;
      for (let j = 0; j < dim; j++) grad[j]! += matrix[r * dim + j]! * g;
    }
    return grad;
  }
}

/**
 * A student of z over a student of the relaxed slots: `inner` takes points of dimension L·V (π), this takes z.
 * Distillation batches, predictions and gradients go through π = relax(z); the gradient is chained back to z.
 */
export class RelaxedStudent implements Student {
  readonly specVersion = '1.0' as const;
  readonly info: StudentInfo;
  constructor(
    readonly inner: Student,
    readonly space: DiscretePromptSpace,
    readonly temperature: number = space.temperature,
  ) {
    const want = space.slots * space.vocab;
    if (inner.info.dim !== want) {
      throw new GdfoError('BAD_DIM', `relaxed student: the inner student takes points of dimension ${inner.info.dim}, the relaxed slots have L·V = ${want}`);
    }
    this.info = { id: `relaxed(${inner.info.id})`, dim: space.dim, classes: inner.info.classes, parameters: inner.info.parameters };
  }

  private relaxAll(z: Float64Array, count: number): Float64Array {
    const { dim } = this.space;
    const width = this.space.slots * this.space.vocab;
    if (z.length !== count * dim) throw new GdfoError('BAD_DIM', `relaxed student: z has length ${z.length}, expected ${count} × ${dim}`);
    const out = new Float64Array(count * width);
    for (let i = 0; i < count; i++) out.set(this.space.relax(z.subarray(i * dim, (i + 1) * dim), this.temperature), i * width);
    return out;
  }

  predict(z: Float64Array, count: number, examples: readonly Example[]): Promise<Float32Array> {
    return this.inner.predict(this.relaxAll(z, count), count, examples);
  }

  trainStep(batch: DistillBatch, loss: DistillationLoss): Promise<StudentTrainResult> {
    return this.inner.trainStep({ ...batch, z: this.relaxAll(batch.z, batch.count) }, loss);
  }

  async gradient(z: Float64Array, examples: readonly Example[], loss: DistillationLoss): Promise<GradientResult> {
    const r = await this.inner.gradient(this.space.relax(z, this.temperature), examples, loss);
    return { loss: r.loss, grad: this.space.relaxBackward(z, r.grad, this.temperature) };
  }

  state(): StateValue {
    return this.inner.state();
  }

  restore(state: StateValue): void {
    this.inner.restore(state);
  }

  dispose(): void {
    this.inner.dispose?.();
  }
}

/**
 * For a teacher that takes templates but not text prompts (e.g. a local model): a `discrete-text` prompt is
 * put in front of the template text (braces removed) and the inner teacher gets prompt `none`.
 */
export function textPromptAsTemplate(inner: Teacher): Teacher {
  return {
    specVersion: inner.specVersion,
    info: { ...inner.info, id: `${inner.info.id}+text-prompt`, accepts: ['discrete-text', 'none'] },
    ...(inner.close ? { close: inner.close.bind(inner) } : {}),
    score(request, options) {
      const p = request.prompt;
      if (p.kind !== 'discrete-text') return inner.score(request, options);
      const text = p.text.replace(/[{}]/g, '').trim();
      const template = text ? { ...request.template, text: `${text} ${request.template.text}` } : request.template;
      return inner.score({ ...request, template, prompt: { kind: 'none' } }, options);
    },
  };
}

export interface DistillOnlyOptions extends Omit<MethodOptions, 'method'> {
  /** Demonstrations per class in the teacher's template (default 0: the bare template). */
  shotsPerClass?: number;
}

/**
 * Distillation only (no DFO): one teacher call scores the training set — with `shotsPerClass` demonstrations
 * per class in the teacher's template, i.e. the API model's few-shot behaviour — and the student is tuned on
 * those soft labels by the `kd` method; the tuned student is the result (`result.dev` / `result.test` are its
 * scores, `options.student` holds its weights). The default loss is `kl` (τ = 1): pure imitation of the
 * teacher; pass `distillLoss: 'kd'` to mix in the gold labels.
 */
export function distillOnly(options: DistillOnlyOptions): Promise<MethodResult> {
  const shots = options.shotsPerClass ?? 0;
  const template = shots > 0 ? demonstrationTemplate(options.task, shots, options.seed) : options.task.template;
  return runMethod({ distillLoss: 'kl', distillLossOptions: { tau: 1 }, ...options, method: 'kd', task: { ...options.task, template } });
}
