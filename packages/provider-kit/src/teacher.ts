/**
 * `createRowTeacher`: the `Teacher` of a text API that scores a call row by row (one HTTP request per example,
 * or per batch of examples). The adapter says how to score some rows (`jobs`); this validates the request,
 * runs the jobs through the adapter's `RequestLimiter`, keeps finished rows in `PartialResults` so a retry
 * pays only for the missing ones, and reports the call's usage and money (see `scoreByRows`).
 */
import type { CallOptions, PromptKind, ScoreRequest, ScoreResult, Teacher, TeacherInfo } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import type { RequestLimiter } from './limiter.js';
import { PartialResults, scoreByRows, type RowJob, type RowUsage } from './rows.js';
import { BLANK, renderCloze } from './text.js';

export interface RowTeacherOptions {
  /** The teacher id: part of every cache and row key, so it names everything the scores depend on. */
  id: string;
  /** Who fails, in messages (e.g. "openai gpt-4o-mini"). */
  who: string;
  /** HTTP requests in flight and per minute, and rate-limit holds. */
  limiter: RequestLimiter;
  /** Rows of unfinished calls (default: in memory). */
  partial?: PartialResults;
  /** Prompt kinds the API takes (default none and discrete-text: text-only APIs). */
  accepts?: readonly PromptKind[];
  /** Money of one call from its tokens and HTTP requests (default 0). */
  cost?(usage: RowUsage & { requests: number }): number;
  /** The jobs (HTTP requests) that score the `pending` rows of `request` (indices into `request.examples`). */
  jobs(request: ScoreRequest, pending: number[]): RowJob[];
}

/** Checks what every text API needs (examples, verbalizer words, a text prompt, a template with one {mask}); returns the words. */
export function checkScoreRequest(request: ScoreRequest, who: string): readonly string[] {
  if (!request || !Array.isArray(request.examples) || request.examples.length === 0) throw new GdfoError('BAD_REQUEST', `${who}: score request needs at least one example`);
  const words = request.verbalizer?.words;
  if (!Array.isArray(words) || words.length === 0) throw new GdfoError('BAD_REQUEST', `${who}: score request verbalizer.words is empty`);
  renderCloze(request.prompt, request.template, request.examples[0]!, BLANK, who); // validates prompt and template up front
  return words;
}

export function createRowTeacher(options: RowTeacherOptions): Teacher {
  const partial = options.partial ?? new PartialResults();
  const info: TeacherInfo = { id: options.id, accepts: [...(options.accepts ?? ['none', 'discrete-text'])] };
  return {
    specVersion: '1.0',
    info,
    async score(request: ScoreRequest, callOptions?: CallOptions): Promise<ScoreResult> {
      const words = checkScoreRequest(request, options.who);
      return scoreByRows({
        teacherId: options.id,
        request,
        classes: words.length,
        partial,
        limiter: options.limiter,
        ...(callOptions?.signal ? { signal: callOptions.signal } : {}),
        ...(callOptions?.stop ? { stop: callOptions.stop } : {}),
        cost: (u) => options.cost?.(u) ?? 0,
        jobs: (pending) => options.jobs(request, pending),
      });
    },
  };
}
