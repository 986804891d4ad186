// file: test/guides/compose-a-hybrid.example.ts
import { BudgetMeter, createContainer, createRng } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import type { DistillationLoss, Harmonizer, MeanBasedOptimizer } from '@gdfo/spec';
import {
  agreement, ask, checkpoint, distill, evaluate, evaluateDev, harmonizeAsk, harmonizeTell, report, stage, tell,
  runMethodLoop,
} from '@gdfo/pipeline';
import { createSyntheticTeacher, SyntheticStudent, SyntheticWorld, syntheticSpace } from '@gdfo/testing';

/**
 * A new harmonizer: a line search on the student along −∇ from the mean; the best step is injected. It is
 * written against the spec's `Harmonizer` contract only (a plugin would import nothing but `@gdfo/spec`).
 */
export function studentLineSearch(steps = [0.25, 0.5, 1, 2, 4]): Harmonizer {
  return {
    name: 'student-line-search',
    async beforeEvaluate(gen) {
      if (!gen.studentReady) return;
      const strategy = gen.strategy as MeanBasedOptimizer;
      const m = strategy.mean();
      const grad = await gen.studentGradient(m);
      const norm = Math.hypot(...grad) || 1;
      const tries = steps.map((s) => m.map((v, i) => v - s * strategy.sigma * (grad[i]! / norm)));
      const losses = await gen.studentLosses(tries);
      const best = tries[losses.indexOf(Math.min(...losses))]!;
      gen.points[gen.points.length - 1] = best; // CMA-ES learns from it like any sample
      gen.injected = [gen.points.length - 1];
    },
  };
}

export async function main() {
  const { registry } = createContainer({ seed: 1 });
  registerDfo(registry);
  registerLosses(registry);
  const world = new SyntheticWorld({ dim: 50, width: 20, classes: 2, seed: 3, logitScale: 3, optimumScale: 0.4 });
  const task = world.task({ train: 32, dev: 32, test: 200 });
  const dim = 50;
  const generationsSeen: number[] = [];

  // A new hybrid is a new chain: sep-CMA-ES + the line-search harmonizer + our own logging stage.
  const chain = [
    ask(), harmonizeAsk(), evaluate(), agreement(), tell(), distill(), harmonizeTell(), report(),
    stage((gen) => void generationsSeen.push(gen.index)),
    evaluateDev(), checkpoint(),
  ];
  const result = await runMethodLoop(
    {
      method: 'gdfo-line-search',
      task,
      teacher: createSyntheticTeacher(world),
      budget: new BudgetMeter({ calls: 300 }),
      space: syntheticSpace(dim),
      strategy: registry.resolveSync<MeanBasedOptimizer>('strategy', 'sep-cma-es', { dim, rng: createRng(7), popSize: 10, sigma0: 0.5 }),
      fitnessLoss: registry.resolveSync<DistillationLoss>('loss', 'ce'),
      student: new SyntheticStudent(world, { seed: 7, lr: 0.002 }),
      distillLoss: registry.resolveSync<DistillationLoss>('loss', 'kd'),
      harmonizer: studentLineSearch(),
      seed: 7,
      config: { distill: { steps: 16, batchSize: 32 } },
    },
    chain,
  );
  console.log(`calls ${result.calls}, dev ${result.dev}, test ${result.test}, generations logged ${generationsSeen.length}`);
  return { result, generationsSeen };
}
