/**
 * The operators a run is composed of. Each is an RxJS `OperatorFunction<Generation, Generation>`; a method is
 * a chain of them (`ask → harmonizeAsk → evaluate → agreement → tell → distill → harmonizeTell → evaluateDev →
 * checkpoint`), and a new hybrid optimizer is a new chain.
 */
import { concatMap, type OperatorFunction } from 'rxjs';
import type { Example, Prompt } from '@gdfo/spec';
import { BudgetExhaustedError, GdfoError } from '@gdfo/core';
import { metricFromLogits } from '@gdfo/tasks';
import { cosine, spearman } from '@gdfo/distill';
import { captureState, isMeanBased, requireStudent, type Generation, type RunContext } from './context.js';

export type Stage = OperatorFunction<Generation, Generation>;

/** Wraps an async step on a generation as an operator (sequential: one generation at a time). */
export function stage(fn: (gen: Generation) => Promise<void> | void): Stage {
  return concatMap(async (gen: Generation) => {
    if (!gen.done) await fn(gen);
    return gen;
  });
}

/** Scores `z` on `examples` through the teacher; returns logits (rows × classes) and the fitness. */
export async function scorePoint(
  ctx: RunContext,
  z: Float64Array | null,
  examples: readonly Example[],
  purpose: 'train' | 'dev' | 'test',
  prompt?: Prompt,
  signal?: AbortSignal,
): Promise<{ logits: Float32Array; fitness: number }> {
  const classes = ctx.task.verbalizer.words.length;
  const res = await ctx.teacher.score(
    {
      examples,
      template: ctx.task.template,
      verbalizer: ctx.task.verbalizer,
      prompt: prompt ?? (z ? ctx.space.toTeacher(z) : { kind: 'none' }),
      purpose,
    },
    signal ? { signal } : undefined,
  );
  if (res.classes !== classes || res.rows !== examples.length || res.logits.length !== res.rows * res.classes) {
    throw new GdfoError(
      'BAD_TEACHER_OUTPUT',
      `teacher ${ctx.teacher.info.id}: returned ${res.rows}×${res.classes} logits (${res.logits.length} values), expected ${examples.length}×${classes}`,
    );
  }
  const labels = Int32Array.from(examples, (e) => e.label);
  let fitness = ctx.fitnessLoss.value(res.logits, null, labels, classes);
  if (!res.logits.every(Number.isFinite)) fitness = NaN;
  return { logits: res.logits, fitness };
}

/** Asks the strategy (or the harmonizer's ask) for this generation's points. */
export function ask(): Stage {
  return stage(async (gen) => {
    const { ctx } = gen;
    const reasons = ctx.strategy.stop();
    if (reasons.length) {
      gen.done = `strategy: ${reasons.join(', ')}`;
      return;
    }
    if (ctx.budget.remainingCalls() < ctx.strategy.popSize) {
      gen.done = `budget: ${ctx.budget.remainingCalls()} calls left, a generation needs ${ctx.strategy.popSize}`;
      return;
    }
    gen.meanBefore = isMeanBased(ctx.strategy) ? Float64Array.from(ctx.strategy.mean()) : undefined;
    gen.points = ctx.harmonizer.ask ? await ctx.harmonizer.ask(gen) : ctx.strategy.ask();
  });
}

/** Lets the harmonizer edit the candidates (gradient-sample injection). */
export function harmonizeAsk(): Stage {
  return stage(async (gen) => {
    if (gen.ctx.harmonizer.beforeEvaluate) await gen.ctx.harmonizer.beforeEvaluate(gen);
  });
}

/** One teacher call per point on the training set (charged to the budget). */
export function evaluate(): Stage {
  return stage(async (gen) => {
    const { ctx } = gen;
    // On the first failure the generation's other calls are aborted, so none keeps running (and paying) in
    // the background; the budget middleware releases what they had reserved.
    const ctrl = new AbortController();
    try {
      const results = await Promise.all(
        gen.points.map((z) =>
          scorePoint(ctx, z, ctx.task.train, 'train', undefined, ctrl.signal).catch((err: unknown) => {
            ctrl.abort(err);
            throw err;
          }),
        ),
      );
      gen.logits = results.map((r) => r.logits);
      gen.fitness = results.map((r) => r.fitness);
    } catch (err) {
      if (err instanceof BudgetExhaustedError) gen.done = err.message;
      else throw err;
    }
  });
}

