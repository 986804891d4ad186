/** Each operator of the chain on its own, on the synthetic black box. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DistillationLoss, Optimizer, RunEvent } from '@gdfo/spec';
import { BudgetMeter, createContainer, createRng } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { createContext } from './run.js';
import { agreement, ask, checkpoint, distill, evaluate, evaluateDev, report, stage, tell, type Stage } from './operators.js';
import { createSyntheticTeacher, SyntheticStudent, SyntheticWorld, syntheticSpace } from '@gdfo/testing';
import { Generation, type PipelineConfig, type RunContext } from './context.js';
import { compose, every, when } from './stages.js';

const world = new SyntheticWorld({ dim: 10, width: 6, classes: 2, seed: 5, logitScale: 3, optimumScale: 0.4 });
const task = world.task({ train: 12, dev: 12, test: 30 });
const { registry } = createContainer({ seed: 1 });
registerDfo(registry);
registerLosses(registry);
const ce = registry.resolveSync<DistillationLoss>('loss', 'ce');
const kd = registry.resolveSync<DistillationLoss>('loss', 'kd');

function context(budget: number, config: Partial<PipelineConfig> = {}, checkpointDir?: string): { ctx: RunContext; events: RunEvent[]; teacherCalls: () => number } {
  const teacher = createSyntheticTeacher(world);
  let calls = 0;
  const counting = { ...teacher, score: (r: Parameters<typeof teacher.score>[0]) => (calls++, teacher.score(r)) };
  const strategy = registry.resolveSync<Optimizer>('strategy', 'cma-es', { dim: 10, rng: createRng(3), popSize: 4, sigma0: 0.5 });
  const ctx = createContext({
    method: 'gdfo',
    task,
    teacher: counting,
    budget: new BudgetMeter({ calls: budget }),
    space: syntheticSpace(10),
    strategy,
    fitnessLoss: ce,
    student: new SyntheticStudent(world, { seed: 2, lr: 0.002 }),
    distillLoss: kd,
    seed: 1,
    config,
    ...(checkpointDir ? { checkpointDir } : {}),
  });
  const events: RunEvent[] = [];
  ctx.events.events$.subscribe((e) => events.push(e));
  return { ctx, events, teacherCalls: () => calls };
}

async function through(ctx: RunContext, ...ops: Stage[]): Promise<Generation> {
  return compose(ops)(new Generation(ctx));
}

describe('operators', () => {
  it('ask: asks λ points, and ends the run when the budget cannot pay a whole generation', async () => {
    const { ctx } = context(6);
    const g = await through(ctx, ask());
    expect(g.points).toHaveLength(4);
    expect(g.meanBefore).toHaveLength(10);
    ctx.budget.charge('train', { calls: 3 });
    const g2 = await through(ctx, ask());
    expect(g2.done).toBe('budget: 3 calls left, a generation needs 4');
    expect(g2.points).toHaveLength(0);
  });

  it('evaluate: one charged teacher call per point, fitness = CE of the returned logits', async () => {
    const { ctx, teacherCalls } = context(100);
    const g = await through(ctx, ask(), evaluate());
    expect(teacherCalls()).toBe(4);
    expect(ctx.budget.usage().calls).toBe(4);
    const labels = Int32Array.from(task.train, (e) => e.label);
    g.fitness.forEach((f, i) => expect(f).toBeCloseTo(ce.value(g.logits[i]!, null, labels, 2), 12));
  });

  it('evaluate: when one call fails, the others are stopped, not cut, and settle before the error goes on', async () => {
    const { ctx } = context(100);
    const inner = ctx.teacher;
    const log: string[] = [];
    let n = 0;
    // call 2 fails at once; calls 1, 3, 4 answer later: had they been cut, they would reject with the error
    (ctx as { teacher: typeof inner }).teacher = {
      ...inner,
      async score(request, options) {
        const k = ++n;
        expect(options?.signal).toBeUndefined();
        expect(options?.stop?.aborted).toBe(false);
        if (k === 2) throw new Error('call 2 refused');
        await new Promise((r) => setTimeout(r, 20));
        log.push(`call ${k} answered, stop ${options!.stop!.aborted ? 'aborted' : 'not aborted'}`);
        return inner.score(request);
      },
    };
    await expect(through(ctx, ask(), evaluate())).rejects.toThrow('call 2 refused');
    expect(log).toEqual(['call 1 answered, stop aborted', 'call 3 answered, stop aborted', 'call 4 answered, stop aborted']);
  });

  it('tell: tells the strategy, tracks the best point and fills the replay buffer', async () => {
    const { ctx } = context(100);
    const g = await through(ctx, ask(), evaluate(), tell());
    expect(ctx.strategy.evaluations).toBe(4);
    const best = Math.min(...g.fitness);
    expect(ctx.tracking.bestTrain?.value).toBe(best);
    expect(ctx.tracking.bestTrain?.z).toEqual(g.points[g.fitness.indexOf(best)]);
    expect(ctx.buffer?.size).toBe(4);
    expect(ctx.tracking.trainHistory).toEqual([{ calls: 4, best, mean: g.fitness.reduce((a, b) => a + b, 0) / 4 }]);
  });

  it('agreement: measured on new points before distillation, only once the buffer has data', async () => {
    const { ctx } = context(100);
    await through(ctx, ask(), evaluate(), agreement(), tell());
    expect(ctx.tracking.agreement).toHaveLength(0); // empty buffer: nothing to compare yet
    await through(ctx, ask(), evaluate(), agreement(), tell());
    expect(ctx.tracking.agreement).toHaveLength(1);
    expect(Math.abs(ctx.tracking.agreement[0]!.spearman)).toBeLessThanOrEqual(1);
  });

  it('distill: K steps on the buffer change the student, cost no teacher calls, and report the mean loss', async () => {
    const { ctx, teacherCalls } = context(100, { distill: { steps: 5, batchSize: 8 } });
    await through(ctx, ask(), evaluate(), tell());
    const before = JSON.stringify(Array.from((ctx.student!.state() as { B: Float64Array }).B.slice(0, 5)));
    const g = await through(ctx, distill());
    expect(teacherCalls()).toBe(4);
    expect(Number.isFinite(g.distillLoss)).toBe(true);
    expect(JSON.stringify(Array.from((ctx.student!.state() as { B: Float64Array }).B.slice(0, 5)))).not.toBe(before);
  });

  it('evaluateDev: scores the best point on dev every evalEvery calls, uncharged, and keeps the best prompt', async () => {
    const { ctx, events } = context(100, { evalEvery: 8 });
    const chain = [ask(), evaluate(), tell(), report(), evaluateDev()];
    for (let i = 0; i < 4; i++) await through(ctx, ...chain);
    expect(ctx.tracking.devHistory.map((h) => h.calls)).toEqual([4, 12]);
    expect(ctx.budget.usage()).toMatchObject({ calls: 16, evalCalls: 2 });
    expect(events.filter((e) => e.type === 'eval')).toHaveLength(2);
    expect(ctx.tracking.bestDev?.value).toBe(Math.max(...ctx.tracking.devHistory.map((h) => h.value)));
  });

  it('checkpoint: saves the run state every N generations, atomically', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-op-ckpt-'));
    const { ctx, events } = context(100, { checkpointEvery: 2 }, dir);
    for (let i = 0; i < 3; i++) await through(ctx, ask(), evaluate(), tell(), report(), checkpoint());
    expect(events.filter((e) => e.type === 'checkpoint')).toHaveLength(1); // after generation 2
    expect(readdirSync(dir)).toEqual(['latest.ckpt']);
  });

  it('a stage that ends the generation does not call the rest of the chain', async () => {
    const { ctx } = context(100);
    let ran = 0;
    const g = await through(ctx, stage((gen) => void (gen.done = 'stop')), stage(() => void ran++));
    expect(g.done).toBe('stop');
    expect(ran).toBe(0);
  });

  it('links run code after `next` returns, in chain order (trpc-style)', async () => {
    const { ctx } = context(100);
    const order: string[] = [];
    const around: Stage = async (gen, next) => {
      order.push('before');
      const out = await next(gen);
      order.push('after');
      return out;
    };
    await through(ctx, around, stage(() => void order.push('inner')));
    expect(order).toEqual(['before', 'inner', 'after']);
  });

  it('when/every: every(n) runs on generations n, 2n, … (index + 1 divisible by n), when(p) on p', async () => {
    const { ctx } = context(100);
    const seen: number[] = [];
    const odd: number[] = [];
    for (let i = 0; i < 7; i++) {
      await compose([every(3, stage((gen) => void seen.push(gen.index))), when((gen: Generation) => gen.index % 2 === 1, stage((gen) => void odd.push(gen.index)))])(new Generation(ctx, i));
    }
    expect(seen).toEqual([2, 5]);
    expect(odd).toEqual([1, 3, 5]);
    let never = 0;
    await compose([every(0, stage(() => void never++))])(new Generation(ctx, 0));
    expect(never).toBe(0);
  });
});
