import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DistillationLoss, MeanBasedOptimizer, StateValue } from '@gdfo/spec';
import { createContainer, createRng, RunEventBus, type ComponentRegistry } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { ReplayBuffer } from './buffer.js';
import { createContext } from './run.js';
import { gradientSample, meanShift, surrogateScreen } from './harmonizers.js';
import { LayerwiseOptimizer } from './layerwise.js';
import { Projection, projectionStd, ShallowProjectionSpace, DeepProjectionSpace } from './prompt-space.js';
import { createSyntheticTeacher, SyntheticStudent, SyntheticWorld, syntheticSpace } from '@gdfo/testing';
import { runMethod, demonstrationTemplate, demonstrationTemplates } from './methods/index.js';
import { Generation } from './context.js';
import { BudgetMeter } from '@gdfo/core';

function registry(seed = 1): ComponentRegistry {
  const { registry } = createContainer({ seed });
  registerDfo(registry);
  registerLosses(registry);
  return registry;
}

/** A mean-based optimizer that records what it is told (for harmonizer unit tests). */
class FixedMean implements MeanBasedOptimizer {
  readonly specVersion = '1.0' as const;
  readonly name = 'fixed-mean';
  generation = 0;
  evaluations = 0;
  best = undefined;
  told: Float64Array[] = [];
  m: Float64Array;
  constructor(
    readonly dim: number,
    readonly popSize: number,
    readonly sigma: number,
  ) {
    this.m = new Float64Array(dim);
  }
  mean() {
    return Float64Array.from(this.m);
  }
  setMean(m: Float64Array) {
    this.m = Float64Array.from(m);
  }
  ask(count = this.popSize) {
    const r = createRng(`ask-${this.generation}`);
    return Array.from({ length: count }, () => this.m.map((v) => v + this.sigma * r.gaussian()));
  }
  tell(points: readonly Float64Array[]) {
    this.told = [...points];
    this.generation++;
  }
  stop() {
    return [];
  }
  state(): StateValue {
    return { m: Float64Array.from(this.m), generation: this.generation };
  }
  restore(s: StateValue) {
    const st = s as { m: Float64Array; generation: number };
    this.m = Float64Array.from(st.m);
    this.generation = st.generation;
  }
}

const world = new SyntheticWorld({ dim: 12, width: 6, classes: 2, seed: 3 });
const task = world.task({ train: 32, dev: 32, test: 200 });

describe('prompt spaces', () => {
  it("scales the projection as BBT: s = α·σ̂ / (√d·σ0), and A·z is linear", () => {
    expect(projectionStd(0.5, 400, 1, 1)).toBeCloseTo(0.025, 15);
    const p = new Projection(300, 50, 0.1, 'x');
    let s2 = 0;
    for (const v of p.matrix) s2 += v * v;
    expect(Math.sqrt(s2 / p.matrix.length)).toBeCloseTo(0.1, 2);
    const z = Float64Array.from({ length: 50 }, (_v, i) => Math.sin(i));
    const a = p.apply(z);
    const b = p.apply(z.map((v) => 2 * v));
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(2 * v, 5));
  });

  it('builds shallow and deep prompts of the declared shapes, reproducibly from the seed', () => {
    const shallow = new ShallowProjectionSpace({ dim: 8, length: 5, width: 4, scale: 0.3, seed: 7 });
    const z = Float64Array.from({ length: 8 }, (_v, i) => i / 8);
    const p = shallow.toTeacher(z);
    expect(p).toMatchObject({ kind: 'continuous-shallow', mode: 'add', length: 5, width: 4 });
    expect(p.values).toHaveLength(20);
    expect(new ShallowProjectionSpace({ dim: 8, length: 5, width: 4, scale: 0.3, seed: 7 }).toTeacher(z).values).toEqual(p.values);
    const deep = new DeepProjectionSpace({ dim: 8, length: 5, width: 4, scales: [1, 2, 3], seed: 7 });
    expect(deep.dim).toBe(24);
    const zd = new Float64Array(24);
    zd.set(z, 8); // only layer 1 moves
    const dp = deep.toTeacher(zd);
    expect(dp.values).toHaveLength(60);
    expect(Array.from(dp.values.subarray(0, 20)).every((v) => v === 0)).toBe(true);
    expect(Array.from(dp.values.subarray(40)).every((v) => v === 0)).toBe(true);
    expect(deep.projections[1]!.std).toBeCloseTo((0.2 * 2) / (Math.sqrt(8) * 0.2), 12);
  });
});

