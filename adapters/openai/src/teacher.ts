/**
 * A gdfo `Teacher` over the official `openai` SDK: class scores are the log-probabilities of the verbalizer
 * words at the answer position, read from `logprobs` / `top_logprobs`. Works with api.openai.com and with any
 * OpenAI-compatible server (vLLM, llama.cpp server, TGI) through `baseURL`.
 *
 * Endpoints:
 * - `chat` (default): one request per example, `max_tokens: 1, temperature: 0, logprobs: true,
 *   top_logprobs: k`, messages = [system: the instruction, user: the prompt text + the filled template with
 *   `___` at the mask]; the scores come from the top-k alternatives of the first answer token.
 * - `completions` (legacy; base models): the prompt text + the template up to the mask; batches of
 *   `batchSize` prompts per request, `max_tokens: 1, temperature: 0, logprobs: k`; scores from the first
 *   generated token's top-k. With `multiToken: 'sequence'` each (example, word) pair is sent as prefix + " " +
 *   word with `echo: true` and the word's tokens' log-probabilities are summed: exact for words of several
 *   tokens, C requests' worth of tokens per example.
 *
 * The SDK's own retries are off (`maxRetries: 0` by default): the retry middleware of `createRemoteTeacher`
 * is the one place that retries, so a request is never counted twice. The SDK is given the API key and an
 * explicit baseURL, organization and project, so it reads nothing from the environment; the key never
 * appears in `info`, in errors (redacted) or in anything this teacher returns.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ScoreRequest, Teacher } from '@gdfo/spec';
import { GdfoError, positiveIntOption, systemClock, TeacherError, type Clock, type PriceTable } from '@gdfo/core';
import {
  badResponse,
  BLANK,
  chatMessages,
  chatRow,
  classScoresFromTopLogprobs,
  connectionFailed,
  costOf,
  createRowTeacher,
  DEFAULT_INSTRUCTION,
  httpTeacherError,
  PartialResults,
  renderCloze,
  renderPrefix,
  requestAborted,
  requestFailed,
  RequestLimiter,
  requestTimedOut,
  settingsId,
  tokenUsage,
  type MultiTokenStrategy,
  type RowJob,
  type RowJobResult,
} from '@gdfo/provider-kit';

export interface OpenAITeacherOptions {
  /** The API key (the CLI reads it from an environment variable; nothing here does). */
  readonly apiKey: string;
  /** Default https://api.openai.com/v1; any OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1. */
  readonly baseURL?: string;
  readonly model: string;
  /** Default 'chat'. */
  readonly endpoint?: 'chat' | 'completions';
  /** A fetch implementation (tests, proxies). */
  readonly fetch?: typeof fetch;
  /** HTTP requests in flight within one teacher call (default 4). */
  readonly concurrency?: number;
  /** HTTP requests started per minute (the provider's RPM limit; default unlimited). */
  readonly rpm?: number;
  /** The SDK's own retries (default 0: let gdfo's retry middleware retry). */
  readonly maxRetries?: number;
  /** Time limit of one HTTP request, ms (default 60 000). */
  readonly timeoutMs?: number;
  /** Dollars per 1,000 tokens, for every model or keyed by model id. */
  readonly priceTable?: PriceTable | Readonly<Record<string, PriceTable>>;
  /** Score of a word absent from the top-k; default: the smallest top-k log-probability − ln 2. */
  readonly logprobFloor?: number;
  /** Multi-token words: 'first' (default), 'sum', or 'sequence' (completions endpoint with echo). */
  readonly multiToken?: MultiTokenStrategy;
  /** Alternatives requested per position (default 20 for chat, 5 for completions). */
  readonly topLogprobs?: number;
  /** Chat system message; `{words}` is replaced by the verbalizer words. '' sends no system message. */
  readonly instruction?: string;
  /** Completions endpoint: prompts per request (default 16). */
  readonly batchSize?: number;
  /**
   * Keep the rows of calls that have not succeeded yet on disk here (default: in memory only), so that after a
   * crash the resumed run does not pay again for examples already fetched. Holds scores and token counts only.
   */
  readonly partialsDir?: string;
  /** Teacher id (default `openai:<endpoint>:<model>#<hash of the scoring settings>`); part of cache keys. */
  readonly id?: string;
  /** Clock for the RPM limiter and rate-limit holds (default: the system clock). */
  readonly clock?: Clock;
}


