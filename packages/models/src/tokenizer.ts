/**
 * WordPiece tokenizer (BERT-style: lower-cased, accents stripped, punctuation split, greedy longest-match-first
 * with '##' continuation pieces) and its deterministic trainer (BPE merges over word counts with the '##'
 * continuation prefix, as Hugging Face's WordPiece trainer does).
 */
import { GdfoError } from '@gdfo/core';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;
export const MASK_ID = 4;

/** Words that the tasks' verbalizers use: always whole single tokens of a trained vocabulary. */
export const VERBALIZER_WORDS: readonly string[] = [
  'bad', 'great', 'terrible', 'good', 'world', 'sports', 'business', 'tech', 'technology', 'company',
  'education', 'artist', 'athlete', 'office', 'transportation', 'building', 'natural', 'village', 'animal',
  'plant', 'album', 'film', 'written', 'yes', 'no', 'maybe', 'spam', 'ham', 'junk', 'normal',
];

const MAX_WORD_CHARS = 100;

/** Ids of the special tokens a masked LM's inputs need. */
export interface SpecialIds {
  readonly pad: number;
  readonly unk: number;
  readonly cls: number;
  readonly sep: number;
  readonly mask: number;
}

/**
 * What the models and the cloze rendering need of a tokenizer: WordPiece (BERT) and byte-level BPE (RoBERTa)
 * both implement it.
 */
export interface Tokenizer {
  readonly kind: 'wordpiece' | 'byte-bpe';
  readonly size: number;
  readonly specials: SpecialIds;
  /** Id of a vocabulary entry, or undefined. */
  id(token: string): number | undefined;
  /** The vocabulary entry of an id (throws outside the vocabulary). */
  token(id: number): string;
  /**
   * Token ids of a text (no specials). `leadingSpace`: the text follows a space in the input (byte-level BPE
   * encodes " word" and "word" differently; WordPiece ignores it).
   */
  encode(text: string, options?: { readonly leadingSpace?: boolean }): number[];
  /** The id of `word` if it is one whole token where it follows a space (a verbalizer word), else undefined. */
  wordId(word: string): number | undefined;
  tokens(text: string): string[];
  decode(ids: readonly number[]): string;
}

function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /\p{P}|\p{S}/u.test(ch);
}

export interface BasicTokenizeOptions {
  /** Lower-case (BERT uncased; default true). */
  readonly lowercase?: boolean;
  /** Strip accents (NFD, drop Mn; default: as `lowercase`, as Hugging Face's BertTokenizer does). */
  readonly stripAccents?: boolean;
  /** Each CJK ideograph is a word of its own (BERT's `tokenize_chinese_chars`; default false). */
  readonly chineseChars?: boolean;
}