describe('replay buffer', () => {
  it('samples (z, example) rows with the right teacher logits and round-trips its state', () => {
    const buf = new ReplayBuffer(2, 3, 2);
    buf.add(Float64Array.of(1, 2), Float32Array.of(0, 1, 2, 3, 4, 5));
    buf.add(Float64Array.of(3, 4), Float32Array.of(10, 11, 12, 13, 14, 15));
    const batch = buf.sample(createRng(1), 50, task.train.slice(0, 3));
    for (let r = 0; r < 50; r++) {
      const z0 = batch.z[batch.zIndex[r]! * 2]!;
      const e = batch.exampleIndex[r]!;
      const base = z0 === 1 ? 0 : 10;
      expect(batch.teacherLogits[r * 2]).toBe(base + 2 * e);
      expect(batch.teacherLogits[r * 2 + 1]).toBe(base + 2 * e + 1);
    }
    expect(batch.count).toBe(2);
    const copy = new ReplayBuffer(2, 3, 2);
    copy.restore(buf.state());
    expect(copy.sample(createRng(9), 5, task.train.slice(0, 3))).toEqual(buf.sample(createRng(9), 5, task.train.slice(0, 3)));
    expect(() => buf.add(Float64Array.of(1), Float32Array.of(0, 1, 2, 3, 4, 5))).toThrow('buffer: z has length 1, expected 2');
  });
});

describe('layer-wise optimizer (BBTv2)', () => {
  it('asks only the active layer, fixes the others at their best, and goes round-robin', () => {
    const a = new FixedMean(3, 4, 0.5);
    const b = new FixedMean(3, 4, 0.5);
    const lw = new LayerwiseOptimizer([a, b]);
    expect(lw.dim).toBe(6);
    const p0 = lw.ask();
    expect(p0.every((p) => p[3] === 0 && p[4] === 0 && p[5] === 0)).toBe(true);
    lw.tell(p0, [4, 1, 3, 2]);
    expect(a.told[1]).toEqual(p0[1]!.slice(0, 3));
    expect(lw.activeLayer).toBe(1);
    const p1 = lw.ask();
    // layer 0 is now fixed at the best point it found (fitness 1)
    for (const p of p1) expect(Array.from(p.slice(0, 3))).toEqual(Array.from(p0[1]!.slice(0, 3)));
    lw.tell(p1, [5, 5, 5, 0.5]);
    expect(lw.best?.f).toBe(0.5);
    expect(lw.activeLayer).toBe(0);
    const restored = new LayerwiseOptimizer([new FixedMean(3, 4, 0.5), new FixedMean(3, 4, 0.5)]);
    restored.restore(lw.state());
    expect(restored.ask()).toEqual(lw.ask());
  });
});

