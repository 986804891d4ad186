import { Subject } from 'rxjs';
import type { RunEvent } from '@gdfo/spec';
import { attachProgress, formatDuration, progressLine } from './progress.js';

const gen = (generation: number, calls: number, bestFitness: number): RunEvent => ({
  specVersion: '1.0', type: 'generation', time: 0, runId: 'r', generation, calls, bestFitness, meanFitness: bestFitness,
});

describe('progress display', () => {
  it('formats the bar with percentage, best, dev and an ETA from the elapsed time', () => {
    expect(progressLine({ label: 'gdfo', calls: 50, budget: 200, best: 0.5, dev: 0.75, elapsedMs: 30_000, width: 8 })).toBe(
      'gdfo [##------]  25% calls 50/200 best 0.5000 dev 0.7500 eta 1:30',
    );
    expect(formatDuration(3_726_000)).toBe('1:02:06');
    expect(formatDuration(NaN)).toBe('--:--');
  });

  it('prints plain lines every n generations when not a TTY, JSON lines with --json, nothing with --quiet', () => {
    for (const mode of ['lines', 'json', 'quiet'] as const) {
      const out: string[] = [];
      const s = new Subject<RunEvent>();
      let t = 0;
      attachProgress(s, { mode, budget: 100, label: 'bbt', write: (x) => out.push(x), now: () => (t += 1000), every: 2 });
      for (let g = 0; g < 4; g++) s.next(gen(g, (g + 1) * 20, 1 / (g + 1)));
      if (mode === 'lines') {
        expect(out).toHaveLength(2);
        expect(out[0]).toMatch(/^bbt \[.*\] {2}20% calls 20\/100 best 1\.0000 dev - eta/);
      } else if (mode === 'json') {
        expect(out).toHaveLength(4);
        expect(JSON.parse(out[3]!)).toMatchObject({ type: 'generation', calls: 80 });
      } else expect(out).toHaveLength(0);
    }
  });
});