function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Lower-case, strip accents, split on whitespace and around punctuation. */
export function basicTokenize(text: string, options: BasicTokenizeOptions = {}): string[] {
  const lower = options.lowercase ?? true;
  const strip = options.stripAccents ?? lower;
  let norm = lower ? text.toLowerCase() : text;
  if (strip) norm = norm.normalize('NFD').replace(/\p{Mn}/gu, '');
  const out: string[] = [];
  let cur = '';
  for (const ch of norm) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || (/\p{Cc}|\p{Cf}/u.test(ch) && !/\s/u.test(ch))) continue;
    if (/\s/u.test(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else if (isPunctuation(ch) || (options.chineseChars === true && isCjk(cp))) {
      if (cur) out.push(cur);
      cur = '';
      out.push(ch);
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

export interface WordPieceOptions extends BasicTokenizeOptions {
  /** Names of the special tokens when they differ from BERT's ([PAD], [UNK], [CLS], [SEP], [MASK]). */
  readonly specialTokens?: Partial<Record<keyof SpecialIds, string>>;
  /** Where the vocabulary came from, for error messages (default 'tokenizer vocab'). */
  readonly source?: string;
}

const SPECIAL_NAMES: Record<keyof SpecialIds, string> = { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' };

/** Finds each special token by name in a vocabulary index; one-line error naming the missing one. */
export function findSpecials(index: ReadonlyMap<string, number>, names: Record<keyof SpecialIds, string>, source: string): SpecialIds {
  const get = (k: keyof SpecialIds) => {
    const id = index.get(names[k]);
    if (id === undefined) throw new GdfoError('BAD_CHECKPOINT', `${source}: the vocabulary has no ${k} token '${names[k]}'`);
    return id;
  };
  return { pad: get('pad'), unk: get('unk'), cls: get('cls'), sep: get('sep'), mask: get('mask') };
}

/** The id ↔ token table both tokenizers share, with the special tokens found by name. */
export abstract class VocabularyTable {
  readonly specials: SpecialIds;

  protected constructor(
    /** Token of each id. */
    readonly vocab: readonly string[],
    protected readonly index: ReadonlyMap<string, number>,
    specialNames: Record<keyof SpecialIds, string>,
    source: string,
  ) {
    this.specials = findSpecials(index, specialNames, source);
  }

  get size(): number {
    return this.vocab.length;
  }

  id(token: string): number | undefined {
    return this.index.get(token);
  }

  token(id: number): string {
    const t = this.vocab[id];
    if (t === undefined) throw new GdfoError('BAD_OPTION', `tokenizer: id ${id} is outside the vocabulary (size ${this.size})`);
    return t;
  }
}

function indexOf(vocab: readonly string[], source: string): Map<string, number> {
  const index = new Map<string, number>();
  vocab.forEach((t, i) => {
    if (index.has(t)) throw new GdfoError('BAD_CHECKPOINT', `${source}: duplicate token '${t}' at line ${i + 1}`);
    index.set(t, i);
  });
  return index;
}

export class WordPieceTokenizer extends VocabularyTable implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  readonly chineseChars: boolean;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(vocab: readonly string[], options: WordPieceOptions = {}) {
    const source = options.source ?? 'tokenizer vocab';
    super(vocab, indexOf(vocab, source), { ...SPECIAL_NAMES, ...(options.specialTokens ?? {}) }, source);
    this.lowercase = options.lowercase ?? true;
    this.stripAccents = options.stripAccents ?? this.lowercase;
    this.chineseChars = options.chineseChars ?? false;
  }

  private basic(text: string): string[] {
    return basicTokenize(text, { lowercase: this.lowercase, stripAccents: this.stripAccents, chineseChars: this.chineseChars });
  }

  wordId(word: string): number | undefined {
    const parts = this.basic(word);
    if (parts.length !== 1) return undefined;
    const ids = this.encodeWord(parts[0]!);
    return ids.length === 1 && ids[0] !== this.specials.unk ? ids[0] : undefined;
  }

  encodeWord(word: string): readonly number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const chars = Array.from(word);
    let ids: number[] = [];
    if (chars.length > MAX_WORD_CHARS) ids = [this.specials.unk];
    else {
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let found: number | undefined;
        while (start < end) {
          const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
          const id = this.index.get(piece);
          if (id !== undefined) {
            found = id;
            break;
          }
          end--;
        }
        if (found === undefined) {
          ids = [this.specials.unk];
          break;
        }
        ids.push(found);
        start = end;
      }
    }
    if (this.cache.size < 200_000) this.cache.set(word, ids);
    return ids;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const w of this.basic(text)) for (const id of this.encodeWord(w)) out.push(id);
    return out;
  }

  tokens(text: string): string[] {
    return this.encode(text).map((i) => this.vocab[i]!);
  }

  /** Joins pieces back into normalised text ('##' pieces glue to the previous one). */
  decode(ids: readonly number[]): string {
    let s = '';
    for (const id of ids) {
      const t = this.token(id);
      if (t.startsWith('##')) s += t.slice(2);
      else s += (s ? ' ' : '') + t;
    }
    return s;
  }

  /** vocab.txt contents: one token per line, id = line number − 1. */
  toVocabText(): string {
    return this.vocab.join('\n') + '\n';
  }

  static fromVocabText(text: string, source = 'vocab.txt', options: Omit<WordPieceOptions, 'source'> = {}): WordPieceTokenizer {
    const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (lines[lines.length - 1] === '') lines.pop();
    if (lines.length < SPECIAL_TOKENS.length) throw new GdfoError('BAD_CHECKPOINT', `${source}: expected a vocabulary with at least the special tokens, got ${lines.length} lines`);
    return new WordPieceTokenizer(lines, { ...options, source });
  }
}

export interface TrainTokenizerOptions {
  /** Target vocabulary size (specials, alphabet, forced words and merges together). */
  readonly vocabSize: number;
  /** Characters seen fewer times are left out of the alphabet (→ [UNK]). */
  readonly minCharCount?: number;
  /** Words seen fewer times do not take part in merges. */
  readonly minWordCount?: number;
  /** Whole words to include as single tokens. */
  readonly forceWords?: readonly string[];
}

/** Counts basic-tokenized words over texts. */
export function countWords(texts: Iterable<string>, into = new Map<string, number>()): Map<string, number> {
  for (const t of texts) for (const w of basicTokenize(t)) into.set(w, (into.get(w) ?? 0) + 1);
  return into;
}

