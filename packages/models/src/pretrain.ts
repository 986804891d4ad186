/**
 * MLM pretraining of a gdfo masked LM on the npm-shipped corpus: 15% of positions masked (80% [MASK], 10%
 * random token, 10% unchanged), AdamW with warm-up and linear decay, global-norm clipping. Every batch and mask
 * is a pure function of (seed, step), so a run resumed from its atomic training state is bit-identical to an
 * uninterrupted one, and the same command rebuilds the same checkpoint on the same backend.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRng } from '@gdfo/core';
import { buildCorpus, type Corpus, type CorpusSource } from './corpus.js';
import { defaultPromptTokens } from './loaded.js';
import { roundWeightsToHalf, saveCheckpoint, writeFileAtomic } from './checkpoint.js';
import { trainLoop, type MlmRunOptions } from './train-loop.js';
import { MaskedLM, initWeights, weightShapes, type ModelConfig } from './model.js';
import { CLS_ID, MASK_ID, SEP_ID, VERBALIZER_WORDS, WordPieceTokenizer, countWords, trainWordPiece, type Tokenizer } from './tokenizer.js';

export const MODEL_PRESETS: Record<'teacher' | 'student', ModelConfig> = {
  teacher: { name: 'gdfo-teacher-mini', vocabSize: 8192, hidden: 128, layers: 4, heads: 2, ffn: 512, maxPositions: 128 },
  student: { name: 'gdfo-student-tiny', vocabSize: 8192, hidden: 64, layers: 2, heads: 2, ffn: 256, maxPositions: 128 },
};

export interface PretrainOptions extends MlmRunOptions {
  readonly model: ModelConfig;
}

export interface PretrainResult {
  readonly steps: number;
  readonly heldOutAccuracy: number;
  readonly heldOutLoss: number;
  readonly wallSeconds: number;
  readonly tokensSeen: number;
}

interface TokenStreams {
  readonly train: Int32Array;
  readonly heldOut: Int32Array;
  readonly sources: readonly CorpusSource[];
  readonly corpusSha256: string;
  readonly tokenizer: WordPieceTokenizer;
}

/** Every 50th document of the corpus is held out (for the figures, never trained on). */
const isHeldOut = (doc: number): boolean => doc % 50 === 49;

/** Builds (or reloads from the state directory) the tokenizer and the encoded train / held-out streams. */
export function prepareData(stateDir: string, vocabSize: number, log: (l: string) => void): TokenStreams {
  mkdirSync(stateDir, { recursive: true });
  const corpus = buildCorpus();
  const vocabPath = join(stateDir, `vocab-${vocabSize}.txt`);
  let tokenizer: WordPieceTokenizer;
  const train = corpus.documents.filter((_, i) => !isHeldOut(i)); // the documents encodeCorpus trains on
  if (existsSync(vocabPath)) tokenizer = WordPieceTokenizer.fromVocabText(readFileSync(vocabPath, 'utf8'), vocabPath);
  else {
    log(`tokenizer: training WordPiece (${vocabSize}) on ${train.length} documents`);
    tokenizer = trainWordPiece(countWords(train), { vocabSize, forceWords: VERBALIZER_WORDS });
    writeFileAtomic(vocabPath, tokenizer.toVocabText());
  }
  return { ...encodeCorpus(corpus, tokenizer, log), tokenizer };
}

/**
 * The corpus as two token streams (documents separated by [SEP]): every 50th document held out. Pretraining
 * uses its own WordPiece vocabulary; pre-distillation the student's (which must be the teacher's).
 */
export function encodeCorpus(corpus: Corpus, tokenizer: Tokenizer, log: (l: string) => void): Omit<TokenStreams, 'tokenizer'> {
  const train: string[] = [];
  const held: string[] = [];
  corpus.documents.forEach((d, i) => (isHeldOut(i) ? held : train).push(d));
  const encode = (docs: string[]) => {
    const parts: number[] = [];
    for (const d of docs) {
      for (const id of tokenizer.encode(d)) parts.push(id);
      parts.push(SEP_ID);
    }
    return Int32Array.from(parts);
  };
  const t = encode(train);
  const h = encode(held);
  log(`corpus: ${corpus.documents.length} documents, ${t.length} train tokens, ${h.length} held-out tokens (sha256 ${corpus.sha256.slice(0, 12)})`);
  return { train: t, heldOut: h, sources: corpus.sources, corpusSha256: corpus.sha256 };
}

