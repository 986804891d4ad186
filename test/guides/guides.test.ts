/**
 * Every code block in docs/guides is run: each ```ts block starts with `// file: <path>` naming a file of the
 * repository; the block must equal that file (an example here whose `main()` is executed below, or a source
 * file that its own tests run — then the marker line is the block's only addition).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main as composeAHybrid } from './compose-a-hybrid.example.js';
import { main as serveLmaas } from './serve-lmaas.example.js';
import { main as scaleOutPool } from './scale-out-pool.example.js';
import { main as scaleOutSweep, cells as sweepCells } from './scale-out-sweep.example.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function codeBlocks(md: string): string[] {
  return [...md.matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('guides', () => {
  const guides = readdirSync(join(root, 'docs', 'guides')).filter((f) => f.endsWith('.md'));

  it.each(guides)('every TypeScript block of %s is an example file that exists verbatim', (guide) => {
    for (const block of codeBlocks(readFileSync(join(root, 'docs', 'guides', guide), 'utf8'))) {
      const m = /^\/\/ file: (\S+)/.exec(block);
      expect(m).not.toBeNull();
      const file = readFileSync(join(root, m![1]!), 'utf8');
      expect(file.startsWith('// file: ') ? file : `// file: ${m![1]!}\n${file}`).toBe(block);
    }
  });

  it('compose-a-hybrid: the line-search harmonizer and the custom chain run within budget', async () => {
    const { result, generationsSeen } = await composeAHybrid();
    expect(result.calls).toBe(300);
    expect(generationsSeen).toHaveLength(30);
    expect(result.test).toBeGreaterThan(0.75);
    expect(result.agreement.some((a) => a.spearman > 0.3)).toBe(true);
  });

  it('scale-out: a pool of two worker threads gives the serial run exactly; a local sweep resumes from its results file', async () => {
    const { serial, pooled, perReplica } = await scaleOutPool();
    expect(pooled.bestZ).toEqual(serial.bestZ);
    expect(pooled.test).toBe(serial.test);
    expect(pooled.calls).toBe(200);
    expect(perReplica.every((n) => n > 0)).toBe(true); // both threads served (the split depends on timing)
    const results = join(mkdtempSync(join(tmpdir(), 'gdfo-guide-sweep-')), 'results.jsonl');
    expect(await scaleOutSweep(results)).toEqual({ ran: sweepCells.length, skipped: 0, failed: [] });
    expect(await scaleOutSweep(results)).toEqual({ ran: 0, skipped: sweepCells.length, failed: [] });
    const lines = readFileSync(results, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { result: { calls: number; test: number } });
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l.result.calls).toBe(100);
  }, 60_000);

  it('serve-lmaas: the HTTP teacher gives the in-process logits and refuses a wrong token', async () => {
    const { same, refused } = await serveLmaas();
    expect(same).toBe(true);
    expect(refused).toBe('lmaas 401: missing or invalid bearer token');
  });
});
