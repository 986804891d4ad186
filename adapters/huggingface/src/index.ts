import type { Registry } from '@gdfo/spec';
import { createHuggingFaceTeacher, type HuggingFaceTeacherOptions } from './teacher.js';

export { createHuggingFaceTeacher } from './teacher.js';
export type { HuggingFaceMode, HuggingFaceTeacherOptions } from './teacher.js';

/** Registers the teacher `huggingface` (options: `HuggingFaceTeacherOptions`; the caller passes `accessToken` in). */
export function registerHuggingFace(registry: Registry): void {
  if (!registry.has('teacher', 'huggingface')) {
    registry.register('teacher', 'huggingface', (o) => createHuggingFaceTeacher(o as unknown as HuggingFaceTeacherOptions), 'Hugging Face (fill-mask, text-classification or chat with logprobs; endpointUrl for self-hosted endpoints)');
  }
}
