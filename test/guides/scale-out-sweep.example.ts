// file: test/guides/scale-out-sweep.example.ts
import { createContainer } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { runMethod } from '@gdfo/pipeline';
import { createSyntheticTeacher, SyntheticStudent, SyntheticWorld, syntheticSpace } from '@gdfo/testing';
import { runSweep, type CellConfig, type CellFunction } from '@gdfo/sweep';

/** The sweep: every method × seed. A cell is plain JSON; its id is the hash of exactly this object. */
export const cells: CellConfig[] = ['bbt', 'gdfo'].flatMap((method) => [1, 2, 3].map((seed) => ({ task: 'synthetic', method, seed, budget: 100 })));

/** Runs one cell. It depends on the config only, so any machine gives the same result (and a re-run too). */
export const cellFn: CellFunction = async (config) => {
  const { method, seed, budget } = config as { method: 'bbt' | 'gdfo'; seed: number; budget: number };
  const world = new SyntheticWorld({ dim: 20, width: 8, classes: 2, seed: 3, logitScale: 3 });
  const { registry } = createContainer({ seed });
  registerDfo(registry);
  registerLosses(registry);
  const r = await runMethod({
    method,
    task: world.task({ train: 32, dev: 32, test: 64 }),
    teacher: createSyntheticTeacher(world),
    student: new SyntheticStudent(world, { seed, lr: 0.002 }),
    registry,
    seed,
    budget,
    popSize: 10,
    sigma0: 0.5,
    space: syntheticSpace(20),
    pipeline: { distill: { steps: 4, batchSize: 32 } },
  });
  return { test: r.test, dev: r.dev, calls: r.calls };
};

/** Runs the sweep here, or — given a Redis URL — through the queue (workers on any machine may help). */
export async function main(resultsPath: string, queue?: string) {
  return runSweep(cells, cellFn, {
    resultsPath,
    ...(queue ? { queue: { connection: queue, queueName: 'guide-sweep', workers: 1, pollMs: 100 } } : {}),
  });
}
