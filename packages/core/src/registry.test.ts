import type { Optimizer, OptimizerOptions } from '@gdfo/spec';
import { createContainer, kindToken, TOKENS } from './registry.js';

function fakeStrategy(o: OptimizerOptions): Optimizer {
  return {
    specVersion: '1.0',
    name: 'fake',
    dim: o.dim,
    popSize: o.popSize ?? 4,
    generation: 0,
    evaluations: 0,
    best: undefined,
    ask: () => [],
    tell: () => undefined,
    stop: () => [],
    state: () => null,
    restore: () => undefined,
  };
}

describe('component registry on the inversify container', () => {
  it('resolves a registered strategy by the name a config gives', async () => {
    const { registry, container } = createContainer({ seed: 1 });
    registry.registerStrategy('fake-es', fakeStrategy, 'a fake');
    const opt = await registry.resolve<Optimizer>('strategy', 'fake-es', { dim: 7, popSize: 3 });
    expect(opt.dim).toBe(7);
    expect(opt.popSize).toBe(3);
    expect(registry.names('strategy')).toEqual(['fake-es']);
    // the binding really lives in the container, under the kind's token and the name
    expect(container.isBound(kindToken('strategy'), { name: 'fake-es' })).toBe(true);
    expect(container.get(TOKENS.Registry)).toBe(registry);
  });

  it('names the known components when a name is unknown', async () => {
    const { registry } = createContainer();
    registry.registerStrategy('a', fakeStrategy);
    registry.registerStrategy('b', fakeStrategy);
    await expect(registry.resolve('strategy', 'cma')).rejects.toThrow('unknown strategy "cma"; known: a, b');
    expect(() => registry.get('loss', 'kl')).toThrow('unknown loss "kl"; known: (none registered)');
  });

  it('refuses a duplicate registration and says who owns the name', () => {
    const { registry } = createContainer();
    registry.register('loss', 'kl', () => 1);
    registry.origin = 'gdfo-plugin-x@1.0.0';
    expect(() => registry.register('loss', 'kl', () => 2)).toThrow(
      'loss "kl" is already registered by @gdfo/core; gdfo-plugin-x@1.0.0 cannot register it again',
    );
  });

  it('gives each factory a forked RNG that depends on the seed and the component', async () => {
    const draw = async (seed: number, name: string) => {
      const { registry } = createContainer({ seed });
      registry.register('harmonizer', name, (_o, ctx) => ctx.rng.uniform());
      return registry.resolve<number>('harmonizer', name);
    };
    expect(await draw(1, 'x')).toBe(await draw(1, 'x'));
    expect(await draw(1, 'x')).not.toBe(await draw(2, 'x'));
    expect(await draw(1, 'x')).not.toBe(await draw(1, 'y'));
  });

  it('lets a factory resolve its dependencies through the context', async () => {
    const { registry } = createContainer();
    registry.register('loss', 'ce', () => 'CE');
    registry.register('method', 'm', async (_o, ctx) => `uses ${await ctx.resolve<string>('loss', 'ce')}`);
    expect(await registry.resolve('method', 'm')).toBe('uses CE');
    expect(() => registry.resolveSync('method', 'm')).toThrow(/asynchronous factory/);
  });
});
