/**
 * `npm run pretrain -w @gdfo/models -- --model teacher|student [--steps N] [--out DIR] [--state DIR] ...`
 * Pretrains one of the shipped models; resumable (rerun the same command after an interruption).
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { initBackend } from './backend.js';
import { MODEL_PRESETS, pretrain } from './pretrain.js';
import { GdfoError } from '@gdfo/core';

const here = dirname(fileURLToPath(import.meta.url));
const pkgRoot = resolve(here, '..');

export function parseArgs(argv: readonly string[], what = 'pretrain'): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue;
    if (!a.startsWith('--')) throw new GdfoError('BAD_ARGUMENT', `${what}: unexpected argument '${a}' (options are --name value)`);
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new GdfoError('BAD_ARGUMENT', `${what}: option ${a} needs a value`);
      out[a.slice(2)] = v;
      i++;
    }
  }
  return out;
}

/** A reader of numeric options out of `parseArgs`'s result: `--k` as a number, `d` when absent, one-line error otherwise. */
export function numberOptions(a: Record<string, string>, what: string): (k: string, d: number) => number {
  return (k, d) => {
    if (a[k] === undefined) return d;
    const v = Number(a[k]);
    if (!Number.isFinite(v)) throw new GdfoError('BAD_ARGUMENT', `${what}: --${k} must be a number, got '${a[k]}'`);
    return v;
  };
}

const DEFAULTS = {
  teacher: { steps: 1900, lr: 1.5e-3 },
  student: { steps: 2000, lr: 2e-3 },
};

export async function main(argv: readonly string[]): Promise<void> {
  const a = parseArgs(argv);
  const which = a.model;
  if (which !== 'teacher' && which !== 'student') throw new GdfoError('BAD_ARGUMENT', `pretrain: --model must be 'teacher' or 'student', got '${String(which)}'`);
  const cfg = MODEL_PRESETS[which];
  const num = numberOptions(a, 'pretrain');
  const backend = await initBackend({ prefer: a.backend ?? process.env.GDFO_BACKEND ?? 'wasm' });
  const steps = num('steps', DEFAULTS[which].steps);
  const seed = num('seed', 1);
  const command = `npm run pretrain -w @gdfo/models -- --model ${which} --steps ${steps} --seed ${seed}` + (a.lr ? ` --lr ${a.lr}` : '') + (a.batch ? ` --batch ${a.batch}` : '');
  const log = (l: string) => console.error(`[${new Date().toISOString()}] ${l}`);
  log(`pretrain ${cfg.name} on backend ${backend}`);
  const r = pretrain({
    model: cfg,
    out: a.out ? resolve(a.out) : join(pkgRoot, 'checkpoints', cfg.name),
    stateDir: a.state ? resolve(a.state) : join(pkgRoot, '.pretrain', cfg.name),
    steps,
    batch: num('batch', 32),
    seq: num('seq', cfg.maxPositions),
    lr: num('lr', DEFAULTS[which].lr),
    warmup: num('warmup', Math.min(200, Math.floor(steps / 10))),
    weightDecay: num('weight-decay', 0.01),
    seed,
    evalEvery: num('eval-every', 250),
    saveEvery: num('save-every', 120),
    evalRows: num('eval-rows', 128),
    command,
    log,
  });
  console.log(JSON.stringify({ model: cfg.name, backend, ...r }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
