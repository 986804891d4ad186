export { createLocalTeacher, whiteBoxGradient } from './teacher.js';
export type { LocalTeacher, LocalTeacherOptions, WhiteBoxResult } from './teacher.js';
export { createLocalStudent } from './student.js';
export type { LocalStudent, LocalStudentOptions } from './student.js';
export { registerLocal } from './module.js';
