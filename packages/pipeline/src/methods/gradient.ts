/**
 * Gradient-descent methods (KD-only, white-box) as chains, like the DFO methods: one generation is one
 * gradient step, the dev check and the checkpoint are links that run every n steps, events are emitted as
 * for any run, and a run resumed from its checkpoint continues bit for bit.
 */
import type { Example, StateValue } from '@gdfo/spec';
import { CheckpointStore, GdfoError } from '@gdfo/core';
import type { MethodResult, Tracking } from '../context.js';
import { newTracking } from '../context.js';
import { loopGenerations } from '../run.js';
import { every, step, type Link } from '../stages.js';
import { emptyResult } from './common.js';
import { methodEmitter } from './fixed.js';
import { METHOD_DEFAULTS, type MethodOptions } from './method.js';

/** What a gradient method trains: one step, a metric, and its whole state (parameters, optimizer, RNG). */
export interface GradientModel {
  /** One gradient step (the generation's index); returns the training loss. */
  step(index: number): Promise<number>;
  /** The task metric of the current parameters on `examples`. */
  metric(examples: readonly Example[], purpose: 'dev' | 'test'): Promise<number>;
  state(): StateValue;
  restore(state: StateValue): void;
}

interface GradientContext {
  readonly o: MethodOptions;
  readonly model: GradientModel;
  readonly steps: number;
  readonly emit: ReturnType<typeof methodEmitter>;
  readonly store?: CheckpointStore;
  readonly tracking: Tracking;
  /** The model's state at the best dev metric so far. */
  best: StateValue;
}

interface GradientGeneration {
  readonly ctx: GradientContext;
  readonly index: number;
  loss?: number;
  done?: string;
}

type GradientLink = Link<GradientGeneration>;

/** One gradient step; ends the run after `steps`. */
function gradientStep(): GradientLink {
  return step(async (gen) => {
    const { ctx } = gen;
    if (gen.index >= ctx.steps) {
      gen.done = `${ctx.steps} gradient steps`;
      return;
    }
    gen.loss = await ctx.model.step(gen.index);
    ctx.tracking.generation = gen.index + 1;
    ctx.tracking.trainHistory.push({ calls: gen.index + 1, best: gen.loss, mean: gen.loss });
    ctx.emit({ type: 'generation', generation: gen.index, calls: 0, bestFitness: gen.loss, meanFitness: gen.loss });
  });
}

/** The metric on dev; keeps the best parameters (strictly better replaces them). */
function gradientDevCheck(): GradientLink {
  return step(async (gen) => {
    const { ctx } = gen;
    const value = await ctx.model.metric(ctx.o.task.dev, 'dev');
    const calls = gen.index + 1;
    ctx.tracking.devHistory.push({ calls, value, loss: NaN });
    const improved = !ctx.tracking.bestDev || value > ctx.tracking.bestDev.value;
    if (improved) {
      ctx.tracking.bestDev = { z: new Float64Array(0), value, calls };
      ctx.best = ctx.model.state();
    }
    ctx.emit({ type: 'eval', split: 'dev', calls, metric: ctx.o.task.metric, value, improved });
  });
}

function capture(ctx: GradientContext): StateValue {
  const t = ctx.tracking;
  return {
    format: 'gdfo-gradient-run/1',
    method: ctx.o.method,
    model: ctx.model.state(),
    best: ctx.best,
    tracking: {
      generation: t.generation,
      bestDev: t.bestDev ? { value: t.bestDev.value, calls: t.bestDev.calls } : null,
      devHistory: t.devHistory.map((h) => ({ ...h })),
      trainHistory: t.trainHistory.map((h) => ({ ...h })),
    },
  };
}

function restore(ctx: GradientContext, state: StateValue): void {
  const s = state as unknown as { format?: string; method?: string; model: StateValue; best: StateValue; tracking: Tracking & { bestDev: { value: number; calls: number } | null } };
  if (s?.format !== 'gdfo-gradient-run/1') throw new GdfoError('BAD_CHECKPOINT', `run checkpoint: format "${String(s?.format)}", expected "gdfo-gradient-run/1"`);
  if (s.method !== ctx.o.method) throw new GdfoError('BAD_CHECKPOINT', `run checkpoint: written by method "${String(s.method)}", cannot resume as "${ctx.o.method}"`);
  ctx.model.restore(s.model);
  ctx.best = s.best;
  const t = s.tracking;
  Object.assign(ctx.tracking, {
    generation: t.generation,
    bestDev: t.bestDev ? { ...t.bestDev, z: new Float64Array(0) } : undefined,
    devHistory: t.devHistory,
    trainHistory: t.trainHistory,
  });
}

function save(ctx: GradientContext, calls: number): void {
  if (!ctx.store) return;
  const path = ctx.store.save('latest', capture(ctx));
  ctx.emit({ type: 'checkpoint', path, calls });
}

/**
 * Runs `model` for `o.steps` gradient steps as a chain: step → every(evalEvery, dev check) →
 * every(checkpointEvery, checkpoint); then restores the best-on-dev parameters and scores them on test.
 */
export async function runGradientMethod(o: MethodOptions, model: GradientModel, fields: Partial<MethodResult> = {}): Promise<MethodResult> {
  const steps = o.steps ?? METHOD_DEFAULTS.steps;
  const evalEvery = Math.max(1, Math.floor(steps / 10));
  const ctx: GradientContext = {
    o,
    model,
    steps,
    emit: methodEmitter(o),
    ...(o.checkpointDir ? { store: new CheckpointStore(o.checkpointDir, o.checkpointFileOps) } : {}),
    tracking: newTracking(),
    best: model.state(),
  };
  let resumed = false;
  if (o.resume && ctx.store?.exists('latest')) {
    restore(ctx, ctx.store.load('latest'));
    resumed = true;
  }
  ctx.emit({ type: 'run-start', method: o.method, config: { task: o.task.name, steps, resumed } });
  const checkpointEvery = o.pipeline?.checkpointEvery ?? evalEvery;
  const chain: GradientLink[] = [
    gradientStep(),
    every((gen) => (gen.index + 1 === steps ? 1 : evalEvery), gradientDevCheck()),
    every(checkpointEvery, step((gen) => save(gen.ctx, gen.index + 1))),
  ];
  const stopReason = await loopGenerations(() => ({ ctx, index: ctx.tracking.generation }), chain, o.signal);
  if (stopReason === 'interrupted') {
    save(ctx, ctx.tracking.generation);
    throw new GdfoError('INTERRUPTED', `run ${o.runId ?? o.method} interrupted after ${ctx.tracking.generation} gradient steps; resume from ${ctx.store?.dir ?? '(no checkpoint dir)'}`);
  }
  save(ctx, steps);
  model.restore(ctx.best);
  const test = o.task.test?.length ? await model.metric(o.task.test, 'test') : null;
  const dev = ctx.tracking.bestDev?.value ?? null;
  if (test !== null) ctx.emit({ type: 'eval', split: 'test', calls: steps, metric: o.task.metric, value: test, improved: false });
  const result = emptyResult(o, {
    dev,
    test,
    devHistory: ctx.tracking.devHistory,
    trainHistory: ctx.tracking.trainHistory,
    generations: steps,
    ...fields,
  });
  ctx.emit({ type: 'run-end', status: 'completed', result: { method: o.method, calls: result.calls, dev, test, stopReason: result.stopReason } });
  return result;
}
