/**
 * `bench fewshot` over algorithm seeds other than 42 on ../shared/data, which ships only the seed-42 split:
 * the seeds are algorithm seeds (CMA-ES, projection, student), the data split stays seed 42, so planning the
 * cells must not look for a seed-7 folder. Fails (does not skip) when the data folder is missing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './fewshot.js';

describe('bench fewshot on the shipped seed-42 split', () => {
  it('plans cells for seeds 7 and 13 (algorithm seeds) without a seed-7 data folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-fewshot-seeds-'));
    const lines: string[] = [];
    const { log, error } = console;
    console.log = (s: unknown) => void lines.push(String(s));
    console.error = () => undefined;
    try {
      await run(['--tasks', 'agnews', '--methods', 'manual,bbt', '--seeds', '7,13', '--results', dir, '--jobs', '1', '--estimate-only']);
    } finally {
      console.log = log;
      console.error = error;
      rmSync(dir, { recursive: true, force: true });
    }
    const out = JSON.parse(lines[lines.length - 1]!) as { cells: number; pending: number; setting: { seeds: number[] }; estimated_hours: number };
    expect(out.cells).toBe(4);
    expect(out.pending).toBe(4);
    expect(out.setting.seeds).toEqual([7, 13]);
    // the estimate uses the seed-42 split's sizes (64 training, 7,600 test examples): more than nothing
    expect(out.estimated_hours).toBeGreaterThan(0);
  }, 120_000);
});
