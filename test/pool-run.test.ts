/**
 * A run through a teacher pool is the serial run: replicas that answer out of order (random real delays) give
 * BBT the same points, fitness and scores bit for bit. Uses the scale-out guide's run (docs/guides/scale-out.md).
 */
import type { Teacher } from '@gdfo/spec';
import { createTeacherPool } from '@gdfo/pool';
import { createSyntheticTeacher } from '@gdfo/testing';
import { bbt, world } from './guides/scale-out-pool.example.js';

describe('teacher pool: determinism', () => {
  it('a BBT run through a pool of replicas with random latencies equals the serial run bit for bit', async () => {
    const serial = await bbt(createSyntheticTeacher(world));
    // three replicas answering after random real delays, so calls complete out of order
    let seed = 1;
    const jittery = (): Teacher => {
      const inner = createSyntheticTeacher(world);
      return {
        ...inner,
        async score(req) {
          seed = (seed * 16807) % 2147483647;
          await new Promise((r) => setTimeout(r, seed % 4));
          return inner.score(req);
        },
      } satisfies Teacher;
    };
    const pool = await createTeacherPool({ replicas: [jittery(), jittery(), jittery()] });
    const pooled = await bbt(pool);
    await pool.close();
    expect(pooled.calls).toBe(serial.calls);
    expect(pooled.bestZ).toEqual(serial.bestZ);
    expect(pooled.bestTrainFitness).toBe(serial.bestTrainFitness);
    expect(pooled.dev).toBe(serial.dev);
    expect(pooled.test).toBe(serial.test);
    expect(pooled.trainHistory).toEqual(serial.trainHistory);
    expect(pool.stats().reduce((s, r) => s + r.completed, 0)).toBeGreaterThanOrEqual(200);
    expect(pool.stats().every((r) => r.completed > 10)).toBe(true);
  }, 60_000);
});
