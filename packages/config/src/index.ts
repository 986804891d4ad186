/**
 * @gdfo/config — the run configuration: a strict zod schema for YAML/JSON run files, one-line errors naming
 * file, line and key, command-line flag merging, and the generated configuration reference.
 */
export { configSchema, taskSchema, configJsonSchema, type GdfoConfig, type GdfoConfigInput } from './schema.js';
export { loadConfig, parseConfig, parseConfigText, expandShorthands, ConfigError, formatPath, describeValue, schemaAt, typeAt } from './load.js';
export { mergeFlags, methodOptions, type ConfigFlags, type ConfigMethodOptions } from './flags.js';
export { configReference, configSchemaText, referenceRows, EXAMPLE_CONFIG, type ReferenceRow } from './reference.js';
export { writeConfigDocs } from './write-docs.js';
