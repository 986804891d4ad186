/**
 * The strategy kit: what the built-in strategies are made of, for plugin authors (`import { kit } from
 * '@gdfo/dfo'`). Extend `StrategyBase` and read options with `OptionReader` to get the built-ins' option checks,
 * `tell` checks, counters, best-so-far, budget stops and validated state header / counters / best / rng, with
 * the same one-line `GdfoError` codes: `BAD_OPTION` (options), `BAD_ARGUMENT` (ask / tell / setMean
 * arguments), `BAD_STATE` (restore). See "Writing a strategy" in the package README.
 */
export { SPEC_VERSION, BestTracker, PointStrategy, StrategyBase } from './base.js';
export {
  OptionReader,
  checkCommon,
  checkNumber,
  checkPopSize,
  optionError,
  type NumberRule,
} from './options.js';
export { checkAskCount, checkTell, rankOrder } from './tell.js';
export {
  clipInto,
  gaussianAround,
  isFiniteBox,
  resolveBounds,
  resolveSigma0,
  resolveX0,
  uniformIn,
  type Box,
} from './box.js';
export {
  bestField,
  checkHeader,
  field,
  isArrayOf,
  isF64,
  isNum,
  numberField,
  optionalNumberField,
  restoreRng,
  rowsField,
  sameNumberField,
  stateError,
  stateHeader,
  vectorField,
} from './state.js';
export {
  askPairs,
  checkPairCount,
  checkPairPopSize,
  pointPair,
  visitToldPairs,
  type PointPair,
} from './pairs.js';
export { extent, flatten, isFloat64Array, median, sameVector, unflatten } from './vectors.js';
