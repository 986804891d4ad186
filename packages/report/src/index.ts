/**
 * @gdfo/report — self-contained HTML reports of gdfo runs: training fitness, dev metric, CMA-ES step size,
 * surrogate agreement and gradient cosine, method comparison tables, and comparisons across runs.
 */
export { loadRun, parseEvents, parseEventLine, type RunData } from './load.js';
export { traces, summaryRows, type MethodTrace, type GenerationPoint, type SummaryRow } from './series.js';
export { renderReport, runSection, REPORT_CSS, runPlots, summaryTable, comparison, methodColor, runColor, runLabel, type ReportOptions, type RunPlots } from './html.js';
export { writeReport, type WrittenReport } from './write.js';
export {
  extent,
  quantile,
  niceStep,
  niceDomain,
  padDomain,
  linearTicks,
  linearScale,
  logTicks,
  logScale,
  logDomain,
  formatTick,
  formatValue,
  linePath,
  movingAverage,
  escapeXml,
  lineChart,
  dotChart,
  svgSheet,
  type Domain,
  type Scale,
  type Point,
  type Series,
  type ChartSpec,
  type DotGroup,
} from './svg.js';
