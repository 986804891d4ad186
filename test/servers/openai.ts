/**
 * An OpenAI-compatible server on 127.0.0.1: POST /v1/chat/completions (logprobs, top_logprobs) and
 * POST /v1/completions (logprobs: k, prompt arrays, echo), with usage. Tokens are words of the backend's
 * distribution in a configurable surface form; long words can be split into pieces (multi-token words).
 */
import { LoopbackServer, type RouteResult } from './loopback.js';
import type { AnswerBackend } from './backends.js';

export interface TokenStyle {
  /** ' great' instead of 'great' (completions-style tokens). */
  leadingSpace?: boolean;
  /** 'Great'. */
  capitalize?: boolean;
  /** Words longer than this many letters are split into pieces of this length. */
  pieceLength?: number;
}

export function surface(word: string, style: TokenStyle, leading: boolean): string {
  const w = style.capitalize ? word[0]!.toUpperCase() + word.slice(1) : word;
  return leading ? ` ${w}` : w;
}

/** A word's tokens in this style (pieces of `pieceLength` letters; the first carries the leading space). */
export function pieces(word: string, style: TokenStyle, leading: boolean): string[] {
  const n = style.pieceLength ?? Infinity;
  const w = surface(word, style, false);
  const out: string[] = [];
  for (let i = 0; i < w.length; i += n) out.push(w.slice(i, i + n));
  if (leading) out[0] = ` ${out[0]}`;
  return out;
}

function logSumExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** The top-k first tokens of the answer: each word contributes its first piece; equal pieces pool their mass. */
export function topTokens(dist: Map<string, number>, k: number, style: TokenStyle, leading: boolean): { token: string; logprob: number }[] {
  const byToken = new Map<string, number>();
  for (const [w, lp] of dist) {
    const t = pieces(w, style, leading)[0]!;
    byToken.set(t, byToken.has(t) ? logSumExp(byToken.get(t)!, lp) : lp);
  }
  return [...byToken.entries()]
    .map(([token, logprob]) => ({ token, logprob }))
    .sort((a, b) => b.logprob - a.logprob || a.token.localeCompare(b.token))
    .slice(0, k);
}

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

export interface OpenAIServerOptions {
  apiKey: string;
  backend: AnswerBackend;
  chatStyle?: TokenStyle;
  completionStyle?: TokenStyle;
  /** Extra headers on every successful response (e.g. x-ratelimit-*). */
  headers?: Record<string, string>;
}

export class OpenAIServer extends LoopbackServer {
  constructor(readonly options: OpenAIServerOptions) {
    super(
      {
        '/v1/chat/completions': (body) => chat(body as ChatBody, options),
        '/v1/completions': (body) => completions(body as CompletionBody, options),
      },
      options.apiKey,
    );
  }
  get baseURL(): string {
    return `${this.url}/v1`;
  }
}

export async function startOpenAIServer(options: OpenAIServerOptions): Promise<OpenAIServer> {
  return new OpenAIServer(options).start();
}

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  logprobs?: boolean;
  top_logprobs?: number;
  max_tokens?: number;
}

export async function chat(body: ChatBody, o: { backend: AnswerBackend; chatStyle?: TokenStyle; headers?: Record<string, string> }): Promise<RouteResult> {
  if (!Array.isArray(body?.messages) || body.messages.length === 0) throw new Error('messages: expected a non-empty array');
  const user = [...body.messages].reverse().find((m) => m.role === 'user');
  if (!user) throw new Error('messages: no user message');
  const style = o.chatStyle ?? {};
  const top = topTokens(await o.backend.answer(user.content), body.top_logprobs ?? 0, style, false);
  const first = top[0] ?? topTokens(await o.backend.answer(user.content), 1, style, false)[0]!;
  const promptTokens = body.messages.reduce((n, m) => n + words(m.content) + 3, 0);
  return {
    body: {
      id: 'chatcmpl-loopback',
      object: 'chat.completion',
      created: 0,
      model: body.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: first.token },
          logprobs: body.logprobs ? { content: [{ token: first.token, logprob: first.logprob, bytes: null, top_logprobs: top.map((t) => ({ ...t, bytes: null })) }] } : null,
          finish_reason: 'length',
        },
      ],
      usage: { prompt_tokens: promptTokens, completion_tokens: 1, total_tokens: promptTokens + 1 },
    },
    billed: { promptTokens, completionTokens: 1 },
    ...(o.headers ? { headers: o.headers } : {}),
  };
}

interface CompletionBody {
  model: string;
  prompt: string | string[];
  logprobs?: number | null;
  echo?: boolean;
  max_tokens?: number;
}

async function completions(body: CompletionBody, o: OpenAIServerOptions): Promise<RouteResult> {
  const prompts = Array.isArray(body?.prompt) ? body.prompt : [body?.prompt];
  if (!prompts.every((p) => typeof p === 'string')) throw new Error('prompt: expected a string or an array of strings');
  const style = o.completionStyle ?? { leadingSpace: true };
  const k = body.logprobs ?? 0;
  let promptTokens = 0;
  const maxTokens = body.max_tokens ?? 16;
  const choices = [];
  for (const [index, prompt] of (prompts as string[]).entries()) {
    promptTokens += words(prompt);
    if (body.echo) {
      // Tokens of the prompt: words (pieces for long ones); the last word is scored as the answer after the rest.
      const parts = prompt.split(' ');
      const answer = parts[parts.length - 1]!;
      const prefix = parts.slice(0, -1).join(' ');
      const dist = await o.backend.answer(prefix);
      const lpWord = dist.get(answer) ?? -20;
      const tokens: string[] = [];
      const logprobs: (number | null)[] = [];
      const offsets: number[] = [];
      let pos = 0;
      parts.forEach((w, wi) => {
        const ps = wi === 0 ? [w] : pieces(w, { pieceLength: style.pieceLength ?? Infinity }, true);
        ps.forEach((p, pi) => {
          tokens.push(p);
          offsets.push(pos);
          pos += p.length;
          if (wi === parts.length - 1) logprobs.push(pi === 0 ? lpWord + 0.1 * (ps.length - 1) : -0.1);
          else logprobs.push(tokens.length === 1 ? null : -2);
        });
      });
      if (maxTokens > 0) {
        tokens.push(' .');
        logprobs.push(-1);
        offsets.push(prompt.length);
      }
      choices.push({ index, text: `${prompt}${maxTokens > 0 ? ' .' : ''}`, logprobs: { tokens, token_logprobs: logprobs, top_logprobs: null, text_offset: offsets }, finish_reason: 'length' });
    } else {
      const top = topTokens(await o.backend.answer(prompt), Math.max(k, 1), style, true);
      const first = top[0]!;
      choices.push({
        index,
        text: first.token,
        logprobs: k > 0 ? { tokens: [first.token], token_logprobs: [first.logprob], top_logprobs: [Object.fromEntries(top.map((t) => [t.token, t.logprob]))], text_offset: [prompt.length] } : null,
        finish_reason: 'length',
      });
    }
  }
  const completionTokens = Math.min(maxTokens, 1) * prompts.length;
  return {
    body: { id: 'cmpl-loopback', object: 'text_completion', created: 0, model: body.model, choices, usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } },
    billed: { promptTokens, completionTokens },
    ...(o.headers ? { headers: o.headers } : {}),
  };
}
