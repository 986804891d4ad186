import type { Registry } from '@gdfo/spec';
import { createOpenAITeacher, type OpenAITeacherOptions } from './teacher.js';

export { createOpenAITeacher } from './teacher.js';
export type { OpenAITeacherOptions } from './teacher.js';

/** Registers the teacher `openai` (options: `OpenAITeacherOptions`; the caller passes `apiKey` in). */
export function registerOpenAI(registry: Registry): void {
  if (!registry.has('teacher', 'openai')) {
    registry.register('teacher', 'openai', (o) => createOpenAITeacher(o as unknown as OpenAITeacherOptions), 'OpenAI (or any OpenAI-compatible server): verbalizer log-probabilities from logprobs/top_logprobs');
  }
}
