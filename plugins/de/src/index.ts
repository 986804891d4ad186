/**
 * gdfo-plugin-de — differential evolution strategies for gdfo: `de-rand-1-bin` (Storn & Price) and `jade`
 * (Zhang & Sanderson 2009, with archive). Load with `plugins: [gdfo-plugin-de]` and `strategy: { name: jade }`.
 */
import type { GdfoPlugin, Registry } from '@gdfo/spec';
import { DifferentialEvolution } from './de.js';

export { DifferentialEvolution, type DeOptions, type DeVariant } from './de.js';

export const name = 'gdfo-plugin-de';
export const version = '0.1.0';
export const specVersion = '1.0' as const;

export function register(registry: Registry): void {
  registry.registerStrategy(
    'de-rand-1-bin',
    (o) => new DifferentialEvolution(o, 'rand-1-bin'),
    'differential evolution DE/rand/1/bin (Storn & Price 1997); options F (0.5), CR (0.9)',
  );
  registry.registerStrategy(
    'jade',
    (o) => new DifferentialEvolution(o, 'jade'),
    'JADE: adaptive DE/current-to-pbest/1 with archive (Zhang & Sanderson 2009); options p (0.05), c (0.1), muF, muCR, archive',
  );
}

const plugin: GdfoPlugin = { name, version, specVersion, description: 'Differential evolution strategies: de-rand-1-bin, jade', register };
export default plugin;
