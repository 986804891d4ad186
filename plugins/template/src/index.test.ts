import type { Optimizer } from '@gdfo/spec';
import { createContainer, createRng, installPlugin } from '@gdfo/core';
import plugin, { STRATEGY, SHORT_NAME } from './index.js';

const sphere = (x: Float64Array) => x.reduce((s, v) => s + v * v, 0);

describe(`gdfo-plugin-template`, () => {
  it('has a manifest the loader accepts and registers its strategy', async () => {
    const { registry } = createContainer({ seed: 1 });
    const loaded = await installPlugin(registry, plugin, plugin.name);
    expect(loaded.specVersion).toBe('1.0');
    expect(registry.names('strategy')).toEqual([`${SHORT_NAME}-random-search`]);
    expect(registry.get('strategy', STRATEGY).origin).toBe(`${plugin.name}@${plugin.version}`);
  });

  it('its strategy minimizes the sphere and restores its state exactly', async () => {
    const { registry } = createContainer({ seed: 1 });
    await installPlugin(registry, plugin, plugin.name);
    const make = (seed: number) =>
      registry.resolveSync<Optimizer>('strategy', STRATEGY, { dim: 5, rng: createRng(seed), popSize: 8, sigma0: 1, x0: new Float64Array(5).fill(2) });
    const a = make(7);
    for (let g = 0; g < 150; g++) {
      const xs = a.ask();
      a.tell(xs, xs.map(sphere));
    }
    // From f(x0) = 20 to well below 1e-6.
    expect(a.best!.f).toBeLessThan(1e-6);
    const b = make(99);
    b.restore(a.state());
    const xa = a.ask();
    expect(b.ask()).toEqual(xa);
    // The kit validates what it restores: one-line errors with code BAD_STATE naming the field.
    expect(() => b.restore({ ...(a.state() as object), center: new Float64Array(2) })).toThrow(
      expect.objectContaining({
        code: 'BAD_STATE',
        message: `${STRATEGY}.restore: field "center" must be a Float64Array of length 5`,
      }),
    );
  });
});
