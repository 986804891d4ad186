/**
 * `npm run bench -- cmaes-quality` (options: `--help`, or ../usage.ts)
 *
 * Evaluations until the best f < 1e-8 for @gdfo/dfo CMA-ES and Debian's python3-cmaes on the same functions,
 * dimensions, starting points (sphere/ellipsoid x0 = 3, sigma0 = 2; rosenbrock x0 = 0, sigma0 = 0.5) and
 * default population, seeds 1..N; a run that stops or passes 2e5 evaluations first counts as a failure (-1,
 * left out of the median). One JSON line per function and dimension with both sides' counts and medians,
 * then a summary line. The unit test packages/dfo/src/cmaes.test.ts holds the reference medians as constants.
 */
import { createRng } from '@gdfo/core';
import { CMAES, minimize, testFunctions } from '@gdfo/dfo';
import { arg, checkReference, runReference } from './cmaes-common.js';

const SETUP: Record<string, { x0: number; sigma0: number }> = {
  sphere: { x0: 3, sigma0: 2 },
  ellipsoid: { x0: 3, sigma0: 2 },
  rosenbrock: { x0: 0, sigma0: 0.5 },
};

function median(xs: number[]): number | null {
  const ok = xs.filter((x) => x > 0).sort((a, b) => a - b);
  if (ok.length === 0) return null;
  const h = ok.length >> 1;
  return ok.length % 2 ? (ok[h] as number) : ((ok[h - 1] as number) + (ok[h] as number)) / 2;
}

export async function run(args: string[]): Promise<void> {
  const seeds = Number(arg(args, 'seeds', '5'));
  const dims = arg(args, 'dims', '10,40').split(',').map(Number);
  const fns = arg(args, 'functions', 'sphere,ellipsoid,rosenbrock').split(',');
  for (const fn of fns) {
    if (!(fn in SETUP)) throw new Error(`cmaes-quality: --functions must list sphere, ellipsoid or rosenbrock, got "${fn}"`);
  }
  const missing = checkReference();
  if (missing) console.error(`cmaes-quality: ${missing} — printing @gdfo/dfo counts only`);

  let worst = 0;
  for (const dim of dims) {
    for (const fn of fns) {
      const { x0, sigma0 } = SETUP[fn] as { x0: number; sigma0: number };
      const f = testFunctions[fn as keyof typeof testFunctions];
      const ts: number[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const es = new CMAES({ dim, rng: createRng(seed), x0: new Float64Array(dim).fill(x0), sigma0 });
        const r = minimize(es, f, { target: 1e-8, maxEvaluations: 200_000 });
        ts.push(r.evaluationsToTarget ?? -1);
      }
      let py: Record<string, unknown> | undefined;
      if (!missing) {
        console.error(`cmaes-quality: python3-cmaes ${fn} d=${dim}…`);
        py = runReference(['quality', '--seeds', String(seeds), '--dims', String(dim), '--functions', fn])[0];
      }
      const tsMed = median(ts);
      const pyMed = py && typeof py.median === 'number' ? py.median : null;
      const ratio = tsMed !== null && pyMed !== null ? tsMed / pyMed : null;
      if (ratio !== null) worst = Math.max(worst, Math.abs(ratio - 1));
      console.log(
        JSON.stringify({
          function: fn,
          dim,
          ts_evals: ts,
          ts_median: tsMed,
          py_evals: py?.evals ?? null,
          py_median: pyMed,
          ratio: ratio === null ? null : Number(ratio.toFixed(4)),
        }),
      );
    }
  }
  console.log(
    JSON.stringify({ bench: 'cmaes-quality', seeds, dims, functions: fns, max_abs_deviation: missing ? null : Number(worst.toFixed(4)), within_25pct: missing ? null : worst <= 0.25 }),
  );
}
