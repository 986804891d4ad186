import type { Teacher, TeacherMiddleware } from '@gdfo/spec';

export * from './cache.js';
export * from './retry.js';
export * from './limits.js';
export * from './budget.js';

/** Applies middlewares outermost first: `composeTeacher(t, budget, cache, retry)` = budget(cache(retry(t))). */
export function composeTeacher(teacher: Teacher, ...middlewares: TeacherMiddleware[]): Teacher {
  return middlewares.reduceRight((inner, mw) => mw(inner), teacher);
}
