import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from './backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { saveHuggingFace } from './hf-save.js';
import { readSafetensorsFolder } from './safetensors.js';
import { compareToTeacher, kdMlmLoss, predistill, type PredistillOptions } from './predistill.js';
import { makeMlmBatch } from './pretrain.js';
import { shippedCheckpoint } from './shipped.js';
import { tinyModel } from './tiny.js';
import { scheduledLr } from './train-loop.js';
import { main as predistillCli } from './predistill-cli.js';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

const tmp = () => mkdtempSync(join(tmpdir(), 'gdfo-predistill-'));

test('the KD loss is τ²·KL(softmax(t/τ) ‖ softmax(s/τ)) per row plus the weighted CE, as computed by hand', () => {
  const s = [
    [1, 0, -1],
    [0.5, 0.5, 2],
  ];
  const t = [
    [2, 0, 0],
    [0, 1, 0],
  ];
  const softmax = (r: number[], tau: number) => {
    const e = r.map((x) => Math.exp(x / tau));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / z);
  };
  const byHand = (tau: number) => {
    let kl = 0;
    for (let i = 0; i < 2; i++) {
      const pt = softmax(t[i]!, tau);
      const ps = softmax(s[i]!, tau);
      for (let v = 0; v < 3; v++) kl += pt[v]! * Math.log(pt[v]! / ps[v]!);
    }
    return (tau * tau * kl) / 2;
  };
  const targets = Int32Array.from([0, 2]);
  const ce = -(Math.log(softmax(s[0]!, 1)[0]!) + Math.log(softmax(s[1]!, 1)[2]!)) / 2;
  const at = (tau: number, hard: number) => tf.tidy(() => kdMlmLoss(tf.tensor2d(s), tf.tensor2d(t), targets, tau, hard).dataSync()[0]!);
  expect(at(1, 0)).toBeCloseTo(byHand(1), 5);
  expect(at(2, 0)).toBeCloseTo(byHand(2), 5);
  expect(at(2, 0.5)).toBeCloseTo(byHand(2) + 0.5 * ce, 5);
  // equal logits: no soft loss at any temperature
  expect(tf.tidy(() => kdMlmLoss(tf.tensor2d(t), tf.tensor2d(t), targets, 3, 0).dataSync()[0]!)).toBeCloseTo(0, 6);
});

test('the learning rate warms up linearly, then decays linearly to 10% at the last step', () => {
  const o = { lr: 1e-3, warmup: 10, steps: 110 };
  expect(scheduledLr(0, o)).toBeCloseTo(1e-4, 12);
  expect(scheduledLr(9, o)).toBeCloseTo(1e-3, 12);
  expect(scheduledLr(60, o)).toBeCloseTo(1e-3 * (1 - 0.9 * 0.5), 12);
  expect(scheduledLr(110, o)).toBeCloseTo(1e-4, 12);
});

