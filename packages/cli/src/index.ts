export * from './experiment.js';
export * from './progress.js';
export * from './plugin-new.js';
export * from './secrets.js';
export * from './fewshot.js';
export * from './explain.js';
export * from './dashboard.js';
