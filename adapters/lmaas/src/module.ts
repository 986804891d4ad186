/** Registers the LMaaS client teacher by name ('lmaas'). Options: { url, token }. */
import type { Registry } from '@gdfo/spec';
import { createLmaasTeacher } from './client.js';

export function registerLmaas(registry: Registry): void {
  registry.register(
    'teacher',
    'lmaas',
    (options) => createLmaasTeacher({ url: options.url as string, token: options.token as string }),
    'a teacher served over HTTP by `gdfo serve` / createLmaasServer (continuous prompts as base64 float32)',
  );
}
