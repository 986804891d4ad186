import type { Template, Verbalizer } from '@gdfo/spec';
import { loadCheckpoint, type LoadedModel } from '@gdfo/models';
import { GdfoError } from '@gdfo/core';

export const SPEC_VERSION = '1.0' as const;

export function resolveModel(opts: { checkpoint?: string; model?: LoadedModel }, who: string): LoadedModel {
  if (opts.model) return opts.model;
  if (!opts.checkpoint) throw new GdfoError('BAD_OPTION', `${who}: pass 'checkpoint' (a checkpoint directory) or 'model' (a loaded model)`);
  return loadCheckpoint(opts.checkpoint);
}

export function templateText(t: Template | string): string {
  return typeof t === 'string' ? t : t.text;
}

export function verbalizerWords(v: Verbalizer | readonly string[]): readonly string[] {
  return Array.isArray(v) ? (v as readonly string[]) : (v as Verbalizer).words;
}

export { positiveIntOption as positiveInt } from '@gdfo/core';
