/**
 * An in-process black-box teacher over a @gdfo/models checkpoint: it renders the template and verbalizer
 * itself, accepts continuous shallow ('add'/'cat') and deep prompts, and returns only the verbalizer logits.
 * `whiteBox` (for the white-box prompt-tuning ceiling) additionally gives ∇ of a loss w.r.t. the prompt.
 */
import * as tf from '@tensorflow/tfjs';
import type { CallOptions, DistillationLoss, Example, Prompt, ScoreRequest, ScoreResult, Teacher, TeacherInfo } from '@gdfo/spec';
import { ClozeTemplate, buildClozeBatch, clippedStd, ensureBackend, verbalizerIds, type ClozeBatch, type LoadedModel, type PromptInjection } from '@gdfo/models';
import { SPEC_VERSION, positiveInt, resolveModel } from './common.js';
import { GdfoError } from '@gdfo/core';

export interface LocalTeacherOptions {
  /** Checkpoint directory (e.g. `shippedCheckpoint('teacher')`), or: */
  readonly checkpoint?: string;
  /** an already loaded model. */
  readonly model?: LoadedModel;
  /** Prompt length used for calibration and `p0()` (BBT: 50). */
  readonly promptLength?: number;
  /** Default shallow mode for `p0()` and calibration. */
  readonly mode?: 'add' | 'cat';
  /** Longest input in positions (default and maximum: the model's). */
  readonly maxLength?: number;
  /** Longest prompt accepted (default: min(64, fixed prompt tokens)). */
  readonly maxPromptLength?: number;
  /** Examples per forward pass (default 32). */
  readonly batchSize?: number;
  /** Model id reported in `info.id` (default `local:<model name>`). */
  readonly id?: string;
  /** Force a tfjs backend (otherwise the one already chosen, or the automatic order). */
  readonly backend?: string;
}

export interface WhiteBoxResult {
  /** Mean loss over the examples. */
  readonly loss: number;
  /** ∇ of the loss w.r.t. the prompt values (same layout as the prompt's `values`). */
  readonly grad: Float32Array;
  /** rows × classes logits. */
  readonly logits: Float32Array;
}

export interface LocalTeacher extends Teacher {
  /** The loaded model (for white-box uses; a black-box pipeline must use `score` only). */
  readonly loaded: LoadedModel;
  readonly backend: string;
  /** The shallow mode this teacher was created for (options.mode, default 'add'); prompts carry their own. */
  readonly mode: 'add' | 'cat';
  /** The prompt length it was created for (options.promptLength, default 50). */
  readonly promptLength: number;
  /** Measures `info.scale.hidden` (BBTv2) on one forward pass over (up to batchSize) examples; idempotent. */
  calibrate(examples: readonly Example[], template: ScoreRequest['template']): Promise<readonly number[]>;
  /** Word embeddings of the fixed prompt tokens, [length × width] (p0 of 'add' mode, a start point for 'cat'). */
  p0(length?: number): Float32Array;
  /** Loss and its gradient w.r.t. the continuous prompt of `request` (labels from the examples). */
  whiteBox(request: ScoreRequest, loss: DistillationLoss): Promise<WhiteBoxResult>;
  /** Releases the model's tensors when the teacher loaded them itself. */
  close(): Promise<void>;
}

