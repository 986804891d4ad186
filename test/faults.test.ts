/**
 * Faults during a run: a teacher that throws, times out, returns NaN or the wrong number of classes, and a
 * full disk while checkpointing. Each gives a clear one-line error or is retried within budget, and the last
 * good checkpoint survives (a resume from it finishes the run).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScoreResult, Teacher } from '@gdfo/spec';
import { createContainer, nodeFileOps, TeacherError, withRetry, withTimeout, type FileOps } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { runMethod, type MethodOptions } from '@gdfo/pipeline';
import { createSyntheticTeacher, SyntheticStudent, SyntheticWorld, syntheticSpace } from '@gdfo/testing';

const world = new SyntheticWorld({ dim: 20, width: 8, classes: 2, seed: 11, logitScale: 3, optimumScale: 0.4 });
const task = world.task({ train: 16, dev: 16, test: 50 });
const honest = createSyntheticTeacher(world);

/** A teacher whose n-th call (1-based) behaves as `fault(n)` says, otherwise answers honestly. */
function faulty(fault: (n: number) => 'throw-retryable' | 'throw-fatal' | 'hang' | 'nan' | 'classes' | undefined) {
  let n = 0;
  const teacher: Teacher = {
    specVersion: '1.0',
    info: honest.info,
    async score(request, options) {
      const kind = fault(++n);
      if (kind === 'throw-retryable') throw new TeacherError('503 Service Unavailable', { status: 503 });
      if (kind === 'throw-fatal') throw new TeacherError(`teacher ${honest.info.id}: 401 invalid credentials`, { status: 401 });
      if (kind === 'hang') {
        return new Promise<ScoreResult>((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      const r = await honest.score(request);
      if (kind === 'nan') return { ...r, logits: r.logits.map(() => NaN) };
      if (kind === 'classes') return { rows: r.rows, classes: 3, logits: new Float32Array(r.rows * 3) };
      return r;
    },
  };
  return { teacher, calls: () => n };
}

function options(teacher: Teacher, over: Partial<MethodOptions> = {}): MethodOptions {
  const { registry } = createContainer({ seed: 3 });
  registerDfo(registry);
  registerLosses(registry);
  return {
    method: 'gdfo',
    task,
    teacher,
    registry,
    seed: 3,
    budget: 100,
    popSize: 10,
    sigma0: 0.5,
    space: syntheticSpace(20),
    student: new SyntheticStudent(world, { seed: 3, lr: 0.002 }),
    pipeline: { evalEvery: 50, checkpointEvery: 2, distill: { steps: 2, batchSize: 8 } },
    ...over,
  };
}

describe('teacher faults', () => {
  it('retries a failing call within budget: every train call charged once, results equal an honest run', async () => {
    const clean = await runMethod(options(honest));
    const f = faulty((n) => (n % 7 === 3 ? 'throw-retryable' : undefined));
    const retried = await runMethod(options(f.teacher, { middleware: [withRetry({ retries: 3, baseMs: 1, jitter: 0 })] }));
    expect(retried.calls).toBe(100);
    expect(f.calls()).toBeGreaterThan(100 + retried.evalCalls); // the failures were really re-sent
    expect(retried.bestZ).toEqual(clean.bestZ);
    expect(retried.test).toBe(clean.test);
  });

  it('times out a hanging call and retries it', async () => {
    const f = faulty((n) => (n === 5 ? 'hang' : undefined));
    const r = await runMethod(options(f.teacher, { middleware: [withRetry({ retries: 2, baseMs: 1, jitter: 0 }), withTimeout(200)] }));
    expect(r.calls).toBe(100);
  });

  it('a fatal error stops the run with the teacher named, and the last good checkpoint resumes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-fault-'));
    const f = faulty((n) => (n === 47 ? 'throw-fatal' : undefined));
    await expect(runMethod(options(f.teacher, { checkpointDir: dir }))).rejects.toThrow(`teacher ${honest.info.id}: 401 invalid credentials`);
    expect(readdirSync(dir)).toEqual(['latest.ckpt']);
    const resumed = await runMethod(options(honest, { checkpointDir: dir, resume: true }));
    const clean = await runMethod(options(honest));
    expect(resumed.bestZ).toEqual(clean.bestZ);
    expect(resumed.calls).toBe(100);
  });

  it('NaN scores rank last instead of poisoning the search', async () => {
    const f = faulty((n) => (n % 5 === 0 ? 'nan' : undefined));
    const r = await runMethod(options(f.teacher, { method: 'bbt' }));
    expect(r.calls).toBe(100);
    expect(Number.isFinite(r.bestTrainFitness)).toBe(true);
    expect(r.trainHistory.every((h) => Number.isFinite(h.best))).toBe(true);
  });

  it('the wrong number of classes is a one-line error naming the teacher and both shapes', async () => {
    const f = faulty((n) => (n === 2 ? 'classes' : undefined));
    await expect(runMethod(options(f.teacher, { method: 'bbt' }))).rejects.toThrow(
      `teacher ${honest.info.id}: returned 16×3 logits (48 values), expected 16×2`,
    );
  });
});

describe('disk full while checkpointing', () => {
  it('reports the write error, keeps the previous checkpoint, and a resume finishes the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-enospc-'));
    let saves = 0;
    const full: FileOps = {
      ...nodeFileOps,
      openSync: (p, flags) => {
        if (++saves > 2) {
          const e = new Error('no space left on device') as NodeJS.ErrnoException;
          e.code = 'ENOSPC';
          throw e;
        }
        return nodeFileOps.openSync(p, flags);
      },
    };
    await expect(runMethod(options(honest, { checkpointDir: dir, checkpointFileOps: full }))).rejects.toThrow(/cannot write .*latest\.ckpt: ENOSPC/);
    expect(readdirSync(dir)).toEqual(['latest.ckpt']);
    const resumed = await runMethod(options(honest, { checkpointDir: dir, resume: true }));
    const clean = await runMethod(options(honest));
    expect(resumed.bestZ).toEqual(clean.bestZ);
  });
});
