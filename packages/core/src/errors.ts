/** Errors with a stable `code`, whose message is one line naming the file, field or key and what was expected. */
export class GdfoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message.replace(/\s*\n\s*/g, ' '), options);
    this.code = code;
    this.name = 'GdfoError';
  }
}

/** The budget forbids another call; the run stops cleanly, nothing half-counted. */
export class BudgetExhaustedError extends GdfoError {
  constructor(message: string) {
    super('BUDGET_EXHAUSTED', message);
    this.name = 'BudgetExhaustedError';
  }
}

/**
 * A failed teacher call. `retryable` says whether trying again may help (429, 5xx, timeouts, dropped
 * connections); `retryAfterMs` carries the server's `Retry-After` / rate-limit reset when it gave one.
 */
export class TeacherError extends GdfoError {
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: { status?: number; retryable?: boolean; retryAfterMs?: number; cause?: unknown; code?: string } = {},
  ) {
    super(options.code ?? 'TEACHER_ERROR', message, { cause: options.cause });
    this.name = 'TeacherError';
    this.status = options.status;
    this.retryable = options.retryable ?? (options.status === 429 || (options.status ?? 0) >= 500);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Parses `Retry-After` (seconds or HTTP date) and `x-ratelimit-reset-*` style headers into milliseconds. */
export function retryAfterFromHeaders(
  get: (name: string) => string | null | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const ms = get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = get('retry-after');
  if (ra) {
    const secs = Number(ra);
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
    const date = Date.parse(ra);
    if (Number.isFinite(date)) return Math.max(0, date - nowMs);
  }
  // OpenAI-style: x-ratelimit-reset-requests / -tokens: "1s", "6m0s", "20ms"; honoured only when exhausted.
  let wait: number | undefined;
  for (const kind of ['requests', 'tokens']) {
    const remaining = get(`x-ratelimit-remaining-${kind}`);
    const reset = get(`x-ratelimit-reset-${kind}`);
    if (remaining !== null && remaining !== undefined && Number(remaining) <= 0 && reset) {
      const d = parseDuration(reset);
      if (d !== undefined) wait = Math.max(wait ?? 0, d);
    }
  }
  return wait;
}

/** "1.5s", "6m0s", "20ms", "2h" → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (const m of text.matchAll(re)) {
    matched = true;
    const v = Number(m[1]);
    const unit = m[2];
    total += unit === 'ms' ? v : unit === 's' ? v * 1000 : unit === 'm' ? v * 60_000 : v * 3_600_000;
  }
  if (!matched) {
    const n = Number(text);
    return Number.isFinite(n) ? n * 1000 : undefined;
  }
  return total;
}

/** An optional integer option ≥ 1 (the fallback when undefined), or a one-line error naming `field`. */
export function positiveIntOption(value: number | undefined, field: string, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new GdfoError('BAD_OPTION', `${field}: expected an integer ≥ 1, got ${String(value)}`);
  return v;
}
