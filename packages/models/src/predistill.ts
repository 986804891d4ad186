/**
 * Pre-distillation: the student is trained, before any prompt search, to match the teacher's masked-LM
 * distribution on unlabeled text (the npm-shipped corpus of `buildCorpus`). At the masked positions of
 * pretraining-style batches (15% of tokens, 80/10/10), the loss is τ²·KL(p_T^τ ‖ p_S^τ) (Hinton et al.'s
 * temperature-scaled soft labels, the DistilBERT recipe without its hidden-state term) plus `hardWeight` × the
 * ordinary MLM cross-entropy. Teacher and student must share one vocabulary (the shipped pair does).
 *
 * It costs teacher forward passes over the corpus, not API calls of a task: free when the teacher is a local
 * open-weight model; against a paid API it needs the service's full output distribution at a masked position,
 * which masked-LM services rarely return (most return the top few tokens) — see docs/method.md.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { GdfoError } from '@gdfo/core';
import { buildCorpus, type Corpus } from './corpus.js';
import { saveHuggingFace } from './hf-save.js';
import type { LoadedModel } from './loaded.js';
import { MaskedLM, weightShapes, type Weights } from './model.js';
import { crossEntropy, encodeCorpus, makeMlmBatch, type MlmBatch } from './pretrain.js';
import { WordPieceTokenizer } from './tokenizer.js';
import { trainLoop, type MlmRunOptions } from './train-loop.js';
import { roundWeightsToHalf, saveCheckpoint, writeFileAtomic } from './checkpoint.js';
import { isHuggingFaceFolder } from './hf.js';

export interface PredistillOptions extends MlmRunOptions {
  readonly teacher: LoadedModel;
  /** Loaded from a Hugging Face folder, the result is a Hugging Face folder too; otherwise a gdfo-mlm checkpoint. */
  readonly student: LoadedModel;
  /** The unlabeled text (default: `buildCorpus()`, the npm-shipped corpus); every 50th document is held out. */
  readonly corpus?: Corpus;
  /** τ of the soft labels (default in the CLI: 2). */
  readonly temperature: number;
  /** Weight of the MLM cross-entropy on the true tokens (0: soft labels only). */
  readonly hardWeight: number;
}

/** The held-out figures of a student against its teacher (τ = 1). */
export interface PredistillFigures {
  /** Masked-token accuracy on the true tokens. */
  readonly accuracy: number;
  /** MLM cross-entropy on the true tokens. */
  readonly loss: number;
  /** Mean KL(teacher ‖ student) over masked positions, in nats. */
  readonly kl: number;
  /** Share of masked positions where the student's top token is the teacher's. */
  readonly top1: number;
}

export interface PredistillResult {
  readonly steps: number;
  readonly before: PredistillFigures;
  readonly after: PredistillFigures;
  readonly teacherAccuracy: number;
  readonly wallSeconds: number;
  readonly tokensSeen: number;
}

/**
 * τ²·KL(softmax(t/τ) ‖ softmax(s/τ)) averaged over rows, plus `hardWeight` × CE(s, targets). Teacher logits
 * get no gradient (only the student's variables are differentiated). Call inside tidy / a gradient function.
 */
export function kdMlmLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, targets: Int32Array, temperature: number, hardWeight: number): tf.Scalar {
  const rows = studentLogits.shape[0];
  const pt = tf.softmax(tf.div(teacherLogits, temperature));
  const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
  const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
  let loss = tf.mul(tf.div(tf.sum(tf.mul(pt, tf.sub(logPt, logPs))), rows), temperature * temperature) as tf.Scalar;
  if (hardWeight > 0) loss = tf.add(loss, tf.mul(crossEntropy(studentLogits, targets), hardWeight));
  return loss;
}

const logitsAt = (m: MaskedLM, b: MlmBatch): tf.Tensor2D => m.vocabLogits(m.forward(b, { outRows: b.rows }));

/** Held-out accuracy, CE, KL to the teacher and top-1 agreement of `student` over fixed batches. */
export function compareToTeacher(student: MaskedLM, teacher: MaskedLM, batches: readonly MlmBatch[]): PredistillFigures {
  let correct = 0;
  let agree = 0;
  let total = 0;
  let ce = 0;
  let kl = 0;
  for (const b of batches) {
    const [l, k, ps, pt] = tf.tidy(() => {
      const s = logitsAt(student, b);
      const t = logitsAt(teacher, b);
      return [tf.mul(crossEntropy(s, b.targets), b.rows.length), tf.mul(kdMlmLoss(s, t, b.targets, 1, 0), b.rows.length), tf.argMax(s, 1), tf.argMax(t, 1)];
    });
    const sp = ps.dataSync();
    const tp = pt.dataSync();
    for (let i = 0; i < b.targets.length; i++) {
      if (sp[i] === b.targets[i]) correct++;
      if (sp[i] === tp[i]) agree++;
    }
    total += b.targets.length;
    ce += l.dataSync()[0]!;
    kl += k.dataSync()[0]!;
    tf.dispose([l, k, ps, pt]);
  }
  return { accuracy: correct / total, loss: ce / total, kl: kl / total, top1: agree / total };
}

