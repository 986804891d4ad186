/** Template helpers: validation and filling of `{text}` / `{textB}` / `{mask}` cloze templates. */
import type { Example, Template } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';

const PLACEHOLDER = /\{(text|textB|mask)\}/g;

/** Checks that a template has exactly one `{mask}`, a `{text}`, and no unknown `{...}` placeholder. */
export function validateTemplate(template: Template | string): void {
  const t = typeof template === 'string' ? template : template.text;
  const masks = t.split('{mask}').length - 1;
  if (masks !== 1) throw new GdfoError('BAD_TASK', `template: expected exactly one {mask}, got ${masks} in ${JSON.stringify(t)}`);
  if (!t.includes('{text}')) throw new GdfoError('BAD_TASK', `template: expected a {text} placeholder in ${JSON.stringify(t)}`);
  const unknown = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
  for (const m of t.matchAll(unknown)) {
    if (m[1] !== 'text' && m[1] !== 'textB' && m[1] !== 'mask') {
      throw new GdfoError('BAD_TASK', `template: unknown placeholder {${m[1]}} in ${JSON.stringify(t)}; expected {text}, {textB}, {mask}`);
    }
  }
}

/** Whether the template uses `{textB}` (a sentence-pair template). */
export function templateNeedsTextB(template: Template | string): boolean {
  return (typeof template === 'string' ? template : template.text).includes('{textB}');
}

/**
 * Fills the template for one example, writing `mask` (e.g. `<mask>` or `[MASK]`) at the mask slot.
 * Substitution is a single pass, so braces inside the example text are kept literally.
 */
export function fillTemplate(template: Template | string, example: Pick<Example, 'text' | 'textB' | 'id'>, mask: string): string {
  const t = typeof template === 'string' ? template : template.text;
  return t.replace(PLACEHOLDER, (_m, name: string) => {
    if (name === 'mask') return mask;
    if (name === 'text') return example.text;
    if (example.textB === undefined) {
      throw new GdfoError('BAD_DATA', `template: example "${example.id}" has no textB but the template ${JSON.stringify(t)} needs {textB}`);
    }
    return example.textB;
  });
}
