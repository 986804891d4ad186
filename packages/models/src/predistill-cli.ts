/**
 * `npm run predistill -w @gdfo/models -- --out DIR [--teacher mlm-4x256] [--student mlm-2x128] [--steps 1500] ...`
 * Distils the teacher's masked-LM distribution into the student on the npm-shipped corpus before any prompt
 * search; resumable (rerun the same command after an interruption). Writes a Hugging Face folder.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GdfoError } from '@gdfo/core';
import { initBackend } from './backend.js';
import { loadCheckpoint } from './checkpoint.js';
import { numberOptions, parseArgs } from './pretrain-cli.js';
import { predistill } from './predistill.js';
import { resolveModelPath } from './shipped.js';

export async function main(argv: readonly string[]): Promise<void> {
  const a = parseArgs(argv, 'predistill');
  if (!a.out) throw new GdfoError('BAD_ARGUMENT', 'predistill: --out DIR is required (the distilled student is written there as a Hugging Face folder)');
  const num = numberOptions(a, 'predistill');
  const backend = await initBackend({ prefer: a.backend ?? process.env.GDFO_BACKEND });
  const teacherName = a.teacher ?? 'teacher';
  const studentName = a.student ?? 'student';
  const steps = num('steps', 1500);
  const out = resolve(a.out);
  const options = {
    steps,
    batch: num('batch', 32),
    seq: num('seq', 64),
    lr: num('lr', 1e-4),
    warmup: num('warmup', Math.min(100, Math.floor(steps / 10))),
    weightDecay: num('weight-decay', 0.01),
    // τ = 1 fits the KL it reports; τ = 2 at lr 3e-4 first raised it (docs/benchmarks.md, fourth round)
    temperature: num('temperature', 1),
    hardWeight: num('hard-weight', 0),
    seed: num('seed', 1),
    evalEvery: num('eval-every', 100),
    saveEvery: num('save-every', 120),
    evalRows: num('eval-rows', 128),
  };
  if (options.temperature <= 0) throw new GdfoError('BAD_ARGUMENT', `predistill: --temperature must be > 0, got ${options.temperature}`);
  const flags = Object.entries(options).map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} ${v}`).join(' ');
  const command = `npm run predistill -w @gdfo/models -- --teacher ${teacherName} --student ${studentName} --out ${a.out} ${flags}`;
  const log = (l: string) => console.error(`[${new Date().toISOString()}] ${l}`);
  log(`predistill on backend ${backend}`);
  const r = predistill({
    teacher: loadCheckpoint(resolveModelPath(teacherName)),
    student: loadCheckpoint(resolveModelPath(studentName)),
    out,
    stateDir: a.state ? resolve(a.state) : `${out}.state`,
    ...options,
    command,
    log,
  });
  console.log(JSON.stringify({ predistill: out, backend, ...r }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
