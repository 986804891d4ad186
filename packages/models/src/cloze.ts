/**
 * Rendering of cloze inputs for a prompted masked LM. Row layout:
 *   [CLS] · prompt positions (L) · template with {text}/{textB} filled and [MASK] at {mask} · [SEP] · [PAD]…
 * In 'add' mode (and for deep prompts) the prompt positions hold fixed vocabulary tokens (p0, BBT's
 * convention); in 'cat' mode they hold [PAD] placeholders whose word embeddings are replaced by the prompt.
 */
import type { EncodedBatch } from './model.js';
import type { Tokenizer } from './tokenizer.js';
import { GdfoError } from '@gdfo/core';

export interface ClozeExample {
  readonly text: string;
  readonly textB?: string;
}

/**
 * `space`: the part follows whitespace in the template (byte-level BPE encodes " word" and "word" differently;
 * WordPiece ignores it). Whitespace just before {mask} is dropped, as RoBERTa's `<mask>` (lstrip) does.
 */
type Part = { kind: 'lit'; ids: number[] } | { kind: 'text'; space: boolean } | { kind: 'textB'; space: boolean } | { kind: 'mask' };

/**
 * A parsed template: literal pieces tokenized once, and each example's rendering remembered per position
 * budget (a search renders the same training set thousands of times); a remembered rendering is used only
 * while the example's texts are unchanged.
 */
export class ClozeTemplate {
  private readonly parts: Part[];
  readonly usesTextB: boolean;
  private readonly rendered = new WeakMap<ClozeExample, Map<number, { text: string; textB: string | undefined; value: { ids: number[]; mask: number } }>>();

  constructor(
    readonly source: string,
    readonly tokenizer: Tokenizer,
  ) {
    const pieces = source.split(/(\{text\}|\{textB\}|\{mask\})/);
    this.parts = [];
    let masks = 0;
    let texts = 0;
    let space = false;
    for (const p of pieces) {
      if (p === '{text}') {
        this.parts.push({ kind: 'text', space });
        texts++;
      } else if (p === '{textB}') this.parts.push({ kind: 'textB', space });
      else if (p === '{mask}') {
        this.parts.push({ kind: 'mask' });
        masks++;
      } else if (p.length > 0) {
        const body = p.trim();
        const ids = body ? tokenizer.encode(body, { leadingSpace: /^\s/u.test(p) }) : [];
        if (ids.length) this.parts.push({ kind: 'lit', ids });
        space = body ? /\s$/u.test(p) : true;
        continue;
      }
      space = false;
    }
    if (masks !== 1) throw new GdfoError('BAD_TASK', `template: expected exactly one {mask} in '${source}', found ${masks}`);
    if (texts < 1) throw new GdfoError('BAD_TASK', `template: expected a {text} placeholder in '${source}'`);
    this.usesTextB = this.parts.some((p) => p.kind === 'textB');
  }

  /**
   * Token ids of the filled template (no [CLS]/[SEP]) and the mask's index, texts truncated to fit `budget`.
   * The result is shared between calls with the same example and budget: do not modify it.
   */
  render(example: ClozeExample, budget: number): { readonly ids: readonly number[]; readonly mask: number } {
    let byBudget = this.rendered.get(example);
    const hit = byBudget?.get(budget);
    if (hit && hit.text === example.text && hit.textB === example.textB) return hit.value;
    const value = this.renderNew(example, budget);
    if (!byBudget) this.rendered.set(example, (byBudget = new Map()));
    byBudget.set(budget, { text: example.text, textB: example.textB, value });
    return value;
  }

  private renderNew(example: ClozeExample, budget: number): { ids: number[]; mask: number } {
    if (this.usesTextB && example.textB === undefined) throw new GdfoError('BAD_DATA', `template '${this.source}' needs textB, the example has none`);
    const spaceOf = (kind: 'text' | 'textB') => this.parts.some((p) => p.kind === kind && p.space);
    let a = this.tokenizer.encode(example.text, { leadingSpace: spaceOf('text') });
    let b = this.usesTextB ? this.tokenizer.encode(example.textB ?? '', { leadingSpace: spaceOf('textB') }) : [];
    const fixed = this.parts.reduce((n, p) => n + (p.kind === 'lit' ? p.ids.length : p.kind === 'mask' ? 1 : 0), 0);
    let room = budget - fixed;
    if (room < 2) throw new GdfoError('BAD_PROMPT', `template: '${this.source}' leaves no room for the text within ${budget} positions`);
    const texts = this.parts.filter((p) => p.kind === 'text').length;
    while (a.length * texts + b.length > room) {
      if (a.length >= b.length) a = a.slice(0, a.length - 1);
      else b = b.slice(0, b.length - 1);
      room = budget - fixed;
    }
    const ids: number[] = [];
    let mask = -1;
    for (const p of this.parts) {
      if (p.kind === 'lit') ids.push(...p.ids);
      else if (p.kind === 'text') ids.push(...a);
      else if (p.kind === 'textB') ids.push(...b);
      else {
        mask = ids.length;
        ids.push(this.tokenizer.specials.mask);
      }
    }
    return { ids, mask };
  }
}