describe('harmonizers', () => {
  const reg = registry();
  const ce = reg.resolveSync<DistillationLoss>('loss', 'ce');

  function genFor(strategy: MeanBasedOptimizer, student: SyntheticStudent): Generation {
    const ctx = createContext({
      method: 'gdfo',
      task,
      teacher: createSyntheticTeacher(world),
      budget: new BudgetMeter({ calls: 100 }),
      space: syntheticSpace(12),
      strategy,
      fitnessLoss: ce,
      student,
      distillLoss: ce,
      seed: 1,
    });
    ctx.buffer!.add(new Float64Array(12), new Float32Array(64));
    const gen = new Generation(ctx);
    gen.points = strategy.ask();
    return gen;
  }

  it('gradient-sample replaces the candidate the student ranks worst with m − σ·√d·ĝ', async () => {
    const strategy = new FixedMean(12, 6, 0.3);
    strategy.setMean(Float64Array.from({ length: 12 }, (_v, i) => 0.1 * i));
    const student = new SyntheticStudent(world, { seed: 2 });
    const gen = genFor(strategy, student);
    const before = gen.points.map((p) => Float64Array.from(p));
    const losses: number[] = [];
    for (const p of before) losses.push((await student.gradient(p, task.train, ce)).loss);
    const worst = losses.indexOf(Math.max(...losses));
    await gradientSample().beforeEvaluate!(gen);
    expect(gen.injected).toEqual([worst]);
    const { grad } = await student.gradient(strategy.mean(), task.train, ce);
    const norm = Math.hypot(...grad);
    const expected = strategy.mean().map((m, i) => m - 0.3 * Math.sqrt(12) * (grad[i]! / norm));
    gen.points[worst]!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 10));
    gen.points.forEach((p, i) => i !== worst && expect(p).toEqual(before[i]));
    // the injected point has a lower student loss than the mean
    expect((await student.gradient(gen.points[worst]!, task.train, ce)).loss).toBeLessThan((await student.gradient(strategy.mean(), task.train, ce)).loss);
  });

  it('surrogate-screen sends the λ candidates the student ranks best', async () => {
    const strategy = new FixedMean(12, 5, 0.5);
    const student = new SyntheticStudent(world, { seed: 2 });
    const gen = genFor(strategy, student);
    const pool = strategy.ask(20);
    const losses: number[] = [];
    for (const p of pool) losses.push((await student.gradient(p, task.train, ce)).loss);
    const chosen = await surrogateScreen({ kappa: 4 }).ask!(gen);
    expect(chosen).toHaveLength(5);
    const best5 = [...losses].sort((a, b) => a - b).slice(0, 5);
    const got: number[] = [];
    for (const p of chosen) got.push((await student.gradient(p, task.train, ce)).loss);
    expect(got).toEqual(best5);
  });

  it('mean-shift moves the mean only while the student agrees with the teacher', async () => {
    const strategy = new FixedMean(12, 5, 0.2);
    const student = new SyntheticStudent(world, { seed: 2 });
    const gen = genFor(strategy, student);
    const h = meanShift({ threshold: 0.3, trust: 1 });
    gen.ctx.tracking.agreement.push({ generation: 0, spearman: 0.1, cosine: NaN });
    await h.afterTell!(gen);
    expect(Array.from(strategy.mean()).every((v) => v === 0)).toBe(true);
    gen.ctx.tracking.agreement[0]!.spearman = 0.8;
    await h.afterTell!(gen);
    const moved = strategy.mean();
    expect(Math.hypot(...moved)).toBeCloseTo(0.2 * Math.sqrt(12), 10);
    expect(h.state!()).toEqual({ accepted: 1, refused: 1 });
  });

  it('mean-shift with a window trusts the mean agreement of the last generations, and resumes with it', async () => {
    const strategy = new FixedMean(12, 5, 0.2);
    const student = new SyntheticStudent(world, { seed: 2 });
    const gen = genFor(strategy, student);
    gen.ctx.tracking.agreement.push({ generation: 0, spearman: 0, cosine: NaN });
    const step = async (h: ReturnType<typeof meanShift>, rho: number) => {
      gen.ctx.tracking.agreement[0]!.spearman = rho;
      const before = Math.hypot(...strategy.mean());
      await h.afterTell!(gen);
      return Math.hypot(...strategy.mean()) !== before;
    };
    const h = meanShift({ threshold: 0.5, window: 3 });
    // 0.8 and 0.8 would each pass alone; the window is not full yet
    expect([await step(h, 0.8), await step(h, 0.8)]).toEqual([false, false]);
    expect(await step(h, 0.1)).toBe(true); // mean 0.567
    const saved = h.state!();
    expect(saved).toEqual({ accepted: 1, refused: 2, recent: [0.8, 0.8, 0.1] });
    // a resumed harmonizer decides as the uninterrupted one: (0.8 + 0.1 + 0.1) / 3 = 0.33, then 0.1 + 0.1 + 0.95
    const resumed = meanShift({ threshold: 0.5, window: 3 });
    resumed.restore!(saved);
    expect([await step(resumed, 0.1), await step(resumed, 0.95)]).toEqual([false, false]);
    expect(await step(resumed, 0.9)).toBe(true); // (0.1 + 0.95 + 0.9) / 3 = 0.65
    expect(resumed.state!()).toEqual({ accepted: 2, refused: 4, recent: [0.1, 0.95, 0.9] });
    expect(() => meanShift({ window: 0 })).toThrow('harmonizer.window: expected an integer ≥ 1, got 0');
  });
});

