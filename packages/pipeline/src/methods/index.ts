/**
 * The built-in methods and how any method is run: by name, through the registry (kind `method`), so a
 * plugin's method runs exactly like BBT. Strategies, losses and harmonizers are resolved by name there too.
 */
import type { PromptSpace, Registry } from '@gdfo/spec';
import { GdfoError, type ComponentRegistry } from '@gdfo/core';
import type { MethodResult } from '../context.js';
import { registerHarmonizers } from '../harmonizers.js';
import { deepSpace, ensureTeacherScale, shallowSpace } from './common.js';
import { bbt, bbtv2 } from './dfo.js';
import { icl, manual } from './fixed.js';
import { gdfo, gdfoDeep } from './gdfo.js';
import { kd } from './kd.js';
import { registerMethod, type Method, type MethodOptions } from './method.js';
import { whitebox } from './whitebox.js';

export * from './method.js';
export { dfoChain } from './dfo.js';
export { gdfoChain } from './gdfo.js';
export { demonstrationTemplate, demonstrationTemplates, methodEmitter } from './fixed.js';
/** The method kit: what a plugin's method builds its run from. */
export { baseSetup, emptyResult, ensureTeacherScale, harmonizerFor, loss as lossFor, requireStudentOption, searchFor } from './common.js';
export { runGradientMethod, type GradientModel } from './gradient.js';

/** The built-in methods, in the order tables list them. */
export const BUILTIN_METHODS: readonly Method[] = [manual, icl, bbt, bbtv2, gdfo, gdfoDeep, kd, whitebox];

/** The built-in method names. A plugin adds more; the registry knows them all (`registry.names('method')`). */
export const METHODS = ['manual', 'icl', 'bbt', 'bbtv2', 'gdfo', 'gdfo-deep', 'kd', 'whitebox'] as const;
export type MethodName = (typeof METHODS)[number];

export function registerMethods(registry: Registry): void {
  for (const m of BUILTIN_METHODS) registerMethod(registry, m);
}

/** The method registered under `name` (the pipeline's built-in methods and harmonizers are registered on first use). */
export function methodFor(registry: ComponentRegistry, name: string): Method {
  registerHarmonizers(registry);
  registerMethods(registry);
  return registry.resolveSync<Method>('method', name);
}

/**
 * The prompt space a method searches (the one its run builds): `o.space` when given, else BBT's shallow
 * projection or BBTv2's deep one from the teacher's scales, by the method's `space`. Rebuilt identically from
 * the seed, so a saved z (result.json's `bestZ`) can be scored again later (`gdfo eval`).
 */
export async function promptSpaceFor(o: MethodOptions): Promise<PromptSpace> {
  if (o.space) return o.space;
  const method = methodFor(o.registry, o.method);
  if (method.space === 'none') throw new GdfoError('NO_SPACE', `method ${o.method} searches no prompt space (it keeps no z)`);
  const deep = method.space === 'deep';
  await ensureTeacherScale(o.teacher, o.task, deep);
  return deep ? deepSpace(o) : shallowSpace(o);
}

/** Runs one method (built-in or a plugin's, by name) on one task and returns its result. */
export async function runMethod(o: MethodOptions): Promise<MethodResult> {
  return methodFor(o.registry, o.method).run(o);
}
