/** Registers the local teacher and student factories by name ('local'). */
import type { Registry, Template, Verbalizer } from '@gdfo/spec';
import { shippedCheckpoint } from '@gdfo/models';
import { createLocalTeacher, type LocalTeacherOptions } from './teacher.js';
import { createLocalStudent, type LocalStudentOptions } from './student.js';

function checkpointDir(v: unknown, fallback: 'teacher' | 'student'): string {
  if (v === undefined) return shippedCheckpoint(fallback);
  if (typeof v !== 'string' || !v) throw new Error(`checkpoint: expected a directory or a shipped name, got ${JSON.stringify(v)}`);
  if (v === 'teacher' || v === 'student' || v === 'gdfo-teacher-mini' || v === 'gdfo-student-tiny') return shippedCheckpoint(v);
  return v;
}

export function registerLocal(registry: Registry): void {
  registry.register(
    'teacher',
    'local',
    (options) => createLocalTeacher({ ...(options as Partial<LocalTeacherOptions>), checkpoint: checkpointDir(options.checkpoint, 'teacher') }),
    'in-process masked LM from a checkpoint (default: the shipped gdfo-teacher-mini); continuous shallow/deep prompts',
  );
  registry.register(
    'student',
    'local',
    (options) =>
      createLocalStudent({
        ...(options as unknown as LocalStudentOptions),
        template: options.template as Template | string,
        verbalizer: options.verbalizer as Verbalizer | readonly string[],
        checkpoint: checkpointDir(options.checkpoint, 'student'),
      }),
    "frozen small masked LM (default: the shipped gdfo-student-tiny) with a trainable prompt generator q + B·z (or, with generator: 'projected', q + (A·z)·W tied to the search space) and output head",
  );
}
