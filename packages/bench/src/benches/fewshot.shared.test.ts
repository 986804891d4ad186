/**
 * `bench fewshot` over algorithm seeds other than 42 on ../shared/data, which ships only the seed-42 split:
 * the seeds are algorithm seeds (CMA-ES, projection, student), the data split stays seed 42, so planning the
 * cells must not look for a seed-7 folder. Fails (does not skip) when the data folder is missing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './fewshot.js';

/** Runs the bench with its progress silenced; resolves to its stdout lines. */
async function quiet(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (s: unknown) => void lines.push(String(s));
  console.error = () => undefined;
  try {
    await run(args);
  } finally {
    console.log = log;
    console.error = error;
  }
  return lines;
}

describe('bench fewshot on the shipped seed-42 split', () => {
  it('plans cells for seeds 7 and 13 (algorithm seeds) without a seed-7 data folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-fewshot-seeds-'));
    let lines: string[];
    try {
      lines = await quiet(['--tasks', 'agnews', '--methods', 'manual,bbt', '--seeds', '7,13', '--results', dir, '--jobs', '1', '--estimate-only']);
    } finally {
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

/**
 * `bench fewshot --import`: a results folder rebuilt from a committed record (docs/results/fewshot-rte.json,
 * 15 cells over three seeds) reports the same table as the record — the per-task means and stds, GDFO − BBT,
 * and the search evidence, which travels with the imported cells since their run directories are not here.
 */
const recordPath = join(process.cwd(), 'docs/results/fewshot-rte.json');

describe('bench fewshot --import', () => {
  it('rebuilds the committed RTE record\'s summary from the record alone, and imports each cell once', async () => {
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as { summary: Record<string, unknown> };
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-fewshot-import-'));
    try {
      const args = ['--tasks', 'rte', '--methods', 'manual,bbt,gdfo,gdfo-mean-shift,bbtv2', '--seeds', '42,7,13', '--results', dir, '--report-only'];
      const first = await quiet([...args, '--import', recordPath]);
      const s = JSON.parse(first[first.length - 1]!) as Record<string, unknown>;
      for (const k of ['cells', 'per_task', 'per_task_std', 'gdfo_minus_bbt_points', 'gdfo_minus_bbt_points_std', 'calls_to_bbt_final', 'search', 'missing']) {
        expect([k, s[k]]).toEqual([k, record.summary[k]]);
      }
      expect(s.missing).toEqual([]);
      // a second import adds nothing: the results file holds each cell once
      await quiet([...args, '--import', recordPath]);
      expect(readFileSync(join(dir, 'fewshot.jsonl'), 'utf8').trim().split('\n')).toHaveLength(15);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('bench fewshot --jobs 1', () => {
  it('says on stderr when each cell starts and ends, as the --jobs children do, and records the cell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-fewshot-one-'));
    const errors: string[] = [];
    const { log, error } = console;
    console.log = () => undefined;
    console.error = (s: unknown) => void errors.push(String(s));
    try {
      await run(['--tasks', 'rte', '--methods', 'manual', '--seeds', '42', '--results', dir, '--jobs', '1']);
    } finally {
      console.log = log;
      console.error = error;
    }
    try {
      const started = errors.filter((l) => /^fewshot: rte\/manual\/42 started \(\d\d:\d\d:\d\d\)$/.test(l));
      const done = errors.filter((l) => /^fewshot: rte\/manual\/42 done in \d+(\.\d+)? s: test accuracy 0\.\d{4}$/.test(l));
      expect([started.length, done.length]).toEqual([1, 1]);
      expect(readFileSync(join(dir, 'fewshot.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
