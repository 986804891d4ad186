export * from './experiment.js';
export * from './progress.js';
