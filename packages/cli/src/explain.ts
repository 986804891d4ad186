/**
 * Plain sentences under the results table of `gdfo run` / `npm start`: per method, the change against the
 * manual prompt on dev and test, the teacher calls spent and where the report is; and, when no tuned method
 * beats the manual prompt, a sentence that says so and what to try next.
 */
import type { MethodResult } from '@gdfo/pipeline';

/** What the sentences need from a run (a subset of ExperimentResult and of its config). */
export interface ExplainInput {
  readonly results: readonly Pick<MethodResult, 'method' | 'metric' | 'calls' | 'evalCalls' | 'dev' | 'test'>[];
  /** The report (or, without one, the result file) the sentences point to. */
  readonly reportPath?: string;
  /** Teacher calls per method the run was given. */
  readonly budget?: number;
  readonly promptLength?: number;
  readonly strategy?: string;
}

/** Methods that tune nothing: the manual prompt and in-context demonstrations. */
const UNTUNED = new Set(['manual', 'icl']);

const fmt = (v: number) => v.toFixed(4);
const signed = (d: number) => (d >= 0 ? `+${d.toFixed(4)}` : d.toFixed(4));

function against(value: number | null, base: number | null, split: 'dev' | 'test'): string {
  if (value === null) return `no ${split} score`;
  if (base === null) return `${split} ${fmt(value)}`;
  const d = value - base;
  const how = Math.abs(d) < 5e-5 ? 'the same as the manual prompt' : d > 0 ? `${signed(d)} over the manual prompt's ${fmt(base)}` : `${signed(d)} under the manual prompt's ${fmt(base)}`;
  return `${split} ${fmt(value)} (${how})`;
}

/** One sentence per method and, when nothing beats the manual prompt, one more with what to try. */
export function explainResults(input: ExplainInput): string[] {
  const manual = input.results.find((r) => r.method === 'manual');
  const metric = input.results.find((r) => r.metric)?.metric ?? 'metric';
  const where = input.reportPath ? ` Report: ${input.reportPath}.` : '';
  const lines: string[] = [];
  for (const r of input.results) {
    const spent = `${r.calls} teacher call${r.calls === 1 ? '' : 's'} charged (${r.evalCalls} more for dev/test evaluation)`;
    if (r.method === 'manual') {
      lines.push(`manual: the hand-written prompt, the baseline the others are measured against: dev ${r.dev === null ? '-' : fmt(r.dev)}, test ${r.test === null ? '-' : fmt(r.test)} ${metric}; ${spent}.${where}`);
      continue;
    }
    const base = manual ? `${against(r.dev, manual.dev, 'dev')}, ${against(r.test, manual.test, 'test')}` : `dev ${r.dev === null ? '-' : fmt(r.dev)}, test ${r.test === null ? '-' : fmt(r.test)} (no manual prompt in this run to compare with; add manual to --methods)`;
    lines.push(`${r.method}: ${metric} ${base}; ${spent}.${where}`);
  }
  const tuned = input.results.filter((r) => !UNTUNED.has(r.method));
  if (manual && tuned.length) {
    const beats = (r: (typeof tuned)[number], split: 'dev' | 'test') => {
      const v = r[split];
      const b = manual[split];
      return v !== null && b !== null && v > b + 5e-5;
    };
    const split: 'dev' | 'test' = manual.test !== null ? 'test' : 'dev';
    const winners = tuned.filter((r) => beats(r, split));
    if (!winners.length) {
      const budget = input.budget ?? Math.max(...tuned.map((r) => r.calls));
      const tries = [
        `a larger budget (--budget ${Math.max(budget * 4, 1000)}; this run gave ${budget} calls per method, BBT uses 8000)`,
        `another prompt length (--prompt-length ${input.promptLength !== undefined && input.promptLength > 10 ? 10 : 50}${input.promptLength !== undefined ? `; this run used ${input.promptLength}` : ''})`,
        `another strategy (--strategy ${input.strategy === 'sep-cma-es' ? 'cma-es' : 'sep-cma-es'}; gdfo list shows them)`,
      ];
      lines.push(
        `No tuned method beat the manual prompt on ${split} (${fmt(manual[split]!)} ${metric}): the run worked, but found nothing better. Try ${tries[0]}, ${tries[1]}, or ${tries[2]}.`,
      );
    } else {
      const best = winners.reduce((a, b) => (b[split]! > a[split]! ? b : a));
      lines.push(`Best on ${split}: ${best.method}, ${signed(best[split]! - manual[split]!)} ${metric} over the manual prompt.`);
    }
  }
  return lines;
}
