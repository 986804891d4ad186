import { explainResults } from './explain.js';
import { formatResults } from './experiment.js';

const row = (method: string, calls: number, dev: number | null, test: number | null) => ({ method, metric: 'accuracy' as const, calls, evalCalls: 7, dev, test });

describe('explainResults', () => {
  it('says, per method, the change against the manual prompt on dev and test, the calls and the report', () => {
    const lines = explainResults({
      results: [row('manual', 0, 0.5, 0.6), row('bbt', 200, 0.625, 0.55), row('gdfo', 200, 0.5, 0.7)],
      reportPath: 'runs/x/report.html',
      budget: 200,
    });
    expect(lines).toEqual([
      'manual: the hand-written prompt, the baseline the others are measured against: dev 0.5000, test 0.6000 accuracy; 0 teacher calls charged (7 more for dev/test evaluation). Report: runs/x/report.html.',
      "bbt: accuracy dev 0.6250 (+0.1250 over the manual prompt's 0.5000), test 0.5500 (-0.0500 under the manual prompt's 0.6000); 200 teacher calls charged (7 more for dev/test evaluation). Report: runs/x/report.html.",
      'gdfo: accuracy dev 0.5000 (the same as the manual prompt), test 0.7000 (+0.1000 over the manual prompt\'s 0.6000); 200 teacher calls charged (7 more for dev/test evaluation). Report: runs/x/report.html.',
      'Best on test: gdfo, +0.1000 accuracy over the manual prompt.',
    ]);
  });

  it('says so when nothing beats the manual prompt, and suggests budget, prompt length and strategy', () => {
    const lines = explainResults({ results: [row('manual', 0, 0.5, 0.6), row('bbt', 200, 0.7, 0.6), row('gdfo', 200, 0.4, 0.5)], budget: 200, promptLength: 50, strategy: 'cma-es' });
    expect(lines).toHaveLength(4);
    const last = lines[3]!;
    expect(last).toMatch(/^No tuned method beat the manual prompt on test \(0\.6000 accuracy\)/);
    expect(last).toContain('--budget 1000; this run gave 200 calls per method');
    expect(last).toContain('--prompt-length 10; this run used 50');
    expect(last).toContain('--strategy sep-cma-es');
    expect(lines.some((l) => l.startsWith('Best on'))).toBe(false);
  });

  it('without a manual prompt, gives the scores and says how to get the baseline', () => {
    const lines = explainResults({ results: [row('bbt', 60, 0.8, 0.9)] });
    expect(lines).toEqual(['bbt: accuracy dev 0.8000, test 0.9000 (no manual prompt in this run to compare with; add manual to --methods); 60 teacher calls charged (7 more for dev/test evaluation).']);
  });
});

describe('formatResults', () => {
  it('prints the sentences under the table', () => {
    const text = formatResults({
      runDir: '/tmp/run-a',
      backend: 'wasm',
      results: [row('manual', 0, 0.5, 0.5), row('bbt', 100, 0.5, 0.4)] as never,
      reportPath: '/tmp/run-a/report.html',
    });
    const lines = text.split('\n');
    expect(lines[2]).toMatch(/^manual\s+0\s+0\.5000\s+0\.5000$/);
    const blank = lines.indexOf('');
    expect(lines.slice(blank - 3, blank)).toEqual(['backend: wasm', 'result: /tmp/run-a/result.json', 'report: /tmp/run-a/report.html']);
    expect(lines[blank + 1]).toMatch(/^manual: the hand-written prompt/);
    expect(lines[blank + 2]).toMatch(/^bbt: accuracy dev 0\.5000 \(the same as the manual prompt\), test 0\.4000 \(-0\.1000 under .*Report: \/tmp\/run-a\/report\.html\.$/);
    expect(lines[blank + 3]).toMatch(/^No tuned method beat the manual prompt on test/);
  });
});
