/**
 * Methods as registered components, and the gradient methods (KD-only, white-box) as chains: events,
 * checkpoints, and a run interrupted then resumed that equals an uninterrupted one.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DistillationLoss, GdfoPlugin, Harmonizer, RunEvent, ScoreRequest } from '@gdfo/spec';
import { createContainer, GdfoError, installPlugin, RunEventBus, type ComponentRegistry } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { createSyntheticTeacher, SyntheticStudent, SyntheticWorld, syntheticSpace } from '@gdfo/testing';
import { metricFromLogits } from '@gdfo/tasks';
import { dfoChain } from './dfo.js';
import { baseSetup, searchFor } from './common.js';
import { defineMethod, registerMethod, type MethodOptions, type WhiteBoxModel } from './method.js';
import { methodFor, runMethod } from './index.js';
import { runMethodLoop } from '../run.js';
import type { MethodResult } from '../context.js';

const world = new SyntheticWorld({ dim: 10, width: 6, classes: 2, seed: 5, logitScale: 3, optimumScale: 0.4 });
const task = world.task({ train: 16, dev: 16, test: 40 });

function registry(seed = 1): ComponentRegistry {
  const { registry } = createContainer({ seed });
  registerDfo(registry);
  registerLosses(registry);
  return registry;
}

/** ∇ of CE through the synthetic teacher by central differences: a local "white box" for the test. */
function finiteDifferenceWhiteBox(): WhiteBoxModel {
  const teacher = createSyntheticTeacher(world);
  return {
    async whiteBox(request: ScoreRequest, loss: DistillationLoss) {
      const p = request.prompt;
      if (p.kind !== 'continuous-shallow') throw new Error('expected a continuous prompt');
      const labels = Int32Array.from(request.examples, (e) => e.label);
      const at = async (values: Float32Array) => loss.value((await teacher.score({ ...request, prompt: { ...p, values } })).logits, null, labels, 2);
      const grad = new Float32Array(p.values.length);
      const h = 1e-2;
      for (let i = 0; i < grad.length; i++) {
        const up = Float32Array.from(p.values);
        const down = Float32Array.from(p.values);
        up[i]! += h;
        down[i]! -= h;
        grad[i] = ((await at(up)) - (await at(down))) / (2 * h);
      }
      return { loss: await at(p.values), grad };
    },
  };
}

function options(method: string, extra: Partial<MethodOptions> = {}): MethodOptions {
  return {
    method,
    task,
    teacher: createSyntheticTeacher(world),
    registry: registry(),
    seed: 3,
    budget: 0,
    space: syntheticSpace(10),
    promptLength: 1,
    steps: 30,
    lr: 0.05,
    ...extra,
  };
}

/** Runs, aborting after `abortAfter` generation events (then resumes) when given. */
async function runWithInterrupt(make: () => MethodOptions, dir: string, abortAfter?: number): Promise<{ result: MethodResult; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  if (abortAfter !== undefined) {
    const ctrl = new AbortController();
    const bus = new RunEventBus();
    let seen = 0;
    bus.events$.subscribe((e) => e.type === 'generation' && ++seen === abortAfter && ctrl.abort());
    await expect(runMethod({ ...make(), checkpointDir: dir, events: bus, signal: ctrl.signal })).rejects.toMatchObject({ code: 'INTERRUPTED' });
  }
  const bus = new RunEventBus();
  bus.events$.subscribe((e) => events.push(e));
  const result = await runMethod({ ...make(), checkpointDir: dir, events: bus, resume: true });
  return { result, events };
}