export interface MlmBatch {
  readonly ids: Int32Array;
  readonly batch: number;
  readonly seq: number;
  readonly lengths: Int32Array;
  /** Flat positions (b·seq + s) that are predicted. */
  readonly rows: Int32Array;
  readonly targets: Int32Array;
}

/** A masked batch drawn from `stream`, a pure function of `label`. */
export function makeMlmBatch(stream: Int32Array, vocabSize: number, batch: number, seq: number, label: string): MlmBatch {
  const rng = createRng(label);
  const ids = new Int32Array(batch * seq);
  const rows: number[] = [];
  const targets: number[] = [];
  const span = seq - 2;
  for (let b = 0; b < batch; b++) {
    const start = rng.int(stream.length - span);
    const o = b * seq;
    ids[o] = CLS_ID;
    for (let i = 0; i < span; i++) ids[o + 1 + i] = stream[start + i]!;
    ids[o + seq - 1] = SEP_ID;
    for (let i = 1; i < seq - 1; i++) {
      const u = rng.uniform();
      if (u >= 0.15 || ids[o + i]! < 5) continue;
      rows.push(o + i);
      targets.push(ids[o + i]!);
      const r = rng.uniform();
      if (r < 0.8) ids[o + i] = MASK_ID;
      else if (r < 0.9) ids[o + i] = 5 + rng.int(vocabSize - 5);
    }
  }
  return { ids, batch, seq, lengths: new Int32Array(batch).fill(seq), rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}

/** Mean cross-entropy over the masked rows and the logits (call inside tidy / a gradient function). */
export function mlmLoss(model: MaskedLM, b: MlmBatch): { loss: tf.Scalar; logits: tf.Tensor2D } {
  const h = model.forward(b, { outRows: b.rows });
  const logits = model.vocabLogits(h);
  return { loss: crossEntropy(logits, b.targets), logits };
}

/** Mean cross-entropy of `logits` [rows, V] against the target ids (call inside tidy / a gradient function). */
export function crossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  const oh = tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]);
  return tf.div(tf.neg(tf.sum(tf.mul(oh, tf.logSoftmax(logits)))), targets.length) as tf.Scalar;
}

/** Held-out masked-token accuracy and loss over fixed batches. */
export function evaluateMlm(model: MaskedLM, batches: readonly MlmBatch[]): { accuracy: number; loss: number } {
  let correct = 0;
  let total = 0;
  let lossSum = 0;
  for (const b of batches) {
    const [loss, pred] = tf.tidy(() => {
      const { loss, logits } = mlmLoss(model, b);
      return [loss, tf.argMax(logits, 1)];
    });
    const p = pred.dataSync();
    for (let i = 0; i < b.targets.length; i++) if (p[i] === b.targets[i]) correct++;
    total += b.targets.length;
    lossSum += (loss.dataSync()[0] ?? 0) * b.targets.length;
    tf.dispose([loss, pred]);
  }
  return { accuracy: correct / total, loss: lossSum / total };
}

export function pretrain(o: PretrainOptions): PretrainResult {
  const cfg = o.model;
  const data = prepareData(o.stateDir, cfg.vocabSize, o.log);
  const V = cfg.vocabSize;
  const evalBatches: MlmBatch[] = [];
  for (let i = 0; i < Math.ceil(o.evalRows / o.batch); i++) evalBatches.push(makeMlmBatch(data.heldOut, V, o.batch, o.seq, `${o.seed}/heldout/${i}`));

  const rng = createRng(`${o.seed}/init/${cfg.name}`);
  const trained = trainLoop({
    ...o,
    init: () => initWeights(cfg, () => rng.gaussian()),
    loss: (model, step) => mlmLoss(model, makeMlmBatch(data.train, V, o.batch, o.seq, `${o.seed}/train/${step}`)).loss,
    evaluate: (model) => evaluateMlm(model, evalBatches),
    what: 'pretrain',
  });
  const names = weightShapes(cfg).map(([n]) => n);
  const vars = trained.weights;
  const wallSeconds = trained.wallSeconds;
  const history = trained.history;
  // Ship a float16 checkpoint: round in memory first so that the shipped weights are exactly these.
  const frozen = new MaskedLM(cfg, Object.fromEntries(names.map((n) => [n, tf.clone(vars[n]!)])));
  roundWeightsToHalf(frozen);
  const final = evaluateMlm(frozen, evalBatches);
  o.log(`final (float16 weights): held-out masked-token accuracy ${final.accuracy.toFixed(4)} loss ${final.loss.toFixed(4)}`);
  const meta = {
    steps: o.steps,
    batch: o.batch,
    seq: o.seq,
    lr: o.lr,
    warmup: o.warmup,
    weightDecay: o.weightDecay,
    seed: o.seed,
    tokensSeen: o.steps * o.batch * o.seq,
    wallSeconds: Math.round(wallSeconds),
    backend: tf.getBackend(),
    heldOut: { rows: evalBatches.length * o.batch, maskedTokens: evalBatches.reduce((a, b) => a + b.targets.length, 0), accuracy: final.accuracy, loss: final.loss },
    history,
    corpus: { sha256: data.corpusSha256, sources: data.sources, trainTokens: data.train.length, heldOutTokens: data.heldOut.length, split: 'every 50th document held out' },
    command: o.command,
  };
  saveCheckpoint(o.out, { model: frozen, tokenizer: data.tokenizer, promptTokens: defaultPromptTokens(V), meta }, { dtype: 'float16' });
  writeFileSync(join(o.out, 'MODEL_CARD.md'), modelCard(cfg, meta));
  frozen.dispose();
  tf.dispose(Object.values(vars));
  return { steps: o.steps, heldOutAccuracy: final.accuracy, heldOutLoss: final.loss, wallSeconds, tokensSeen: meta.tokensSeen };
}

