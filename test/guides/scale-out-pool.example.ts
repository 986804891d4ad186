// file: test/guides/scale-out-pool.example.ts
import { createContainer } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import type { Teacher } from '@gdfo/spec';
import { runMethod } from '@gdfo/pipeline';
import { createSyntheticTeacher, SyntheticWorld, syntheticSpace } from '@gdfo/testing';
import { createTeacherPool, workerReplicas, type SyntheticTeacherSpec } from '@gdfo/pool';

// What each worker thread builds. For the shipped model use
//   { kind: 'local', checkpoint: shippedCheckpoint('teacher'), options: { promptLength: 50 } }
const spec: SyntheticTeacherSpec = { kind: 'synthetic', world: { dim: 20, width: 8, classes: 2, seed: 3 } };
export const world = new SyntheticWorld({ ...spec.world });
const task = world.task({ train: 32, dev: 32, test: 64 });

/** BBT on the synthetic task with the given teacher: the same seed, the same everything else. */
export function bbt(teacher: Teacher) {
  const { registry } = createContainer({ seed: 42 });
  registerDfo(registry);
  registerLosses(registry);
  return runMethod({
    method: 'bbt',
    task,
    teacher,
    registry,
    seed: 42,
    budget: 200, // 10 generations of λ = 20
    popSize: 20,
    sigma0: 0.5,
    space: syntheticSpace(20),
  });
}

export async function main() {
  const serial = await bbt(createSyntheticTeacher(world));

  // Two worker threads, each with its own copy of the teacher; a generation's 20 calls are spread over them.
  const pool = await createTeacherPool({ replicas: workerReplicas(spec, 2), healthIntervalMs: 1000 });
  try {
    const pooled = await bbt(pool);
    const perReplica = pool.stats().map((s) => s.completed);
    console.log(`serial test ${serial.test}, pooled test ${pooled.test}, calls per thread ${perReplica.join(' + ')}`);
    return { serial, pooled, perReplica };
  } finally {
    await pool.close();
  }
}