describe('gradient methods as chains', () => {
  it('KD-only: emits a generation event per step, dev checks every steps/10, checkpoints; a resumed run is identical', async () => {
    const make = () => options('kd', { student: new SyntheticStudent(world, { seed: 2, lr: 0.01 }) });
    const whole = await runWithInterrupt(make, mkdtempSync(join(tmpdir(), 'gdfo-kd-')));
    expect(whole.events.filter((e) => e.type === 'generation')).toHaveLength(30);
    expect(whole.result.devHistory.map((h) => h.calls)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    expect(whole.events.filter((e) => e.type === 'checkpoint').length).toBeGreaterThanOrEqual(10);
    expect(whole.result).toMatchObject({ calls: 1, generations: 30, stopReason: '30 gradient steps (student evaluated)' });
    expect(whole.result.dev).toBe(Math.max(...whole.result.devHistory.map((h) => h.value)));
    const resumed = await runWithInterrupt(make, mkdtempSync(join(tmpdir(), 'gdfo-kd-')), 14);
    expect(resumed.result).toEqual(whole.result);
  });

  it('white-box: Adam on the prompt lowers the training loss; a resumed run is identical', async () => {
    const make = () => options('whitebox', { whitebox: finiteDifferenceWhiteBox() });
    const whole = await runWithInterrupt(make, mkdtempSync(join(tmpdir(), 'gdfo-wb-')));
    const losses = whole.result.trainHistory.map((h) => h.best);
    expect(losses).toHaveLength(30);
    expect(losses[29]!).toBeLessThan(losses[0]! - 0.05);
    expect(whole.result.dev).toBe(Math.max(...whole.result.devHistory.map((h) => h.value)));
    expect(whole.result.test).not.toBeNull();
    const resumed = await runWithInterrupt(make, mkdtempSync(join(tmpdir(), 'gdfo-wb-')), 17);
    expect(resumed.result).toEqual(whole.result);
  });

  it('manual: run-start, dev and test evals and run-end are emitted, stamped with the run id', async () => {
    const events: RunEvent[] = [];
    const bus = new RunEventBus();
    bus.events$.subscribe((e) => events.push(e));
    const result = await runMethod({ ...options('manual'), events: bus, runId: 'manual-run' });
    expect(events.map((e) => [e.type, e.runId])).toEqual([
      ['run-start', 'manual-run'],
      ['eval', 'manual-run'],
      ['eval', 'manual-run'],
      ['run-end', 'manual-run'],
    ]);
    const z0 = await createSyntheticTeacher(world).score({ examples: task.test!, template: task.template, verbalizer: task.verbalizer, prompt: { kind: 'none' }, purpose: 'test' });
    expect(result.test).toBe(metricFromLogits('accuracy', z0.logits, Int32Array.from(task.test!, (e) => e.label), 2));
  });
});

describe('methods are registered components', () => {
  it('a plugin registers a method; runMethod runs it by name like a built-in', async () => {
    const reg = registry();
    const ran: string[] = [];
    const plugin: GdfoPlugin = {
      name: 'gdfo-plugin-bbt-sep',
      version: '0.1.0',
      specVersion: '1.0',
      register(r) {
        registerMethod(
          r,
          defineMethod({
            name: 'bbt-sep',
            description: 'BBT with sep-CMA-ES',
            needsStudent: false,
            space: 'shallow',
            keepsPrompt: true,
            async run(o) {
              ran.push(o.method);
              const { space, strategy } = await searchFor({ ...o, strategy: 'sep-cma-es', popSize: 5 }, false);
              return runMethodLoop(baseSetup(o, space, strategy), dfoChain());
            },
          }),
        );
      },
    };
    await installPlugin(reg, plugin, 'test');
    expect(reg.list('method').find((m) => m.name === 'bbt-sep')?.origin).toBe('gdfo-plugin-bbt-sep@0.1.0');
    const result = await runMethod({ ...options('bbt-sep', { registry: reg }), budget: 50 });
    expect(ran).toEqual(['bbt-sep']);
    expect(result).toMatchObject({ method: 'bbt-sep', calls: 50, generations: 10 });
    expect(methodFor(reg, 'bbt')).toMatchObject({ needsStudent: false, space: 'shallow', keepsPrompt: true });
    expect(methodFor(reg, 'gdfo')).toMatchObject({ needsStudent: true });
  });

  it('a harmonizer a plugin registers by name (spec contract only) is what GDFO runs with', async () => {
    const reg = registry();
    const seen: { index: number; ready: boolean; points: number }[] = [];
    const plugin: GdfoPlugin = {
      name: 'gdfo-plugin-watch',
      version: '0.1.0',
      specVersion: '1.0',
      register(r) {
        r.register<Harmonizer>('harmonizer', 'watch', (o) => ({
          name: 'watch',
          async beforeEvaluate(gen) {
            seen.push({ index: gen.index, ready: gen.studentReady, points: gen.points.length });
            if (gen.studentReady && o['inject']) {
              gen.points[0] = Float64Array.from(gen.points[0]!, (v) => -v);
              gen.injected = [0];
            }
          },
        }));
      },
    };
    await installPlugin(reg, plugin, 'test');
    const result = await runMethod({
      ...options('gdfo', { registry: reg, student: new SyntheticStudent(world, { seed: 2, lr: 0.002 }) }),
      budget: 40,
      popSize: 5,
      harmonizer: 'watch',
      harmonizerOptions: { inject: true },
      pipeline: { distill: { steps: 2, batchSize: 8 } },
    });
    expect(result.calls).toBe(40);
    expect(seen).toEqual(Array.from({ length: 8 }, (_v, index) => ({ index, ready: index > 0, points: 5 })));
  });

  it('defineMethod refuses a bad definition, runMethod an unknown name, in one line', () => {
    const bad = () => defineMethod({ name: 'x', description: '', needsStudent: false, space: 'wide' as 'none', keepsPrompt: false, run: async () => ({}) as MethodResult });
    expect(bad).toThrow(GdfoError);
    expect(bad).toThrow('method x: space must be shallow, deep or none, got wide');
    expect(() => methodFor(registry(), 'nope')).toThrow(/^unknown method "nope"; known: bbt, bbtv2, gdfo, gdfo-deep, icl, kd, manual, whitebox$/);
  });
});
