export * from './limiter.js';
export * from './text.js';
export * from './remote.js';
export * from './rows.js';