export function createOpenAITeacher(options: OpenAITeacherOptions): Teacher {
  if (!options || typeof options.apiKey !== 'string' || options.apiKey === '') {
    throw new GdfoError('BAD_OPTION', 'createOpenAITeacher apiKey: expected a non-empty string (pass the key in; e.g. readApiKey("OPENAI_API_KEY") in the CLI)');
  }
  if (typeof options.model !== 'string' || options.model === '') throw new GdfoError('BAD_OPTION', 'createOpenAITeacher model: expected a model id such as "gpt-4o-mini"');
  const endpoint = options.endpoint ?? 'chat';
  if (endpoint !== 'chat' && endpoint !== 'completions') throw new GdfoError('BAD_OPTION', `createOpenAITeacher endpoint: expected 'chat' or 'completions', got ${String(endpoint)}`);
  const multiToken = options.multiToken ?? 'first';
  if (!['first', 'sum', 'sequence'].includes(multiToken)) throw new GdfoError('BAD_OPTION', `createOpenAITeacher multiToken: expected 'first', 'sum' or 'sequence', got ${String(multiToken)}`);
  if (multiToken === 'sequence' && endpoint !== 'completions') {
    throw new GdfoError('BAD_OPTION', "createOpenAITeacher multiToken: 'sequence' needs endpoint 'completions' (echo of prompt log-probabilities)");
  }
  const topLogprobs = positiveIntOption(options.topLogprobs, 'createOpenAITeacher topLogprobs', endpoint === 'chat' ? 20 : 5);
  const batchSize = positiveIntOption(options.batchSize, 'createOpenAITeacher batchSize', 16);
  const timeoutMs = positiveIntOption(options.timeoutMs, 'createOpenAITeacher timeoutMs', 60_000);
  const maxRetries = options.maxRetries ?? 0;
  if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) throw new GdfoError('BAD_OPTION', `createOpenAITeacher maxRetries: expected an integer ≥ 0, got ${String(maxRetries)}`);
  if (options.logprobFloor !== undefined && !Number.isFinite(options.logprobFloor)) throw new GdfoError('BAD_OPTION', 'createOpenAITeacher logprobFloor: expected a finite number');
  const instruction = options.instruction ?? DEFAULT_INSTRUCTION;
  const model = options.model;
  costOf(options.priceTable, model, { promptTokens: 0, completionTokens: 0 }); // fails now, not after paying
  const clock = options.clock ?? systemClock;
  const limiter = new RequestLimiter({ concurrency: options.concurrency, rpm: options.rpm, clock });
  const partial = new PartialResults(options.partialsDir);
  const secrets = [options.apiKey];
  const who = `openai ${model}`;
  const settings = { endpoint, multiToken, topLogprobs, floor: options.logprobFloor ?? 'min-ln2', instruction: endpoint === 'chat' ? instruction : null, render: 1 };
  const id = options.id ?? settingsId(`openai:${endpoint}:${model}`, settings);

  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseURL ?? 'https://api.openai.com/v1',
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries,
    timeout: timeoutMs,
    logLevel: 'off',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  const mapError = (err: unknown): unknown => {
    if (err instanceof TeacherError || err instanceof GdfoError) return err;
    if (err instanceof APIUserAbortError) return requestAborted(who);
    if (err instanceof APIConnectionTimeoutError) return requestTimedOut(who, timeoutMs);
    if (err instanceof APIConnectionError) return connectionFailed(who, err, secrets);
    if (err instanceof APIError) {
      const headers = err.headers;
      const body = err.error as { message?: string } | undefined;
      return httpTeacherError({ who, ...(err.status !== undefined ? { status: err.status } : {}), ...(headers ? { header: (n: string) => headers.get(n) } : {}), message: body?.message ?? err.message, secrets, nowMs: clock.now() });
    }
    return requestFailed(who, err, secrets);
  };

  const call = async <T>(fn: () => Promise<{ data: T; response: Response }>): Promise<T> => {
    try {
      const { data, response } = await fn();
      // an exhausted `x-ratelimit-*` on a successful response holds new requests until its reset
      if (response.headers) limiter.holdFromHeaders((n) => response.headers.get(n));
      return data;
    } catch (err) {
      throw mapError(err);
    }
  };

  const chatJob = (request: ScoreRequest, row: number): RowJob => ({
    rows: [row],
    async run(signal): Promise<RowJobResult> {
      const words = request.verbalizer.words;
      const messages = chatMessages(instruction, words, renderCloze(request.prompt, request.template, request.examples[row]!, BLANK, who));
      const data = await call(() =>
        client.chat.completions
          .create({ model, messages, max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: topLogprobs }, signal ? { signal } : {})
          .withResponse(),
      );
      return chatRow(data, words, { who, what: 'model/server', strategy: multiToken === 'sum' ? 'sum' : 'first', floor: options.logprobFloor });
    },
  });

  type LegacyChoice = { index?: number; text?: string; logprobs?: { tokens?: string[]; token_logprobs?: (number | null)[]; top_logprobs?: (Record<string, number> | null)[]; text_offset?: number[] } | null };

  const completionsJob = (request: ScoreRequest, rows: number[]): RowJob => ({
    rows,
    async run(signal): Promise<RowJobResult> {
      const words = request.verbalizer.words;
      const prompts = rows.map((r) => renderPrefix(request.prompt, request.template, request.examples[r]!, who));
      const data = await call(() =>
        client.completions.create({ model, prompt: prompts, max_tokens: 1, temperature: 0, logprobs: topLogprobs }, signal ? { signal } : {}).withResponse(),
      );
      const choices = (data as { choices?: LegacyChoice[] }).choices;
      if (!Array.isArray(choices) || choices.length !== prompts.length) throw badResponse(who, `expected ${prompts.length} choices, got ${Array.isArray(choices) ? choices.length : 'none'}`, false);
      const byIndex = new Map(choices.map((c, i) => [c.index ?? i, c]));
      const scores = prompts.map((_p, i) => {
        const dict = byIndex.get(i)?.logprobs?.top_logprobs?.[0];
        if (!dict || typeof dict !== 'object') throw badResponse(who, `choice ${i}: no logprobs.top_logprobs[0] (does this model/server support logprobs?)`, false);
        const top = Object.entries(dict).map(([token, logprob]) => ({ token, logprob }));
        return classScoresFromTopLogprobs(top, words, { strategy: multiToken === 'sum' ? 'sum' : 'first', ...(options.logprobFloor !== undefined ? { floor: options.logprobFloor } : {}) });
      });
      return { scores, usage: tokenUsage(data.usage) };
    },
  });

  /** Exact log P(word | prefix): echo the prompt's token log-probabilities and sum those of the word. */
  const sequenceJob = (request: ScoreRequest, row: number): RowJob => ({
    rows: [row],
    async run(signal): Promise<RowJobResult> {
      const words = request.verbalizer.words;
      const prefix = renderPrefix(request.prompt, request.template, request.examples[row]!, who);
      const prompts = words.map((w) => `${prefix} ${w.trim()}`);
      const data = await call(() =>
        client.completions.create({ model, prompt: prompts, max_tokens: 1, temperature: 0, logprobs: 0, echo: true }, signal ? { signal } : {}).withResponse(),
      );
      const choices = (data as { choices?: LegacyChoice[] }).choices;
      if (!Array.isArray(choices) || choices.length !== prompts.length) throw badResponse(who, `expected ${prompts.length} choices, got ${Array.isArray(choices) ? choices.length : 'none'}`, false);
      const byIndex = new Map(choices.map((c, i) => [c.index ?? i, c]));
      const s = new Float64Array(words.length);
      prompts.forEach((p, c) => {
        const lp = byIndex.get(c)?.logprobs;
        if (!lp?.tokens || !lp.token_logprobs || !lp.text_offset) throw badResponse(who, `choice ${c}: echo needs logprobs.tokens, token_logprobs and text_offset`, false);
        let sum = 0;
        let n = 0;
        lp.tokens.forEach((tok, k) => {
          const off = lp.text_offset![k]!;
          // tokens overlapping the word (after the prefix) and inside the echoed prompt (not the generated one)
          if (off + tok.length > prefix.length && off < p.length) {
            const v = lp.token_logprobs![k];
            if (typeof v !== 'number') throw badResponse(who, `choice ${c}: token ${k} of the word has no log-probability`, false);
            sum += v;
            n++;
          }
        });
        if (n === 0) throw badResponse(who, `choice ${c}: no echoed token covers the word "${words[c]}"`, false);
        s[c] = sum;
      });
      return { scores: [s], usage: tokenUsage(data.usage) };
    },
  });

  return createRowTeacher({
    id,
    who,
    limiter,
    partial,
    cost: (u) => costOf(options.priceTable, model, u),
    jobs: (request, pending) => {
      if (endpoint === 'chat') return pending.map((r) => chatJob(request, r));
      if (multiToken === 'sequence') return pending.map((r) => sequenceJob(request, r));
      const jobs: RowJob[] = [];
      for (let i = 0; i < pending.length; i += batchSize) jobs.push(completionsJob(request, pending.slice(i, i + batchSize)));
      return jobs;
    },
  });
}