function modelCard(cfg: ModelConfig, meta: Record<string, unknown> & { heldOut: { accuracy: number; loss: number; rows: number; maskedTokens: number }; corpus: { sources: readonly CorpusSource[]; sha256: string; trainTokens: number; heldOutTokens: number } }): string {
  const params = weightShapes(cfg).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
  const src = meta.corpus.sources.map((s) => `| ${s.name} | \`${s.package}@${s.version}\` | ${s.documents} | ${s.characters} | ${s.license} |`).join('\n');
  return `# ${cfg.name}

A small pre-LN transformer encoder masked language model, trained by \`@gdfo/models\` from scratch on text that npm
packages ship. It is the local stand-in for BBT's RoBERTa-large: a frozen model that receives continuous prompts.
It is tiny, trained for minutes on one CPU core; expect weak zero-shot behaviour.

| | |
|---|---|
| hidden / layers / heads / ffn | ${cfg.hidden} / ${cfg.layers} / ${cfg.heads} / ${cfg.ffn} |
| max positions | ${cfg.maxPositions} |
| vocabulary | ${cfg.vocabSize} WordPiece tokens (lower-cased; \`[PAD] [UNK] [CLS] [SEP] [MASK]\`; task verbalizer words forced in as whole tokens) |
| parameters | ${params} |
| weights | \`weights.bin\`, float16 (training ran in float32; the shipped weights are the float16-rounded ones, evaluated as shipped) |
| training | ${String(meta.steps)} steps × batch ${String(meta.batch)} × ${String(meta.seq)} tokens = ${String(meta.tokensSeen)} tokens; AdamW lr ${String(meta.lr)} (warm-up ${String(meta.warmup)}, linear decay to 10%), weight decay ${String(meta.weightDecay)}, clip 1.0; MLM 15% (80/10/10); seed ${String(meta.seed)} |
| wall time | ${String(meta.wallSeconds)} s on tfjs backend \`${String(meta.backend)}\` (one CPU core) |
| **held-out masked-token accuracy** | **${meta.heldOut.accuracy.toFixed(4)}** (loss ${meta.heldOut.loss.toFixed(4)}; ${meta.heldOut.maskedTokens} masked tokens in ${meta.heldOut.rows} sequences of held-out documents) |
| prompt tokens (p0, 'add' mode) | ids 1000..1063 (BBT's convention of fixed vocabulary tokens after [CLS]) |

## Data

Every 50th document is held out; labels (spam/ham) are never read. Corpus sha256 \`${meta.corpus.sha256}\`;
${meta.corpus.trainTokens} training tokens, ${meta.corpus.heldOutTokens} held-out tokens.

| source | package | documents | characters | licence |
|---|---|---|---|---|
${src}

## Rebuild

\`\`\`
${String(meta.command)}
\`\`\`

The batches and masks are a pure function of (seed, step), the training state is checkpointed atomically and
resumes bit-for-bit; on the same tfjs backend (wasm, SIMD, single thread) the command rebuilds identical weights.
`;
}
