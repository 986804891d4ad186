/**
 * `npm run bench -- cmaes` (options: `--help`, or ../usage.ts)
 *
 * Speed of one CMA-ES generation (ask + tell, not the fitness) of @gdfo/dfo against Debian's python3-cmaes
 * (CyberAgent `cmaes`, class `CMA`, numpy + the BLAS numpy loads, by default with its own thread count) on
 * the sphere from x0 = 1, sigma0 = 0.5, same dimension, population and number of generations, run one after
 * the other in this process tree. Last line:
 * {"bench":"cmaes","dim":…,"popsize":…,"generations":G,"ts_ms_per_gen":…,"py_ms_per_gen":…,"ratio":ts/py,
 *  "ts_final_f":…,"py_final_f":…}. Target: ratio ≤ 0.5.
 * Needs `apt-get install -y python3-cmaes libopenblas0-pthread` (the bench installs nothing and says so).
 */
import { createRng } from '@gdfo/core';
import { CMAES, sphere } from '@gdfo/dfo';
import { arg, checkReference, runReference } from './cmaes-common.js';

export async function run(args: string[]): Promise<void> {
  const dim = Number(arg(args, 'dim', '500'));
  const popsize = Number(arg(args, 'popsize', '20'));
  const generations = Number(arg(args, 'generations', '300'));
  const seed = Number(arg(args, 'seed', '1'));
  const missing = checkReference();
  if (missing) {
    console.error(`cmaes bench: ${missing}`);
    console.log(JSON.stringify({ bench: 'cmaes', error: missing }));
    process.exitCode = 1;
    return;
  }

  console.error(`cmaes bench: @gdfo/dfo CMA-ES, dim ${dim}, popsize ${popsize}, ${generations} generations…`);
  const es = new CMAES({ dim, rng: createRng(seed), x0: new Float64Array(dim).fill(1), sigma0: 0.5, popSize: popsize });
  let work = 0;
  let tsFinal = Infinity;
  for (let g = 0; g < generations; g++) {
    let t0 = performance.now();
    const xs = es.ask();
    work += performance.now() - t0;
    const fs = xs.map(sphere);
    t0 = performance.now();
    es.tell(xs, fs);
    work += performance.now() - t0;
    tsFinal = Math.min(...fs);
  }
  const tsMs = work / generations;
  const info = es.info();
  console.log(
    JSON.stringify({ impl: '@gdfo/dfo', dim, popsize, generations, ms_per_gen: tsMs, final_f: tsFinal, eigendecompositions: info.eigendecompositions }),
  );

  console.error(`cmaes bench: python3-cmaes, same setup…`);
  const [py] = runReference(['speed', '--dim', String(dim), '--popsize', String(popsize), '--generations', String(generations), '--seed', String(seed)]);
  if (!py) throw new Error('python reference printed nothing');
  console.log(JSON.stringify(py));
  const pyMs = Number(py.ms_per_gen);
  console.log(
    JSON.stringify({
      bench: 'cmaes',
      dim,
      popsize,
      generations,
      ts_ms_per_gen: Number(tsMs.toFixed(3)),
      py_ms_per_gen: Number(pyMs.toFixed(3)),
      ratio: Number((tsMs / pyMs).toFixed(4)),
      ts_final_f: tsFinal,
      py_final_f: py.final_f,
      py_blas: py.blas,
    }),
  );
}
