import { basicTokenize, countWords, trainWordPiece, WordPieceTokenizer, SPECIAL_TOKENS, UNK_ID, MASK_ID, CLS_ID, SEP_ID, PAD_ID } from './tokenizer.js';
import { fromHalfBits, toHalfBits } from './half.js';
import { ClozeTemplate, buildClozeBatch, clippedStd, verbalizerIds } from './cloze.js';

const corpus = [
  'The quick brown fox jumps over the lazy dog.',
  'A good movie is a great movie; a bad movie is terrible!',
  'Unbelievable: the players played and replayed the playoff games.',
  'Naïve café owners sell crème brûlée, and the café is busy.',
  'Spam or ham? The e-mail said: win money now, click here.',
].flatMap((s) => [s, s, s]);

test('basic tokenization lower-cases, strips accents and splits punctuation', () => {
  expect(basicTokenize('Héllo, WORLD!  Naïve-café\t42')).toEqual(['hello', ',', 'world', '!', 'naive', '-', 'cafe', '42']);
  expect(basicTokenize('')).toEqual([]);
});

test('WordPiece greedy longest-match-first with ## pieces and [UNK]', () => {
  const t = new WordPieceTokenizer([...SPECIAL_TOKENS, 'un', '##aff', '##able', 'a', '##b', 'ab']);
  expect(t.tokens('unaffable')).toEqual(['un', '##aff', '##able']);
  expect(t.encode('ab abb')).toEqual([10, 10, 9]);
  expect(t.encode('xyz')).toEqual([UNK_ID]);
  expect(t.decode([5, 6, 7, 10])).toBe('unaffable ab');
  expect(t.wordId('UN')).toBe(5);
  expect(t.wordId('unaffable')).toBeUndefined();
  expect([PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID]).toEqual([0, 1, 2, 3, 4]);
  expect(() => WordPieceTokenizer.fromVocabText('[PAD]\n', 'v.txt')).toThrow('v.txt: expected a vocabulary with at least the special tokens, got 1 lines');
});

test('WordPiece finds the special tokens by name, wherever the vocabulary puts them', () => {
  // bert-base-uncased's layout: [PAD]=0, [unused…], [UNK]=100, [CLS]=101, [SEP]=102, [MASK]=103
  const vocab = ['[PAD]', '[unused0]', 'hello', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'world', '##s'];
  const t = WordPieceTokenizer.fromVocabText(vocab.join('\r\n') + '\r\n', 'bert/vocab.txt');
  expect(t.specials).toEqual({ pad: 0, unk: 3, cls: 4, sep: 5, mask: 6 });
  expect(t.encode('Hello worlds xyz')).toEqual([2, 7, 8, 3]);
  expect(() => WordPieceTokenizer.fromVocabText(vocab.filter((v) => v !== '[MASK]').join('\n'), 'bert/vocab.txt')).toThrow("bert/vocab.txt: the vocabulary has no mask token '[MASK]'");
  // a cased vocabulary keeps case and accents; CJK ideographs split when asked
  const cased = new WordPieceTokenizer([...SPECIAL_TOKENS, 'Café', 'café', '中', '文'], { lowercase: false, chineseChars: true });
  expect(cased.encode('Café café 中文')).toEqual([5, 6, 7, 8]);
  expect(new WordPieceTokenizer([...SPECIAL_TOKENS, 'cafe'], { lowercase: true }).encode('CAFÉ')).toEqual([5]);
});

test('training is deterministic, forces whole words, and round-trips text', () => {
  const opts = { vocabSize: 120, minCharCount: 1, minWordCount: 1, forceWords: ['terrible', 'Spam', 'zebra'] };
  const a = trainWordPiece(countWords(corpus), opts);
  const b = trainWordPiece(countWords(corpus), opts);
  expect(a.vocab).toEqual(b.vocab);
  expect(a.size).toBe(120);
  expect(a.vocab.slice(0, 5)).toEqual([...SPECIAL_TOKENS]);
  for (const w of ['terrible', 'spam', 'zebra']) expect(a.wordId(w)).toBeDefined();
  // the most frequent word is merged into one token
  expect(a.tokens('the')).toEqual(['the']);
  for (const text of corpus) {
    const ids = a.encode(text);
    expect(ids).not.toContain(UNK_ID);
    expect(a.decode(ids)).toBe(basicTokenize(text).join(' '));
  }
  const again = WordPieceTokenizer.fromVocabText(a.toVocabText());
  expect(again.encode(corpus[3]!)).toEqual(a.encode(corpus[3]!));
});

