import type { Example, Prompt, ScoreRequest } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { initBackend, tinyModel, type LoadedModel } from '@gdfo/models';
import { createLocalTeacher, type LocalTeacher } from './teacher.js';
import { createLocalStudent } from './student.js';
import { alignEmbeddings, embeddingTable } from './align.js';
import { testCe, testKl } from './testing.js';

const template = { specVersion: '1.0' as const, text: '{text} . it was {mask} .' };
const verbalizer = { specVersion: '1.0' as const, words: ['bad', 'great'] };
const examples: Example[] = [
  { id: '1', text: 'the movie was very good', label: 1 },
  { id: '2', text: 'a bad film', label: 0 },
  { id: '3', text: 'this is not the answer', label: 0 },
  { id: '4', text: 'great', label: 1 },
  { id: '5', text: 'it was a movie of the question and the answer', label: 1 },
];
const L = 4;
let loaded: LoadedModel;
let teacher: LocalTeacher;
let H = 0;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  loaded = tinyModel({ seed: 'local-test' });
  teacher = await createLocalTeacher({ model: loaded, promptLength: L, batchSize: 2, maxPromptLength: 8 });
  H = teacher.info.width!;
});

const req = (prompt: Prompt, ex: readonly Example[] = examples): ScoreRequest => ({ examples: ex, template, verbalizer, prompt, purpose: 'train' });
const shallow = (values: Float32Array, mode: 'add' | 'cat' = 'add'): Prompt => ({ kind: 'continuous-shallow', mode, length: L, width: H, values });
const deep = (values: Float32Array): Prompt => ({ kind: 'continuous-deep', layers: 2, length: L, width: H, values });
const wave = (n: number, f = 1) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f) * 0.7);

test('teacher info and shapes', async () => {
  expect(teacher.backend).toBe('wasm');
  const r = await teacher.score(req(shallow(new Float32Array(L * H))));
  expect(r.rows).toBe(5);
  expect(r.classes).toBe(2);
  expect(r.logits.length).toBe(10);
  expect(r.usage?.calls).toBe(1);
  const info = teacher.info;
  expect(info.accepts).toEqual(['continuous-shallow', 'continuous-deep', 'none']);
  expect(info.width).toBe(16);
  expect(info.layers).toBe(2);
  expect(info.maxPromptLength).toBe(8);
  const emb = Array.from(loaded.model.w('tok_emb').dataSync() as Float32Array);
  const mean = emb.reduce((a, b) => a + b, 0) / emb.length;
  const std = Math.sqrt(emb.reduce((a, b) => a + (b - mean) ** 2, 0) / emb.length);
  expect(info.scale!.embedding).toBeCloseTo(std, 5);
  expect(info.scale!.hidden).toHaveLength(2);
  for (const s of info.scale!.hidden!) expect(s).toBeGreaterThan(0);
});

test('zero prompts: deep = shallow add = cat with p0 exactly; a prompt changes the logits', async () => {
  const z = await teacher.score(req(shallow(new Float32Array(L * H))));
  const d = await teacher.score(req(deep(new Float32Array(2 * L * H))));
  const c = await teacher.score(req(shallow(teacher.p0(L), 'cat')));
  expect(Array.from(d.logits)).toEqual(Array.from(z.logits));
  expect(Array.from(c.logits)).toEqual(Array.from(z.logits));
  const p = await teacher.score(req(shallow(wave(L * H))));
  expect(Math.max(...Array.from(p.logits).map((v, i) => Math.abs(v - z.logits[i]!)))).toBeGreaterThan(1e-3);
  const none = await teacher.score(req({ kind: 'none' }));
  expect(none.logits.length).toBe(10);
});

test('batching does not change the scores', async () => {
  const all = await createLocalTeacher({ model: loaded, promptLength: L, batchSize: 32, maxPromptLength: 8 });
  const a = await all.score(req(shallow(wave(L * H))));
  const b = await teacher.score(req(shallow(wave(L * H))));
  a.logits.forEach((v, i) => expect(v).toBeCloseTo(b.logits[i]!, 4));
});

test('one-line errors for bad verbalizers and prompts', async () => {
  await expect(teacher.score({ ...req(shallow(new Float32Array(L * H))), verbalizer: { specVersion: '1.0', words: ['bad', 'fantastic'] } })).rejects.toThrow(
    /verbalizer: 'fantastic' is not a single token of tiny-test's vocabulary/,
  );
  await expect(teacher.score(req({ kind: 'continuous-shallow', mode: 'add', length: 9, width: H, values: new Float32Array(9 * H) }))).rejects.toThrow(
    'prompt.length: 9 exceeds the model\'s maximum prompt length 8',
  );
  await expect(teacher.score(req({ kind: 'continuous-shallow', mode: 'add', length: L, width: H, values: new Float32Array(3) }))).rejects.toThrow(/prompt.values: expected a Float32Array of 64 values/);
  await expect(teacher.score(req({ kind: 'discrete-text', text: 'hi' }))).rejects.toThrow(/not discrete-text/);
});

