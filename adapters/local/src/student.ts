/**
 * The white-box student of GDFO: a frozen small masked LM (a @gdfo/models checkpoint) that sees the prompt
 * P_S(z) = q + B·z through a trainable prompt generator (B ∈ R^{d×(L·H)} initialised N(0, s²) with
 * s = α·σ̂/√d like BBT's projection, q initialised to the word embeddings of the fixed prompt tokens), placed at
 * the prompt positions after [CLS] (replacing the word embeddings there), plus a trainable per-class scale and
 * bias on the verbalizer logits. Adam on (q, B, scale, bias); the model weights never change.
 *
 * With `generator: 'projected'` the generator is tied to the search space instead: P_S(z) = q + (A·z)·W, A
 * the teacher-side projection (L × D_T per z) the method binds with `bindSpace`, W a trainable D_T × D_S map
 * shared by the L positions. It has 8 k parameters where B has 320 k (d = 500, L = 10, D_S = 64), and
 * what it learns of one direction of z carries to others through A: on AG's News, distilled on 300
 * teacher-scored points, its held-out agreement with the teacher reaches ≈ 0.6 against ≈ 0.4 for B
 * (`npm run bench -- agreement`).
 */
import * as tf from '@tensorflow/tfjs';
import type { DistillBatch, DistillationLoss, Example, GradientResult, LinearProjection, PromptSpace, StateValue, Student, StudentInfo, StudentTrainResult, Template, Verbalizer } from '@gdfo/spec';
import { createRng, GdfoError } from '@gdfo/core';
import { ClozeTemplate, buildClozeBatch, clippedStd, ensureBackend, gatherRows, loadCheckpoint, matmul2d, verbalizerIds, type LoadedModel } from '@gdfo/models';
import { SPEC_VERSION, positiveInt, resolveModel, templateText, verbalizerWords } from './common.js';
import { alignEmbeddings, embeddingTable } from './align.js';

export interface LocalStudentOptions {
  readonly checkpoint?: string;
  readonly model?: LoadedModel;
  /** Dimension of z (BBT: 500). */
  readonly dim: number;
  /** Number of classes (must equal the verbalizer's word count when given). */
  readonly classes?: number;
  readonly template: Template | string;
  readonly verbalizer: Verbalizer | readonly string[];
  /** Prompt positions L (default 50). */
  readonly promptLength?: number;
  /** Positions per input, prompt included (default: the model's maximum); texts are truncated to fit, as the teacher's `maxLength`. */
  readonly maxLength?: number;
  /** Adam learning rate (default 1e-2). */
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  /** Scale of B's init relative to BBT's s = σ̂/√d (default 1). */
  readonly alpha?: number;
  readonly seed?: number | string;
  /** Rows per forward pass in predict/gradient (default 64). */
  readonly batchSize?: number;
  /**
   * The teacher-side projection A of the search space (BBT's, L·D_T rows × d, row-major). When given, the
   * student's prompt generator is tied to it: P_S(z) = q + (A·z as L × D_T)·W with one trainable
   * D_T × D_S map W shared by the L positions (D_T·D_S parameters instead of B's d·L·D_S), so what the
   * student learns of the teacher's response carries over to directions of z it has not seen. W starts at
   * N(0, (α·σ_S / (σ_T·√D_T))²), giving the student prompt the same scale as the free generator's.
   */
  readonly projection?: Pick<LinearProjection, 'matrix' | 'rows' | 'width' | 'std'>;
  /**
   * `free` (default): the B·z generator above. `projected`: tied to the search space's A, which the method
   * hands over with `bindSpace` (a linear space such as BBT's); until then the student refuses to run.
   */
  readonly generator?: 'free' | 'projected';
  /**
   * Projected generator only: start W from the vocabulary alignment of this model's word embeddings (the
   * teacher's: a checkpoint folder or a loaded model) onto the student's (`alignEmbeddings`) instead of at
   * random, scaled by α. The student then moves its prompt towards the words the teacher's prompt moves towards.
   */
  readonly alignTo?: string | LoadedModel;
  /** Ridge of that alignment, relative to the mean eigenvalue of XᵀX (default 1e-3). */
  readonly alignRidge?: number;
  readonly id?: string;
  readonly backend?: string;
}

