/**
 * The in-process sweep runner: runs the cells not yet in the results file, appending each result as it
 * finishes. Stopping it (crash, Ctrl-C) and running it again resumes: finished cells are skipped.
 */
import { GdfoError } from '@gdfo/core';
import { checkJson, prepareCells, ResultsWriter, type CellConfig, type CellFunction, type JsonValue } from './cells.js';

export interface LocalSweepOptions {
  /** The JSON-lines results file (created if missing; appended to). */
  readonly resultsPath: string;
  /** Cells run at once (default 1). */
  readonly concurrency?: number;
  /** Called after each cell. */
  readonly onCell?: (event: { id: string; config: CellConfig; status: 'done' | 'skipped' | 'failed'; result?: JsonValue; error?: unknown }) => void;
  readonly signal?: AbortSignal;
}

export interface SweepSummary {
  /** Cells run now and written to the results file. */
  readonly ran: number;
  /** Cells already in the results file. */
  readonly skipped: number;
  /** Cells whose function threw (not written; a later run tries them again). */
  readonly failed: { id: string; config: CellConfig; error: string }[];
}

export async function runSweepLocally(cells: readonly CellConfig[], cellFn: CellFunction, options: LocalSweepOptions): Promise<SweepSummary> {
  if (typeof cellFn !== 'function') throw new GdfoError('BAD_OPTION', 'runSweepLocally cellFn: expected a function (config, context) => result');
  if (!options || typeof options.resultsPath !== 'string' || !options.resultsPath) throw new GdfoError('BAD_OPTION', 'runSweepLocally resultsPath: expected a file path');
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new GdfoError('BAD_OPTION', `runSweepLocally concurrency: expected an integer ≥ 1, got ${concurrency}`);
  const prepared = prepareCells(cells);
  const writer = new ResultsWriter(options.resultsPath);
  let ran = 0;
  let skipped = 0;
  const failed: { id: string; config: CellConfig; error: string }[] = [];
  const todo = prepared.filter((c) => {
    if (!writer.has(c.id)) return true;
    skipped++;
    options.onCell?.({ ...c, status: 'skipped' });
    return false;
  });
  let next = 0;
  const lane = async () => {
    while (next < todo.length) {
      if (options.signal?.aborted) return;
      const cell = todo[next++]!;
      // another process on the same results file may have finished it since this sweep started
      writer.refresh();
      if (writer.has(cell.id)) {
        skipped++;
        options.onCell?.({ ...cell, status: 'skipped' });
        continue;
      }
      try {
        const result = await cellFn(cell.config, { id: cell.id, attempt: 1 });
        checkJson(result, `result of cell ${cell.id}`);
        writer.refresh(); // first record wins: one written elsewhere meanwhile is kept, this one is not added
        writer.append({ id: cell.id, config: cell.config, result });
        ran++;
        options.onCell?.({ ...cell, status: 'done', result });
      } catch (error) {
        failed.push({ ...cell, error: error instanceof Error ? error.message : String(error) });
        options.onCell?.({ ...cell, status: 'failed', error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, todo.length)) }, lane));
  return { ran, skipped, failed };
}