/**
 * Surrogate agreement, out of sample: Spearman correlation between the student's task loss on the new points
 * (predicted before the student trains on them) and the teacher's fitness.
 */
export function agreement(): Stage {
  return stage(async (gen) => {
    const { ctx } = gen;
    if (!ctx.student || !ctx.buffer || ctx.buffer.size === 0 || gen.points.length < 3) return;
    gen.studentLoss = await studentLosses(ctx, gen.points);
    const finite = gen.fitness.map((f, i) => [f, gen.studentLoss![i]!] as const).filter(([f, s]) => Number.isFinite(f) && Number.isFinite(s));
    const rho = finite.length >= 3 ? spearman(finite.map((p) => p[1]), finite.map((p) => p[0])) : NaN;
    ctx.tracking.agreement.push({ generation: ctx.tracking.generation, spearman: rho, cosine: NaN });
  });
}

/** Student task loss (the fitness loss) of each point on the training set. */
export async function studentLosses(ctx: RunContext, points: readonly Float64Array[]): Promise<number[]> {
  const { student } = requireStudent(ctx, 'the student loss');
  const dim = ctx.space.dim;
  const z = new Float64Array(points.length * dim);
  points.forEach((p, i) => z.set(p, i * dim));
  const n = ctx.task.train.length;
  const classes = ctx.task.verbalizer.words.length;
  const logits = await student.predict(z, points.length, ctx.task.train);
  return points.map((_p, i) => ctx.fitnessLoss.value(logits.subarray(i * n * classes, (i + 1) * n * classes), null, ctx.trainLabels, classes));
}

/** Tells the strategy, records the best point and fills the replay buffer. */
export function tell(): Stage {
  return stage((gen) => {
    const { ctx } = gen;
    ctx.strategy.tell(gen.points, gen.fitness);
    const calls = ctx.budget.usage().calls;
    gen.points.forEach((z, i) => {
      const f = gen.fitness[i]!;
      if (Number.isFinite(f) && (!ctx.tracking.bestTrain || f < ctx.tracking.bestTrain.value)) {
        ctx.tracking.bestTrain = { z: Float64Array.from(z), value: f, calls };
      }
      if (ctx.buffer && Number.isFinite(f)) ctx.buffer.add(z, gen.logits[i]!);
    });
    const finite = gen.fitness.filter(Number.isFinite);
    ctx.tracking.trainHistory.push({
      calls,
      best: ctx.tracking.bestTrain?.value ?? NaN,
      mean: finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN,
    });
  });
}

/** K Adam steps of the student on minibatches of (z, example) rows drawn from the whole buffer. */
export function distill(): Stage {
  return stage(async (gen) => {
    const { ctx } = gen;
    const { student, loss } = requireStudent(ctx, 'distill()');
    if (!ctx.buffer || ctx.buffer.size === 0) return;
    let sum = 0;
    for (let k = 0; k < ctx.config.distill.steps; k++) {
      const batch = ctx.buffer.sample(ctx.rng, ctx.config.distill.batchSize, ctx.task.train);
      sum += (await student.trainStep(batch, loss)).loss;
    }
    gen.distillLoss = ctx.config.distill.steps ? sum / ctx.config.distill.steps : undefined;
  });
}

/** Lets the harmonizer act after tell (mean-shift), and measures cos(∇_z student loss, the step taken). */
export function harmonizeTell(): Stage {
  return stage(async (gen) => {
    const { ctx } = gen;
    if (ctx.student && gen.meanBefore && isMeanBased(ctx.strategy)) {
      const g = await ctx.student.gradient(gen.meanBefore, ctx.task.train, ctx.fitnessLoss);
      const after = ctx.strategy.mean();
      const step = after.map((v, i) => v - gen.meanBefore![i]!);
      // The student's descent direction is −∇; a helpful student has cos(−∇, step) > 0.
      const c = cosine(g.grad.map((v) => -v), step);
      const last = ctx.tracking.agreement[ctx.tracking.agreement.length - 1];
      if (last && last.generation === ctx.tracking.generation) last.cosine = c;
      else ctx.tracking.agreement.push({ generation: ctx.tracking.generation, spearman: NaN, cosine: c });
    }
    if (ctx.harmonizer.afterTell) await ctx.harmonizer.afterTell(gen);
  });
}

