/**
 * `npm run bench -- agreement` (options: `--help`, or ../usage.ts)
 *
 * Can the student track the teacher as a function of z — the premise of GDFO's gradient? Draws `samples` +
 * `holdout` points z ~ N(0, σ²I) (CMA-ES's first generations), scores each with the shipped teacher on the
 * task's training set through BBT's projection (one call each), then distils the shipped student on the
 * `samples` points only — `steps` Adam steps of 32 (z, example) rows per epoch, GDFO's KD loss (τ = 2, β = 0.5)
 * — and after every epoch reports the Spearman correlation between the student's and the teacher's training
 * loss over the held-out points (what GDFO's agreement logs, out of sample) and over 100 training points
 * (in sample). GDFO sees at most 20 new points a generation and K = 16 steps; this gives the student far
 * more, so a held-out correlation near 0 here means the student cannot represent the teacher's response.
 * `--beta` and `--tau` take comma lists: every (β, τ) pair distils a fresh student on the same teacher-scored
 * points and the same minibatches (the teacher is scored once), one summary line each.
 * `--generator projected` ties the student's prompt generator to the teacher-side projection (see
 * `createLocalStudent`'s `projection`); `--generator aligned` also starts it from the vocabulary alignment of
 * the teacher's embeddings onto the student's (`alignTo`), so epoch 0 shows what the student knows of the
 * teacher's response before distilling anything. `--student DIR` measures another student (a pre-distilled one).
 */
import { createContainer, createRng } from '@gdfo/core';
import { ceFitness, registerLosses, spearman } from '@gdfo/distill';
import { initBackend, resolveModelPath, shippedCheckpoint } from '@gdfo/models';
import { createLocalStudent, createLocalTeacher } from '@gdfo/adapter-local';
import { ShallowProjectionSpace, labelsOf } from '@gdfo/pipeline';
import { getTask } from '@gdfo/tasks';
import type { DistillationLoss } from '@gdfo/spec';
import { arg, numberList } from '../args.js';