export interface LocalStudent extends Student {
  readonly loaded: LoadedModel;
  readonly backend: string;
  /** Adam steps taken. */
  readonly steps: number;
  /** With `alignTo`, once bound: the tokens the alignment used and its in-sample r². */
  readonly alignment?: { readonly pairs: number; readonly r2: number };
}

type ParamName = 'q' | 'B' | 'W' | 'scale' | 'bias';

export async function createLocalStudent(options: LocalStudentOptions): Promise<LocalStudent> {
  const backend = await ensureBackend(options.backend);
  const generator = options.generator ?? 'free';
  if (generator !== 'free' && generator !== 'projected') throw new GdfoError('BAD_OPTION', `createLocalStudent generator: expected 'free' or 'projected', got '${String(generator)}'`);
  if (options.alignTo !== undefined && generator !== 'projected' && !options.projection) throw new GdfoError('BAD_OPTION', "createLocalStudent alignTo: only the projected generator can start aligned (generator: 'projected')");
  if (generator === 'free' || options.projection) return buildStudent(options, backend);
  return deferredStudent(options, backend);
}

/** A projected-generator student before its space is bound: builds the real one on `bindSpace`. */
function deferredStudent(options: LocalStudentOptions, backend: string): LocalStudent {
  const loaded = resolveModel(options, 'createLocalStudent');
  const sized = buildStudent({ ...options, model: loaded, generator: 'free', projection: undefined }, backend); // validates the options now
  const dim = sized.info.dim;
  const classes = sized.info.classes;
  sized.dispose?.();
  let inner: ReturnType<typeof buildStudent> | undefined;
  const use = (what: string): LocalStudent => {
    if (!inner) throw new GdfoError('BAD_STATE', `student ${what}: its projected prompt generator needs the search space first (bindSpace)`);
    return inner;
  };
  return {
    specVersion: SPEC_VERSION,
    get info(): StudentInfo {
      return inner?.info ?? { id: options.id ?? `local-student:${loaded.model.config.name}`, dim, classes, parameters: Number.NaN };
    },
    loaded,
    backend,
    get steps() {
      return inner?.steps ?? 0;
    },
    get alignment() {
      return inner?.alignment;
    },
    bindSpace(space: PromptSpace) {
      const a = space.linear;
      if (!a) throw new GdfoError('BAD_OPTION', `student bindSpace: the projected generator needs a linear prompt space (BBT's p0 + A·z), got a ${space.kind} space without one`);
      if (inner) {
        if (inner.boundTo === a.matrix) return;
        throw new GdfoError('BAD_STATE', 'student bindSpace: already bound to another space');
      }
      inner = buildStudent({ ...options, model: loaded, projection: a }, backend);
    },
    predict: async (z, count, examples) => use('predict').predict(z, count, examples),
    trainStep: async (batch, loss) => use('trainStep').trainStep(batch, loss),
    gradient: async (z, examples, loss) => use('gradient').gradient(z, examples, loss),
    state: () => use('state').state(),
    restore: (state) => use('restore').restore(state),
    dispose() {
      inner?.dispose?.(); // built on `loaded`, so it leaves the model to us
      if (!options.model) loaded.model.dispose();
    },
  };
}

