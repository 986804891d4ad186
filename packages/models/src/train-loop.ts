/**
 * The training loop shared by MLM pretraining and teacher → student pre-distillation: AdamW (β 0.9/0.98, ε 1e-6,
 * weight decay on matrices other than the position table), global-norm clipping at 1, linear warm-up then linear
 * decay to 10% of the peak rate. The loss of step t must be a pure function of t (its batch and mask drawn from a
 * seeded label), so a run resumed from its atomic training state (weights, moments, history) is bit-identical to
 * an uninterrupted one.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { GdfoError } from '@gdfo/core';
import { packTensors, sha256, unpackTensor, writeFileAtomic } from './checkpoint.js';
import { MaskedLM, weightShapes, type ModelConfig, type Weights } from './model.js';

/** What a masked-LM training run (pretraining or pre-distillation) is told. */
export interface MlmRunOptions {
  /** Where the result is written. */
  readonly out: string;
  /** The resumable training state's folder. */
  readonly stateDir: string;
  readonly steps: number;
  /** Windows per step and their length in tokens ([CLS] … [SEP]). */
  readonly batch: number;
  readonly seq: number;
  readonly lr: number;
  readonly warmup: number;
  readonly weightDecay: number;
  /** Batches, masks and (pretraining) the initial weights are pure functions of it and the step. */
  readonly seed: number;
  readonly evalEvery: number;
  /** Seconds between state saves (and at the end). */
  readonly saveEvery: number;
  /** Held-out windows evaluated. */
  readonly evalRows: number;
  /** The command that rebuilds the result (written into its metadata). */
  readonly command: string;
  readonly log: (line: string) => void;
}

export interface TrainLoopOptions extends Pick<MlmRunOptions, 'steps' | 'lr' | 'warmup' | 'weightDecay' | 'evalEvery' | 'saveEvery' | 'stateDir' | 'log'> {
  /** The model trained (its shapes; also what a saved state must match). */
  readonly model: ModelConfig;
  /** The starting weights of a fresh run (not called when a state is resumed); the loop takes ownership. */
  readonly init: () => Weights;
  /** The loss of step `step` (called inside a gradient function). */
  readonly loss: (model: MaskedLM, step: number) => tf.Scalar;
  /** Figures logged and kept in the history every `evalEvery` steps and at the end. */
  readonly evaluate: (model: MaskedLM) => Record<string, number>;
  /** Names the run in log lines and errors ('pretrain', 'predistill'). */
  readonly what: string;
}

export interface TrainLoopResult {
  /** The trained weights (tf.Variables): the caller disposes them. */
  readonly weights: Weights;
  readonly history: readonly ({ step: number } & Record<string, number>)[];
  readonly wallSeconds: number;
}

interface TrainState {
  step: number;
  weights: Weights;
  m: Weights;
  v: Weights;
  elapsed: number;
  history: ({ step: number } & Record<string, number>)[];
}

function saveState(dir: string, s: TrainState, model: ModelConfig): void {
  const names = weightShapes(model).map(([n]) => n);
  const named: [string, tf.Tensor][] = [];
  for (const n of names) named.push([`w/${n}`, s.weights[n]!], [`m/${n}`, s.m[n]!], [`v/${n}`, s.v[n]!]);
  const { bytes, tensors } = packTensors(named, 'float32');
  writeFileAtomic(join(dir, 'state.bin'), bytes);
  writeFileAtomic(join(dir, 'state.json'), JSON.stringify({ step: s.step, elapsed: s.elapsed, history: s.history, model, sha256: sha256(bytes), tensors }));
}

function loadState(dir: string, model: ModelConfig, what: string): TrainState | undefined {
  const jp = join(dir, 'state.json');
  if (!existsSync(jp)) return undefined;
  const j = JSON.parse(readFileSync(jp, 'utf8')) as { step: number; elapsed: number; history: TrainState['history']; model: ModelConfig; sha256: string; tensors: { name: string; shape: number[]; offset: number }[] };
  if (JSON.stringify(j.model) !== JSON.stringify(model)) throw new GdfoError('BAD_STATE', `${what}: ${jp} belongs to another model configuration; use another --state directory`);
  const bytes = new Uint8Array(readFileSync(join(dir, 'state.bin')));
  if (sha256(bytes) !== j.sha256) throw new GdfoError('BAD_STATE', `${what}: ${join(dir, 'state.bin')} does not match its sha256`);
  const s: TrainState = { step: j.step, elapsed: j.elapsed, history: j.history, weights: {}, m: {}, v: {} };
  for (const t of j.tensors) {
    const [kind, name] = [t.name.slice(0, 1), t.name.slice(2)];
    const size = t.shape.reduce((a, b) => a * b, 1);
    const target = kind === 'w' ? s.weights : kind === 'm' ? s.m : s.v;
    target[name] = tf.tensor(unpackTensor(bytes, 'float32', t.offset, size), t.shape);
  }
  return s;
}