export async function createLocalTeacher(options: LocalTeacherOptions): Promise<LocalTeacher> {
  const backend = await ensureBackend(options.backend);
  const loaded = resolveModel(options, 'createLocalTeacher');
  const { model, tokenizer } = loaded;
  const cfg = model.config;
  const promptLength = positiveInt(options.promptLength, 'createLocalTeacher promptLength', 50);
  const maxLength = positiveInt(options.maxLength, 'createLocalTeacher maxLength', cfg.maxPositions);
  if (maxLength > cfg.maxPositions) throw new GdfoError('BAD_OPTION', `createLocalTeacher maxLength: ${maxLength} exceeds the model's ${cfg.maxPositions} positions`);
  const maxPromptLength = positiveInt(options.maxPromptLength, 'createLocalTeacher maxPromptLength', Math.min(64, loaded.promptTokens.length));
  if (promptLength > maxPromptLength) throw new GdfoError('BAD_OPTION', `createLocalTeacher promptLength: ${promptLength} exceeds maxPromptLength ${maxPromptLength}`);
  const batchSize = positiveInt(options.batchSize, 'createLocalTeacher batchSize', 32);
  const defaultMode = options.mode ?? 'add';
  const H = cfg.hidden;
  const embeddingStd = clippedStd(model.w('tok_emb').dataSync() as Float32Array, 0);
  let hidden: number[] | undefined;
  const templates = new Map<string, ClozeTemplate>();
  const verbs = new Map<string, Int32Array>();
  let closed = false;

  const template = (t: ScoreRequest['template']) => {
    if (!t || typeof t.text !== 'string') throw new GdfoError('BAD_REQUEST', 'score request: template.text must be a string');
    let c = templates.get(t.text);
    if (!c) templates.set(t.text, (c = new ClozeTemplate(t.text, tokenizer)));
    return c;
  };
  const verbalizer = (words: readonly string[]) => {
    const key = JSON.stringify(words);
    let v = verbs.get(key);
    if (!v) verbs.set(key, (v = verbalizerIds(tokenizer, words, cfg.name)));
    return v;
  };

  /** Validates a prompt and returns its layout and (inside tidy) its injection. */
  const layoutOf = (prompt: Prompt): { length: number; mode: 'add' | 'cat' } => {
    if (!prompt || typeof prompt !== 'object') throw new GdfoError('BAD_PROMPT', 'prompt: expected an object with a kind');
    if (prompt.kind === 'none') return { length: 0, mode: 'add' };
    if (prompt.kind === 'discrete-text') throw new GdfoError('BAD_PROMPT', `prompt: ${cfg.name} accepts continuous-shallow, continuous-deep or none, not discrete-text`);
    if (prompt.kind !== 'continuous-shallow' && prompt.kind !== 'continuous-deep') throw new GdfoError('BAD_PROMPT', `prompt: unknown kind '${String((prompt as { kind: unknown }).kind)}'`);
    const { length, width, values } = prompt;
    if (!Number.isInteger(length) || length <= 0) throw new GdfoError('BAD_PROMPT', `prompt.length: expected a positive integer, got ${String(length)}`);
    if (length > maxPromptLength) throw new GdfoError('BAD_PROMPT', `prompt.length: ${length} exceeds the model's maximum prompt length ${maxPromptLength}`);
    if (width !== H) throw new GdfoError('BAD_PROMPT', `prompt.width: ${cfg.name} has width ${H}, got ${String(width)}`);
    const layers = prompt.kind === 'continuous-deep' ? prompt.layers : 1;
    if (prompt.kind === 'continuous-deep' && layers !== cfg.layers) throw new GdfoError('BAD_PROMPT', `prompt.layers: ${cfg.name} has ${cfg.layers} layers, got ${String(layers)}`);
    if (!(values instanceof Float32Array) || values.length !== layers * length * width) throw new GdfoError('BAD_PROMPT', `prompt.values: expected a Float32Array of ${layers * length * width} values (${prompt.kind === 'continuous-deep' ? 'layers × ' : ''}length × width), got ${values instanceof Float32Array ? values.length : typeof values}`);
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) throw new GdfoError('BAD_PROMPT', `prompt.values: entry ${i} is not finite`);
    const mode = prompt.kind === 'continuous-shallow' ? prompt.mode : 'add';
    if (mode !== 'add' && mode !== 'cat') throw new GdfoError('BAD_PROMPT', `prompt.mode: expected 'add' or 'cat', got '${String(mode)}'`);
    return { length, mode };
  };

  const injection = (prompt: Prompt, values: tf.Tensor | undefined, length: number, mode: 'add' | 'cat'): PromptInjection | undefined => {
    if (prompt.kind === 'continuous-shallow') return { shallow: values ?? tf.tensor2d(prompt.values, [length, H]), mode, start: 1, length };
    if (prompt.kind === 'continuous-deep') return { deep: values ?? tf.tensor3d(prompt.values, [cfg.layers, length, H]), start: 1, length };
    return undefined;
  };

  const chunks = (examples: readonly Example[]) => {
    const out: Example[][] = [];
    for (let i = 0; i < examples.length; i += batchSize) out.push(examples.slice(i, i + batchSize));
    return out;
  };

  const batchFor = (t: ClozeTemplate, examples: readonly Example[], length: number, mode: 'add' | 'cat'): ClozeBatch =>
    buildClozeBatch(t, examples, { promptLength: length, mode, promptTokens: loaded.promptTokens, maxPositions: maxLength });

  const calibrateOn = (examples: readonly Example[], t: ClozeTemplate) => {
    const rows = examples.slice(0, batchSize);
    if (rows.length === 0) throw new GdfoError('BAD_REQUEST', 'calibrate: needs at least one example');
    const b = batchFor(t, rows, promptLength, 'add');
    const stds: number[] = [];
    tf.tidy(() => {
      model.forward(b, {
        outRows: b.maskRows,
        onHidden: (l, x) => {
          if (l >= cfg.layers) return;
          const d = x.dataSync() as Float32Array;
          const vals: number[] = [];
          for (let r = 0; r < b.batch; r++) for (let s = 0; s < b.lengths[r]!; s++) for (let j = 0; j < H; j++) vals.push(d[(r * b.seq + s) * H + j]!);
          stds[l] = clippedStd(vals);
        },
      });
    });
    hidden = stds;
    return stds;
  };

  const checkRequest = (request: ScoreRequest) => {
    if (closed) throw new GdfoError('BAD_STATE', `teacher ${cfg.name}: closed`);
    if (!request || !Array.isArray(request.examples)) throw new GdfoError('BAD_REQUEST', 'score request: examples must be an array');
    if (request.examples.length === 0) throw new GdfoError('BAD_REQUEST', 'score request: examples is empty');
  };

  const teacher: LocalTeacher = {
    specVersion: SPEC_VERSION,
    loaded,
    backend,
    mode: defaultMode,
    promptLength,
    get info(): TeacherInfo {
      return {
        id: options.id ?? `local:${cfg.name}`,
        accepts: ['continuous-shallow', 'continuous-deep', 'none'],
        width: H,
        layers: cfg.layers,
        maxPromptLength,
        maxInputTokens: maxLength,
        scale: hidden ? { embedding: embeddingStd, hidden: [...hidden] } : { embedding: embeddingStd },
      };
    },
    async calibrate(examples, t) {
      return hidden ?? calibrateOn(examples, template(t));
    },
    p0(length = promptLength) {
      if (length > loaded.promptTokens.length) throw new GdfoError('BAD_PROMPT', `p0: length ${length} exceeds the ${loaded.promptTokens.length} fixed prompt tokens`);
      return tf.tidy(() => tf.gather(model.w('tok_emb'), tf.tensor1d(loaded.promptTokens.slice(0, length), 'int32')).dataSync() as Float32Array);
    },
    async score(request: ScoreRequest, callOptions?: CallOptions): Promise<ScoreResult> {
      checkRequest(request);
      const t = template(request.template);
      const vIds = verbalizer(request.verbalizer?.words ?? []);
      if (vIds.length === 0) throw new GdfoError('BAD_REQUEST', 'score request: verbalizer.words is empty');
      const { length, mode } = layoutOf(request.prompt);
      if (!hidden) calibrateOn(request.examples, t);
      const C = vIds.length;
      const logits = new Float32Array(request.examples.length * C);
      let row = 0;
      let tokens = 0;
      for (const part of chunks(request.examples)) {
        // Nothing is billed or kept here: a stopped call ends between chunks like a cut one.
        if (callOptions?.signal?.aborted || callOptions?.stop?.aborted) throw new GdfoError('INTERRUPTED', 'score: aborted');
        const b = batchFor(t, part, length, mode);
        tokens += b.tokens;
        const out = tf.tidy(() => model.logitsFor(model.forward(b, { outRows: b.maskRows, prompt: injection(request.prompt, undefined, length, mode) }), vIds).dataSync() as Float32Array);
        logits.set(out, row * C);
        row += part.length;
      }
      return { logits, rows: request.examples.length, classes: C, usage: { calls: 1, promptTokens: tokens, completionTokens: 0, costUsd: 0 } };
    },
    async whiteBox(request: ScoreRequest, loss: DistillationLoss): Promise<WhiteBoxResult> {
      checkRequest(request);
      if (request.prompt.kind !== 'continuous-shallow' && request.prompt.kind !== 'continuous-deep') throw new GdfoError('BAD_PROMPT', 'whiteBox: needs a continuous-shallow or continuous-deep prompt');
      if (!loss.tensor) throw new GdfoError('BAD_LOSS', `whiteBox: loss '${loss.name}' has no tensor implementation`);
      const lossTensor = loss.tensor.bind(loss);
      const t = template(request.template);
      const vIds = verbalizer(request.verbalizer.words);
      const { length, mode } = layoutOf(request.prompt);
      const prompt = request.prompt;
      const C = vIds.length;
      const n = request.examples.length;
      const grad = new Float32Array(prompt.values.length);
      const logits = new Float32Array(n * C);
      let total = 0;
      let row = 0;
      for (const part of chunks(request.examples)) {
        const b = batchFor(t, part, length, mode);
        const labels = Int32Array.from(part.map((e) => e.label));
        const weight = part.length / n;
        const [l, g, lg] = tf.tidy(() => {
          const p = prompt.kind === 'continuous-deep' ? tf.tensor3d(prompt.values, [cfg.layers, length, H]) : tf.tensor2d(prompt.values, [length, H]);
          let lg: Float32Array = new Float32Array(0);
          const f = (x: tf.Tensor) => {
            const out = model.logitsFor(model.forward(b, { outRows: b.maskRows, prompt: injection(prompt, x, length, mode) }), vIds);
            lg = out.dataSync() as Float32Array;
            return lossTensor(out, null, tf.tensor1d(labels, 'int32')) as tf.Scalar;
          };
          const { value, grads } = tf.valueAndGrads(f)([p]);
          return [value.dataSync()[0]!, grads[0]!.dataSync() as Float32Array, lg] as const;
        });
        total += l * weight;
        for (let i = 0; i < grad.length; i++) grad[i]! += g[i]! * weight;
        logits.set(lg, row * C);
        row += part.length;
      }
      return { loss: total, grad, logits };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (!options.model) model.dispose();
    },
  };
  return teacher;
}

/** The white-box objective for the white-box prompt-tuning ceiling: loss and ∇ w.r.t. the prompt values. */
export function whiteBoxGradient(teacher: LocalTeacher, request: ScoreRequest, loss: DistillationLoss): Promise<WhiteBoxResult> {
  return teacher.whiteBox(request, loss);
}