class MaxHeap {
  private readonly a: [number, number, number][] = []; // count, pair a, pair b
  private less(x: [number, number, number], y: [number, number, number]): boolean {
    // "x ranks below y": fewer counts, or equal counts and a larger (a, b)
    if (x[0] !== y[0]) return x[0] < y[0];
    if (x[1] !== y[1]) return x[1] > y[1];
    return x[2] > y[2];
  }
  push(e: [number, number, number]): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[p]!, a[i]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): [number, number, number] | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[m]!, a[l]!)) m = l;
        if (r < a.length && this.less(a[m]!, a[r]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/** Trains a WordPiece vocabulary from word counts. Deterministic: ties break on symbol ids, which are ordered. */
export function trainWordPiece(wordCounts: Map<string, number>, options: TrainTokenizerOptions): WordPieceTokenizer {
  const minChar = options.minCharCount ?? 20;
  const minWord = options.minWordCount ?? 2;
  const force = (options.forceWords ?? []).map((w) => {
    const parts = basicTokenize(w);
    if (parts.length !== 1) throw new GdfoError('BAD_OPTION', `tokenizer forceWords: '${w}' is not a single word`);
    return parts[0]!;
  });
  // Alphabet: characters (word-initial and continuation forms) by count.
  const charCount = new Map<string, number>();
  for (const [w, c] of wordCounts) for (const ch of w) charCount.set(ch, (charCount.get(ch) ?? 0) + c);
  for (const w of force) for (const ch of w) charCount.set(ch, Math.max(charCount.get(ch) ?? 0, minChar));
  const alphabet = [...charCount].filter(([, c]) => c >= minChar).map(([ch]) => ch).sort();
  const symbols: string[] = [...SPECIAL_TOKENS];
  const symIndex = new Map<string, number>();
  const add = (t: string): number => {
    let id = symIndex.get(t);
    if (id === undefined) {
      id = symbols.length;
      symbols.push(t);
      symIndex.set(t, id);
    }
    return id;
  };
  SPECIAL_TOKENS.forEach((t, i) => symIndex.set(t, i));
  for (const ch of alphabet) add(ch);
  for (const ch of alphabet) add('##' + ch);
  for (const w of [...new Set(force)].sort()) add(w);
  if (symbols.length > options.vocabSize) throw new GdfoError('BAD_OPTION', `tokenizer vocabSize: ${options.vocabSize} is smaller than the ${symbols.length} base symbols`);

  // Words as symbol sequences (words with a character outside the alphabet are skipped).
  const entries = [...wordCounts].filter(([, c]) => c >= minWord).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of entries) {
    const chars = Array.from(w);
    if (chars.length > MAX_WORD_CHARS || chars.some((ch) => !symIndex.has(ch))) continue;
    words.push(chars.map((ch, i) => symIndex.get(i === 0 ? ch : '##' + ch)!));
    counts.push(c);
  }
  const K = 1 << 21;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new MaxHeap();
  const bump = (key: number, delta: number, wi: number) => {
    const n = (pairCount.get(key) ?? 0) + delta;
    pairCount.set(key, n);
    if (delta > 0) {
      let s = pairWords.get(key);
      if (!s) pairWords.set(key, (s = new Set()));
      s.add(wi);
    }
  };
  const touched = new Set<number>();
  words.forEach((sy, wi) => {
    for (let i = 0; i + 1 < sy.length; i++) bump(sy[i]! * K + sy[i + 1]!, counts[wi]!, wi);
  });
  for (const [key, n] of pairCount) heap.push([n, Math.floor(key / K), key % K]);
  while (symbols.length < options.vocabSize) {
    const top = heap.pop();
    if (!top) break;
    const [n, a, b] = top;
    const key = a * K + b;
    if (pairCount.get(key) !== n || n <= 0) continue; // stale entry
    const merged = symbols[a]! + symbols[b]!.slice(2);
    const newId = symIndex.get(merged) ?? add(merged);
    const ws = [...(pairWords.get(key) ?? [])].sort((x, y) => x - y);
    touched.clear();
    for (const wi of ws) {
      const sy = words[wi]!;
      const c = counts[wi]!;
      let has = false;
      for (let i = 0; i + 1 < sy.length; i++) if (sy[i] === a && sy[i + 1] === b) has = true;
      if (!has) continue;
      for (let i = 0; i + 1 < sy.length; i++) {
        const k2 = sy[i]! * K + sy[i + 1]!;
        bump(k2, -c, wi);
        touched.add(k2);
      }
      const next: number[] = [];
      for (let i = 0; i < sy.length; i++) {
        if (i + 1 < sy.length && sy[i] === a && sy[i + 1] === b) {
          next.push(newId);
          i++;
        } else next.push(sy[i]!);
      }
      words[wi] = next;
      for (let i = 0; i + 1 < next.length; i++) {
        const k2 = next[i]! * K + next[i + 1]!;
        bump(k2, c, wi);
        touched.add(k2);
      }
    }
    for (const k2 of [...touched].sort((x, y) => x - y)) {
      const m = pairCount.get(k2)!;
      if (m > 0) heap.push([m, Math.floor(k2 / K), k2 % K]);
    }
  }
  return new WordPieceTokenizer(symbols);
}