function buildStudent(options: LocalStudentOptions, backend: string): LocalStudent & { readonly boundTo?: Float32Array } {
  const loaded = resolveModel(options, 'createLocalStudent');
  const { model, tokenizer } = loaded;
  const cfg = model.config;
  const d = positiveInt(options.dim, 'createLocalStudent dim', Number.NaN);
  const L = positiveInt(options.promptLength, 'createLocalStudent promptLength', 50);
  if (L > loaded.promptTokens.length || L + 4 > cfg.maxPositions) throw new GdfoError('BAD_OPTION', `createLocalStudent promptLength: ${L} is too long for ${cfg.name} (at most ${Math.min(loaded.promptTokens.length, cfg.maxPositions - 4)})`);
  const maxLength = positiveInt(options.maxLength, 'createLocalStudent maxLength', cfg.maxPositions);
  if (maxLength > cfg.maxPositions) throw new GdfoError('BAD_OPTION', `createLocalStudent maxLength: ${maxLength} exceeds the model's ${cfg.maxPositions} positions`);
  const words = verbalizerWords(options.verbalizer);
  const C = words.length;
  if (options.classes !== undefined && options.classes !== C) throw new GdfoError('BAD_OPTION', `createLocalStudent classes: ${options.classes} does not match the verbalizer's ${C} words`);
  const vIds = verbalizerIds(tokenizer, words, cfg.name);
  const template = new ClozeTemplate(templateText(options.template), tokenizer);
  const lr = options.lr ?? 1e-2;
  const b1 = options.beta1 ?? 0.9;
  const b2 = options.beta2 ?? 0.999;
  const eps = options.epsilon ?? 1e-8;
  const batchSize = positiveInt(options.batchSize, 'createLocalStudent batchSize', 64);
  const H = cfg.hidden;
  const LH = L * H;

  const rng = createRng(options.seed ?? 0).fork('student/B');
  const sigma = clippedStd(model.w('tok_emb').dataSync() as Float32Array, 0);
  const alpha = options.alpha ?? 1;
  const proj = options.projection;
  const PARAMS: readonly ParamName[] = proj ? ['q', 'W', 'scale', 'bias'] : ['q', 'B', 'scale', 'bias'];
  let alignment: { pairs: number; r2: number } | undefined;
  let AT: tf.Tensor2D | undefined; // Aᵀ [d, L·D_T]
  let DT = 0;
  let generatorInit: Float32Array;
  if (proj) {
    DT = proj.width;
    if (!(proj.matrix instanceof Float32Array) || proj.rows !== L * DT || proj.matrix.length !== proj.rows * d) {
      throw new GdfoError('BAD_OPTION', `createLocalStudent projection: expected a Float32Array of promptLength × width × dim = ${L} × ${DT} × ${d} values, got rows ${proj.rows} and ${proj.matrix?.length} values`);
    }
    if (!(proj.std > 0)) throw new GdfoError('BAD_OPTION', `createLocalStudent projection.std: expected a positive number, got ${proj.std}`);
    const sigmaT = proj.std * Math.sqrt(d); // the teacher-side σ̂ the projection was scaled to (α = σ0 = 1)
    const w = (alpha * sigma) / (sigmaT * Math.sqrt(DT));
    generatorInit = new Float32Array(DT * H);
    if (options.alignTo !== undefined) {
      const fit = alignedGenerator(options.alignTo, loaded, DT, options.alignRidge);
      for (let i = 0; i < generatorInit.length; i++) generatorInit[i] = alpha * fit.W[i]!;
      alignment = { pairs: fit.pairs, r2: fit.r2 };
    } else for (let i = 0; i < generatorInit.length; i++) generatorInit[i] = rng.gaussian() * w;
    AT = tf.tidy(() => tf.transpose(tf.tensor2d(proj.matrix, [proj.rows, d])) as tf.Tensor2D);
  } else {
    const s = (alpha * sigma) / Math.sqrt(d);
    generatorInit = new Float32Array(d * LH);
    for (let i = 0; i < generatorInit.length; i++) generatorInit[i] = rng.gaussian() * s;
  }
  const qInit = tf.tidy(() => tf.gather(model.w('tok_emb'), tf.tensor1d(loaded.promptTokens.slice(0, L), 'int32')).reshape([LH]).dataSync() as Float32Array);
  const shapes: Record<ParamName, number[]> = { q: [1, LH], B: [d, LH], W: [DT, H], scale: [C], bias: [C] };
  const generator = proj ? 'W' : 'B';
  const vars = {
    q: tf.variable(tf.tensor2d(qInit, [1, LH]), true),
    [generator]: tf.variable(tf.tensor2d(generatorInit, shapes[generator] as [number, number]), true),
    scale: tf.variable(tf.ones([C]), true),
    bias: tf.variable(tf.zeros([C]), true),
  } as Record<ParamName, tf.Variable>;
  const mom = Object.fromEntries(PARAMS.map((p) => [p, tf.variable(tf.zeros(shapes[p]), false)])) as Record<ParamName, tf.Variable>;
  const vel = Object.fromEntries(PARAMS.map((p) => [p, tf.variable(tf.zeros(shapes[p]), false)])) as Record<ParamName, tf.Variable>;
  let steps = 0;
  let disposed = false;

  const checkZ = (z: Float64Array, count: number, what: string) => {
    if (!(z instanceof Float64Array) || z.length !== count * d) throw new GdfoError('BAD_SHAPE', `${what}: z must be a Float64Array of count × dim = ${count * d} values, got ${z instanceof Float64Array ? z.length : typeof z}`);
  };

  /** Student logits [rows, C] for rows (prompt row index into `prompts`, example). Inside tidy. */
  const logitsRows = (prompts: tf.Tensor2D, promptIndex: Int32Array, examples: readonly Example[]): tf.Tensor2D => {
    const b = buildClozeBatch(template, examples, { promptLength: L, mode: 'cat', promptTokens: loaded.promptTokens, maxPositions: maxLength });
    const perRow = tf.reshape(gatherRows(prompts, promptIndex), [examples.length, L, H]);
    const h = model.forward(b, { outRows: b.maskRows, prompt: { shallow: perRow, mode: 'cat', start: 1, length: L } });
    const raw = model.logitsFor(h, vIds);
    return tf.add(tf.mul(raw, vars.scale), vars.bias) as tf.Tensor2D;
  };
  /** P_S(Z) for Z [n, d]: [n, L·H] — q + Z·B, or q + (Z·Aᵀ as [n·L, D_T])·W when tied to the projection. */
  const promptsOf = (Z: tf.Tensor2D): tf.Tensor2D => {
    if (!AT) return tf.add(matmul2d(Z, vars.B as tf.Tensor as tf.Tensor2D), vars.q) as tf.Tensor2D;
    const n = Z.shape[0];
    const teacherSide = tf.reshape(matmul2d(Z, AT), [n * L, DT]) as tf.Tensor2D;
    return tf.add(tf.reshape(matmul2d(teacherSide, vars.W as tf.Tensor as tf.Tensor2D), [n, LH]), vars.q) as tf.Tensor2D;
  };

  const adam = (grads: Record<string, tf.Tensor>) => {
    steps++;
    const c1 = 1 - b1 ** steps;
    const c2 = 1 - b2 ** steps;
    tf.tidy(() => {
      for (const p of PARAMS) {
        const g = grads[vars[p].name];
        if (!g) continue;
        mom[p].assign(tf.add(tf.mul(mom[p], b1), tf.mul(g, 1 - b1)));
        vel[p].assign(tf.add(tf.mul(vel[p], b2), tf.mul(tf.square(g), 1 - b2)));
        vars[p].assign(tf.sub(vars[p], tf.mul(tf.div(tf.div(mom[p], c1), tf.add(tf.sqrt(tf.div(vel[p], c2)), eps)), lr)));
      }
    });
  };

  const lossFn = (loss: DistillationLoss) => {
    if (!loss || typeof loss.tensor !== 'function') throw new GdfoError('BAD_LOSS', `student: loss '${String(loss?.name)}' has no tensor implementation`);
    return loss.tensor.bind(loss) as (s: tf.Tensor, t: tf.Tensor | null, y: tf.Tensor) => tf.Tensor;
  };

  const alive = () => {
    if (disposed) throw new GdfoError('BAD_STATE', 'student: disposed');
  };

  const info: StudentInfo = { id: options.id ?? `local-student:${cfg.name}`, dim: d, classes: C, parameters: LH + (proj ? DT * H : d * LH) + 2 * C };

  const student: LocalStudent & { readonly boundTo?: Float32Array } = {
    specVersion: SPEC_VERSION,
    info,
    ...(proj ? { boundTo: proj.matrix } : {}),
    ...(alignment ? { alignment } : {}),
    loaded,
    backend,
    get steps() {
      return steps;
    },
    async predict(z: Float64Array, count: number, examples: readonly Example[]): Promise<Float32Array> {
      alive();
      checkZ(z, count, 'predict');
      const n = examples.length;
      const out = new Float32Array(count * n * C);
      const Z = tf.tensor2d(Float32Array.from(z), [count, d]);
      try {
        const P = tf.tidy(() => promptsOf(Z));
        try {
          const total = count * n;
          for (let start = 0; start < total; start += batchSize) {
            const end = Math.min(total, start + batchSize);
            const idx = new Int32Array(end - start);
            const ex: Example[] = [];
            for (let r = start; r < end; r++) {
              idx[r - start] = Math.floor(r / n);
              ex.push(examples[r % n]!);
            }
            const lg = tf.tidy(() => logitsRows(P, idx, ex).dataSync() as Float32Array);
            out.set(lg, start * C);
          }
        } finally {
          P.dispose();
        }
      } finally {
        Z.dispose();
      }
      return out;
    },
    async trainStep(batch: DistillBatch, loss: DistillationLoss): Promise<StudentTrainResult> {
      alive();
      checkZ(batch.z, batch.count, 'trainStep');
      const rows = batch.zIndex.length;
      if (batch.exampleIndex.length !== rows) throw new GdfoError('BAD_SHAPE', `trainStep: zIndex has ${rows} rows, exampleIndex ${batch.exampleIndex.length}`);
      if (batch.teacherLogits.length !== rows * C) throw new GdfoError('BAD_SHAPE', `trainStep: teacherLogits must hold rows × classes = ${rows * C} values, got ${batch.teacherLogits.length}`);
      const ex = Array.from(batch.exampleIndex, (i) => {
        const e = batch.examples[i];
        if (!e) throw new GdfoError('BAD_SHAPE', `trainStep: exampleIndex ${i} is outside the ${batch.examples.length} examples`);
        return e;
      });
      for (const zi of batch.zIndex) if (zi < 0 || zi >= batch.count) throw new GdfoError('BAD_SHAPE', `trainStep: zIndex ${zi} is outside the ${batch.count} points`);
      const f = lossFn(loss);
      const value = tf.tidy(() => {
        const Z = tf.tensor2d(Float32Array.from(batch.z), [batch.count, d]);
        const T = loss.usesTeacher ? tf.tensor2d(batch.teacherLogits, [rows, C]) : null;
        const y = tf.tensor1d(Int32Array.from(ex, (e) => e.label), 'int32');
        const { value, grads } = tf.variableGrads(() => f(logitsRows(promptsOf(Z), batch.zIndex, ex), T, y) as tf.Scalar, PARAMS.map((p) => vars[p]));
        const v = value.dataSync()[0]!;
        adam(grads);
        return v;
      });
      return { loss: value };
    },
    async gradient(z: Float64Array, examples: readonly Example[], loss: DistillationLoss): Promise<GradientResult> {
      alive();
      checkZ(z, 1, 'gradient');
      if (examples.length === 0) throw new GdfoError('BAD_REQUEST', 'gradient: examples is empty');
      const f = lossFn(loss);
      const grad = new Float64Array(d);
      let total = 0;
      for (let start = 0; start < examples.length; start += batchSize) {
        const ex = examples.slice(start, start + batchSize);
        const weight = ex.length / examples.length;
        const [l, g] = tf.tidy(() => {
          const zt = tf.tensor2d(Float32Array.from(z), [1, d]);
          const y = tf.tensor1d(Int32Array.from(ex, (e) => e.label), 'int32');
          const idx = new Int32Array(ex.length);
          const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => f(logitsRows(promptsOf(x as tf.Tensor2D), idx, ex), null, y) as tf.Scalar)([zt]);
          return [value.dataSync()[0]!, grads[0]!.dataSync() as Float32Array] as const;
        });
        total += l * weight;
        for (let i = 0; i < d; i++) grad[i]! += g[i]! * weight;
      }
      return { loss: total, grad };
    },
    state(): StateValue {
      alive();
      const snap = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);
      return {
        kind: 'gdfo-local-student',
        model: cfg.name,
        dim: d,
        classes: C,
        promptLength: L,
        generator: proj ? 'projected' : 'free',
        steps,
        params: Object.fromEntries(PARAMS.map((p) => [p, snap(vars[p])])),
        m: Object.fromEntries(PARAMS.map((p) => [p, snap(mom[p])])),
        v: Object.fromEntries(PARAMS.map((p) => [p, snap(vel[p])])),
      };
    },
    restore(state: StateValue): void {
      alive();
      const st = state as { kind?: unknown; dim?: unknown; classes?: unknown; promptLength?: unknown; steps?: unknown; params?: Record<string, unknown>; m?: Record<string, unknown>; v?: Record<string, unknown> };
      if (!st || st.kind !== 'gdfo-local-student') throw new GdfoError('BAD_STATE', "student restore: not a 'gdfo-local-student' state");
      const gen = (st as { generator?: unknown }).generator ?? 'free';
      if (gen !== (proj ? 'projected' : 'free')) throw new GdfoError('BAD_STATE', `student restore: state has a ${String(gen)} prompt generator, this student a ${proj ? 'projected' : 'free'} one`);
      if (st.dim !== d || st.classes !== C || st.promptLength !== L) throw new GdfoError('BAD_STATE', `student restore: state is for dim ${String(st.dim)}, classes ${String(st.classes)}, promptLength ${String(st.promptLength)}; this student has ${d}, ${C}, ${L}`);
      const get = (group: Record<string, unknown> | undefined, p: ParamName, gname: string): Float32Array => {
        const a = group?.[p];
        const size = shapes[p].reduce((x, y) => x * y, 1);
        if (!(a instanceof Float32Array) || a.length !== size) throw new GdfoError('BAD_STATE', `student restore: ${gname}.${p} must be a Float32Array of ${size} values`);
        return a;
      };
      for (const p of PARAMS) {
        vars[p].assign(tf.tensor(get(st.params, p, 'params'), shapes[p]));
        mom[p].assign(tf.tensor(get(st.m, p, 'm'), shapes[p]));
        vel[p].assign(tf.tensor(get(st.v, p, 'v'), shapes[p]));
      }
      if (typeof st.steps !== 'number') throw new GdfoError('BAD_STATE', 'student restore: steps must be a number');
      steps = st.steps;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose([...Object.values(vars), ...Object.values(mom), ...Object.values(vel), ...(AT ? [AT] : [])]);
      if (!options.model) model.dispose();
    },
  };
  return student;
}

/** W's start from the vocabulary alignment of `alignTo`'s embeddings (the teacher's, width D_T) onto the student's. */
function alignedGenerator(alignTo: string | LoadedModel, student: LoadedModel, DT: number, ridge: number | undefined) {
  const teacher = typeof alignTo === 'string' ? loadCheckpoint(alignTo) : alignTo;
  try {
    if (teacher.model.config.hidden !== DT) {
      throw new GdfoError('BAD_OPTION', `createLocalStudent alignTo: ${teacher.model.config.name} has width ${teacher.model.config.hidden}, the search space's projection ${DT} (align to the teacher)`);
    }
    return alignEmbeddings(embeddingTable(teacher), embeddingTable(student), ridge);
  } finally {
    if (typeof alignTo === 'string') teacher.model.dispose();
  }
}
