/** Registers the local teacher and student factories by name ('local'). */
import type { Registry, Template, Verbalizer } from '@gdfo/spec';
import { resolveModelPath, shippedCheckpoint } from '@gdfo/models';
import { createLocalTeacher, type LocalTeacherOptions } from './teacher.js';
import { createLocalStudent, type LocalStudentOptions } from './student.js';
import { GdfoError } from '@gdfo/core';

function checkpointDir(v: unknown, fallback: 'teacher' | 'student'): string {
  if (v === undefined) return shippedCheckpoint(fallback);
  return modelDir(v, 'checkpoint');
}

function modelDir(v: unknown, key: string): string {
  if (typeof v !== 'string' || !v) throw new GdfoError('BAD_OPTION', `${key}: expected a model folder or a shipped name, got ${JSON.stringify(v)}`);
  return resolveModelPath(v);
}

export function registerLocal(registry: Registry): void {
  registry.register(
    'teacher',
    'local',
    (options) => createLocalTeacher({ ...(options as Partial<LocalTeacherOptions>), checkpoint: checkpointDir(options.checkpoint, 'teacher') }),
    'in-process masked LM from a checkpoint (a Hugging Face BERT/RoBERTa folder or a gdfo-mlm checkpoint; default: the shipped mlm-4x256); continuous shallow/deep prompts',
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
        ...(options.alignTo !== undefined ? { alignTo: modelDir(options.alignTo, 'alignTo') } : {}),
      }),
    "frozen small masked LM (default: the shipped mlm-2x128) with a trainable prompt generator q + B·z (or, with generator: 'projected', q + (A·z)·W tied to the search space, W optionally started from the vocabulary alignment to the teacher: alignTo) and output head",
  );
}
