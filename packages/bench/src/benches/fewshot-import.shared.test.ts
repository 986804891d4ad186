/**
 * `bench fewshot --import`: a results folder rebuilt from a committed record (docs/results/fewshot-rte.json,
 * 15 cells over three seeds) reports the same table as the record — the per-task means and stds, GDFO − BBT,
 * and the search evidence, which travels with the imported cells since their run directories are not here.
 * Needs ../shared/data (the task sizes); fails, does not skip, without it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './fewshot.js';

const recordPath = join(process.cwd(), 'docs/results/fewshot-rte.json');

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
