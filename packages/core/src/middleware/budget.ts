/**
 * Budget middleware: reserves before the call, commits exactly once on success (with the usage the provider
 * reported, or none for a cache hit beyond the call itself), releases on failure. Put it outside the retry
 * middleware so that retries of one request are one call.
 */
import type { Teacher, TeacherMiddleware } from '@gdfo/spec';
import type { BudgetMeter } from '../budget.js';
import { wrap } from './limits.js';

export function withBudget(budget: BudgetMeter): TeacherMiddleware {
  return (inner: Teacher) =>
    wrap(inner, async (request, options) => {
      const reservation = budget.reserve(request.purpose);
      let result;
      try {
        result = await inner.score(request, options);
      } catch (err) {
        budget.release(reservation);
        throw err;
      }
      budget.commit(reservation, result.cached ? { calls: 1 } : { calls: 1, ...result.usage });
      return result;
    });
}