function checkPair(teacher: LoadedModel, student: LoadedModel): void {
  const where = (m: LoadedModel) => m.path ?? m.model.config.name;
  const vocab = (m: LoadedModel) => (m.tokenizer instanceof WordPieceTokenizer ? m.tokenizer.toVocabText() : undefined);
  const tv = vocab(teacher);
  if (tv === undefined || tv !== vocab(student) || teacher.model.config.vocabSize !== student.model.config.vocabSize) {
    throw new GdfoError('BAD_OPTION', `predistill: ${where(student)} and ${where(teacher)} must share one WordPiece vocabulary (soft labels are distributions over the teacher's tokens)`);
  }
}

export function predistill(o: PredistillOptions): PredistillResult {
  checkPair(o.teacher, o.student);
  const cfg = o.student.model.config;
  const V = cfg.vocabSize;
  const data = encodeCorpus(o.corpus ?? buildCorpus(), o.student.tokenizer, o.log);
  const evalBatches: MlmBatch[] = [];
  for (let i = 0; i < Math.ceil(o.evalRows / o.batch); i++) evalBatches.push(makeMlmBatch(data.heldOut, V, o.batch, o.seq, `${o.seed}/heldout/${i}`));
  const teacher = o.teacher.model;
  const before = compareToTeacher(o.student.model, teacher, evalBatches);
  const teacherAccuracy = compareToTeacher(teacher, teacher, evalBatches).accuracy;
  o.log(`predistill: teacher ${o.teacher.path ?? teacher.config.name} (held-out accuracy ${teacherAccuracy.toFixed(4)}) → student ${o.student.path ?? cfg.name}: before ${fmt(before)}`);
  const names = weightShapes(cfg).map(([n]) => n);
  const trained = trainLoop({
    ...o,
    model: cfg,
    init: (): Weights => Object.fromEntries(names.map((n) => [n, tf.clone(o.student.model.weights[n]!)])),
    loss: (model, step) => {
      const b = makeMlmBatch(data.train, V, o.batch, o.seq, `${o.seed}/train/${step}`);
      return kdMlmLoss(logitsAt(model, b), logitsAt(teacher, b), b.targets, o.temperature, o.hardWeight);
    },
    evaluate: (model) => ({ ...compareToTeacher(model, teacher, evalBatches) }),
    what: 'predistill',
  });
  // Written in float16 like the source folder: round first, so that the figures below are the written weights'.
  const frozen = new MaskedLM(cfg, Object.fromEntries(names.map((n) => [n, tf.clone(trained.weights[n]!)])));
  tf.dispose(Object.values(trained.weights));
  roundWeightsToHalf(frozen);
  const after = compareToTeacher(frozen, teacher, evalBatches);
  o.log(`predistill: after ${o.steps} steps (float16 weights): ${fmt(after)}`);
  const tokensSeen = o.steps * o.batch * o.seq;
  const record = {
    teacher: o.teacher.path ?? teacher.config.name,
    student: o.student.path ?? cfg.name,
    steps: o.steps, batch: o.batch, seq: o.seq, lr: o.lr, warmup: o.warmup, weightDecay: o.weightDecay,
    temperature: o.temperature, hardWeight: o.hardWeight, seed: o.seed, tokensSeen,
    wallSeconds: Math.round(trained.wallSeconds), backend: tf.getBackend(),
    heldOut: { rows: evalBatches.length * o.batch, maskedTokens: evalBatches.reduce((a, b) => a + b.targets.length, 0), teacherAccuracy, before, after },
    history: trained.history,
    corpus: { sha256: data.corpusSha256, sources: data.sources, trainTokens: data.train.length, heldOutTokens: data.heldOut.length, split: 'every 50th document held out' },
    command: o.command,
  };
  if (o.student.path && isHuggingFaceFolder(o.student.path)) saveHuggingFace(o.out, frozen, o.student.path, { dtype: 'F16', metadata: { gdfo: 'predistill', teacher: record.teacher } });
  else saveCheckpoint(o.out, { model: frozen, tokenizer: o.student.tokenizer, promptTokens: o.student.promptTokens, meta: { predistill: record } }, { dtype: 'float16' });
  writeFileAtomic(join(o.out, 'predistill.json'), JSON.stringify(record, null, 2) + '\n');
  frozen.dispose();
  return { steps: o.steps, before, after, teacherAccuracy, wallSeconds: trained.wallSeconds, tokensSeen };
}

function fmt(f: PredistillFigures): string {
  return `accuracy ${f.accuracy.toFixed(4)} CE ${f.loss.toFixed(4)} KL to teacher ${f.kl.toFixed(4)} top-1 agreement ${f.top1.toFixed(4)}`;
}
