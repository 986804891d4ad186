/**
 * @gdfo/tasks — task registry (templates, verbalizers, metrics), loaders (JSONL / TSV / CSV, Hugging Face
 * datasets-server when online), seeded few-shot sampling, and the embedded SpamAssassin task.
 */
export * from './definitions.js';
export * from './hub.js';
export * from './loaders.js';
export * from './metrics.js';
export * from './sampler.js';
export * from './spam.js';
export * from './tasks.js';
export * from './template.js';
