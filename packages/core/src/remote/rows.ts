/**
 * One teacher call over a text API is many HTTP requests (one per example, or per batch of examples). This
 * runs them through a `RequestLimiter`, keeps the rows that succeeded when others fail, and — when the retry
 * middleware calls `score` again with the same request object — sends only the rows still missing. The usage
 * of every successful HTTP request is added once, so a call's usage is what the provider billed for it, and
 * no example is paid twice within a call.
 */
import type { ScoreRequest, ScoreResult, Usage } from '@gdfo/spec';
import { TeacherError } from '../errors.js';
import type { RequestLimiter } from './limiter.js';

export interface RowUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface RowJobResult {
  /** Class scores for each of the job's rows, in order. */
  scores: Float64Array[];
  usage?: RowUsage;
}

/** One HTTP request (or a few, run in sequence) that scores some rows. */
export interface RowJob {
  rows: number[];
  run(signal?: AbortSignal): Promise<RowJobResult>;
}

interface PartialRows {
  rows: Map<number, Float64Array>;
  promptTokens: number;
  completionTokens: number;
  requests: number;
}

/** Rows already scored for a request object whose call failed (kept for its retry). */
export class PartialResults {
  private readonly map = new WeakMap<ScoreRequest, PartialRows>();
  get(request: ScoreRequest): PartialRows {
    let p = this.map.get(request);
    if (!p) this.map.set(request, (p = { rows: new Map(), promptTokens: 0, completionTokens: 0, requests: 0 }));
    return p;
  }
  drop(request: ScoreRequest): void {
    this.map.delete(request);
  }
}

export interface ScoreByRowsOptions {
  request: ScoreRequest;
  classes: number;
  partial: PartialResults;
  limiter: RequestLimiter;
  /** The jobs that score the `pending` rows (indices into request.examples). */
  jobs(pending: number[]): RowJob[];
  /** Money for the tokens (0 when there is no price table). */
  cost(usage: RowUsage): number;
  signal?: AbortSignal;
}

/** The most useful of several failures: a hopeless one first, else the one asking for the longest wait. */
export function pickError(errors: unknown[]): unknown {
  const hopeless = errors.find((e) => !(e instanceof TeacherError) || !e.retryable);
  if (hopeless !== undefined) return hopeless;
  let best = errors[0];
  for (const e of errors) if ((e as TeacherError).retryAfterMs !== undefined && ((e as TeacherError).retryAfterMs ?? 0) > ((best as TeacherError).retryAfterMs ?? -1)) best = e;
  return best;
}

export async function scoreByRows(o: ScoreByRowsOptions): Promise<ScoreResult> {
  const { request, classes } = o;
  const part = o.partial.get(request);
  const n = request.examples.length;
  const pending: number[] = [];
  for (let i = 0; i < n; i++) if (!part.rows.has(i)) pending.push(i);
  const errors: unknown[] = [];
  await Promise.all(
    o.jobs(pending).map((job) =>
      o.limiter
        .run(() => job.run(o.signal), o.signal)
        .then((res) => {
          job.rows.forEach((r, k) => {
            const s = res.scores[k];
            if (!s || s.length !== classes) throw new TeacherError(`row ${r}: expected ${classes} class scores`, { retryable: false, code: 'BAD_RESPONSE' });
            part.rows.set(r, s);
          });
          part.promptTokens += res.usage?.promptTokens ?? 0;
          part.completionTokens += res.usage?.completionTokens ?? 0;
          part.requests++;
        })
        .catch((err: unknown) => {
          errors.push(err);
        }),
    ),
  );
  if (errors.length) throw pickError(errors);
  const logits = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) logits.set(part.rows.get(i)!, i * classes);
  const usage: Partial<Usage> = {
    calls: 1,
    promptTokens: part.promptTokens,
    completionTokens: part.completionTokens,
    costUsd: o.cost({ promptTokens: part.promptTokens, completionTokens: part.completionTokens }),
  };
  o.partial.drop(request);
  return { logits, rows: n, classes, usage };
}