export interface ClozeBatch extends EncodedBatch {
  /** Flat row index (b·seq + position) of each row's [MASK]. */
  readonly maskRows: Int32Array;
  /** Number of non-pad tokens over the batch (for usage reports). */
  readonly tokens: number;
}

export interface ClozeLayout {
  /** Prompt positions after [CLS] (0 for none). */
  readonly promptLength: number;
  /** 'add'/'deep': fixed tokens p0 at the prompt positions; 'cat': [PAD] placeholders. */
  readonly mode: 'add' | 'cat';
  readonly promptTokens: readonly number[];
  readonly maxPositions: number;
}

/** Encodes examples into one padded batch (padded to the longest row). */
export function buildClozeBatch(template: ClozeTemplate, examples: readonly ClozeExample[], layout: ClozeLayout): ClozeBatch {
  const L = layout.promptLength;
  if (L > 0 && layout.mode === 'add' && L > layout.promptTokens.length) throw new GdfoError('BAD_PROMPT', `prompt: length ${L} exceeds the ${layout.promptTokens.length} fixed prompt tokens of this model`);
  const budget = layout.maxPositions - 2 - L;
  if (budget < 3) throw new GdfoError('BAD_PROMPT', `prompt: ${L} prompt positions + [CLS] + [SEP] leave ${Math.max(0, budget)} of the ${layout.maxPositions} input positions (maxLength, at most max_position_embeddings) for the template and text`);
  const rows = examples.map((e) => template.render(e, budget));
  const seq = Math.max(...rows.map((r) => r.ids.length)) + 2 + L;
  const B = examples.length;
  const sp = template.tokenizer.specials;
  const ids = new Int32Array(B * seq).fill(sp.pad);
  const lengths = new Int32Array(B);
  const maskRows = new Int32Array(B);
  let tokens = 0;
  rows.forEach((r, b) => {
    const o = b * seq;
    ids[o] = sp.cls;
    for (let i = 0; i < L; i++) ids[o + 1 + i] = layout.mode === 'add' ? layout.promptTokens[i]! : sp.pad;
    for (let i = 0; i < r.ids.length; i++) ids[o + 1 + L + i] = r.ids[i]!;
    ids[o + 1 + L + r.ids.length] = sp.sep;
    lengths[b] = r.ids.length + 2 + L;
    maskRows[b] = o + 1 + L + r.mask;
    tokens += lengths[b]!;
  });
  return { ids, batch: B, seq, lengths, maskRows, tokens };
}

/** Vocabulary ids of verbalizer words; one-line error when a word is not a single token. */
export function verbalizerIds(tokenizer: Tokenizer, words: readonly string[], modelName: string): Int32Array {
  return Int32Array.from(
    words.map((w) => {
      const id = tokenizer.wordId(w);
      if (id === undefined) throw new GdfoError('BAD_TASK', `verbalizer: '${w}' is not a single token of ${modelName}'s vocabulary (it splits into ${JSON.stringify(tokenizer.tokens(w))})`);
      return id;
    }),
  );
}

/** BBTv2's robust std: 5 rounds of dropping values outside μ ± 3σ. */
export function clippedStd(values: ArrayLike<number>, rounds = 5): number {
  let data = Float64Array.from(values as ArrayLike<number>);
  let std = 0;
  for (let r = 0; r <= rounds; r++) {
    let mean = 0;
    for (const v of data) mean += v;
    mean /= data.length || 1;
    let s2 = 0;
    for (const v of data) s2 += (v - mean) ** 2;
    std = Math.sqrt(s2 / (data.length || 1));
    if (r === rounds) break;
    const lo = mean - 3 * std;
    const hi = mean + 3 * std;
    data = data.filter((v) => v >= lo && v <= hi);
  }
  return std;
}