test('white-box gradient w.r.t. the prompt matches finite differences of the scored loss', async () => {
  const v0 = wave(L * H, 0.3);
  const wb = await teacher.whiteBox(req(shallow(v0)), testCe);
  const labels = Int32Array.from(examples.map((e) => e.label));
  const lossAt = async (v: Float32Array) => testCe.value((await teacher.score(req(shallow(v)))).logits, null, labels, 2);
  expect(wb.loss).toBeCloseTo(await lossAt(v0), 4);
  const eps = 1e-2;
  let checked = 0;
  for (const i of [0, 7, 20, 33, 50, 63]) {
    const p = v0.slice(); p[i]! += eps;
    const m = v0.slice(); m[i]! -= eps;
    const fd = ((await lossAt(p)) - (await lossAt(m))) / (2 * eps);
    expect(Math.abs(fd - wb.grad[i]!)).toBeLessThan(1e-2 * Math.max(1, Math.abs(fd)) + 1e-3);
    checked++;
  }
  expect(checked).toBe(6);
  expect(Math.max(...Array.from(wb.grad).map(Math.abs))).toBeGreaterThan(1e-3);
  const wd = await teacher.whiteBox(req(deep(wave(2 * L * H, 0.2))), testCe);
  expect(wd.grad.length).toBe(2 * L * H);
});