describe('GDFO on a synthetic black box the student can represent exactly', () => {
  // d = 50 acting through a 20-wide prompt, 2 classes; the student starts knowing nothing of the teacher's
  // projection (prior 0) and learns it by distillation only. Settings found by measurement (see the PR notes):
  // Adam lr 0.002 (larger rates wreck the generator), 16 steps of 32 rows per generation.
  const big = new SyntheticWorld({ dim: 50, width: 20, classes: 2, seed: 3, logitScale: 3, optimumScale: 0.4 });
  const bigTask = big.task({ train: 32, dev: 32, test: 200 });
  const TARGET = 0.12;
  async function callsToTarget(method: 'bbt' | 'gdfo', seed: number) {
    const events = new RunEventBus();
    const trace: { calls: number; best: number }[] = [];
    events.events$.subscribe((e) => e.type === 'generation' && trace.push({ calls: e.calls, best: e.bestFitness }));
    const result = await runMethod({
      method,
      task: bigTask,
      teacher: createSyntheticTeacher(big),
      registry: registry(seed),
      seed,
      budget: 400,
      popSize: 10,
      sigma0: 0.5,
      space: syntheticSpace(50),
      student: new SyntheticStudent(big, { seed, lr: 0.002 }),
      harmonizer: 'gradient-sample',
      distillLoss: 'kd',
      pipeline: { evalEvery: 100, checkpointEvery: 0, distill: { steps: 16, batchSize: 32 } },
      events,
    });
    const hit = trace.find((t) => t.best < TARGET);
    return { calls: hit ? hit.calls : Infinity, result };
  }

  it.each([42, 7])('reaches the target training loss in fewer teacher calls than BBT (seed %i, same CMA-ES)', async (seed) => {
    const bbt = await callsToTarget('bbt', seed);
    const gdfo = await callsToTarget('gdfo', seed);
    const agree = gdfo.result.agreement.filter((a) => Number.isFinite(a.spearman));
    const meanAgree = agree.reduce((s, a) => s + a.spearman, 0) / agree.length;
    console.log(
      `synthetic seed ${seed}: calls to CE < ${TARGET}: BBT ${bbt.calls}, GDFO(gradient-sample) ${gdfo.calls}; ` +
        `mean agreement ${meanAgree.toFixed(2)}; test acc BBT ${bbt.result.test}, GDFO ${gdfo.result.test}`,
    );
    expect(gdfo.calls).toBeLessThan(bbt.calls);
    // recorded on this machine: seed 42 → BBT 270, GDFO 160; seed 7 → BBT 280, GDFO 190
    expect({ bbt: bbt.calls, gdfo: gdfo.calls }).toEqual(seed === 42 ? { bbt: 270, gdfo: 160 } : { bbt: 280, gdfo: 190 });
    expect(meanAgree).toBeGreaterThan(0.15); // the student really became a surrogate (≈ 0.24 over the run, ≈ 0.6 late)
    expect(gdfo.result.calls).toBeLessThanOrEqual(400);
  });
});

