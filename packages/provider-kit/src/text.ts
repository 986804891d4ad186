/**
 * Helpers shared by the teachers over text-only APIs (OpenAI, Hugging Face): how a request is rendered to text,
 * how class scores are read from a provider's top-k log-probabilities, and how HTTP failures become
 * `TeacherError`s without leaking secrets.
 *
 * Rendering (documented in the adapters' READMEs, exactly):
 * - the prompt text (a `DiscreteTextPrompt`'s `text`; nothing for `none`) goes before the filled template,
 *   separated by one space;
 * - the template's `{text}` / `{textB}` are the example's sentences, `{mask}` is the answer position: `___` in
 *   chat requests (the instruction names it), the model's mask token for fill-mask, and the end of the prompt
 *   for completion requests (the text after the mask is dropped: a left-to-right model cannot see it).
 */
import type { Example, Prompt, Template } from '@gdfo/spec';
import { canonicalJson, GdfoError, sha256, TeacherError } from '@gdfo/core';
import { retryAfterFromHeaders } from './headers.js';

/** The answer position in chat requests. */
export const BLANK = '___';

/** The system message of chat requests; `{words}` becomes the verbalizer words joined by ", ". */
export const DEFAULT_INSTRUCTION = 'Replace ___ in the text with the single word that fits best. Choose one of: {words}. Answer with that word only.';

/** How a verbalizer word that spans several tokens is scored from top-k log-probabilities. */
export type MultiTokenStrategy = 'first' | 'sum' | 'sequence';

export interface TopLogprob {
  readonly token: string;
  readonly logprob: number;
}

/** The prompt's text ('' for `none`); other prompt kinds are refused in one line naming `who`. */
export function promptText(prompt: Prompt, who: string): string {
  if (prompt.kind === 'none') return '';
  if (prompt.kind === 'discrete-text') {
    if (typeof prompt.text !== 'string') throw new GdfoError('BAD_PROMPT', `${who}: prompt.text must be a string`);
    return prompt.text.trim();
  }
  throw new GdfoError('BAD_PROMPT', `${who}: accepts prompt kinds none and discrete-text, got ${prompt.kind} (use a DiscretePromptSpace for text-only APIs)`);
}

/** Fills `{text}`, `{textB}` and `{mask}` in one pass (an example containing "{mask}" stays literal). */
export function fillTemplate(template: Template, example: Example, mask: string): string {
  if (!template || typeof template.text !== 'string') throw new GdfoError('BAD_REQUEST', 'score request: template.text must be a string');
  if (!template.text.includes('{mask}')) throw new GdfoError('BAD_REQUEST', `template "${template.text}": needs exactly one {mask}`);
  return template.text.replace(/\{(textB|text|mask)\}/g, (_m, key: string) => (key === 'mask' ? mask : key === 'text' ? example.text : (example.textB ?? '')));
}

function join(prefix: string, rest: string): string {
  return prefix ? `${prefix} ${rest}` : rest;
}

/** Prompt text + the template with the mask as `mask` (chat: `___`, fill-mask: the model's mask token). */
export function renderCloze(prompt: Prompt, template: Template, example: Example, mask: string, who: string): string {
  return join(promptText(prompt, who), fillTemplate(template, example, mask)).replace(/\s+/g, ' ').trim();
}

/** Prompt text + the template up to the mask, trailing spaces removed (completions: the answer comes next). */
export function renderPrefix(prompt: Prompt, template: Template, example: Example, who: string): string {
  const sentinel = '\u0000MASK\u0000';
  const full = join(promptText(prompt, who), fillTemplate(template, example, sentinel));
  return full.slice(0, full.indexOf(sentinel)).replace(/[ \t]+/g, ' ').trimEnd();
}

/** Prompt text + the template with the mask removed (text classification: there is no answer position). */
export function renderPlain(prompt: Prompt, template: Template, example: Example, who: string): string {
  return join(promptText(prompt, who), fillTemplate(template, example, '')).replace(/\s+/g, ' ').replace(/\s+([.,!?;:])/g, '$1').trim();
}

