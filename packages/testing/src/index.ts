export * from './synthetic.js';
export * from './discrete.js';
export * from './module.js';