describe('resume', () => {
  it('a run interrupted and resumed from its checkpoint gives the same result as an uninterrupted one', async () => {
    const base = (dir: string, signal?: AbortSignal) => ({
      method: 'gdfo' as const,
      task,
      teacher: createSyntheticTeacher(world),
      registry: registry(5),
      seed: 5,
      budget: 200,
      popSize: 10,
      sigma0: 0.5,
      space: syntheticSpace(12),
      student: new SyntheticStudent(world, { seed: 5, lr: 0.05 }),
      harmonizer: 'gradient-sample',
      pipeline: { evalEvery: 50, checkpointEvery: 1, distill: { steps: 4, batchSize: 16 } },
      checkpointDir: dir,
      resume: true,
      ...(signal ? { signal } : {}),
    });
    const full = await runMethod(base(mkdtempSync(join(tmpdir(), 'gdfo-full-'))));
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-resume-'));
    const ctrl = new AbortController();
    const events = new RunEventBus();
    let gens = 0;
    events.events$.subscribe((e) => e.type === 'generation' && ++gens === 7 && ctrl.abort());
    await expect(runMethod({ ...base(dir, ctrl.signal), events })).rejects.toThrow(/interrupted after 70 calls/);
    const resumed = await runMethod(base(dir));
    expect(resumed).toEqual(full);
  });
});

describe('test curve', () => {
  it('scores test only when the selected prompt changes, and ends on the same test metric as a run without the curve', async () => {
    let testScorings = 0;
    const synthetic = createSyntheticTeacher(world);
    const counting = {
      ...synthetic,
      score: (r: Parameters<typeof synthetic.score>[0]) => {
        if (r.purpose === 'test') testScorings++;
        return synthetic.score(r);
      },
    };
    const base = (teacher: typeof synthetic, testCurve: boolean) => ({
      method: 'bbt' as const,
      task,
      teacher,
      registry: registry(9),
      seed: 9,
      budget: 300,
      popSize: 10,
      sigma0: 0.5,
      space: syntheticSpace(12),
      pipeline: { evalEvery: 20, checkpointEvery: 0, testCurve },
    });
    const plain = await runMethod(base(synthetic, false));
    const curved = await runMethod(base(counting, true));
    expect(curved.test).toBe(plain.test);
    expect(curved.testHistory).toHaveLength(curved.devHistory.length);
    // One test scoring per dev improvement (the selection changed); none for unchanged checks or at the end.
    let best = -Infinity;
    const improvements = curved.devHistory.filter((h) => (h.value > best ? ((best = h.value), true) : false)).length;
    expect(improvements).toBeGreaterThan(1);
    expect(improvements).toBeLessThan(curved.devHistory.length);
    expect(testScorings).toBe(improvements);
    expect(curved.testHistory.at(-1)!.value).toBe(curved.test);
  });
});

