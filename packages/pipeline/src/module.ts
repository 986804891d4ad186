/**
 * Registers the pipeline's components by name: the harmonizers and the methods (a plugin adds its own with
 * `registry.register('harmonizer', …)` / `registerMethod(registry, …)`). Idempotent: names already registered
 * are left alone.
 */
import type { Registry } from '@gdfo/spec';
import { registerHarmonizers } from './harmonizers.js';
import { registerMethods } from './methods/index.js';

export function registerPipeline(registry: Registry): void {
  registerHarmonizers(registry);
  registerMethods(registry);
}