export async function run(args: string[]): Promise<void> {
  const taskName = arg(args, 'task', 'agnews');
  const samples = Number(arg(args, 'samples', '300'));
  const holdout = Number(arg(args, 'holdout', '100'));
  const epochs = Number(arg(args, 'epochs', '8'));
  const steps = Number(arg(args, 'steps', '100'));
  const sigma = Number(arg(args, 'sigma', '1'));
  const seed = Number(arg(args, 'seed', '42'));
  const promptLength = Number(arg(args, 'prompt-length', '10'));
  const maxLength = Number(arg(args, 'max-length', '48'));
  const dim = Number(arg(args, 'dim', '500'));
  const lr = Number(arg(args, 'lr', '0.01'));
  const generator = arg(args, 'generator', 'free');
  const betas = numberList(arg(args, 'beta', '0.5'), 'beta', (b) => b >= 0 && b <= 1, 'numbers in [0, 1]');
  const taus = numberList(arg(args, 'tau', '2'), 'tau', (t) => t > 0, 'positive numbers');
  // --student NAME|DIR: another student (e.g. one pre-distilled with `npm run predistill -w @gdfo/models`)
  const studentPath = resolveModelPath(arg(args, 'student', 'student'));
  if (generator !== 'free' && generator !== 'projected' && generator !== 'aligned') throw new Error(`--generator: expected free, projected or aligned, got ${generator}`);
  const t0 = performance.now();
  const backend = await initBackend();
  const task = await getTask(taskName, { seed });
  const teacher = await createLocalTeacher({ checkpoint: shippedCheckpoint('teacher'), promptLength, maxLength });
  await teacher.calibrate(task.train, task.template);
  const scale = teacher.info.scale?.embedding;
  if (!scale) throw new Error('bench agreement: the teacher reports no embedding scale');
  const space = new ShallowProjectionSpace({ dim, length: promptLength, width: teacher.info.width ?? 0, scale, alpha: 1, sigma0: 1, seed });
  const classes = task.verbalizer.words.length;
  const n = task.train.length;
  const labels = labelsOf(task.train);
  const rng = createRng(`${seed}/agreement`);
  const total = samples + holdout;
  const Z = Array.from({ length: total }, () => Float64Array.from({ length: dim }, () => sigma * rng.gaussian()));
  const teacherLogits: Float32Array[] = [];
  const teacherLoss: number[] = [];
  for (let i = 0; i < total; i++) {
    const r = await teacher.score({ examples: task.train, template: task.template, verbalizer: task.verbalizer, prompt: space.toTeacher(Z[i]!), purpose: 'train' });
    teacherLogits.push(r.logits);
    teacherLoss.push(ceFitness(r.logits, labels, classes));
    if ((i + 1) % 50 === 0) console.error(`teacher: ${i + 1}/${total} points scored`);
  }
  await teacher.close?.();
  const spread = { min: Math.min(...teacherLoss), max: Math.max(...teacherLoss) };

  const { registry } = createContainer({ seed });
  registerLosses(registry);
  const projection = { matrix: space.projection.matrix, rows: space.projection.rows, width: teacher.info.width ?? 0, std: space.projection.std };
  const inSample = Array.from({ length: Math.min(100, samples) }, (_, i) => i);
  const heldOut = Array.from({ length: holdout }, (_, i) => samples + i);
  // every (β, τ) starts from the same stream state: the minibatches of a run of that pair alone
  const afterPoints = rng.state();
  for (const beta of betas) {
    for (const tau of taus) {
      rng.restore(afterPoints);
      // the first pair's seconds include scoring the teacher, as a run of that pair alone
      const t1 = beta === betas[0] && tau === taus[0] ? t0 : performance.now();
      const kd = registry.resolveSync<DistillationLoss>('loss', 'kd', { tau, beta });
      const student = await createLocalStudent({ checkpoint: studentPath, dim, template: task.template, verbalizer: task.verbalizer, promptLength, maxLength, lr, seed, ...(generator !== 'free' ? { projection } : {}), ...(generator === 'aligned' ? { alignTo: shippedCheckpoint('teacher') } : {}) });
      const studentLoss = async (idx: number[]) => {
        const z = new Float64Array(idx.length * dim);
        idx.forEach((p, i) => z.set(Z[p]!, i * dim));
        const logits = await student.predict(z, idx.length, task.train);
        return idx.map((_p, i) => ceFitness(logits.subarray(i * n * classes, (i + 1) * n * classes), labels, classes));
      };
      const measure = async (epoch: number) => {
        const [hold, fit] = [await studentLoss(heldOut), await studentLoss(inSample)];
        const line = {
          bench: 'agreement',
          epoch,
          steps: epoch * steps,
          beta,
          tau,
          spearman_holdout: +spearman(hold, heldOut.map((p) => teacherLoss[p]!)).toFixed(3),
          spearman_in_sample: +spearman(fit, inSample.map((p) => teacherLoss[p]!)).toFixed(3),
        };
        console.log(JSON.stringify(line));
        return line;
      };
      const curve = [await measure(0)];
      const rows = 32;
      for (let e = 1; e <= epochs; e++) {
        for (let s = 0; s < steps; s++) {
          const pick = Array.from({ length: rows }, () => rng.int(samples));
          const z = new Float64Array(rows * dim);
          pick.forEach((p, i) => z.set(Z[p]!, i * dim));
          const exampleIndex = Int32Array.from({ length: rows }, () => rng.int(n));
          const t = new Float32Array(rows * classes);
          pick.forEach((p, i) => t.set(teacherLogits[p]!.subarray(exampleIndex[i]! * classes, (exampleIndex[i]! + 1) * classes), i * classes));
          await student.trainStep({ z, count: rows, examples: task.train, zIndex: Int32Array.from({ length: rows }, (_, i) => i), exampleIndex, teacherLogits: t }, kd);
        }
        curve.push(await measure(e));
      }
      student.dispose?.();
      console.log(
        JSON.stringify({
          bench: 'agreement',
          task: taskName,
          generator,
          beta,
          tau,
          student: studentPath,
          backend,
          samples,
          holdout,
          sigma,
          teacher_loss_range: [+spread.min.toFixed(4), +spread.max.toFixed(4)],
          spearman_holdout: curve.map((c) => c.spearman_holdout),
          spearman_in_sample: curve.map((c) => c.spearman_in_sample),
          seconds: Math.round((performance.now() - t1) / 1000),
        }),
      );
    }
  }
}