describe('predistill on tiny models', () => {
  const words = 'the movie was very good and the film is not bad . it was a question of answer , this is it !'.split(' ');
  const documents = Array.from({ length: 120 }, (_, i) => Array.from({ length: 30 }, (_, j) => words[(i * 7 + j * 3 + ((i * j) % 5)) % words.length]).join(' '));
  const corpus = { documents, sources: [], sha256: 'test' };
  const base = (out: string, steps: number): PredistillOptions => ({
    teacher: tinyModel({ seed: 'teacher', hidden: 16 }),
    student: tinyModel({ seed: 'student', hidden: 8, layers: 1 }),
    corpus,
    out,
    stateDir: out + '.state',
    steps,
    batch: 4,
    seq: 16,
    lr: 3e-3,
    warmup: 2,
    weightDecay: 0.01,
    temperature: 2,
    hardWeight: 0,
    seed: 1,
    evalEvery: 4,
    saveEvery: 0, // a save after every step: the resumed run below restarts from step 5's state
    evalRows: 16,
    command: 'test',
    log: () => {},
  });

  test('the student moves toward the teacher; a resumed run is identical to an uninterrupted one; the written folder reloads as trained', () => {
    const dir = tmp();
    try {
      const whole = predistill(base(join(dir, 'whole'), 12));
      expect(whole.after.kl).toBeLessThan(whole.before.kl);
      // killed right after step 5's state was saved, then the same command again
      const crash = (l: string) => {
        if (l.includes('saved training state at step 5')) throw new Error('killed');
      };
      expect(() => predistill({ ...base(join(dir, 'split'), 12), log: crash })).toThrow('killed');
      const lines: string[] = [];
      const resumed = predistill({ ...base(join(dir, 'split'), 12), log: (l) => lines.push(l) });
      expect(lines).toContain(`predistill: resuming tiny-test at step 5/12 from ${join(dir, 'split')}.state`);
      expect(resumed.after).toEqual(whole.after);
      const a = readFileSync(join(dir, 'whole', 'weights.bin'));
      const b = readFileSync(join(dir, 'split', 'weights.bin'));
      expect(Buffer.compare(a, b)).toBe(0);
      // the written checkpoint (float16) gives the figures the run reported for its float16 weights
      const reloaded = loadCheckpoint(join(dir, 'whole'));
      const record = JSON.parse(readFileSync(join(dir, 'whole', 'predistill.json'), 'utf8')) as { heldOut: { after: unknown }; history: { step: number }[] };
      expect(record.heldOut.after).toEqual(whole.after);
      expect(record.history.map((h) => h.step)).toEqual([4, 8, 12]);
      const teacher = tinyModel({ seed: 'teacher', hidden: 16 });
      const stream = Int32Array.from({ length: 400 }, (_, i) => 5 + ((i * 11) % (teacher.model.config.vocabSize - 5)));
      const batches = [makeMlmBatch(stream, teacher.model.config.vocabSize, 4, 16, 'x')];
      const self = compareToTeacher(teacher.model, teacher.model, batches);
      expect(self.kl).toBeCloseTo(0, 5);
      expect(self.top1).toBe(1);
      expect(compareToTeacher(reloaded.model, teacher.model, batches).kl).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a student with another vocabulary is refused in one line', () => {
    const o = base('/nonexistent', 1);
    const other = tinyModel({ seed: 'student', hidden: 8 });
    const bigger = { ...other, tokenizer: loadCheckpoint(shippedCheckpoint('student')).tokenizer };
    expect(() => predistill({ ...o, student: bigger })).toThrow(/^predistill: .* must share one WordPiece vocabulary/);
  });
});

test('saveHuggingFace writes a folder that loads back to the same weights (F32 exactly, F16 as shipped)', () => {
  const dir = tmp();
  try {
    const src = shippedCheckpoint('student');
    const loaded = loadCheckpoint(src);
    saveHuggingFace(join(dir, 'f32'), loaded.model, src, { dtype: 'F32' });
    saveHuggingFace(join(dir, 'f16'), loaded.model, src);
    for (const d of ['f32', 'f16']) {
      const back = loadCheckpoint(join(dir, d));
      expect(back.tokenizer.size).toBe(loaded.tokenizer.size);
      for (const [name, t] of Object.entries(loaded.model.weights)) {
        const a = t.dataSync();
        const b = back.model.weights[name]!.dataSync();
        expect(b.length).toBe(a.length);
        let diff = 0;
        for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
        expect({ name, diff }).toEqual({ name, diff: 0 }); // the shipped weights are float16 values already
      }
      back.model.dispose();
    }
    // the same tensor names, shapes and dtype as the source folder
    const want = readSafetensorsFolder(src);
    const got = readSafetensorsFolder(join(dir, 'f16'));
    expect([...got.keys()].sort()).toEqual([...want.keys()].filter((k) => k !== 'cls.predictions.decoder.bias').sort());
    for (const [k, t] of got) expect({ k, shape: t.shape, dtype: t.dtype }).toEqual({ k, shape: want.get(k)!.shape, dtype: want.get(k)!.dtype });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the predistill command refuses bad arguments in one line before loading anything', async () => {
  await expect(predistillCli(['--steps', '10'])).rejects.toThrow('predistill: --out DIR is required (the distilled student is written there as a Hugging Face folder)');
  await expect(predistillCli(['--out', '/nonexistent/x', '--steps', 'ten'])).rejects.toThrow("predistill: --steps must be a number, got 'ten'");
  await expect(predistillCli(['--out', '/nonexistent/x', '--temperature', '0'])).rejects.toThrow('predistill: --temperature must be > 0, got 0');
  await expect(predistillCli(['--out'])).rejects.toThrow('predistill: option --out needs a value');
});