function fmtTime(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}

/** The learning rate of step `step` (0-based): linear warm-up, then linear decay to 10% at the last step. */
export function scheduledLr(step: number, o: { readonly lr: number; readonly warmup: number; readonly steps: number }): number {
  return step < o.warmup ? (o.lr * (step + 1)) / o.warmup : o.lr * Math.max(0.1, 1 - (0.9 * (step - o.warmup)) / Math.max(1, o.steps - o.warmup));
}

let runs = 0;

/** Trains `o.model` from `o.init()` (or the state in `o.stateDir`) for `o.steps` steps; resumable. */
export function trainLoop(o: TrainLoopOptions): TrainLoopResult {
  const cfg = o.model;
  let state = loadState(o.stateDir, cfg, o.what);
  if (state) o.log(`${o.what}: resuming ${cfg.name} at step ${state.step}/${o.steps} from ${o.stateDir}`);
  else {
    const weights = o.init();
    const zeros = (): Weights => Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, tf.zerosLike(t)]));
    state = { step: 0, weights, m: zeros(), v: zeros(), elapsed: 0, history: [] };
  }
  const names = weightShapes(cfg).map(([n]) => n);
  const run = ++runs; // variable names are unique among live variables
  const vars: Record<string, tf.Variable> = {};
  for (const n of names) {
    const w = state.weights[n];
    if (!w) throw new GdfoError('BAD_STATE', `${o.what}: the starting weights lack '${n}'`);
    vars[n] = tf.variable(w, true, `${o.what}/${cfg.name}/${n}/${run}`);
    w.dispose();
  }
  const model = new MaskedLM(cfg, vars);
  const m = state.m;
  const v = state.v;
  const b1 = 0.9;
  const b2 = 0.98;
  const eps = 1e-6;
  const decayed = new Set(names.filter((n) => weightShapes(cfg).find(([x]) => x === n)![1].length === 2 && n !== 'pos_emb'));
  const t0 = performance.now();
  const startStep = state.step;
  let lastSave = performance.now();
  let runningLoss = NaN;
  const varList = names.map((n) => vars[n]!);
  mkdirSync(o.stateDir, { recursive: true });
  for (let step = state.step; step < o.steps; step++) {
    const lr = scheduledLr(step, o);
    const lossValue = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => o.loss(model, step), varList);
      const sq = tf.addN(names.map((n) => tf.sum(tf.square(grads[vars[n]!.name]!))));
      const norm = Math.sqrt(sq.dataSync()[0]!);
      const clip = norm > 1 ? 1 / norm : 1;
      const t = step + 1;
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      for (const n of names) {
        const g = tf.mul(grads[vars[n]!.name]!, clip);
        const mn = tf.add(tf.mul(m[n]!, b1), tf.mul(g, 1 - b1));
        const vn = tf.add(tf.mul(v[n]!, b2), tf.mul(tf.square(g), 1 - b2));
        let upd = tf.div(tf.div(mn, c1), tf.add(tf.sqrt(tf.div(vn, c2)), eps));
        if (decayed.has(n)) upd = tf.add(upd, tf.mul(vars[n]!, o.weightDecay));
        vars[n]!.assign(tf.sub(vars[n]!, tf.mul(upd, lr)));
        m[n]!.dispose();
        v[n]!.dispose();
        m[n] = tf.keep(mn);
        v[n] = tf.keep(vn);
      }
      return value.dataSync()[0]!;
    });
    runningLoss = Number.isNaN(runningLoss) ? lossValue : 0.98 * runningLoss + 0.02 * lossValue;
    state.step = step + 1;
    const done = state.step;
    const elapsed = (performance.now() - t0) / 1000;
    if (done % 10 === 0 || done === o.steps) {
      const rate = (done - startStep) / elapsed;
      o.log(`step ${done}/${o.steps} loss ${runningLoss.toFixed(4)} lr ${lr.toExponential(2)} ${(1000 / rate).toFixed(0)} ms/step elapsed ${fmtTime(state.elapsed + elapsed)} eta ${fmtTime((o.steps - done) / rate)} tensors ${tf.memory().numTensors}`);
    }
    if (done % o.evalEvery === 0 || done === o.steps) {
      const e = o.evaluate(model);
      state.history.push({ step: done, ...e });
      o.log(`eval step ${done}: ${Object.entries(e).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(' ')}`);
    }
    if (done === o.steps || performance.now() - lastSave > o.saveEvery * 1000) {
      saveState(o.stateDir, { ...state, weights: vars, elapsed: state.elapsed + (performance.now() - t0) / 1000 }, cfg);
      lastSave = performance.now();
      o.log(`saved training state at step ${done}`);
    }
  }
  tf.dispose([...Object.values(m), ...Object.values(v)]);
  return { weights: vars, history: state.history, wallSeconds: state.elapsed + (performance.now() - t0) / 1000 };
}

