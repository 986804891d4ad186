/**
 * Registers the synthetic teacher by name (`synthetic`; options `{ world: SyntheticOptions }`), so that a
 * serializable spec (a pool worker's `{ kind: 'synthetic', world }`) can name it.
 */
import type { Registry, Teacher } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { createSyntheticTeacher, SyntheticWorld, type SyntheticOptions } from './synthetic.js';

/** Checks `world` (JSON from a spec or a config); one line naming the field. */
export function syntheticWorldOptions(world: unknown): SyntheticOptions {
  const bad = (field: string, expected: string): never => {
    throw new GdfoError('BAD_OPTION', `synthetic teacher ${field}: expected ${expected}`);
  };
  if (!world || typeof world !== 'object') return bad('world', 'an object { dim, width, classes, seed }');
  const w = world as Record<string, unknown>;
  for (const k of ['dim', 'width', 'classes'] as const) {
    if (!Number.isInteger(w[k]) || (w[k] as number) < 1) bad(`world.${k}`, 'a positive integer');
  }
  if (typeof w.seed !== 'number' && typeof w.seed !== 'string') bad('world.seed', 'a number or string');
  for (const k of ['optimumScale', 'logitScale'] as const) {
    if (w[k] !== undefined && !(typeof w[k] === 'number' && Number.isFinite(w[k]))) bad(`world.${k}`, 'a finite number');
  }
  return { ...(w as unknown as SyntheticOptions) };
}

export function registerTesting(registry: Registry): void {
  if (registry.has('teacher', 'synthetic')) return;
  registry.register<Teacher>(
    'teacher',
    'synthetic',
    (options) => createSyntheticTeacher(new SyntheticWorld(syntheticWorldOptions(options.world))),
    'a synthetic black box with a known optimum, for tests and demos (options: world { dim, width, classes, seed })',
  );
}