describe('in-context learning template', () => {
  it('fills one demonstration per class with its label word, before the query template', () => {
    const t = demonstrationTemplate(
      { ...task, template: { specVersion: '1.0', text: '{text} . It was {mask} .' }, verbalizer: { specVersion: '1.0', words: ['bad', 'great'] } },
      1,
      3,
    );
    expect(t.text.match(/It was bad \./g)).toHaveLength(1);
    expect(t.text.match(/It was great \./g)).toHaveLength(1);
    expect(t.text.endsWith('{text} . It was {mask} .')).toBe(true);
  });

  it("cuts the demonstrations to fit half of a bounded teacher input, and says when they cannot fit", () => {
    const long = (label: number, w: string) => ({ id: w, text: Array.from({ length: 40 }, (_, i) => `${w}${i}`).join(' '), label });
    const base = { ...task, train: [long(0, 'a'), long(1, 'b')], template: { specVersion: '1.0' as const, text: '{text} . It was {mask} .' }, verbalizer: { specVersion: '1.0' as const, words: ['bad', 'great'] } };
    // 128 tokens: 128 / 2 / 1.5 / 2 demonstrations = 21 words each, less the template's 4 ('. It was .') and the label
    const t = demonstrationTemplate(base, 1, 3, 128);
    expect(t.text).toContain(`${Array.from({ length: 16 }, (_, i) => `a${i}`).join(' ')} . It was bad .`);
    expect(t.text).not.toContain('a16');
    expect(demonstrationTemplate(base, 1, 3).text).toContain('a39'); // unbounded: whole texts
    // pairs split the words between the two texts
    const pair = { ...base, train: base.train.map((e) => ({ ...e, textB: e.text.replace(/[ab]/g, 'h') })), template: { specVersion: '1.0' as const, text: '{text} ? {mask} , {textB}' } };
    const p = demonstrationTemplate(pair, 1, 3, 128);
    expect(p.text).toContain('a8 ?'); // 21 − 3 = 18 words: 9 and 9
    expect(p.text).not.toContain('a9');
    expect(p.text).toContain('h8 ');
    expect(p.text).not.toContain('h9');
    expect(() => demonstrationTemplate(base, 8, 3, 128)).toThrow("icl: 16 demonstrations of task synthetic do not fit the teacher's 128 input tokens (it needs at least 336)");
  });

  it('splits demonstrations that cannot share one context into the fewest groups that fit, and scores their ensemble', async () => {
    const words = ['w0', 'w1', 'w2', 'w3', 'w4', 'w5'];
    const ex = (label: number, j: number) => ({ id: `${label}-${j}`, text: Array.from({ length: 30 }, (_, i) => `c${label}x${i}`).join(' '), label });
    const six = {
      ...task,
      train: words.flatMap((_, c) => [ex(c, 0), ex(c, 1)]),
      dev: [ex(0, 2), ex(1, 2)],
      test: undefined,
      template: { specVersion: '1.0' as const, text: '{text} is {mask}' },
      verbalizer: { specVersion: '1.0' as const, words },
    };
    // 60 tokens: 60 / 2 / 1.5 = 20 words of demonstrations; 6 in one context leave 20/6 − 2 = 1 word (< 2),
    // 3 per context leave floor(20/3) − 2 = 4 words: two groups of three.
    expect(() => demonstrationTemplate(six, 1, 5, 60)).toThrow('icl: 6 demonstrations of task synthetic do not fit');
    const groups = demonstrationTemplates(six, 1, 5, 60);
    expect(groups).toHaveLength(2);
    const labelsIn = groups.map((g) => [...g.text.matchAll(/is (w\d)/g)].map((m) => m[1]));
    expect(labelsIn.map((l) => l.length)).toEqual([3, 3]);
    expect(labelsIn.flat().sort()).toEqual(words);
    for (const g of groups) {
      expect(g.text.endsWith('{text} is {mask}')).toBe(true);
      expect(g.text).toMatch(/c\dx3 is w/); // 4 words of text: x0..x3
      expect(g.text).not.toMatch(/x4/);
    }
    expect(demonstrationTemplates(six, 1, 5, 128)).toHaveLength(1); // fits one context: unchanged
    expect(() => demonstrationTemplates(six, 1, 5, 9)).toThrow("icl: one demonstration of task synthetic does not fit the teacher's 9 input tokens (it needs at least 12)");

    // The ensemble: the first group alone says class 0 for every row, the second says class 1 more strongly;
    // the summed logits pick class 1, so dev accuracy is 1/2 (labels 0 and 1), at two calls for two templates.
    const seen: string[] = [];
    const teacher = {
      specVersion: '1.0' as const,
      info: { id: 'groups', accepts: ['none' as const], width: 1, maxPromptLength: 0, scale: { embedding: 1 }, maxInputTokens: 60 },
      async score(request: { examples: readonly unknown[]; template: { text: string } }) {
        seen.push(request.template.text);
        const row = request.template.text === groups[0]!.text ? [2, 0, 0, 0, 0, 0] : [0, 3, 0, 0, 0, 0];
        return { logits: Float32Array.from(request.examples.flatMap(() => row)), rows: request.examples.length, classes: 6 };
      },
    };
    const r = await runMethod({ method: 'icl', task: six, teacher, registry: registry(), seed: 5, budget: 0 } as unknown as Parameters<typeof runMethod>[0]);
    expect(seen).toEqual(groups.map((g) => g.text));
    expect(r.dev).toBe(0.5);
    expect(r.evalCalls).toBe(2);
  });
});


