/**
 * The OpenAI-compatible chat wire format with log-probabilities, spoken by OpenAI, TGI, vLLM, llama.cpp server
 * and Hugging Face Inference Providers: the messages of one scoring request, the top-k alternatives of the
 * answer token, and the token usage of a response.
 */
import { badResponse, classScoresFromTopLogprobs, renderInstruction, type TopLogprob } from './text.js';
import type { RowJobResult, RowUsage } from './rows.js';

export type ChatMessage = {
  role: 'system' | 'user';
  content: string;
};

/** [system: the instruction with `{words}` filled (none when `instruction` is ''), user: `user`]. */
export function chatMessages(instruction: string, words: readonly string[], user: string): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instruction) messages.push({ role: 'system', content: renderInstruction(instruction, words) });
  messages.push({ role: 'user', content: user });
  return messages;
}

type ChatLogprobs = { choices?: { logprobs?: { content?: { token: string; logprob: number; top_logprobs?: TopLogprob[] }[] | null } | null }[] };

/**
 * The top-k alternatives of the first answer token (`choices[0].logprobs.content[0].top_logprobs`; the token
 * itself when the server lists none); a response without them is a `BAD_RESPONSE` that says `what` cannot
 * give log-probabilities.
 */
export function chatTopLogprobs(data: unknown, who: string, what: string): TopLogprob[] {
  const first = (data as ChatLogprobs | null | undefined)?.choices?.[0]?.logprobs?.content?.[0];
  if (!first || !Array.isArray(first.top_logprobs)) throw badResponse(who, `no choices[0].logprobs.content[0].top_logprobs (does this ${what} support logprobs?)`, false);
  return first.top_logprobs.length ? first.top_logprobs : [{ token: first.token, logprob: first.logprob }];
}

/** `usage: { prompt_tokens, completion_tokens }` of a response (0 for what it does not report). */
export function tokenUsage(u: { prompt_tokens?: number; completion_tokens?: number } | undefined | null): RowUsage {
  return {
    promptTokens: typeof u?.prompt_tokens === 'number' ? u.prompt_tokens : 0,
    completionTokens: typeof u?.completion_tokens === 'number' ? u.completion_tokens : 0,
  };
}

/**
 * The row of one chat response: the verbalizer words' scores read from the answer token's top-k
 * (`chatTopLogprobs`, then `classScoresFromTopLogprobs` with `strategy` and `floor`) and the response's usage.
 */
export function chatRow(
  data: unknown,
  words: readonly string[],
  o: { who: string; what: string; strategy?: 'first' | 'sum'; floor?: number | undefined },
): RowJobResult {
  const top = chatTopLogprobs(data, o.who, o.what);
  const scores = classScoresFromTopLogprobs(top, words, { strategy: o.strategy ?? 'first', ...(o.floor !== undefined ? { floor: o.floor } : {}) });
  return { scores: [scores], usage: tokenUsage((data as { usage?: { prompt_tokens?: number; completion_tokens?: number } } | null)?.usage) };
}
