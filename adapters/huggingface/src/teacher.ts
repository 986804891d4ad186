/**
 * A gdfo `Teacher` over the official `@huggingface/inference` client, in one of three modes:
 *
 * - `fill-mask` (masked LMs: BERT, RoBERTa — the BBT setting): the prompt text + the filled template with the
 *   model's mask token at `{mask}`, `parameters: { targets: <verbalizer words> }`; a class's score is
 *   ln(score) of its target (the model's probability of that word at the mask). A target the endpoint does
 *   not return gets the floor. Multi-token targets: the endpoint scores their first sub-token (transformers'
 *   behaviour).
 * - `text-classification`: the prompt text + the template with the mask removed; a class's score is
 *   ln(score) of its label (`labels[c]`, default the verbalizer word; matched case-insensitively).
 * - `chat` (TGI, vLLM, Inference Providers): exactly the OpenAI adapter's chat scoring — system: the
 *   instruction, user: the text with `___` at the mask, `max_tokens: 1, logprobs: true, top_logprobs: k`.
 *
 * `endpointUrl` targets a self-hosted endpoint (fill-mask / text-classification POST to it; chat posts to
 * `<endpointUrl>/v1/chat/completions`); without it the client calls the Hugging Face router with `model` and
 * `provider` (default 'hf-inference').
 *
 * The client's own retry on 503 is off (`retry_on_error: false`): the retry middleware of
 * `createRemoteTeacher` is the one place that retries. Responses' headers are captured through the injected
 * fetch so that `Retry-After` / `x-ratelimit-*` reach `TeacherError.retryAfterMs`. The access token is sent
 * only as the client's Authorization header and redacted from every error.
 */
import { InferenceClient } from '@huggingface/inference';
import type { ScoreRequest, Teacher } from '@gdfo/spec';
import { GdfoError, positiveIntOption, systemClock, TeacherError, type Clock, type PriceTable } from '@gdfo/core';
import {
  badResponse,
  BLANK,
  chatMessages,
  chatRow,
  connectionFailed,
  costOf,
  createRowTeacher,
  DEFAULT_INSTRUCTION,
  httpTeacherError,
  logprobFloor,
  normalizeToken,
  PartialResults,
  renderCloze,
  renderPlain,
  requestAborted,
  requestFailed,
  RequestLimiter,
  requestTimedOut,
  settingsId,
  type RowJob,
  type TopLogprob,
} from '@gdfo/provider-kit';

export type HuggingFaceMode = 'fill-mask' | 'text-classification' | 'chat';

export interface HuggingFaceTeacherOptions {
  readonly mode: HuggingFaceMode;
  /** A Hugging Face token (hf_…) or a provider key; optional for an endpoint without authentication. */
  readonly accessToken?: string;
  /** A self-hosted endpoint (Inference Endpoints, TGI, a local server). */
  readonly endpointUrl?: string;
  /** The model id (required without endpointUrl; sent as `model` in chat requests). */
  readonly model?: string;
  /** Inference provider when there is no endpointUrl (default 'hf-inference'). */
  readonly provider?: string;
  readonly fetch?: typeof fetch;
  /** HTTP requests in flight within one teacher call (default 4). */
  readonly concurrency?: number;
  /** HTTP requests started per minute (default unlimited). */
  readonly rpm?: number;
  /** Time limit of one HTTP request, ms (default 60 000). */
  readonly timeoutMs?: number;
  readonly clock?: Clock;
  /** Dollars per 1,000 tokens (chat responses report tokens), for every model or keyed by model id. */
  readonly priceTable?: PriceTable | Readonly<Record<string, PriceTable>>;
  /** Dollars per HTTP request (endpoints billed per request). */
  readonly requestPriceUsd?: number;
  /** Score of a word the endpoint did not return; default: the smallest returned log-probability − ln 2. */
  readonly logprobFloor?: number;
  /** chat: 'first' (default) or 'sum' (see the README). */
  readonly multiToken?: 'first' | 'sum';
  /** chat: alternatives per position (default 20). */
  readonly topLogprobs?: number;
  /** chat: the system message; `{words}` becomes the verbalizer words. '' sends none. */
  readonly instruction?: string;
  /** fill-mask: the model's mask token (default '[MASK]'; RoBERTa: '<mask>'). */
  readonly maskToken?: string;
  /** text-classification: the model's label for each class (default: the verbalizer words). */
  readonly labels?: readonly string[];
  /** text-classification: labels requested (`top_k`, default max(10, classes)). */
  readonly topK?: number;
  /**
   * Keep the rows of calls that have not succeeded yet on disk here (default: in memory only), so that after a
   * crash the resumed run does not pay again for examples already fetched. Holds scores and token counts only.
   */
  readonly partialsDir?: string;
  /** Teacher id (default `huggingface:<mode>:<model or endpoint path>#<hash of the scoring settings>`). */
  readonly id?: string;
}


