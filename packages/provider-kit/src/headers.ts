/**
 * Rate-limit headers of HTTP providers: how long to wait before the next request, in milliseconds. Adapters
 * put the result in `TeacherError.retryAfterMs` (failures, via `httpTeacherError`) or hold their
 * `RequestLimiter` with it (successful responses whose `x-ratelimit-remaining-*` is exhausted).
 */

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
