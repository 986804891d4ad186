/** Paths of the checkpoints shipped inside this package. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHIPPED_CHECKPOINTS = ['gdfo-teacher-mini', 'gdfo-student-tiny'] as const;
export type ShippedCheckpoint = (typeof SHIPPED_CHECKPOINTS)[number];

/** Absolute directory of a shipped checkpoint (works from src/ under jest and from dist/). */
export function shippedCheckpoint(name: ShippedCheckpoint | 'teacher' | 'student'): string {
  const full = name === 'teacher' ? 'gdfo-teacher-mini' : name === 'student' ? 'gdfo-student-tiny' : name;
  if (!SHIPPED_CHECKPOINTS.includes(full)) throw new Error(`checkpoint: unknown shipped checkpoint '${name}' (known: ${SHIPPED_CHECKPOINTS.join(', ')})`);
  const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'checkpoints', full);
  if (!existsSync(join(dir, 'config.json'))) throw new Error(`checkpoint: ${dir} is missing (the shipped checkpoints are committed in packages/models/checkpoints)`);
  return dir;
}
