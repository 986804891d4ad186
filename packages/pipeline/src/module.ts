/**
 * Registers the pipeline's components by name: the harmonizers and the methods (a plugin adds its own with
 * `registry.register('harmonizer' | 'method', …)`). Idempotent: names already registered are left alone.
 */
import type { Harmonizer, Registry } from '@gdfo/spec';
import { HARMONIZERS, type HarmonizerOptions } from './harmonizers.js';
import { registerMethods } from './methods/index.js';

export function registerPipeline(registry: Registry): void {
  const descriptions: Record<string, string> = {
    none: 'plain BBT: the student is trained and measured but does not steer the search',
    'gradient-sample': "replace the student's worst-ranked candidate with m − σ·√d·ĝ (guided ES); the strategy can reject it",
    'mean-shift': 'after tell, move the mean along −ĝ by trust·σ·√d while the student agrees with the teacher',
    'surrogate-screen': 'sample κ·λ candidates, send the λ the student ranks best to the teacher',
  };
  for (const [name, make] of Object.entries(HARMONIZERS)) {
    if (!registry.has('harmonizer', name)) registry.register<Harmonizer>('harmonizer', name, (o) => make(o as HarmonizerOptions), descriptions[name]);
  }
  registerMethods(registry);
}