describe('student', () => {
  const dim = 6;
  const make = (lr = 1e-2) => createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, seed: 3, batchSize: 3, lr });

  test('at z = 0 and init the student equals the same model as a teacher with a zero prompt', async () => {
    const s = await make();
    expect(s.info).toEqual({ id: 'local-student:tiny-test', dim, classes: 2, parameters: L * H + dim * L * H + 4 });
    const p = await s.predict(new Float64Array(dim), 1, examples);
    const t = await teacher.score(req(shallow(new Float32Array(L * H))));
    p.forEach((v, i) => expect(v).toBeCloseTo(t.logits[i]!, 4));
  });

  test('maxLength cuts the inputs as the teacher with the same maxLength does; more than the model has is refused', async () => {
    const short = await createLocalTeacher({ model: loaded, promptLength: L, batchSize: 2, maxPromptLength: 8, maxLength: 14 });
    const s = await createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, seed: 3, maxLength: 14 });
    const p = await s.predict(new Float64Array(dim), 1, examples);
    const t = await short.score(req(shallow(new Float32Array(L * H))));
    p.forEach((v, i) => expect(v).toBeCloseTo(t.logits[i]!, 4));
    const full = await (await make()).predict(new Float64Array(dim), 1, examples);
    expect(Math.abs(full[8]! - p[8]!)).toBeGreaterThan(1e-4); // example 5 is longer than 14 positions allow
    expect(full[6]).toBeCloseTo(p[6]!, 4); // example 4 ('great') fits either way
    await expect(createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, maxLength: 999 })).rejects.toThrow(
      `createLocalStudent maxLength: 999 exceeds the model's ${loaded.model.config.maxPositions} positions`,
    );
  });

  test('predict with several z equals predicting each z alone (per-row prompts)', async () => {
    const s = await make();
    const z = Float64Array.from({ length: 2 * dim }, (_, i) => Math.cos(i) * 3);
    const both = await s.predict(z, 2, examples);
    const first = await s.predict(z.slice(0, dim), 1, examples);
    const second = await s.predict(z.slice(dim), 1, examples);
    expect(both.length).toBe(2 * 5 * 2);
    first.forEach((v, i) => expect(both[i]).toBeCloseTo(v, 4));
    second.forEach((v, i) => expect(both[10 + i]).toBeCloseTo(v, 4));
    expect(Math.max(...Array.from(first).map((v, i) => Math.abs(v - second[i]!)))).toBeGreaterThan(1e-4);
  });

  test('gradient w.r.t. z matches finite differences', async () => {
    const s = await make();
    const z = Float64Array.from({ length: dim }, (_, i) => Math.sin(i + 1) * 2);
    const g = await s.gradient(z, examples, testCe);
    const labels = Int32Array.from(examples.map((e) => e.label));
    const lossAt = async (x: Float64Array) => testCe.value(await s.predict(x, 1, examples), null, labels, 2);
    expect(g.loss).toBeCloseTo(await lossAt(z), 4);
    const eps = 1e-2;
    for (let i = 0; i < dim; i++) {
      const p = z.slice(); p[i]! += eps;
      const m = z.slice(); m[i]! -= eps;
      const fd = ((await lossAt(p)) - (await lossAt(m))) / (2 * eps);
      expect(Math.abs(fd - g.grad[i]!)).toBeLessThan(1e-2 * Math.max(1, Math.abs(fd)) + 2e-3);
    }
  });

  test('trainStep distils teacher logits; state/restore is exact', async () => {
    const s = await make(5e-2);
    const z = Float64Array.from({ length: 3 * dim }, (_, i) => Math.sin(i * 0.7) * 2);
    const zIndex = Int32Array.from([0, 1, 2, 0, 1, 2]);
    const exampleIndex = Int32Array.from([0, 1, 2, 3, 4, 0]);
    // targets that depend on z only (what a prompt can express): z0 → class 0, z1 → class 1, z2 → mild class 0
    const teacherLogits = Float32Array.from([2, -2, -2, 2, 1, -1, 2, -2, -2, 2, 1, -1]);
    const batch = { z, count: 3, examples, zIndex, exampleIndex, teacherLogits };
    const first = (await s.trainStep(batch, testKl)).loss;
    for (let i = 0; i < 30; i++) await s.trainStep(batch, testKl);
    const later = (await s.trainStep(batch, testKl)).loss;
    expect(later).toBeLessThan(first * 0.5);
    const snap = s.state();
    await s.trainStep(batch, testKl);
    await s.trainStep(batch, testCe);
    const after = await s.predict(z, 3, examples);
    s.restore(snap);
    await s.trainStep(batch, testKl);
    await s.trainStep(batch, testCe);
    expect(Array.from(await s.predict(z, 3, examples))).toEqual(Array.from(after));
    expect(s.steps).toBe(34);
    s.dispose?.();
  });

  test('a generator tied to the teacher-side projection: D_T × D_S parameters, gradients only along A, distils, restores', async () => {
    const DT = 5; // a teacher width unlike the student's
    // A (L·D_T × dim): z's last two coordinates never reach the teacher (zero columns)
    const matrix = Float32Array.from({ length: L * DT * dim }, (_, i) => (i % dim >= dim - 2 ? 0 : Math.sin(i * 1.3) * 0.3));
    const projection = { matrix, rows: L * DT, width: DT, std: 0.3 };
    const s = await createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, seed: 3, batchSize: 3, lr: 5e-2, projection });
    expect(s.info.parameters).toBe(L * H + DT * H + 4);
    // z = 0: the prompt is q, as with the free generator
    const free = await make();
    const at0 = await s.predict(new Float64Array(dim), 1, examples);
    (await free.predict(new Float64Array(dim), 1, examples)).forEach((v, i) => expect(at0[i]).toBeCloseTo(v, 5));
    const z = Float64Array.from({ length: dim }, (_, i) => Math.cos(i + 1) * 2);
    const g = await s.gradient(z, examples, testCe);
    expect(g.grad[dim - 1]).toBe(0);
    expect(g.grad[dim - 2]).toBe(0);
    expect(Math.max(...Array.from(g.grad.subarray(0, dim - 2)).map(Math.abs))).toBeGreaterThan(1e-4);
    // moving z along the dropped coordinates changes nothing
    const moved = z.slice();
    moved[dim - 1]! += 5;
    expect(Array.from(await s.predict(moved, 1, examples))).toEqual(Array.from(await s.predict(z, 1, examples)));
    const zs = Float64Array.from({ length: 2 * dim }, (_, i) => Math.sin(i * 0.7) * 2);
    const batch = { z: zs, count: 2, examples, zIndex: Int32Array.from([0, 1, 0, 1]), exampleIndex: Int32Array.from([0, 1, 2, 3]), teacherLogits: Float32Array.from([2, -2, -2, 2, 2, -2, -2, 2]) };
    const first = (await s.trainStep(batch, testKl)).loss;
    for (let i = 0; i < 30; i++) await s.trainStep(batch, testKl);
    expect((await s.trainStep(batch, testKl)).loss).toBeLessThan(first * 0.7); // fewer parameters than the free generator: slower
    const snap = s.state();
    expect(() => free.restore(snap)).toThrow('student restore: state has a projected prompt generator, this student a free one');
    await expect(createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, projection: { ...projection, rows: 3 } })).rejects.toThrow(
      `createLocalStudent projection: expected a Float32Array of promptLength × width × dim = ${L} × ${DT} × ${dim} values, got rows 3`,
    );
    s.dispose?.();
    free.dispose?.();
  });

  test("generator 'projected' waits for its space: refuses to run unbound or on a non-linear space, then equals a student given A", async () => {
    const DT = 5;
    const matrix = Float32Array.from({ length: L * DT * dim }, (_, i) => Math.sin(i * 0.9) * 0.2);
    const linear = { matrix, rows: L * DT, dim, length: L, width: DT, std: 0.2 };
    const space = { specVersion: '1.0' as const, kind: 'continuous-shallow' as const, dim, toTeacher: () => ({ kind: 'none' as const }), linear };
    const s = await createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, seed: 3, generator: 'projected' });
    expect(s.info.dim).toBe(dim);
    await expect(s.predict(new Float64Array(dim), 1, examples)).rejects.toThrow('student predict: its projected prompt generator needs the search space first (bindSpace)');
    expect(() => s.bindSpace!({ ...space, kind: 'discrete', linear: undefined } as never)).toThrow(
      "student bindSpace: the projected generator needs a linear prompt space (BBT's p0 + A·z), got a discrete space without one",
    );
    s.bindSpace!(space);
    s.bindSpace!(space); // the same space again is fine
    expect(() => s.bindSpace!({ ...space, linear: { ...linear, matrix: matrix.slice() } })).toThrow('student bindSpace: already bound to another space');
    expect(s.info.parameters).toBe(L * H + DT * H + 4);
    const direct = await createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, seed: 3, projection: linear });
    const z = Float64Array.from({ length: dim }, (_, i) => i - 2);
    expect(Array.from(await s.predict(z, 1, examples))).toEqual(Array.from(await direct.predict(z, 1, examples)));
    await expect(createLocalStudent({ model: loaded, dim, template, verbalizer, generator: 'tied' as never })).rejects.toThrow("createLocalStudent generator: expected 'free' or 'projected', got 'tied'");
    s.dispose?.();
    direct.dispose?.();
  });

  test('alignTo starts the projected generator at α × the vocabulary alignment of the teacher embeddings onto the student\'s', async () => {
    const other = tinyModel({ seed: 'align-teacher', hidden: 8 });
    const DT = 8;
    const matrix = Float32Array.from({ length: L * DT * dim }, (_, i) => Math.cos(i * 0.7) * 0.1);
    const linear = { matrix, rows: L * DT, dim, length: L, width: DT, std: 0.1 };
    const space = { specVersion: '1.0' as const, kind: 'continuous-shallow' as const, dim, toTeacher: () => ({ kind: 'none' as const }), linear };
    const fit = alignEmbeddings(embeddingTable(other), embeddingTable(loaded));
    const s = await createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, seed: 3, generator: 'projected', alignTo: other, alpha: 0.5 });
    s.bindSpace!(space);
    expect(s.alignment).toEqual({ pairs: fit.pairs, r2: fit.r2 });
    const W = (s.state() as { params: Record<string, Float32Array> }).params['W']!;
    expect(Array.from(W)).toEqual(Array.from(fit.W, (v) => Math.fround(0.5 * v)));
    s.dispose?.();
    // given A directly (no bindSpace) it aligns the same way
    const direct = await createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, seed: 3, projection: linear, alignTo: other, alpha: 0.5 });
    expect(Array.from((direct.state() as { params: Record<string, Float32Array> }).params['W']!)).toEqual(Array.from(W));
    direct.dispose?.();
    // the alignment model must have the projection's width; only the projected generator aligns
    const wrong = await createLocalStudent({ model: loaded, dim, template, verbalizer, promptLength: L, generator: 'projected', alignTo: loaded });
    expect(() => wrong.bindSpace!(space)).toThrow("createLocalStudent alignTo: tiny-test has width 16, the search space's projection 8 (align to the teacher)");
    await expect(createLocalStudent({ model: loaded, dim, template, verbalizer, alignTo: other })).rejects.toThrow("createLocalStudent alignTo: only the projected generator can start aligned (generator: 'projected')");
  });
});

test('the local teacher and student refuse a bad option with GdfoError code BAD_OPTION; a bad prompt is BAD_PROMPT', async () => {
  const err = await createLocalTeacher({ model: loaded, promptLength: 9, maxPromptLength: 8 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GdfoError);
  expect(err).toMatchObject({ code: 'BAD_OPTION', message: 'createLocalTeacher promptLength: 9 exceeds maxPromptLength 8' });
  await expect(createLocalStudent({ model: loaded, dim: 4, template, verbalizer, generator: 'tied' as never })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  await expect(teacher.score(req({ kind: 'discrete-text', text: 'hi' }))).rejects.toMatchObject({ code: 'BAD_PROMPT' });
});
