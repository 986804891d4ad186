/**
 * The stages a run is composed of, each a link `(gen, next)` (stages.ts); a method is a chain of them
 * (`ask → harmonizeAsk → evaluate → agreement → tell → distill → harmonizeTell → report →
 * every(evalEvery calls, dev check) → every(n, checkpoint)`), and a new hybrid optimizer is a new chain.
 * A stage that ends the run (the budget or the strategy says stop) sets `gen.done` and does not call the
 * rest of the chain.
 */
import type { CallOptions, Example, Prompt } from '@gdfo/spec';
import { BudgetExhaustedError, GdfoError } from '@gdfo/core';
import { metricFromLogits } from '@gdfo/tasks';
import { cosine, spearman } from '@gdfo/distill';
import { captureState, isMeanBased, requireStudent, studentLosses, type Generation, type RunContext } from './context.js';
import { every, step, when, type Link } from './stages.js';

export { studentLosses };

/** A link of a run's chain. */
export type Stage = Link<Generation>;

/** A stage from a plain step on the generation (the rest of the chain runs unless the step set `done`). */
export function stage(fn: (gen: Generation) => Promise<void> | void): Stage {
  return step(fn);
}

/** Scores `z` on `examples` through the teacher; returns logits (rows × classes) and the fitness. */
export async function scorePoint(
  ctx: RunContext,
  z: Float64Array | null,
  examples: readonly Example[],
  purpose: 'train' | 'dev' | 'test',
  prompt?: Prompt,
  call?: CallOptions,
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
    call,
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
    // On the first failure the generation's other calls are stopped: they send nothing more, and what they
    // already sent finishes, so its answers are kept (a text API adapter's row store, the call cache) for the
    // retry or the resume rather than cut and paid again; calls stopped before they were sent release their
    // budget reservation. All of them are settled before the error goes on: nothing keeps running behind it.
    const stop = new AbortController();
    const settled = await Promise.allSettled(
      gen.points.map((z) =>
        scorePoint(ctx, z, ctx.task.train, 'train', undefined, { stop: stop.signal }).catch((err: unknown) => {
          if (!stop.signal.aborted) stop.abort(err);
          throw err;
        }),
      ),
    );
    try {
      if (stop.signal.aborted) throw stop.signal.reason;
      const results = settled.map((s) => (s as PromiseFulfilledResult<{ logits: Float32Array; fitness: number }>).value);
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
    ctx.tracking.agreement.push({ generation: gen.index, spearman: rho, cosine: NaN });
  });
}

/**
 * Tells the strategy, records the best point and fills the replay buffer. The generation then counts as
 * completed (`tracking.generation` = its index + 1), which is what a checkpoint taken after it records.
 */
export function tell(): Stage {
  return stage((gen) => {
    const { ctx } = gen;
    ctx.strategy.tell(gen.points, gen.fitness);
    ctx.tracking.generation = gen.index + 1;
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
      if (last && last.generation === gen.index) last.cosine = c;
      else ctx.tracking.agreement.push({ generation: gen.index, spearman: NaN, cosine: c });
    }
    if (ctx.harmonizer.afterTell) await ctx.harmonizer.afterTell(gen);
  });
}

/** Publishes the generation's numbers (a `generation` event). */
export function report(): Stage {
  return stage((gen) => {
    const { ctx } = gen;
    const a = ctx.tracking.agreement[ctx.tracking.agreement.length - 1];
    const here = a && a.generation === gen.index ? a : undefined;
    const h = ctx.tracking.trainHistory[ctx.tracking.trainHistory.length - 1];
    ctx.emit({
      type: 'generation',
      generation: gen.index,
      calls: ctx.budget.usage().calls,
      bestFitness: h?.best ?? NaN,
      meanFitness: h?.mean ?? NaN,
      ...(isMeanBased(ctx.strategy) ? { sigma: ctx.strategy.sigma } : {}),
      ...(here && Number.isFinite(here.spearman) ? { agreement: here.spearman } : {}),
      ...(here && Number.isFinite(here.cosine) ? { gradientCosine: here.cosine } : {}),
      ...(gen.distillLoss !== undefined ? { distillLoss: gen.distillLoss } : {}),
      ...(ctx.budget.usage().costUsd > 0 ? { costUsd: ctx.budget.usage().costUsd } : {}),
    });
  });
}

/** True once `evalEvery` calls have been charged since the last dev check. */
export function devCheckDue(gen: Generation): boolean {
  const { ctx } = gen;
  return ctx.budget.usage().calls - ctx.tracking.lastDevCalls >= ctx.config.evalEvery;
}

/**
 * Scores the best z so far on dev and keeps the best-on-dev prompt: every `evalEvery` calls (BBT's schedule),
 * or at every generation with `force`.
 */
export function evaluateDev(force = false): Stage {
  const check = stage((gen) => devCheck(gen.ctx));
  return force ? check : when(devCheckDue, check);
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
  ctx.emit({
    type: 'eval',
    split: 'dev',
    calls,
    metric: ctx.task.metric,
    value,
    loss: fitness,
    improved,
  });
}

/** Saves the whole run state (atomically), every `n` generations (default: the run's `checkpointEvery`). */
export function checkpoint(n?: number): Stage {
  return every((gen) => n ?? gen.ctx.config.checkpointEvery, stage((gen) => saveCheckpoint(gen.ctx)));
}

export function saveCheckpoint(ctx: RunContext): void {
  if (!ctx.store) return;
  const path = ctx.store.save('latest', captureState(ctx));
  ctx.emit({ type: 'checkpoint', path, calls: ctx.budget.usage().calls });
}
