export * from './pool.js';
export * from './worker-teacher.js';
export * from './specs.js';
export type { WorkerFaults } from './protocol.js';
export * from './lmaas.js';
