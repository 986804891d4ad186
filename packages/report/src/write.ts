/** Loading run directories and writing their report atomically. */
import { writeFileAtomic } from '@gdfo/core';
import { GdfoError } from '@gdfo/core';
import { renderReport, type ReportOptions } from './html.js';
import { loadRun } from './load.js';

export interface WrittenReport {
  /** Where the report was written. */
  readonly path: string;
  readonly bytes: number;
  readonly runs: number;
}

/** Renders the runs in `runDirs` into one self-contained HTML file at `outPath` (temp file, fsync, rename). */
export function writeReport(runDirs: readonly string[], outPath: string, options: ReportOptions & { names?: readonly string[] } = {}): WrittenReport {
  if (!runDirs.length) throw new GdfoError('BAD_RUN', 'report: expected at least one run directory');
  // `names`: headings for the runs instead of their directories' base names (e.g. a benchmark's cell names).
  const runs = runDirs.map((d, i) => {
    const run = loadRun(d);
    const name = options.names?.[i];
    return name ? { ...run, name } : run;
  });
  const html = renderReport(runs, options);
  writeFileAtomic(outPath, html);
  return { path: outPath, bytes: Buffer.byteLength(html), runs: runs.length };
}
