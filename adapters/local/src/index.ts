export { createLocalTeacher, whiteBoxGradient } from './teacher.js';
export type { LocalTeacher, LocalTeacherOptions, WhiteBoxResult } from './teacher.js';
export { createLocalStudent } from './student.js';
export type { LocalStudent, LocalStudentOptions } from './student.js';
export { registerLocal } from './module.js';
export { alignEmbeddings, embeddingTable } from './align.js';
export type { Alignment, EmbeddingTable } from './align.js';