test('binary16 conversion is exact on every half value and rounds to nearest even', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = fromHalfBits(h);
    if (Number.isNaN(v)) continue;
    expect(toHalfBits(v)).toBe(h);
  }
  expect(toHalfBits(1)).toBe(0x3c00);
  expect(toHalfBits(65504)).toBe(0x7bff);
  expect(toHalfBits(1e6)).toBe(0x7c00);
  expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
  expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  expect(fromHalfBits(toHalfBits(0.1))).toBeCloseTo(0.0999755859375, 12);
});

test('clipped std drops outliers over 5 rounds', () => {
  const base = Array.from({ length: 1000 }, (_, i) => (i % 2 ? 1 : -1));
  expect(clippedStd(base)).toBeCloseTo(1, 12);
  expect(clippedStd([...base, 1000, -2000])).toBeCloseTo(1, 12);
  expect(clippedStd([...base, 1000], 0)).toBeGreaterThan(30);
});

test('cloze rendering: layout, mask position, truncation, errors', () => {
  const tok = new WordPieceTokenizer([...SPECIAL_TOKENS, 'it', 'was', '.', 'good', 'bad', 'a', 'b', 'c', '?']);
  const t = new ClozeTemplate('{text} . it was {mask} .', tok);
  expect(t.render({ text: 'a b c' }, 20)).toEqual({ ids: [10, 11, 12, 7, 5, 6, 4, 7], mask: 6 });
  expect(t.render({ text: 'a b c a b c' }, 7)).toEqual({ ids: [10, 11, 7, 5, 6, 4, 7], mask: 5 });
  const b = buildClozeBatch(t, [{ text: 'a' }, { text: 'a b c' }], { promptLength: 2, mode: 'add', promptTokens: [8, 9], maxPositions: 32 });
  expect(b.seq).toBe(1 + 2 + 8 + 1);
  expect(Array.from(b.ids.slice(0, 12))).toEqual([CLS_ID, 8, 9, 10, 7, 5, 6, 4, 7, SEP_ID, PAD_ID, PAD_ID]);
  expect(Array.from(b.ids.slice(12))).toEqual([CLS_ID, 8, 9, 10, 11, 12, 7, 5, 6, 4, 7, SEP_ID]);
  expect(Array.from(b.lengths)).toEqual([10, 12]);
  expect(Array.from(b.maskRows)).toEqual([7, 12 + 9]);
  const c = buildClozeBatch(t, [{ text: 'a' }], { promptLength: 2, mode: 'cat', promptTokens: [8, 9], maxPositions: 32 });
  expect(Array.from(c.ids.slice(0, 3))).toEqual([CLS_ID, PAD_ID, PAD_ID]);
  const pair = new ClozeTemplate('{text} ? {mask} , {textB}', tok);
  expect(pair.render({ text: 'a', textB: 'b c' }, 20).ids).toEqual([10, 13, 4, UNK_ID, 11, 12]);
  expect(() => new ClozeTemplate('{text} {mask} {mask}', tok)).toThrow("template: expected exactly one {mask} in '{text} {mask} {mask}', found 2");
  expect(() => verbalizerIds(tok, ['good', 'great'], 'm')).toThrow("verbalizer: 'great' is not a single token of m's vocabulary");
  expect(Array.from(verbalizerIds(tok, ['Good', 'bad'], 'm'))).toEqual([8, 9]);
});

test('cloze rendering is remembered per example and budget, and redone when the example changes', () => {
  const tok = new WordPieceTokenizer([...SPECIAL_TOKENS, 'it', 'was', '.', 'good', 'bad', 'a', 'b', 'c', '?']);
  const t = new ClozeTemplate('{text} . it was {mask} .', tok);
  const ex = { text: 'a b c' };
  const first = t.render(ex, 20);
  expect(t.render(ex, 20)).toBe(first); // the same rendering, not re-tokenized
  expect(t.render(ex, 7)).not.toBe(first); // another budget truncates differently
  expect(t.render(ex, 7).ids).toEqual([10, 11, 7, 5, 6, 4, 7]);
  expect(t.render({ text: 'a b c' }, 20)).not.toBe(first); // another example object
  (ex as { text: string }).text = 'c';
  expect(t.render(ex, 20).ids).toEqual([12, 7, 5, 6, 4, 7]); // a changed text is rendered again
});
