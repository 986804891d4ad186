/** Paths of the models shipped inside this package (Hugging Face BERT folders, float16). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GdfoError } from '@gdfo/core';

export const SHIPPED_CHECKPOINTS = ['mlm-4x256', 'mlm-2x128'] as const;
export type ShippedCheckpoint = (typeof SHIPPED_CHECKPOINTS)[number];

/** The default roles: `teacher` is the black box BBT and GDFO tune against, `student` the white-box model GDFO distils. */
export const DEFAULT_TEACHER: ShippedCheckpoint = 'mlm-4x256';
export const DEFAULT_STUDENT: ShippedCheckpoint = 'mlm-2x128';

export function isShippedName(name: string): name is ShippedCheckpoint | 'teacher' | 'student' {
  return name === 'teacher' || name === 'student' || (SHIPPED_CHECKPOINTS as readonly string[]).includes(name);
}

/** Absolute directory of a shipped model (works from src/ under jest and from dist/). */
export function shippedCheckpoint(name: ShippedCheckpoint | 'teacher' | 'student'): string {
  const full = name === 'teacher' ? DEFAULT_TEACHER : name === 'student' ? DEFAULT_STUDENT : name;
  if (!SHIPPED_CHECKPOINTS.includes(full)) throw new GdfoError('NOT_FOUND', `model: unknown shipped model '${name}' (known: teacher, student, ${SHIPPED_CHECKPOINTS.join(', ')}; or pass a folder path)`);
  const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'checkpoints', full);
  if (!existsSync(join(dir, 'config.json'))) throw new GdfoError('NOT_FOUND', `model: ${dir} is missing (the shipped models are committed in packages/models/checkpoints)`);
  return dir;
}

/** A shipped name ('teacher', 'student', 'mlm-4x256', …) to its folder; anything else is taken as a folder path. */
export function resolveModelPath(nameOrPath: string): string {
  return isShippedName(nameOrPath) ? shippedCheckpoint(nameOrPath) : resolve(nameOrPath);
}

export interface ShippedModelInfo {
  readonly name: ShippedCheckpoint;
  readonly role: 'teacher' | 'student';
  readonly path: string;
  /** "4 layers × 256 (4 heads), 7.37 M parameters, held-out MLM accuracy 0.411" */
  readonly summary: string;
}

/** The shipped models with their default roles and sizes (read from config.json and training.json, weights untouched). */
export function listShippedModels(): ShippedModelInfo[] {
  return SHIPPED_CHECKPOINTS.map((name) => {
    const path = shippedCheckpoint(name);
    const c = JSON.parse(readFileSync(join(path, 'config.json'), 'utf8')) as { num_hidden_layers: number; hidden_size: number; num_attention_heads: number };
    const tPath = join(path, 'training.json');
    const t = existsSync(tPath) ? (JSON.parse(readFileSync(tPath, 'utf8')) as { params?: number; heldout_mlm_acc?: number }) : {};
    const size = t.params ? `, ${(t.params / 1e6).toFixed(2)} M parameters` : '';
    const acc = t.heldout_mlm_acc !== undefined ? `, held-out MLM accuracy ${t.heldout_mlm_acc.toFixed(3)}` : '';
    return { name, role: name === DEFAULT_TEACHER ? 'teacher' : 'student', path, summary: `${c.num_hidden_layers} layers × ${c.hidden_size} (${c.num_attention_heads} heads)${size}${acc}` };
  });
}
