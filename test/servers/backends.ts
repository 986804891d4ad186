/**
 * What the loopback provider servers compute: a next-word distribution at the answer position of a text.
 * `slotBackend` reads the text the adapters send — the discrete prompt's slot words first, then the filled
 * template — recovers the slot choices and the example, and asks a scorer for the class logits (the discrete
 * synthetic world, or a local model). Class words get (1 − m)·softmax(logits); a few distractor words share
 * the mass m, as a real model's next-token distribution would.
 */
import type { Example, ScoreRequest, ScoreResult, Task, Teacher } from '@gdfo/spec';
import { BLANK, renderCloze } from '@gdfo/provider-kit';
import type { DiscretePromptSpace } from '@gdfo/pipeline';

export const DISTRACTORS: ReadonlyMap<string, number> = new Map([
  ['the', 0.04],
  ['it', 0.03],
  ['very', 0.02],
  ['not', 0.01],
]);

export interface AnswerBackend {
  /** Log-probabilities of the next word; `text` holds `blank` at the answer position, or ends there. */
  answer(text: string, blank?: string): Promise<Map<string, number>>;
  /** Label → probability for a whole text. */
  classify(text: string): Promise<Map<string, number>>;
  /** Class words of the task (for tests). */
  readonly words: readonly string[];
}

export interface SlotBackendOptions {
  space: DiscretePromptSpace;
  task: Task;
  /** Class logits for slot choices (−1 = empty slot) and an example. */
  logits(choices: Int32Array, example: Example): Promise<Float64Array> | Float64Array;
  /** Labels for text classification (default: the verbalizer words upper-cased). */
  labels?: readonly string[];
}

function logSoftmax(s: Float64Array): Float64Array {
  const m = Math.max(...s);
  let z = 0;
  for (const v of s) z += Math.exp(v - m);
  const lz = m + Math.log(z);
  return s.map((v) => v - lz);
}

/** ln((1 − m)·softmax(s)) for the class words, ln p for the distractors. */
export function answerDistribution(s: Float64Array, words: readonly string[]): Map<string, number> {
  let m = 0;
  for (const p of DISTRACTORS.values()) m += p;
  const ls = logSoftmax(s);
  const out = new Map<string, number>();
  words.forEach((w, c) => out.set(w, Math.log(1 - m) + ls[c]!));
  for (const [w, p] of DISTRACTORS) if (!out.has(w)) out.set(w, Math.log(p));
  return out;
}

export function slotBackend(o: SlotBackendOptions): AnswerBackend {
  const examples = [...o.task.train, ...o.task.dev, ...(o.task.test ?? [])];
  const words = o.task.verbalizer.words;
  const labels = o.labels ?? words.map((w) => w.toUpperCase());
  // Whitespace is compared collapsed (adapters may render newlines or runs of spaces differently), and only
  // the first 80 characters of an example must appear (a provider's prompt may cut a long text).
  // Runs of underscores are dropped too: the answer blank is one, and real texts (emails) contain them.
  const squash = (s: string) => s.replace(/_{2,}/g, ' ').replace(/\s+/g, ' ').trim();
  const squashed = new Map(examples.map((ex) => [ex, squash(ex.text).slice(0, 80)]));
  const locate = (raw: string) => {
    const text = squash(raw);
    let best: Example | undefined;
    let at = -1;
    for (const ex of examples) {
      const i = text.lastIndexOf(squashed.get(ex)!);
      if (i > at || (i === at && i >= 0 && best && squashed.get(ex)!.length > squashed.get(best)!.length)) {
        best = ex;
        at = i;
      }
    }
    if (!best || at < 0) throw new Error(`backend: no known example in "${text.slice(0, 80)}"`);
    return best;
  };
  const slots = (text: string) => {
    const tokens = text.trim().split(/\s+/);
    const choices = new Int32Array(o.space.slots).fill(-1);
    for (let l = 0; l < o.space.slots; l++) {
      const v = o.space.candidates[l]!.indexOf(tokens[l] ?? '');
      if (v < 0) break;
      choices[l] = v;
    }
    return choices;
  };
  const logitsOf = async (text: string) => o.logits(slots(text), locate(text));
  return {
    words,
    async answer(text, blank = BLANK) {
      const clean = text.split(blank).join(' ');
      return answerDistribution(await logitsOf(clean), words);
    },
    async classify(text) {
      const ls = logSoftmax(await logitsOf(text));
      return new Map(labels.map((l, c) => [l, Math.exp(ls[c]!)]));
    },
  };
}

/**
 * The same scores without HTTP: for each example, the chat text the adapters render, the backend's
 * log-probabilities of the class words (exact when every class word is in the server's top-k).
 */
export function directTeacher(backend: AnswerBackend, id = 'direct'): Teacher {
  return {
    specVersion: '1.0',
    info: { id, accepts: ['none', 'discrete-text'] },
    async score(request: ScoreRequest): Promise<ScoreResult> {
      const C = request.verbalizer.words.length;
      const logits = new Float32Array(request.examples.length * C);
      for (const [i, ex] of request.examples.entries()) {
        const dist = await backend.answer(renderCloze(request.prompt, request.template, ex, BLANK, 'direct'));
        request.verbalizer.words.forEach((w, c) => (logits[i * C + c] = dist.get(w)!));
      }
      return { logits, rows: request.examples.length, classes: C };
    },
  };
}
