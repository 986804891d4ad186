/**
 * Serializable teacher specs: what a worker thread (or any other process) needs to build the same teacher.
 * A spec is plain JSON, so it crosses `postMessage`, a job queue or a config file unchanged.
 *
 * A spec names a teacher kind of the registry: `{ kind, options?, plugins? }` is built as
 * `registry.resolve('teacher', kind, options)`, the spec's other fields being options too (so
 * `{ kind: 'local', checkpoint, options }` and `{ kind: 'synthetic', world }` read naturally). The registry
 * (`teacherRegistry`) holds the built-in kinds, each registered by the package that owns it and loaded only when
 * a spec uses it, plus whatever the plugins the spec names register: a plugin's teacher kind works in a worker
 * thread as it does in the main one. An unknown kind is refused with `UNKNOWN_COMPONENT`, naming the known ones.
 */
import type { Registry, Teacher } from '@gdfo/spec';
import { createContainer, GdfoError, loadPlugin, type ComponentRegistry } from '@gdfo/core';

interface SpecBase {
  /** Plugins (package names or paths, resolved from the working directory) to load before building. */
  readonly plugins?: readonly string[];
}

/** The synthetic black box of @gdfo/testing (`new SyntheticWorld(world)` + `createSyntheticTeacher`). */
export interface SyntheticTeacherSpec extends SpecBase {
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
export interface LocalTeacherSpec extends SpecBase {
  readonly kind: 'local';
  readonly checkpoint: string;
  /** `LocalTeacherOptions` other than `checkpoint` / `model` (JSON values only). */
  readonly options?: Readonly<Record<string, unknown>>;
}

/**
 * Any teacher factory a module exports: `(await import(module))[exportName](options)`. `module` is a file path
 * (absolute, or relative to the process's working directory), a file URL or a package name.
 */
export interface ModuleTeacherSpec extends SpecBase {
  readonly kind: 'module';
  readonly module: string;
  /** Export to call (default `createTeacher`). */
  readonly export?: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Any registered teacher kind (a built-in or a plugin's) with its options. */
export interface RegistryTeacherSpec extends SpecBase {
  readonly kind: string;
  readonly options?: Readonly<Record<string, unknown>>;
}

export type TeacherSpec = SyntheticTeacherSpec | LocalTeacherSpec | ModuleTeacherSpec | RegistryTeacherSpec;

/** Checks a spec's shape (the kind and its options are checked when it is built); throws one line naming the field. */
export function validateTeacherSpec(spec: unknown): TeacherSpec {
  const bad = (field: string, expected: string): never => {
    throw new GdfoError('BAD_TEACHER_SPEC', `teacher spec ${field}: expected ${expected}`);
  };
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return bad('', 'an object { kind, options?, plugins? }');
  const s = spec as Record<string, unknown>;
  if (typeof s.kind !== 'string' || !s.kind) bad('kind', `the name of a teacher kind, got ${JSON.stringify(s.kind)}`);
  if (s.options !== undefined && (typeof s.options !== 'object' || s.options === null || Array.isArray(s.options))) bad('options', 'an object');
  if (s.plugins !== undefined && (!Array.isArray(s.plugins) || s.plugins.some((p) => typeof p !== 'string' || !p))) bad('plugins', 'a list of package names or paths');
  return spec as TeacherSpec;
}

/** The options a spec's kind is resolved with: `options`, then every other field but `kind` and `plugins`. */
export function teacherSpecOptions(spec: TeacherSpec): Readonly<Record<string, unknown>> {
  const { kind: _kind, plugins: _plugins, options, ...fields } = spec as RegistryTeacherSpec & Record<string, unknown>;
  return { ...(options ?? {}), ...fields };
}

/** The `module` kind: a factory exported by a module (see `ModuleTeacherSpec`). */
export function registerModuleTeacher(registry: Registry): void {
  registry.register<Teacher>(
    'teacher',
    'module',
    async (options) => {
      const { module, export: exportName, ...rest } = options as { module?: unknown; export?: unknown };
      if (typeof module !== 'string' || !module) throw new GdfoError('BAD_TEACHER_SPEC', 'teacher spec module: expected a package name or file path');
      if (exportName !== undefined && typeof exportName !== 'string') throw new GdfoError('BAD_TEACHER_SPEC', 'teacher spec export: expected the name of an exported factory');
      // A path that exists (relative to the working directory) is a file; anything else a package name or URL.
      const specifier = (await exists(module)) ? await toFileUrl(module) : module;
      const mod = (await import(specifier)) as Record<string, unknown>;
      const name = exportName ?? 'createTeacher';
      const factory = mod[name];
      if (typeof factory !== 'function') {
        throw new GdfoError('BAD_TEACHER_SPEC', `teacher spec export: module ${module} has no function export "${name}"`);
      }
      return (await (factory as (o: unknown) => Teacher | Promise<Teacher>)(rest)) as Teacher;
    },
    'a teacher factory exported by a module (options: module, export, and the factory’s own options)',
  );
}

/**
 * The built-in teacher kinds of a pool worker and the package that registers each (loaded when first used, so
 * a thread that builds the synthetic teacher never loads tfjs).
 */
const BUILT_IN: Readonly<Record<string, { readonly origin: string; load(): Promise<(registry: Registry) => void> }>> = {
  local: { origin: '@gdfo/adapter-local', load: async () => (await import('@gdfo/adapter-local')).registerLocal },
  lmaas: { origin: '@gdfo/adapter-lmaas', load: async () => (await import('@gdfo/adapter-lmaas')).registerLmaas },
  synthetic: { origin: '@gdfo/testing', load: async () => (await import('@gdfo/testing')).registerTesting },
  module: { origin: '@gdfo/pool', load: async () => registerModuleTeacher },
};

/**
 * Registers the built-in teacher kinds that `registry` does not have yet: each resolves through a registry of
 * its own package's registrations, loaded on first use.
 */
export function registerBuiltInTeachers(registry: Registry): void {
  for (const [kind, b] of Object.entries(BUILT_IN)) {
    if (registry.has('teacher', kind)) continue;
    registry.register<Teacher>(
      'teacher',
      kind,
      async (options) => {
        const { registry: own } = createContainer();
        (await b.load())(own);
        return own.resolve<Teacher>('teacher', kind, options);
      },
      `built in (${b.origin}, loaded when used)`,
    );
  }
}

/** A registry with the plugins `spec` names and the built-in teacher kinds (what a worker thread builds from). */
export async function teacherRegistry(spec?: Pick<TeacherSpec, 'plugins'>): Promise<ComponentRegistry> {
  const { registry } = createContainer();
  for (const p of spec?.plugins ?? []) await loadPlugin(registry, p);
  registerBuiltInTeachers(registry);
  return registry;
}

/**
 * Builds the teacher a spec describes, in this thread: `registry.resolve('teacher', spec.kind, options)` in
 * `registry` as it is (the caller's, with its plugins installed), or by default in `teacherRegistry(spec)`.
 */
export async function buildTeacher(spec: TeacherSpec, registry?: ComponentRegistry): Promise<Teacher> {
  validateTeacherSpec(spec);
  const reg = registry ?? (await teacherRegistry(spec));
  return reg.resolve<Teacher>('teacher', spec.kind, teacherSpecOptions(spec));
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
