export * from './cells.js';
export * from './local.js';
export * from './queue.js';
export * from './sweep.js';
export * from './redis-server.js';
