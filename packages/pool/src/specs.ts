/**
 * Serializable teacher specs: what a worker thread (or any other process) needs to build the same teacher.
 * A spec is plain JSON, so it crosses `postMessage`, a job queue or a config file unchanged.
 */
import type { Teacher } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';

/** The synthetic black box of @gdfo/pipeline (`new SyntheticWorld(world)` + `createSyntheticTeacher`). */
export interface SyntheticTeacherSpec {
  readonly kind: 'synthetic';
  readonly world: {
    readonly dim: number;
    readonly width: number;
    readonly classes: number;
    readonly seed: number | string;
    readonly optimumScale?: number;
    readonly logitScale?: number;
  };
}

/** The local teacher of @gdfo/adapter-local over a checkpoint directory (`createLocalTeacher`). */
export interface LocalTeacherSpec {
  readonly kind: 'local';
  readonly checkpoint: string;
  /** `LocalTeacherOptions` other than `checkpoint` / `model` (JSON values only). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/**
 * Any teacher factory a module exports: `(await import(module))[exportName](options)`. `module` is a file path
 * (absolute, or relative to the process's working directory), a file URL or a package name.
 */
export interface ModuleTeacherSpec {
  readonly kind: 'module';
  readonly module: string;
  /** Export to call (default `createTeacher`). */
  readonly export?: string;
  readonly options?: unknown;
}

export type TeacherSpec = SyntheticTeacherSpec | LocalTeacherSpec | ModuleTeacherSpec;

/** Checks a spec's shape; throws one line naming the field. */
export function validateTeacherSpec(spec: unknown): TeacherSpec {
  const bad = (field: string, expected: string): never => {
    throw new GdfoError('BAD_TEACHER_SPEC', `teacher spec ${field}: expected ${expected}`);
  };
  if (!spec || typeof spec !== 'object') return bad('', "an object with a kind ('synthetic', 'local' or 'module')");
  const s = spec as Record<string, unknown>;
  switch (s.kind) {
    case 'synthetic': {
      const w = s.world as Record<string, unknown> | undefined;
      if (!w || typeof w !== 'object') return bad('world', 'an object { dim, width, classes, seed }');
      for (const k of ['dim', 'width', 'classes'] as const) {
        if (!Number.isInteger(w[k]) || (w[k] as number) < 1) bad(`world.${k}`, 'a positive integer');
      }
      if (typeof w.seed !== 'number' && typeof w.seed !== 'string') bad('world.seed', 'a number or string');
      return spec as SyntheticTeacherSpec;
    }
    case 'local':
      if (typeof s.checkpoint !== 'string' || !s.checkpoint) bad('checkpoint', 'a checkpoint directory path');
      if (s.options !== undefined && (typeof s.options !== 'object' || s.options === null)) bad('options', 'an object');
      return spec as LocalTeacherSpec;
    case 'module':
      if (typeof s.module !== 'string' || !s.module) bad('module', 'a package name or file path');
      if (s.export !== undefined && typeof s.export !== 'string') bad('export', 'the name of an exported factory');
      return spec as ModuleTeacherSpec;
    default:
      return bad('kind', `'synthetic', 'local' or 'module', got ${JSON.stringify(s.kind)}`);
  }
}

/** Builds the teacher a spec describes, in this thread. */
export async function buildTeacher(spec: TeacherSpec): Promise<Teacher> {
  validateTeacherSpec(spec);
  switch (spec.kind) {
    case 'synthetic': {
      const { SyntheticWorld, createSyntheticTeacher } = await import('@gdfo/pipeline');
      return createSyntheticTeacher(new SyntheticWorld({ ...spec.world }));
    }
    case 'local': {
      const { createLocalTeacher } = await import('@gdfo/adapter-local');
      return createLocalTeacher({ ...(spec.options ?? {}), checkpoint: spec.checkpoint });
    }
    case 'module': {
      // A path that exists (relative to the working directory) is a file; anything else a package name or URL.
      const specifier = (await exists(spec.module)) ? await toFileUrl(spec.module) : spec.module;
      const mod = (await import(specifier)) as Record<string, unknown>;
      const name = spec.export ?? 'createTeacher';
      const factory = mod[name];
      if (typeof factory !== 'function') {
        throw new GdfoError('BAD_TEACHER_SPEC', `teacher spec export: module ${spec.module} has no function export "${name}"`);
      }
      return (await (factory as (o: unknown) => Teacher | Promise<Teacher>)(spec.options)) as Teacher;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  if (path.startsWith('file:')) return false;
  const { existsSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  return existsSync(resolve(path));
}

async function toFileUrl(path: string): Promise<string> {
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  return pathToFileURL(resolve(path)).href;
}
