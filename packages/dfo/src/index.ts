/**
 * @gdfo/dfo — derivative-free strategies on Float64Array, all behind the `Optimizer` ask/tell contract of
 * @gdfo/spec. Register them by name with `registerDfo(registry)`.
 */
import type { Registry } from '@gdfo/spec';
import { createCMAES } from './cmaes.js';
import { createSepCMAES } from './sep-cmaes.js';
import { createBIPOPCMAES, createIPOPCMAES } from './restarts.js';
import { createOnePlusOneES } from './one-plus-one.js';
import { createRandomSearch } from './random-search.js';
import { createSPSA } from './spsa.js';
import { createGaussianSmoothing } from './gaussian-smoothing.js';
import { createNelderMead } from './nelder-mead.js';

export { CMAES, createCMAES, cmaParameters, type CMAParameters, type CMAESInfo } from './cmaes.js';
export { SepCMAES, createSepCMAES } from './sep-cmaes.js';
export { RestartCMAES, createIPOPCMAES, createBIPOPCMAES, type RestartRegime, type RunRecord } from './restarts.js';
export { OnePlusOneES, createOnePlusOneES } from './one-plus-one.js';
export { RandomSearch, createRandomSearch } from './random-search.js';
export { SPSA, createSPSA } from './spsa.js';
export { GaussianSmoothing, createGaussianSmoothing } from './gaussian-smoothing.js';
export { NelderMead, createNelderMead } from './nelder-mead.js';
export { BoxTransform } from './bounds.js';
export { eigh, eighUpper, EighWorkspace, type Eigen } from './linalg.js';
export { sphere, ellipsoid, rosenbrock, rastrigin, testFunctions, type TestFunction } from './functions.js';
export { rankOrder } from './tell.js';
/** The strategy kit for plugin authors: see "Writing a strategy" in the README. */
export * as kit from './kit.js';
export { minimize, type MinimizeLimits, type MinimizeResult } from './minimize.js';

/** Names and one-line descriptions of the strategies this package registers. */
export const DFO_STRATEGIES: Readonly<Record<string, string>> = {
  'cma-es': 'CMA-ES with full covariance (Hansen tutorial defaults, active update, lazy eigendecomposition)',
  'sep-cma-es': 'sep-CMA-ES: diagonal covariance, linear time (Ros & Hansen 2008)',
  'ipop-cma-es': 'CMA-ES with restarts and doubling population (Auger & Hansen 2005)',
  'bipop-cma-es': 'CMA-ES with restarts alternating large and small populations (Hansen 2009)',
  'one-plus-one-es': '(1+1)-ES with the 1/5th success rule',
  'random-search': 'pure random search (uniform in the box, or Gaussian around x0)',
  spsa: "SPSA with Spall's gain sequences",
  'gaussian-smoothing': 'Gaussian-smoothing zeroth-order gradient (antithetic) with Adam',
  'nelder-mead': 'Nelder-Mead simplex with Gao & Han adaptive coefficients (low dimensions)',
};

/** Registers every strategy of this package by name. */
export function registerDfo(registry: Registry): void {
  const d = DFO_STRATEGIES as Record<string, string>;
  registry.registerStrategy('cma-es', createCMAES, d['cma-es']);
  registry.registerStrategy('sep-cma-es', createSepCMAES, d['sep-cma-es']);
  registry.registerStrategy('ipop-cma-es', createIPOPCMAES, d['ipop-cma-es']);
  registry.registerStrategy('bipop-cma-es', createBIPOPCMAES, d['bipop-cma-es']);
  registry.registerStrategy('one-plus-one-es', createOnePlusOneES, d['one-plus-one-es']);
  registry.registerStrategy('random-search', createRandomSearch, d['random-search']);
  registry.registerStrategy('spsa', createSPSA, d.spsa);
  registry.registerStrategy('gaussian-smoothing', createGaussianSmoothing, d['gaussian-smoothing']);
  registry.registerStrategy('nelder-mead', createNelderMead, d['nelder-mead']);
}
