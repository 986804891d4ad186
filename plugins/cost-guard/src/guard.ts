/**
 * A teacher middleware that guards spend: it estimates each request's prompt tokens before the call, refuses
 * a request above a per-call cap or one that would push the total spend over a cap, and keeps a ledger of
 * what was spent (calls, tokens, dollars, by purpose), optionally logged as JSON lines and persisted so that
 * a resumed run keeps counting from where it stopped.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Prompt, ScoreRequest, ScoreResult, Teacher, TeacherMiddleware } from '@gdfo/spec';
import { GdfoError, systemClock, TeacherError, writeFileAtomic, type Clock } from '@gdfo/core';

export interface CostGuardOptions {
  /** Refuse a request whose estimated prompt tokens exceed this (default: no cap). */
  maxPromptTokensPerCall?: number;
  /** Refuse a call when the spend so far plus this call's estimated cost would exceed this many dollars. */
  maxTotalUsd?: number;
  /** Price of a million prompt tokens, for the estimate and when the provider reports no cost (default 0). */
  usdPerMillionPromptTokens?: number;
  /** Price of a million completion tokens (default 0). */
  usdPerMillionCompletionTokens?: number;
  /** Characters per token for the estimate (default 4, the usual figure for English BPE vocabularies). */
  charsPerToken?: number;
  /** Append one JSON line per call (and per refusal) to this file. */
  logFile?: string;
  /** Keep the ledger in this JSON file (read at start, rewritten atomically after each call). */
  ledgerFile?: string;
  /** Write a one-line spend summary to stderr every this many calls (0 = never, the default). */
  summaryEvery?: number;
  /** Clock for log timestamps (tests). */
  clock?: Clock;
  /** Where summaries go (default process.stderr). */
  write?: (line: string) => void;
}

type Purpose = ScoreRequest['purpose'];

export interface Spend {
  calls: number;
  cachedCalls: number;
  refused: number;
  estimatedPromptTokens: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface SpendSummary extends Spend {
  byPurpose: Record<Purpose, Spend>;
}

const KNOWN = [
  'maxPromptTokensPerCall',
  'maxTotalUsd',
  'usdPerMillionPromptTokens',
  'usdPerMillionCompletionTokens',
  'charsPerToken',
  'logFile',
  'ledgerFile',
  'summaryEvery',
] as const;

const emptySpend = (): Spend => ({ calls: 0, cachedCalls: 0, refused: 0, estimatedPromptTokens: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });

/** Estimated prompt tokens the prompt adds to one example. */
function promptTokens(prompt: Prompt, charsPerToken: number): number {
  switch (prompt.kind) {
    case 'none':
      return 0;
    case 'discrete-text':
      return Math.ceil(prompt.text.length / charsPerToken);
    case 'continuous-shallow':
      // 'add' adds the prompt onto existing positions; 'cat' inserts `length` positions.
      return prompt.mode === 'cat' ? prompt.length : 0;
    case 'continuous-deep':
      return prompt.length;
    default:
      return 0;
  }
}

/** Estimated prompt tokens of a whole request: each example's filled template plus the prompt. */
export function estimatePromptTokens(request: ScoreRequest, charsPerToken = 4): number {
  const perPrompt = promptTokens(request.prompt, charsPerToken);
  const template = request.template.text;
  let total = 0;
  for (const ex of request.examples) {
    const filled = template.replace('{text}', ex.text).replace('{textB}', ex.textB ?? '').replace('{mask}', '');
    // The mask is one token.
    total += Math.ceil(filled.length / charsPerToken) + 1 + perPrompt;
  }
  return total;
}

function checkOptions(o: Readonly<Record<string, unknown>>): void {
  for (const k of Object.keys(o)) {
    if (!(KNOWN as readonly string[]).includes(k) && k !== 'clock' && k !== 'write') {
      throw new GdfoError('BAD_OPTION', `middleware cost-guard: unknown option "${k}"; expected one of ${KNOWN.join(', ')}`);
    }
  }
  const positive = ['maxPromptTokensPerCall', 'charsPerToken'];
  const nonNegative = ['maxTotalUsd', 'usdPerMillionPromptTokens', 'usdPerMillionCompletionTokens', 'summaryEvery'];
  for (const k of [...positive, ...nonNegative]) {
    const v = o[k];
    if (v === undefined) continue;
    const ok = typeof v === 'number' && Number.isFinite(v) && (positive.includes(k) ? v > 0 : v >= 0);
    if (!ok) throw new GdfoError('BAD_OPTION', `middleware cost-guard: option "${k}" must be a ${positive.includes(k) ? 'positive' : 'non-negative'} number, got ${JSON.stringify(v)}`);
  }
  for (const k of ['logFile', 'ledgerFile']) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new GdfoError('BAD_OPTION', `middleware cost-guard: option "${k}" must be a file path, got ${JSON.stringify(v)}`);
  }
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtUsd = (n: number) => `$${n.toFixed(4)}`;

export class CostGuard {
  private total: Spend = emptySpend();
  private byPurpose: Record<Purpose, Spend> = { train: emptySpend(), dev: emptySpend(), test: emptySpend() };
  private readonly charsPerToken: number;
  private readonly clock: Clock;
  private readonly write: (line: string) => void;

  constructor(readonly options: CostGuardOptions = {}) {
    checkOptions(options as Record<string, unknown>);
    this.charsPerToken = options.charsPerToken ?? 4;
    this.clock = options.clock ?? systemClock;
    this.write = options.write ?? ((line) => process.stderr.write(line + '\n'));
    if (options.ledgerFile && existsSync(options.ledgerFile)) this.loadLedger(options.ledgerFile);
  }

