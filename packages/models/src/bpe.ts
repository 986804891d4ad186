/**
 * Byte-level BPE (GPT-2 / RoBERTa) from `vocab.json` (token → id) and `merges.txt` (one merge "a b" a line, by
 * rank): the text is split by GPT-2's pattern (contractions, letters, digits, other symbols, each optionally
 * after one space; runs of spaces), each piece's UTF-8 bytes are mapped to printable characters (space →
 * 'Ġ'), and the pair of lowest rank is merged until none is left. Cased: nothing is normalised.
 */
import { VocabularyTable, type SpecialIds, type Tokenizer } from './tokenizer.js';
import { GdfoError } from '@gdfo/core';

const PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's byte → printable character table (and its inverse). */
function byteTables(): { enc: string[]; dec: Map<string, number> } {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const enc: string[] = new Array<string>(256);
  const dec = new Map<string, number>();
  bs.forEach((b, i) => {
    const ch = String.fromCodePoint(cs[i]!);
    enc[b] = ch;
    dec.set(ch, b);
  });
  return { enc, dec };
}

const BYTES = byteTables();

export interface ByteLevelBpeOptions {
  /** Names of the special tokens (RoBERTa's by default: <pad> <unk> <s> </s> <mask>). */
  readonly specialTokens?: Partial<Record<keyof SpecialIds, string>>;
  /** Where the vocabulary came from, for error messages. */
  readonly source?: string;
}

const ROBERTA_SPECIALS: Record<keyof SpecialIds, string> = { pad: '<pad>', unk: '<unk>', cls: '<s>', sep: '</s>', mask: '<mask>' };

/** vocab.json's token → id map as a table (every id 0 … n−1 exactly once). */
function tableOf(vocab: Record<string, number>, source: string): { tokens: string[]; index: Map<string, number> } {
  const index = new Map<string, number>();
  const tokens: string[] = [];
  for (const [tok, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || id < 0) throw new GdfoError('BAD_CHECKPOINT', `${source}: token ${JSON.stringify(tok)} has id ${String(id)}, expected a non-negative integer`);
    if (tokens[id] !== undefined) throw new GdfoError('BAD_CHECKPOINT', `${source}: id ${id} is given to both ${JSON.stringify(tokens[id])} and ${JSON.stringify(tok)}`);
    index.set(tok, id);
    tokens[id] = tok;
  }
  for (let i = 0; i < tokens.length; i++) if (tokens[i] === undefined) throw new GdfoError('BAD_CHECKPOINT', `${source}: id ${i} is missing (ids must be 0 … ${tokens.length - 1})`);
  return { tokens, index };
}

export class ByteLevelBpeTokenizer extends VocabularyTable implements Tokenizer {
  readonly kind = 'byte-bpe' as const;
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, readonly number[]>();

  constructor(vocab: Record<string, number>, merges: readonly (readonly [string, string])[], options: ByteLevelBpeOptions = {}) {
    const source = options.source ?? 'vocab.json';
    const { tokens, index } = tableOf(vocab, source);
    super(tokens, index, { ...ROBERTA_SPECIALS, ...(options.specialTokens ?? {}) }, source);
    merges.forEach(([a, b], r) => {
      const key = a + ' ' + b;
      if (!this.ranks.has(key)) this.ranks.set(key, r);
    });
  }

  /** Parses `merges.txt` (an optional '#version' first line, then "a b" per line). */
  static parseMerges(text: string, source = 'merges.txt'): [string, string][] {
    const out: [string, string][] = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '' || (i === 0 && line.startsWith('#version'))) return;
      const parts = line.split(' ');
      if (parts.length !== 2 || !parts[0] || !parts[1]) throw new GdfoError('BAD_CHECKPOINT', `${source}: line ${i + 1} must hold two symbols separated by one space, got ${JSON.stringify(line)}`);
      out.push([parts[0], parts[1]]);
    });
    return out;
  }

  /** BPE of one pre-tokenized piece (already byte-mapped). */
  private bpe(piece: string): readonly number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    let word = Array.from(piece);
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.ranks.get(word[i]! + ' ' + word[i + 1]!);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = word[best]!;
      const b = word[best + 1]!;
      const next: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(word[i]!);
      }
      word = next;
    }
    const ids = word.map((s) => this.index.get(s) ?? this.specials.unk);
    if (this.cache.size < 200_000) this.cache.set(piece, ids);
    return ids;
  }

  encode(text: string, options: { readonly leadingSpace?: boolean } = {}): number[] {
    const input = options.leadingSpace && text.length > 0 && !/^\s/u.test(text) ? ' ' + text : text;
    const out: number[] = [];
    for (const m of input.matchAll(PATTERN)) {
      let mapped = '';
      for (const b of Buffer.from(m[0], 'utf8')) mapped += BYTES.enc[b]!;
      for (const id of this.bpe(mapped)) out.push(id);
    }
    return out;
  }

  wordId(word: string): number | undefined {
    const ids = this.encode(word.trim(), { leadingSpace: true });
    return ids.length === 1 && ids[0] !== this.specials.unk ? ids[0] : undefined;
  }

  tokens(text: string): string[] {
    return this.encode(text).map((i) => this.vocab[i]!);
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) for (const ch of this.token(id)) bytes.push(BYTES.dec.get(ch) ?? 63);
    return Buffer.from(bytes).toString('utf8');
  }
}
