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

/** An optional integer option ≥ 1 (the fallback when undefined), or a one-line error naming `field`. */
export function positiveIntOption(value: number | undefined, field: string, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new GdfoError('BAD_OPTION', `${field}: expected an integer ≥ 1, got ${String(value)}`);
  return v;
}