/** The endpoint without credentials or query (for ids and messages). */
function safeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`.replace(/\/+$/, '');
  } catch {
    throw new GdfoError('BAD_OPTION', `createHuggingFaceTeacher endpointUrl: "${url}" is not a URL`);
  }
}

export function createHuggingFaceTeacher(options: HuggingFaceTeacherOptions): Teacher {
  const mode = options?.mode;
  if (mode !== 'fill-mask' && mode !== 'text-classification' && mode !== 'chat') {
    throw new GdfoError('BAD_OPTION', `createHuggingFaceTeacher mode: expected 'fill-mask', 'text-classification' or 'chat', got ${String(mode)}`);
  }
  if (!options.endpointUrl && !options.model) throw new GdfoError('BAD_OPTION', 'createHuggingFaceTeacher: give endpointUrl (a self-hosted endpoint) or model (a model id on the Hub)');
  if (options.accessToken !== undefined && typeof options.accessToken !== 'string') throw new GdfoError('BAD_OPTION', 'createHuggingFaceTeacher accessToken: expected a string');
  const endpoint = options.endpointUrl ? safeEndpoint(options.endpointUrl) : undefined;
  const model = options.model ?? endpoint!;
  const multiToken = options.multiToken ?? 'first';
  if (multiToken !== 'first' && multiToken !== 'sum') throw new GdfoError('BAD_OPTION', `createHuggingFaceTeacher multiToken: expected 'first' or 'sum', got ${String(multiToken)}`);
  const topLogprobs = positiveIntOption(options.topLogprobs, 'createHuggingFaceTeacher topLogprobs', 20);
  const timeoutMs = positiveIntOption(options.timeoutMs, 'createHuggingFaceTeacher timeoutMs', 60_000);
  const maskToken = options.maskToken ?? '[MASK]';
  const instruction = options.instruction ?? DEFAULT_INSTRUCTION;
  if (options.logprobFloor !== undefined && !Number.isFinite(options.logprobFloor)) throw new GdfoError('BAD_OPTION', 'createHuggingFaceTeacher logprobFloor: expected a finite number');
  const requestPrice = options.requestPriceUsd ?? 0;
  if (!(requestPrice >= 0)) throw new GdfoError('BAD_OPTION', 'createHuggingFaceTeacher requestPriceUsd: expected a number ≥ 0');
  costOf(options.priceTable, model, { promptTokens: 0, completionTokens: 0 });
  const clock = options.clock ?? systemClock;
  const limiter = new RequestLimiter({ concurrency: options.concurrency, rpm: options.rpm, clock });
  const partial = new PartialResults(options.partialsDir);
  const secrets = [options.accessToken];
  const who = `huggingface ${mode} ${model}`;
  const settings = {
    mode,
    floor: options.logprobFloor ?? 'min-ln2',
    ...(mode === 'chat' ? { multiToken, topLogprobs, instruction } : {}),
    ...(mode === 'fill-mask' ? { maskToken } : {}),
    ...(mode === 'text-classification' ? { labels: options.labels ?? null, topK: options.topK ?? null } : {}),
    render: 1,
  };
  const id = options.id ?? settingsId(`huggingface:${mode}:${model}`, settings);
  const client = new InferenceClient(options.accessToken ?? '', options.endpointUrl ? { endpointUrl: options.endpointUrl } : {});
  const baseFetch = options.fetch ?? fetch;
  const routing = options.endpointUrl ? {} : { model: options.model!, provider: (options.provider ?? 'hf-inference') as 'hf-inference' };

  /** Runs one client call with its own fetch (captures the response, applies the timeout) and maps errors. */
  const call = async <T>(fn: (opts: { fetch: typeof fetch; retry_on_error: false; signal?: AbortSignal }) => Promise<T>, signal?: AbortSignal): Promise<T> => {
    let response: Response | undefined;
    let timedOut = false;
    const ctrl = new AbortController();
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new Error('timeout'));
    }, timeoutMs);
    const onAbort = () => ctrl.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const capturing: typeof fetch = async (input, init) => {
      response = await baseFetch(input, { ...init, signal: ctrl.signal });
      return response;
    };
    try {
      const out = await fn({ fetch: capturing, retry_on_error: false, signal: ctrl.signal });
      const h = response?.headers;
      if (h) limiter.holdFromHeaders((n) => h.get(n));
      return out;
    } catch (err) {
      if (err instanceof TeacherError || err instanceof GdfoError) throw err;
      if (timedOut) throw requestTimedOut(who, timeoutMs);
      if (signal?.aborted) throw requestAborted(who);
      const e = err as Error & { name?: string; httpResponse?: { status?: number; body?: unknown } };
      if (response && !response.ok) {
        const h = response.headers;
        const body = e.httpResponse?.body as { error?: unknown; message?: unknown } | string | undefined;
        const msg = typeof body === 'string' ? body : typeof body?.error === 'string' ? body.error : typeof (body?.error as { message?: unknown })?.message === 'string' ? String((body!.error as { message: string }).message) : e.message;
        throw httpTeacherError({ who, status: response.status, header: (n) => h.get(n), message: msg, secrets, nowMs: clock.now() });
      }
      if (e.name === 'ProviderOutputError') throw badResponse(who, e.message, false, secrets);
      if (!response && e.name !== 'SyntaxError') throw connectionFailed(who, e, secrets);
      throw requestFailed(who, e, secrets);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  };

  const fillMaskJob = (request: ScoreRequest, row: number): RowJob => ({
    rows: [row],
    async run(signal) {
      const words = request.verbalizer.words;
      const inputs = renderCloze(request.prompt, request.template, request.examples[row]!, maskToken, who);
      const out = await call((o) => client.fillMask({ ...routing, inputs, parameters: { targets: [...words], top_k: words.length } }, o), signal);
      const top: TopLogprob[] = out.map((x) => ({ token: String(x.token_str ?? ""), logprob: Math.log(x.score) }));
      const s = new Float64Array(words.length);
      words.forEach((w, c) => {
        const hit = top.filter((t) => normalizeToken(t.token) === normalizeToken(w));
        s[c] = hit.length ? Math.max(...hit.map((t) => t.logprob)) : logprobFloor(top, options.logprobFloor);
      });
      return { scores: [s] };
    },
  });

  const classificationJob = (request: ScoreRequest, row: number): RowJob => ({
    rows: [row],
    async run(signal) {
      const words = request.verbalizer.words;
      const labels = options.labels ?? words;
      if (labels.length !== words.length) throw new GdfoError('BAD_OPTION', `${who}: labels has ${labels.length} entries, the verbalizer ${words.length} classes`);
      const inputs = renderPlain(request.prompt, request.template, request.examples[row]!, who);
      const topK = options.topK ?? Math.max(10, words.length);
      const out = await call((o) => client.textClassification({ ...routing, inputs, parameters: { top_k: topK } }, o), signal);
      const top: TopLogprob[] = out.map((x) => ({ token: String(x.label), logprob: Math.log(x.score) }));
      const s = new Float64Array(labels.length);
      labels.forEach((l, c) => {
        const hit = top.find((t) => t.token.toLowerCase() === l.toLowerCase());
        s[c] = hit ? hit.logprob : logprobFloor(top, options.logprobFloor);
      });
      return { scores: [s] };
    },
  });

  const chatJob = (request: ScoreRequest, row: number): RowJob => ({
    rows: [row],
    async run(signal) {
      const words = request.verbalizer.words;
      const messages = chatMessages(instruction, words, renderCloze(request.prompt, request.template, request.examples[row]!, BLANK, who));
      const data = await call(
        (o) => client.chatCompletion({ ...routing, ...(options.model ? { model: options.model } : {}), messages, max_tokens: 1, logprobs: true, top_logprobs: topLogprobs }, o),
        signal,
      );
      return chatRow(data, words, { who, what: 'endpoint', strategy: multiToken, floor: options.logprobFloor });
    },
  });

  const job = mode === 'fill-mask' ? fillMaskJob : mode === 'text-classification' ? classificationJob : chatJob;
  return createRowTeacher({
    id,
    who,
    limiter,
    partial,
    cost: (u) => costOf(options.priceTable, model, u) + u.requests * requestPrice,
    jobs: (request, pending) => pending.map((r) => job(request, r)),
  });
}
