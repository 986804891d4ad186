/**
 * gdfo-plugin-template — a gdfo plugin. The default export is the manifest gdfo's plugin loader checks
 * (`name`, `version`, `specVersion`) and the `register` function it calls with the registry.
 */
import type { GdfoPlugin, Registry } from '@gdfo/spec';
import { LocalRandomSearch } from './search.js';

export { LocalRandomSearch } from './search.js';

/** The plugin's short name (`gdfo plugin new <name>` sets it); components are registered under it. */
export const SHORT_NAME = 'template';
export const name = 'gdfo-plugin-template';
export const version = '0.1.0';
/** The version of the gdfo contracts (@gdfo/spec) this plugin was written for. */
export const specVersion = '1.0' as const;

/** The strategy this plugin adds: use it with `strategy: { name: <SHORT_NAME>-random-search }`. */
export const STRATEGY = `${SHORT_NAME}-random-search`;

export function register(registry: Registry): void {
  registry.registerStrategy(STRATEGY, (options) => new LocalRandomSearch(STRATEGY, options), '(1, λ) random search around the best point with an adaptive step');
}

const plugin: GdfoPlugin = { name, version, specVersion, description: 'An example strategy: adaptive local random search', register };
export default plugin;
