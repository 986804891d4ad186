/**
 * Name → component resolution: the registry is the front door of an inversify container.
 *
 * Each component kind has a service identifier (`kindToken(kind)`); a registration binds its factory to it
 * `whenNamed(name)`. A config saying `strategy: cma-es` becomes `container.get(kindToken('strategy'),
 * { name: 'cma-es' })` → the factory → the object. The run's services are bound in the same container
 * (`TOKENS.Clock`, `TOKENS.Rng`) and injected into every factory through its `FactoryContext` (the clock, an
 * RNG stream forked from the root by kind and name), so a test that rebinds the clock changes it for every
 * component built afterwards. Packages contribute a `register*(registry)` function (their small module);
 * plugins do the same through the spec's `Registry` contract and never import inversify or use decorators.
 */
import { Container } from 'inversify';
import type {
  ComponentFactory,
  ComponentKind,
  FactoryContext,
  Optimizer,
  OptimizerFactory,
  OptimizerOptions,
  Registry,
  Rng,
} from '@gdfo/spec';
import { GdfoError } from './errors.js';
import { createRng } from './rng.js';
import { systemClock, type Clock } from './clock.js';

export const COMPONENT_KINDS: readonly ComponentKind[] = [
  'strategy',
  'loss',
  'teacher',
  'student',
  'task',
  'harmonizer',
  'middleware',
  'method',
];

/** Service identifiers of the container. */
export const TOKENS = {
  Registry: Symbol.for('gdfo.Registry'),
  Clock: Symbol.for('gdfo.Clock'),
  Rng: Symbol.for('gdfo.Rng'),
} as const;

const kindTokens = new Map<ComponentKind, symbol>(COMPONENT_KINDS.map((k) => [k, Symbol.for(`gdfo.component.${k}`)]));

export function kindToken(kind: ComponentKind): symbol {
  const t = kindTokens.get(kind);
  if (!t) throw new GdfoError('UNKNOWN_KIND', `unknown component kind "${kind}"; expected one of ${COMPONENT_KINDS.join(', ')}`);
  return t;
}

export interface Registration {
  readonly kind: ComponentKind;
  readonly name: string;
  readonly factory: ComponentFactory;
  readonly description: string;
  /** Who registered it: a package or plugin name. */
  readonly origin: string;
}

export class ComponentRegistry implements Registry {
  private readonly entries = new Map<string, Registration>();
  /** Set while a plugin registers, so listings can say where a component came from. */
  origin = '@gdfo/core';

  constructor(readonly container: Container) {}

  private rootRng(): Rng {
    return this.container.get<Rng>(TOKENS.Rng);
  }

  register<T>(kind: ComponentKind, name: string, factory: ComponentFactory<T>, description = ''): void {
    if (!/^[a-z0-9][a-z0-9._/@-]*$/i.test(name)) {
      throw new GdfoError('BAD_NAME', `${kind} name "${name}" is invalid: expected letters, digits, '.', '-', '_', '/' or '@'`);
    }
    const key = `${kind}:${name}`;
    const existing = this.entries.get(key);
    if (existing) {
      throw new GdfoError(
        'DUPLICATE_COMPONENT',
        `${kind} "${name}" is already registered by ${existing.origin}; ${this.origin} cannot register it again`,
      );
    }
    const reg: Registration = { kind, name, factory: factory as ComponentFactory, description, origin: this.origin };
    this.entries.set(key, reg);
    this.container.bind<Registration>(kindToken(kind)).toConstantValue(reg).whenNamed(name);
  }

  registerStrategy(name: string, factory: OptimizerFactory, description = ''): void {
    this.register<Optimizer>('strategy', name, (options) => factory(options as unknown as OptimizerOptions), description);
  }

  has(kind: ComponentKind, name: string): boolean {
    return this.container.isBound(kindToken(kind), { name });
  }

  names(kind: ComponentKind): string[] {
    return [...this.entries.values()].filter((e) => e.kind === kind).map((e) => e.name).sort();
  }

  list(kind?: ComponentKind): Registration[] {
    return [...this.entries.values()]
      .filter((e) => !kind || e.kind === kind)
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  }

  get(kind: ComponentKind, name: string): Registration {
    if (!this.has(kind, name)) {
      const known = this.names(kind);
      throw new GdfoError(
        'UNKNOWN_COMPONENT',
        `unknown ${kind} "${name}"; known: ${known.length ? known.join(', ') : '(none registered)'}`,
      );
    }
    return this.container.get<Registration>(kindToken(kind), { name });
  }

  /** Builds a component by kind and name with its options. */
  async resolve<T>(kind: ComponentKind, name: string, options: Readonly<Record<string, unknown>> = {}, rng?: Rng): Promise<T> {
    const reg = this.get(kind, name);
    return (await reg.factory(options, this.context(rng ?? this.rootRng().fork(`${kind}:${name}`)))) as T;
  }

  /** Synchronous build, for factories that do not return a promise (strategies, losses). */
  resolveSync<T>(kind: ComponentKind, name: string, options: Readonly<Record<string, unknown>> = {}, rng?: Rng): T {
    const reg = this.get(kind, name);
    const out = reg.factory(options, this.context(rng ?? this.rootRng().fork(`${kind}:${name}`)));
    if (out instanceof Promise) {
      throw new GdfoError('ASYNC_FACTORY', `${kind} "${name}" has an asynchronous factory; use resolve()`);
    }
    return out as T;
  }

  /** The services of the container a factory gets: an RNG stream and the clock (rebinding them changes them). */
  private context(rng: Rng): FactoryContext {
    return { rng, clock: this.container.get<Clock>(TOKENS.Clock), resolve: (k, n, o) => this.resolve(k, n, o) };
  }
}

export interface ContainerOptions {
  seed?: number | string;
  clock?: Clock;
}

/** A fresh container with the registry, clock and root RNG bound. */
export function createContainer(options: ContainerOptions = {}): { container: Container; registry: ComponentRegistry } {
  const container = new Container();
  const rng = createRng(options.seed ?? 0);
  const registry = new ComponentRegistry(container);
  container.bind(TOKENS.Registry).toConstantValue(registry);
  container.bind(TOKENS.Clock).toConstantValue(options.clock ?? systemClock);
  container.bind(TOKENS.Rng).toConstantValue(rng);
  return { container, registry };
}
