/**
 * One teacher call over a text API is many HTTP requests (one per example, or per batch of examples). This
 * runs them through a `RequestLimiter` and keeps every row that succeeded — with the usage its HTTP request
 * billed — in a `PartialResults` store until the whole call succeeds. A retry of the call (or, with a store
 * on disk, the same call after a crash and resume) sends only the rows still missing, so no example is paid
 * twice; when the call succeeds its usage is the sum over its rows and the rows leave the store (the
 * call-level cache holds the result from then on).
 *
 * A row's key is the teacher id and everything its score depends on: prompt, template, verbalizer and the
 * example (not the other examples of the call, nor its purpose).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ScoreRequest, ScoreResult, Usage } from '@gdfo/spec';
import { canonicalJson, eitherSignal, GdfoError, sha256, TeacherError, writeFileAtomic } from '@gdfo/core';
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

export interface RowEntry {
  scores: Float64Array;
  /** What the HTTP request that fetched this row billed (all of it on the first row of a batch). */
  promptTokens: number;
  completionTokens: number;
  requests: number;
}

/** Rows fetched by calls that have not succeeded yet; in memory, or also on disk under `dir`. */
export class PartialResults {
  private readonly memory = new Map<string, RowEntry>();
  constructor(readonly dir?: string) {
    if (dir) mkdirSync(dir, { recursive: true });
  }

  static key(teacherId: string, request: ScoreRequest, row: number): string {
    const { prompt, template, verbalizer } = request;
    return sha256(canonicalJson({ teacher: teacherId, prompt, template, verbalizer, example: request.examples[row] }));
  }

  private path(key: string): string {
    return join(this.dir!, key.slice(0, 2), `${key}.json`);
  }

  get(key: string): RowEntry | undefined {
    const m = this.memory.get(key);
    if (m || !this.dir) return m;
    const p = this.path(key);
    if (!existsSync(p)) return undefined;
    try {
      const raw = JSON.parse(readFileSync(p, 'utf8')) as Omit<RowEntry, 'scores'> & { scores: number[] };
      return { ...raw, scores: Float64Array.from(raw.scores) };
    } catch (err) {
      throw new GdfoError('BAD_CACHE', `partial result ${p} is corrupted: ${(err as Error).message}`);
    }
  }

  set(key: string, entry: RowEntry): void {
    this.memory.set(key, entry);
    if (this.dir) writeFileAtomic(this.path(key), JSON.stringify({ ...entry, scores: Array.from(entry.scores) }));
  }

  delete(key: string): void {
    this.memory.delete(key);
    if (this.dir) rmSync(this.path(key), { force: true });
  }

  /** Rows held in memory (this process). */
  get size(): number {
    return this.memory.size;
  }
}

export interface ScoreByRowsOptions {
  /** The teacher's id (part of every row key). */
  teacherId: string;
  request: ScoreRequest;
  classes: number;
  partial: PartialResults;
  limiter: RequestLimiter;
  /** The jobs that score the `pending` rows (indices into request.examples). */
  jobs(pending: number[]): RowJob[];
  /** Money for the tokens and HTTP requests of the call (0 when there is no price table). */
  cost(usage: RowUsage & { requests: number }): number;
  /** Cuts the requests in flight. */
  signal?: AbortSignal;
  /** Sends nothing more; the requests in flight finish and their rows are kept, then the call rejects. */
  stop?: AbortSignal;
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
  const n = request.examples.length;
  const keys = Array.from({ length: n }, (_v, i) => PartialResults.key(o.teacherId, request, i));
  const rows = new Map<number, RowEntry>();
  const pending: number[] = [];
  const firstOf = new Map<string, number>(); // the same example twice in one call is fetched and paid once
  for (let i = 0; i < n; i++) {
    if (firstOf.has(keys[i]!)) continue;
    firstOf.set(keys[i]!, i);
    const hit = o.partial.get(keys[i]!);
    if (hit && hit.scores.length === classes) rows.set(i, hit);
    else pending.push(i);
  }
  const errors: unknown[] = [];
  const notStarted = eitherSignal(o.signal, o.stop);
  await Promise.all(
    o.jobs(pending).map((job) =>
      o.limiter
        .run(() => job.run(o.signal), notStarted) // a request not started yet is not sent once cut or stopped
        .then((res) => {
          job.rows.forEach((r, k) => {
            const s = res.scores[k];
            if (!s || s.length !== classes) throw new TeacherError(`row ${r}: expected ${classes} class scores`, { retryable: false, code: 'BAD_RESPONSE' });
          });
          job.rows.forEach((r, k) => {
            const first = k === 0;
            const entry: RowEntry = {
              scores: res.scores[k]!,
              promptTokens: first ? (res.usage?.promptTokens ?? 0) : 0,
              completionTokens: first ? (res.usage?.completionTokens ?? 0) : 0,
              requests: first ? 1 : 0,
            };
            rows.set(r, entry);
            o.partial.set(keys[r]!, entry);
          });
        })
        .catch((err: unknown) => {
          errors.push(err);
        }),
    ),
  );
  if (errors.length) throw pickError(errors);
  const logits = new Float32Array(n * classes);
  const total = { promptTokens: 0, completionTokens: 0, requests: 0 };
  for (let i = 0; i < n; i++) logits.set(rows.get(firstOf.get(keys[i]!)!)!.scores, i * classes);
  for (const [k, i] of firstOf) {
    const e = rows.get(i)!;
    total.promptTokens += e.promptTokens;
    total.completionTokens += e.completionTokens;
    total.requests += e.requests;
    o.partial.delete(k);
  }
  const usage: Partial<Usage> = { calls: 1, promptTokens: total.promptTokens, completionTokens: total.completionTokens, costUsd: o.cost(total) };
  return { logits, rows: n, classes, usage };
}
