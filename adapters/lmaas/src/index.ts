export { createLmaasServer } from './server.js';
export type { LmaasServer, LmaasServerOptions } from './server.js';
export { createLmaasTeacher } from './client.js';
export type { LmaasTeacherOptions } from './client.js';
export { encodeFloat32, decodeFloat32, promptToWire, promptFromWire } from './wire.js';
export type { WirePrompt } from './wire.js';
export { registerLmaas } from './module.js';