/** Publishes the generation's numbers. */
export function report(): Stage {
  return stage((gen) => {
    const { ctx } = gen;
    const a = ctx.tracking.agreement[ctx.tracking.agreement.length - 1];
    const here = a && a.generation === ctx.tracking.generation ? a : undefined;
    const h = ctx.tracking.trainHistory[ctx.tracking.trainHistory.length - 1];
    ctx.events.emit({
      specVersion: '1.0',
      type: 'generation',
      time: ctx.clock.now(),
      runId: ctx.runId,
      generation: ctx.tracking.generation,
      calls: ctx.budget.usage().calls,
      bestFitness: h?.best ?? NaN,
      meanFitness: h?.mean ?? NaN,
      ...(isMeanBased(ctx.strategy) ? { sigma: ctx.strategy.sigma } : {}),
      ...(here && Number.isFinite(here.spearman) ? { agreement: here.spearman } : {}),
      ...(here && Number.isFinite(here.cosine) ? { gradientCosine: here.cosine } : {}),
      ...(gen.distillLoss !== undefined ? { distillLoss: gen.distillLoss } : {}),
      ...(ctx.budget.usage().costUsd > 0 ? { costUsd: ctx.budget.usage().costUsd } : {}),
    });
    ctx.tracking.generation++;
  });
}

/** Every `evalEvery` calls (and at the end), scores the best z so far on dev; keeps the best-on-dev prompt. */
export function evaluateDev(force = false): Stage {
  return stage(async (gen) => {
    const { ctx } = gen;
    const calls = ctx.budget.usage().calls;
    if (!force && calls - ctx.tracking.lastDevCalls < ctx.config.evalEvery) return;
    await devCheck(ctx);
  });
}

export async function devCheck(ctx: RunContext): Promise<void> {
  const best = ctx.tracking.bestTrain;
  if (!best || ctx.task.dev.length === 0) return;
  const calls = ctx.budget.usage().calls;
  ctx.tracking.lastDevCalls = calls;
  const { logits, fitness } = await scorePoint(ctx, best.z, ctx.task.dev, 'dev');
  const value = metricFromLogits(ctx.task.metric, logits, Int32Array.from(ctx.task.dev, (e) => e.label), ctx.task.verbalizer.words.length);
  ctx.tracking.devHistory.push({ calls, value, loss: fitness });
  const prev = ctx.tracking.bestDev;
  // BBT keeps the first prompt reaching the best dev metric (strictly greater replaces it).
  const improved = !prev || value > prev.value;
  if (improved) ctx.tracking.bestDev = { z: Float64Array.from(best.z), value, calls };
  if (ctx.config.testCurve && ctx.task.test?.length) {
    const last = ctx.tracking.testHistory.at(-1);
    if (!improved && last && last.loss !== undefined) {
      // Same selected prompt as at the previous check: the (deterministic) test score is the same.
      ctx.tracking.testHistory.push({ calls, value: last.value, loss: last.loss });
    } else {
      const chosen = ctx.tracking.bestDev!;
      const t = await scorePoint(ctx, chosen.z, ctx.task.test, 'test');
      const test = metricFromLogits(ctx.task.metric, t.logits, Int32Array.from(ctx.task.test, (e) => e.label), ctx.task.verbalizer.words.length);
      ctx.tracking.testHistory.push({ calls, value: test, loss: t.fitness });
    }
  }
  ctx.events.emit({
    specVersion: '1.0',
    type: 'eval',
    time: ctx.clock.now(),
    runId: ctx.runId,
    split: 'dev',
    calls,
    metric: ctx.task.metric,
    value,
    loss: fitness,
    improved,
  });
}

/** Saves the whole run state every `checkpointEvery` generations (atomically). */
export function checkpoint(): Stage {
  return stage((gen) => {
    const { ctx } = gen;
    if (!ctx.store || ctx.config.checkpointEvery <= 0 || ctx.tracking.generation % ctx.config.checkpointEvery !== 0) return;
    saveCheckpoint(ctx);
  });
}

export function saveCheckpoint(ctx: RunContext): void {
  if (!ctx.store) return;
  const path = ctx.store.save('latest', captureState(ctx));
  ctx.events.emit({ specVersion: '1.0', type: 'checkpoint', time: ctx.clock.now(), runId: ctx.runId, path, calls: ctx.budget.usage().calls });
}