export function renderInstruction(instruction: string, words: readonly string[]): string {
  return instruction.split('{words}').join(words.join(', '));
}

/** Token → comparable form: leading whitespace and BPE/SentencePiece/WordPiece markers removed, lower case. */
export function normalizeToken(token: string): string {
  return token.replace(/^(?:\s|Ġ|▁|##)+/u, '').trim().toLowerCase();
}

/** OpenAI marks tokens outside its top 20 with -9999: not a measurement. */
function usable(lp: number): boolean {
  return Number.isFinite(lp) && lp > -9999;
}

/**
 * The floor given to a verbalizer word absent from the top-k: `floor` when given, else the smallest top-k
 * log-probability minus ln 2 (the word is less likely than every listed token; halving the smallest listed
 * probability is our estimate).
 */
export function logprobFloor(top: readonly TopLogprob[], floor?: number): number {
  if (floor !== undefined) return floor;
  let min = Infinity;
  for (const t of top) if (usable(t.logprob)) min = Math.min(min, t.logprob);
  if (!Number.isFinite(min)) throw new GdfoError('BAD_RESPONSE', 'top logprobs: none listed and no logprobFloor set');
  return min - Math.LN2;
}

/**
 * Class scores (log-probabilities) of `words` read from the top-k alternatives of the answer token.
 * A top-k token matches a word when its normalized form (see `normalizeToken`) equals the word's or is a
 * non-empty prefix of it (the word's first token when the word spans several tokens).
 * - `first`: the word's score is the log-probability of its best match — an exact match when one is listed
 *   (the most likely of its surface forms, e.g. "great" / " great" / "Great"), else the longest listed prefix.
 * - `sum`: log Σ p over every listed token that matches (all surface forms and prefixes pooled): the
 *   probability that the answer starts the way the word starts.
 * Words with no match get the floor (see `logprobFloor`).
 */
export function classScoresFromTopLogprobs(
  top: readonly TopLogprob[],
  words: readonly string[],
  options: { strategy?: 'first' | 'sum'; floor?: number } = {},
): Float64Array {
  const strategy = options.strategy ?? 'first';
  const norm = top.map((t) => ({ n: normalizeToken(t.token), raw: t.token, lp: t.logprob })).filter((t) => t.n !== '' && usable(t.lp));
  const out = new Float64Array(words.length);
  let floor: number | undefined;
  words.forEach((word, c) => {
    const w = normalizeToken(word);
    const matches = norm.filter((t) => t.n === w || w.startsWith(t.n));
    if (!matches.length) {
      out[c] = floor ??= logprobFloor(top, options.floor);
      return;
    }
    if (strategy === 'sum') {
      const seen = new Set<string>();
      const lps: number[] = [];
      for (const m of matches) {
        if (seen.has(m.raw)) continue;
        seen.add(m.raw);
        lps.push(m.lp);
      }
      out[c] = logSumExp(lps);
      return;
    }
    const exact = matches.filter((m) => m.n === w);
    const pool = exact.length ? exact : matches.filter((m) => m.n.length === Math.max(...matches.map((x) => x.n.length)));
    out[c] = Math.max(...pool.map((m) => m.lp));
  });
  return out;
}

export function logSumExp(values: readonly number[]): number {
  const m = Math.max(...values);
  if (!Number.isFinite(m)) return m;
  let s = 0;
  for (const v of values) s += Math.exp(v - m);
  return m + Math.log(s);
}

/** Replaces every occurrence of each secret (API keys, tokens) by `[redacted]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

export interface HttpFailure {
  /** Who failed, e.g. "openai gpt-4o-mini". */
  who: string;
  status?: number;
  /** Response headers, when there was a response. */
  header?: (name: string) => string | null | undefined;
  /** The provider's message (will be redacted and put on one line). */
  message?: string;
  secrets: readonly (string | undefined)[];
  nowMs?: number;
}

/**
 * A provider's HTTP failure as a one-line `TeacherError`: `status`, retryable for 408/409/429/5xx, and
 * `retryAfterMs` from `retry-after-ms`, `Retry-After` or exhausted `x-ratelimit-*` headers. Secrets are redacted
 * and no raw request (which holds the Authorization header) is kept as `cause`.
 */
export function httpTeacherError(f: HttpFailure): TeacherError {
  const retryAfterMs = f.header ? retryAfterFromHeaders(f.header, f.nowMs) : undefined;
  const detail = redact((f.message ?? '').replace(/\s+/g, ' ').trim(), f.secrets).slice(0, 300);
  const status = f.status;
  const retryable = status === 408 || status === 409 || status === 429 || (status ?? 0) >= 500;
  return new TeacherError(`${f.who}: HTTP ${status ?? '?'}${detail ? ` — ${detail}` : ''}`, {
    ...(status !== undefined ? { status } : {}),
    retryable,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    code: status === 429 ? 'RATE_LIMITED' : 'HTTP_ERROR',
  });
}

/** A body that is not what the protocol promises; `retryable` for unparsable bodies (often a cut connection). */
export function badResponse(who: string, what: string, retryable: boolean, secrets: readonly (string | undefined)[] = []): TeacherError {
  return new TeacherError(`${who}: malformed response — ${redact(what.replace(/\s+/g, ' '), secrets).slice(0, 300)}`, { retryable, code: 'BAD_RESPONSE' });
}

/** A request that timed out (retryable): `${who}: HTTP request timed out after ${ms} ms`. */
export function requestTimedOut(who: string, ms: number): TeacherError {
  return new TeacherError(`${who}: HTTP request timed out after ${ms} ms`, { retryable: true, code: 'TIMEOUT' });
}

/** A request the caller aborted (not retryable: nobody waits for it any more). */
export function requestAborted(who: string): TeacherError {
  return new TeacherError(`${who}: request aborted`, { retryable: false, code: 'ABORTED' });
}

/** No HTTP answer at all (refused, reset, DNS): retryable; the message is the cause's, secrets redacted. */
export function connectionFailed(who: string, err: unknown, secrets: readonly (string | undefined)[]): TeacherError {
  const e = err as (Error & { cause?: unknown }) | undefined;
  return new TeacherError(`${who}: connection failed — ${redact(String((e?.cause as Error | undefined)?.message ?? e?.message ?? err), secrets)}`, {
    retryable: true,
    code: 'CONNECTION',
  });
}

/**
 * Any other failure of a request: a body that is not JSON (often a cut connection) is a retryable
 * `BAD_RESPONSE`; anything else is not retryable. Secrets are redacted; `err` is not kept as `cause`.
 */
export function requestFailed(who: string, err: unknown, secrets: readonly (string | undefined)[]): TeacherError {
  const e = err as Error | undefined;
  if (e?.name === 'SyntaxError') return badResponse(who, `body is not JSON (${e.message})`, true, secrets);
  return new TeacherError(`${who}: ${redact(String(e?.message ?? err), secrets)}`, { retryable: false });
}

/**
 * A teacher id that names everything its scores depend on: `<prefix>#<12 hex digits of the settings' hash>`
 * (the id is part of every cache key, so changing a scoring setting never reuses old answers).
 */
export function settingsId(prefix: string, settings: unknown): string {
  return `${prefix}#${sha256(canonicalJson(settings)).slice(0, 12)}`;
}

/** Price table lookup: one table for every model, or one per model id. */
export function costOf(
  prices: { promptPer1k: number; completionPer1k: number } | Readonly<Record<string, { promptPer1k: number; completionPer1k: number }>> | undefined,
  model: string,
  usage: { promptTokens: number; completionTokens: number },
): number {
  if (!prices) return 0;
  const p = 'promptPer1k' in prices && typeof prices.promptPer1k === 'number' ? (prices as { promptPer1k: number; completionPer1k: number }) : (prices as Record<string, { promptPer1k: number; completionPer1k: number }>)[model];
  if (!p) throw new GdfoError('BAD_OPTION', `priceTable: no prices for model "${model}" (give { promptPer1k, completionPer1k } or a table keyed by model id)`);
  return (usage.promptTokens * p.promptPer1k + usage.completionTokens * p.completionPer1k) / 1000;
}