  /** The middleware: wrap a teacher with the guard. */
  readonly middleware: TeacherMiddleware = (inner: Teacher): Teacher => ({
    specVersion: inner.specVersion,
    info: inner.info,
    score: (request, callOptions) => this.score(inner, request, callOptions),
    ...(inner.close ? { close: () => inner.close!() } : {}),
  });

  /** A copy of the ledger. */
  spend(): SpendSummary {
    return { ...this.total, byPurpose: { train: { ...this.byPurpose.train }, dev: { ...this.byPurpose.dev }, test: { ...this.byPurpose.test } } };
  }

  /** One line: calls, tokens and dollars so far. */
  summary(): string {
    const t = this.total;
    return `cost-guard: ${t.calls} calls (${t.cachedCalls} cached, ${t.refused} refused), ~${fmtInt(t.estimatedPromptTokens)} prompt tokens estimated, ${fmtInt(t.promptTokens)} prompt + ${fmtInt(t.completionTokens)} completion tokens, ${fmtUsd(t.costUsd)}`;
  }

  private estimateUsd(tokens: number): number {
    return (tokens * (this.options.usdPerMillionPromptTokens ?? 0)) / 1e6;
  }

  private async score(inner: Teacher, request: ScoreRequest, callOptions?: Parameters<Teacher['score']>[1]): Promise<ScoreResult> {
    const estimate = estimatePromptTokens(request, this.charsPerToken);
    const cap = this.options.maxPromptTokensPerCall;
    const bucket = this.byPurpose[request.purpose];
    if (cap !== undefined && estimate > cap) {
      this.total.refused++;
      bucket.refused++;
      this.log({ event: 'refused', purpose: request.purpose, examples: request.examples.length, estimatedPromptTokens: estimate, reason: 'maxPromptTokensPerCall' });
      this.saveLedger();
      throw new TeacherError(
        `cost-guard: a ${request.purpose} request of ~${fmtInt(estimate)} prompt tokens (${request.examples.length} examples) exceeds maxPromptTokensPerCall ${fmtInt(cap)}`,
        { retryable: false, code: 'COST_GUARD' },
      );
    }
    const maxUsd = this.options.maxTotalUsd;
    if (maxUsd !== undefined) {
      const next = this.total.costUsd + this.estimateUsd(estimate);
      if (next > maxUsd) {
        this.total.refused++;
        bucket.refused++;
        this.log({ event: 'refused', purpose: request.purpose, examples: request.examples.length, estimatedPromptTokens: estimate, reason: 'maxTotalUsd' });
        this.saveLedger();
        throw new TeacherError(
          `cost-guard: this ${request.purpose} call would bring the spend to ~${fmtUsd(next)}, above maxTotalUsd ${fmtUsd(maxUsd)} (spent ${fmtUsd(this.total.costUsd)} in ${this.total.calls} calls)`,
          { retryable: false, code: 'COST_GUARD' },
        );
      }
    }
    const result = await inner.score(request, callOptions);
    const cached = result.cached === true;
    const usage = result.usage ?? {};
    const prompt = cached ? 0 : (usage.promptTokens ?? estimate);
    const completion = cached ? 0 : (usage.completionTokens ?? 0);
    const cost = cached
      ? 0
      : (usage.costUsd ??
        (prompt * (this.options.usdPerMillionPromptTokens ?? 0) + completion * (this.options.usdPerMillionCompletionTokens ?? 0)) / 1e6);
    for (const s of [this.total, bucket]) {
      s.calls++;
      if (cached) s.cachedCalls++;
      s.estimatedPromptTokens += estimate;
      s.promptTokens += prompt;
      s.completionTokens += completion;
      s.costUsd += cost;
    }
    this.log({ event: 'call', purpose: request.purpose, examples: request.examples.length, cached, estimatedPromptTokens: estimate, promptTokens: prompt, completionTokens: completion, costUsd: cost, totalUsd: this.total.costUsd });
    this.saveLedger();
    const every = this.options.summaryEvery ?? 0;
    if (every > 0 && this.total.calls % every === 0) this.write(this.summary());
    return result;
  }

  private log(entry: Record<string, unknown>): void {
    const file = this.options.logFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, JSON.stringify({ time: this.clock.now(), ...entry }) + '\n');
  }

  private saveLedger(): void {
    const file = this.options.ledgerFile;
    if (file) writeFileAtomic(file, JSON.stringify({ format: 'gdfo-cost-guard/1', total: this.total, byPurpose: this.byPurpose }, null, 2) + '\n');
  }

  private loadLedger(file: string): void {
    let raw: { format?: string; total?: Spend; byPurpose?: Record<Purpose, Spend> };
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
    } catch (err) {
      throw new GdfoError('BAD_LEDGER', `middleware cost-guard: ledger ${file} is not valid JSON: ${(err as Error).message.split('\n')[0]}`);
    }
    if (raw.format !== 'gdfo-cost-guard/1' || !raw.total || !raw.byPurpose) {
      throw new GdfoError('BAD_LEDGER', `middleware cost-guard: ${file} is not a cost-guard ledger (format ${JSON.stringify(raw.format)}, expected "gdfo-cost-guard/1")`);
    }
    this.total = { ...emptySpend(), ...raw.total };
    for (const p of ['train', 'dev', 'test'] as const) this.byPurpose[p] = { ...emptySpend(), ...raw.byPurpose[p] };
  }
}

/** The middleware with its guard attached (`mw.guard.spend()`), as the registry factory returns it. */
export type CostGuardMiddleware = TeacherMiddleware & { readonly guard: CostGuard };

export function costGuard(options: CostGuardOptions = {}): CostGuardMiddleware {
  const guard = new CostGuard(options);
  return Object.assign((inner: Teacher) => guard.middleware(inner), { guard });
}
