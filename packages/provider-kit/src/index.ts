export * from './headers.js';
export * from './limiter.js';
export * from './text.js';
export * from './chat.js';
export * from './rows.js';
export * from './teacher.js';
export * from './remote.js';
