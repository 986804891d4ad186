import { parseDuration, retryAfterFromHeaders } from './headers.js';

describe('rate-limit headers', () => {
  it('reads Retry-After seconds, HTTP dates, retry-after-ms and exhausted x-ratelimit resets', () => {
    const h = (o: Record<string, string>) => (k: string) => o[k];
    expect(retryAfterFromHeaders(h({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterFromHeaders(h({ 'retry-after': 'Wed, 21 Oct 2015 07:28:10 GMT' }), Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(retryAfterFromHeaders(h({ 'retry-after-ms': '250' }))).toBe(250);
    expect(
      retryAfterFromHeaders(h({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-tokens': '10', 'x-ratelimit-reset-tokens': '1s' })),
    ).toBe(360_000);
    expect(retryAfterFromHeaders(h({ 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '1s' }))).toBeUndefined();
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('20ms')).toBe(20);
  });
});
