// file: test/guides/write-a-teacher.example.ts
import type { GdfoPlugin, ScoreRequest, Teacher } from '@gdfo/spec';
import { createContainer, GdfoError, installPlugin, type PriceTable } from '@gdfo/core';
import {
  createRowTeacher, PartialResults, RequestLimiter, settingsId, type RowJob, // a teacher that scores row by row
  BLANK, renderCloze, badResponse, costOf, // the request as text; the answer as scores and money
  httpTeacherError, requestTimedOut, requestAborted, connectionFailed, requestFailed, // failures as TeacherErrors
  createRemoteTeacher, // what a run wraps every remote teacher in
} from '@gdfo/provider-kit';

/** Options of the Acme teacher: JSON values, so a config file or a pool spec can carry them. */
export interface AcmeTeacherOptions {
  /** The service, e.g. https://api.acme.example (the guide's test passes a server on 127.0.0.1). */
  readonly url: string;
  /** Sent as `Authorization: Bearer …` and nowhere else; redacted from every error. */
  readonly apiKey: string;
  readonly model: string;
  /** HTTP requests in flight (default 4) and started per minute (default unlimited). */
  readonly concurrency?: number;
  readonly rpm?: number;
  /** Time limit of one HTTP request (default 30 000 ms). */
  readonly timeoutMs?: number;
  /** Dollars per 1,000 tokens. */
  readonly prices?: PriceTable;
}

interface AcmeAnswer {
  scores?: { label: string; logprob: number }[];
  usage?: { input_tokens?: number; output_tokens?: number };
}

/**
 * Acme's API: POST {url}/v1/score { model, text, labels } → { scores: [{ label, logprob }], usage }. One request
 * per example: the text is the prompt and the template with ___ at the mask, the labels are the verbalizer
 * words, and a class's score is its label's log-probability.
 */
export function createAcmeTeacher(options: AcmeTeacherOptions): Teacher {
  if (typeof options?.apiKey !== 'string' || !options.apiKey) throw new GdfoError('BAD_OPTION', 'acme apiKey: expected a non-empty string');
  const who = `acme ${options.model}`;
  const secrets = [options.apiKey];
  const timeoutMs = options.timeoutMs ?? 30_000;
  const limiter = new RequestLimiter({ concurrency: options.concurrency, rpm: options.rpm });

  const post = async (body: unknown, signal?: AbortSignal): Promise<AcmeAnswer> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(`${options.url}/v1/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.apiKey}` },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      if (signal?.aborted) throw requestAborted(who);
      if (timeout.aborted) throw requestTimedOut(who, timeoutMs);
      throw connectionFailed(who, err, secrets);
    }
    // 408/409/429/5xx: retryable, with the server's Retry-After as retryAfterMs; any other status is final
    if (!res.ok) throw httpTeacherError({ who, status: res.status, header: (n) => res.headers.get(n), message: await res.text(), secrets });
    limiter.holdFromHeaders((n) => res.headers.get(n)); // a success that says the rate limit is exhausted
    try {
      return (await res.json()) as AcmeAnswer;
    } catch (err) {
      throw requestFailed(who, err, secrets);
    }
  };

  const job = (request: ScoreRequest, row: number): RowJob => ({
    rows: [row],
    async run(signal) {
      const labels = request.verbalizer.words;
      const text = renderCloze(request.prompt, request.template, request.examples[row]!, BLANK, who);
      const answer = await post({ model: options.model, text, labels }, signal);
      const scores = Float64Array.from(labels, (label) => {
        const hit = answer.scores?.find((s) => s.label === label);
        if (!hit) throw badResponse(who, `no score for label "${label}"`, false);
        return hit.logprob;
      });
      return { scores: [scores], usage: { promptTokens: answer.usage?.input_tokens ?? 0, completionTokens: answer.usage?.output_tokens ?? 0 } };
    },
  });

  return createRowTeacher({
    id: settingsId(`acme:${options.model}`, { render: 1 }),
    who,
    limiter,
    partial: new PartialResults(),
    cost: (usage) => costOf(options.prices, options.model, usage),
    jobs: (request, pending) => pending.map((row) => job(request, row)),
  });
}

/** What the package exports: `plugins: [gdfo-plugin-acme]` in a config or a pool spec loads it. */
export const plugin: GdfoPlugin = {
  name: 'gdfo-plugin-acme',
  version: '1.0.0',
  specVersion: '1.0',
  register(registry) {
    registry.register('teacher', 'acme', (o) => createAcmeTeacher(o as unknown as AcmeTeacherOptions), 'Acme Scores API (label log-probabilities)');
  },
};

/** The teacher by name, as a run builds it, behind the remote-teacher middleware; two examples scored twice. */
export async function main(io: { url: string; apiKey: string }) {
  const { registry } = createContainer({ seed: 1 });
  await installPlugin(registry, plugin, 'gdfo-plugin-acme');
  const acme = await registry.resolve<Teacher>('teacher', 'acme', { url: io.url, apiKey: io.apiKey, model: 'acme-small', prices: { promptPer1k: 0.5, completionPer1k: 0 } });
  // budget (calls, tokens, money), cache, retry honouring Retry-After: one wrapper for every remote teacher
  const teacher = createRemoteTeacher(acme, { budget: { costUsd: 1 }, retries: { retries: 3, baseMs: 10 } });
  const request: ScoreRequest = {
    examples: [
      { id: 'a', text: 'a gripping , funny film', label: 1 },
      { id: 'b', text: 'a dull mess', label: 0 },
    ],
    template: { specVersion: '1.0', text: '{text} . It was {mask} .' },
    verbalizer: { specVersion: '1.0', words: ['bad', 'great'] },
    prompt: { kind: 'discrete-text', text: 'honestly' },
    purpose: 'train',
  };
  const first = await teacher.score(request);
  const again = await teacher.score(request); // from the cache: not sent, not paid
  return { id: teacher.info.id, logits: Array.from(first.logits), cached: again.cached === true, spent: teacher.budget.usage() };
}
