import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRng, GdfoError } from '@gdfo/core';
import { initBackend } from './backend.js';
import { ByteLevelBpeTokenizer } from './bpe.js';
import { huggingFaceTensorShapes } from './hf.js';
import type { ModelConfig } from './model.js';
import { loadCheckpoint } from './checkpoint.js';
import { ClozeTemplate, buildClozeBatch } from './cloze.js';
import type { LoadedModel } from './loaded.js';
import { decodeTensorBytes, encodeSafetensors, parseSafetensors, type SafetensorsDtype, type TensorToWrite } from './safetensors.js';

let dir: string;
beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'gdfo-hf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const H = 8;
const F = 16;
const LAYERS = 2;
// 27 entries: as many as the byte-level BPE vocabulary below, so that one set of weights serves both
const WORDS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'it', 'was', 'great', 'bad', 'a', 'film', '.', 'the', ...Array.from({ length: 14 }, (_, i) => `[unused${i}]`)];
const V = WORDS.length;
const MAXPOS = 16;

/** Random BERT tensors under Hugging Face names (PyTorch [out, in] Linear layout). */
function bertTensors(seed: string): Map<string, { shape: number[]; data: Float32Array }> {
  const rng = createRng(seed);
  const config: ModelConfig = { name: 'random', arch: 'bert', vocabSize: V, hidden: H, layers: LAYERS, heads: 2, ffn: F, maxPositions: MAXPOS, typeVocabSize: 2, positionOffset: 0 };
  const gain = (name: string) => /LayerNorm\.weight$/.test(name);
  return new Map(
    huggingFaceTensorShapes(config, 'bert').map(({ name, shape }) => {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (gain(name) ? 1 + rng.gaussian() * 0.1 : name.endsWith('.bias') ? rng.gaussian() * 0.1 : rng.gaussian() * 0.5));
      return [name, { shape, data }];
    }),
  );
}

function bertConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ['BertForMaskedLM'],
    model_type: 'bert',
    vocab_size: V,
    hidden_size: H,
    num_hidden_layers: LAYERS,
    num_attention_heads: 2,
    intermediate_size: F,
    hidden_act: 'gelu',
    max_position_embeddings: MAXPOS,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    ...extra,
  };
}

function toWrite(m: Map<string, { shape: number[]; data: Float32Array }>, dtype: SafetensorsDtype = 'F32'): TensorToWrite[] {
  return [...m].map(([name, t]) => ({ name, shape: t.shape, data: t.data, dtype }));
}

function writeBert(name: string, tensors = bertTensors('bert'), opts: { config?: Record<string, unknown>; dtype?: SafetensorsDtype; vocab?: string[]; shards?: number } = {}): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'config.json'), JSON.stringify(opts.config ?? bertConfig()));
  writeFileSync(join(d, 'vocab.txt'), (opts.vocab ?? WORDS).join('\n') + '\n');
  writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  const list = toWrite(tensors, opts.dtype);
  if (opts.shards) {
    const weightMap: Record<string, string> = {};
    const per = Math.ceil(list.length / opts.shards);
    for (let s = 0; s < opts.shards; s++) {
      const file = `model-0000${s + 1}-of-0000${opts.shards}.safetensors`;
      const part = list.slice(s * per, (s + 1) * per);
      for (const t of part) weightMap[t.name] = file;
      writeFileSync(join(d, file), encodeSafetensors(part));
    }
    writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  } else writeFileSync(join(d, 'model.safetensors'), encodeSafetensors(list, { format: 'pt' }));
  return d;
}

/** Verbalizer logits at the mask of fixed rows (ids given directly). */
function maskLogits(loaded: LoadedModel, rows: number[][], maskAt: number[], words: number[]): number[] {
  const seq = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * seq).fill(loaded.tokenizer.specials.pad);
  rows.forEach((r, b) => ids.set(r, b * seq));
  const batch = { ids, batch: rows.length, seq, lengths: Int32Array.from(rows.map((r) => r.length)) };
  const outRows = Int32Array.from(maskAt.map((m, b) => b * seq + m));
  return Array.from(tf.tidy(() => loaded.model.logitsFor(loaded.model.forward(batch, { outRows }), Int32Array.from(words)).dataSync()));
}

test('safetensors decodes F32, F16 and BF16 and round-trips what it writes', () => {
  const values = [1.5, -2, 0.1, 65504, 0];
  for (const [dtype, expected] of [
    ['F32', [1.5, -2, Math.fround(0.1), 65504, 0]],
    ['F16', [1.5, -2, 0.0999755859375, 65504, 0]],
    ['BF16', [1.5, -2, 0.10009765625, 65536, 0]],
  ] as const) {
    const bytes = encodeSafetensors([{ name: 'x', shape: [5], data: values, dtype }]);
    const t = parseSafetensors(bytes, 'x.safetensors').get('x')!;
    expect(t.dtype).toBe(dtype);
    expect(Array.from(t.read())).toEqual(expected);
  }
  expect(Array.from(decodeTensorBytes(Uint8Array.from([0x80, 0x3f, 0x00, 0xc0]), 'BF16'))).toEqual([1, -2]);
});

test('a Hugging Face BERT folder loads as a post-LN masked LM; F16, BF16 and sharded copies agree', () => {
  const tensors = bertTensors('bert');
  const f32 = loadCheckpoint(writeBert('bert-f32', tensors));
  expect(f32.model.config).toEqual({ name: 'bert-f32', arch: 'bert', vocabSize: V, hidden: H, layers: LAYERS, heads: 2, ffn: F, maxPositions: MAXPOS, positionOffset: 0, typeVocabSize: 2, layerNormEps: 1e-12 });
  expect(f32.tokenizer.specials).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
  expect(f32.meta).toMatchObject({ source: 'huggingface', modelType: 'bert' });
  // Linear weights are transposed into [in, out]
  const q = tensors.get('bert.encoder.layer.0.attention.self.query.weight')!.data;
  expect(f32.model.w('l0.wq').dataSync()[1]).toBe(q[H]); // ours[0][1] = theirs[1][0]
  const rows = [[2, 5, 6, 4, 11, 3], [2, 12, 10, 6, 7, 11, 4, 3]];
  const masks = [3, 6];
  const words = [7, 8];
  const ref = maskLogits(f32, rows, masks, words);
  expect(ref.every(Number.isFinite)).toBe(true);
  const sharded = loadCheckpoint(writeBert('bert-sharded', tensors, { shards: 3 }));
  expect(maskLogits(sharded, rows, masks, words)).toEqual(ref);
  for (const dtype of ['F16', 'BF16'] as const) {
    const low = loadCheckpoint(writeBert(`bert-${dtype}`, tensors, { dtype }));
    const got = maskLogits(low, rows, masks, words);
    got.forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThan(dtype === 'F16' ? 0.05 : 0.3));
    expect(got).not.toEqual(ref); // the weights really were rounded
    low.model.dispose();
  }
  // padding does not change a row's logits; batching does not either
  maskLogits(f32, [rows[0]!], [3], words).forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 5));
  f32.model.dispose();
  sharded.model.dispose();
});

test('a RoBERTa folder with the same weights gives the same logits (names, position offset padding_idx + 1, one token type)', () => {
  const bert = bertTensors('roberta-parity');
  const rob = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of bert) {
    let n = name.replace(/^bert\./, 'roberta.');
    n = n.replace('cls.predictions.transform.dense', 'lm_head.dense').replace('cls.predictions.transform.LayerNorm', 'lm_head.layer_norm').replace('cls.predictions.bias', 'lm_head.bias');
    if (name.endsWith('position_embeddings.weight')) {
      // RoBERTa's table has padding_idx + 1 = 2 extra rows in front
      const data = new Float32Array((MAXPOS + 2) * H);
      data.fill(9, 0, 2 * H);
      data.set(t.data, 2 * H);
      rob.set(n, { shape: [MAXPOS + 2, H], data });
    } else if (name.endsWith('token_type_embeddings.weight')) rob.set(n, { shape: [1, H], data: t.data.slice(0, H) });
    else rob.set(n, t);
  }
  rob.set('lm_head.decoder.weight', bert.get('bert.embeddings.word_embeddings.weight')!); // tied copy, ignored
  const d = join(dir, 'roberta');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'config.json'), JSON.stringify({ ...bertConfig(), model_type: 'roberta', architectures: ['RobertaForMaskedLM'], max_position_embeddings: MAXPOS + 2, type_vocab_size: 1, pad_token_id: 1, layer_norm_eps: 1e-5 }));
  writeFileSync(join(d, 'model.safetensors'), encodeSafetensors(toWrite(rob)));
  writeFileSync(join(d, 'vocab.json'), JSON.stringify(BPE_VOCAB));
  writeFileSync(join(d, 'merges.txt'), '#version: 0.2\n' + BPE_MERGES.join('\n') + '\n');
  const r = loadCheckpoint(d);
  expect(r.model.config).toMatchObject({ arch: 'bert', positionOffset: 2, maxPositions: MAXPOS, typeVocabSize: 1, layerNormEps: 1e-5 });
  expect(r.tokenizer.kind).toBe('byte-bpe');
  expect(r.tokenizer.specials).toEqual({ cls: 0, pad: 1, sep: 2, unk: 3, mask: 4 });
  const b = loadCheckpoint(writeBert('bert-for-roberta', bert, { config: bertConfig({ layer_norm_eps: 1e-5 }) }));
  const rows = [[0, 5, 6, 4, 11, 2], [0, 12, 10, 6, 7, 11, 4, 2]];
  const ref = maskLogits(b, rows, [3, 6], [7, 8]);
  const got = maskLogits(r, rows, [3, 6], [7, 8]);
  got.forEach((v, i) => expect(v).toBeCloseTo(ref[i]!, 5));
  r.model.dispose();
  b.model.dispose();
});

// A tiny byte-level BPE: ids of the specials as RoBERTa's, single byte-characters, then merges by rank.
const BPE_SYMBOLS = ['<s>', '<pad>', '</s>', '<unk>', '<mask>', 'a', 'e', 'g', 'r', 't', 'i', 's', 'w', '.', 'Ġ', 'Ġg', 're', 'Ġgre', 'at', 'Ġgreat', 'it', 'Ġw', 'as', 'Ġwas', 'Ã', '©', 'Ã©'];
const BPE_VOCAB = Object.fromEntries(BPE_SYMBOLS.map((s, i) => [s, i]));
const BPE_MERGES = ['Ġ g', 'r e', 'Ġg re', 'a t', 'Ġgre at', 'i t', 'Ġ w', 'a s', 'Ġw as', 'Ã ©'];

test('byte-level BPE: hand-checked merges, leading spaces, UTF-8 bytes, unknown symbols', () => {
  const t = new ByteLevelBpeTokenizer(BPE_VOCAB, ByteLevelBpeTokenizer.parseMerges('#version: 0.2\n' + BPE_MERGES.join('\n')));
  // "it" | " was" | " great" | "." — " great": Ġ g r e a t → Ġg r e a t → Ġg re a t → Ġgre a t → Ġgre at → Ġgreat
  expect(t.encode('it was great.')).toEqual([20, 23, 19, 13]);
  expect(t.tokens('it was great.')).toEqual(['it', 'Ġwas', 'Ġgreat', '.']);
  // no leading space: g r e a t → g re a t → g re at (no "g re" merge)
  expect(t.encode('great')).toEqual([7, 16, 18]);
  expect(t.encode('great', { leadingSpace: true })).toEqual([19]);
  expect(t.wordId('great')).toBe(19);
  expect(t.wordId('it')).toBeUndefined(); // " it" is Ġ + it: two tokens
  // é is bytes C3 A9 → 'Ã' '©' → merged
  expect(t.encode('é')).toEqual([26]);
  expect(t.decode([20, 23, 19, 13, 14, 26])).toBe('it was great. é');
  expect(t.encode('x')).toEqual([3]);
  // the cloze rendering keeps the spaces BPE needs and drops the one before <mask> (RoBERTa's lstrip)
  const tpl = new ClozeTemplate('{text} it was {mask}.', t);
  expect(tpl.render({ text: 'great' }, 20)).toEqual({ ids: [7, 16, 18, 14, 20, 23, 4, 13], mask: 6 });
  const batch = buildClozeBatch(tpl, [{ text: 'great' }], { promptLength: 0, mode: 'add', promptTokens: [], maxPositions: 16 });
  expect(Array.from(batch.ids)).toEqual([0, 7, 16, 18, 14, 20, 23, 4, 13, 2]);
  expect(() => ByteLevelBpeTokenizer.parseMerges('a b\nc\n', 'm.txt')).toThrow('m.txt: line 2 must hold two symbols separated by one space, got "c"');
  expect(() => new ByteLevelBpeTokenizer({ '<s>': 0, '<pad>': 1 }, [], { source: 'r/vocab.json' })).toThrow("r/vocab.json: the vocabulary has no unk token '<unk>'");
});

test('malformed folders give one line naming the file and the field or tensor', () => {
  const good = bertTensors('bad');
  const cases: [string, () => unknown, string | RegExp][] = [
    ['unknown model_type', () => loadCheckpoint(writeBert('gpt2', good, { config: { ...bertConfig(), model_type: 'gpt2' } })), /gpt2\/config.json: model_type "gpt2" is not supported \(expected one of bert, roberta\)$/],
    ['missing field', () => loadCheckpoint(writeBert('nohidden', good, { config: { ...bertConfig(), hidden_size: undefined } })), /nohidden\/config.json: 'hidden_size' must be a positive integer, got undefined$/],
    [
      'missing tensor',
      () => {
        const m = new Map(good);
        m.delete('bert.encoder.layer.1.output.dense.bias');
        return loadCheckpoint(writeBert('missing', m));
      },
      /missing\/model.safetensors: missing tensor 'bert.encoder.layer.1.output.dense.bias'$/,
    ],
    [
      'shape mismatch',
      () => {
        const m = new Map(good);
        m.set('bert.encoder.layer.0.intermediate.dense.weight', { shape: [F + 1, H], data: new Float32Array((F + 1) * H) });
        return loadCheckpoint(writeBert('shape', m));
      },
      /shape\/model.safetensors: tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape \[17, 8\], expected \[16, 8\] \(from config.json\)$/,
    ],
    [
      'truncated file',
      () => {
        const d = writeBert('truncated', good);
        const bytes = readFileSync(join(d, 'model.safetensors'));
        writeFileSync(join(d, 'model.safetensors'), bytes.subarray(0, bytes.length - 100));
        return loadCheckpoint(d);
      },
      /truncated\/model.safetensors: tensor '.*': data_offsets \[\d+, \d+\] run past the end of the data \(\d+ bytes; truncated file\?\)$/,
    ],
    [
      'truncated header',
      () => {
        const d = writeBert('truncated-header', good);
        writeFileSync(join(d, 'model.safetensors'), readFileSync(join(d, 'model.safetensors')).subarray(0, 40));
        return loadCheckpoint(d);
      },
      /truncated-header\/model.safetensors: truncated safetensors header \(declares \d+ bytes, the file has 32 after the length\)$/,
    ],
    [
      'oversize header',
      () => {
        const d = writeBert('oversize', good);
        const bytes = readFileSync(join(d, 'model.safetensors'));
        bytes.writeBigUInt64LE(200_000_000n, 0);
        writeFileSync(join(d, 'model.safetensors'), bytes);
        return loadCheckpoint(d);
      },
      /oversize\/model.safetensors: safetensors header length 200000000 exceeds the format's limit of 100000000 bytes/,
    ],
    [
      'unsupported dtype',
      () => {
        const d = writeBert('dtype', good);
        const bytes = readFileSync(join(d, 'model.safetensors'));
        const n = Number(bytes.readBigUInt64LE(0));
        const header = bytes.subarray(8, 8 + n).toString('utf8').replace(/"bert.embeddings.LayerNorm.bias":\{"dtype":"F32"/, '"bert.embeddings.LayerNorm.bias":{"dtype":"I32"');
        writeFileSync(join(d, 'model.safetensors'), Buffer.concat([bytes.subarray(0, 8), Buffer.from(header), bytes.subarray(8 + n)]));
        return loadCheckpoint(d);
      },
      /dtype\/model.safetensors: tensor 'bert.embeddings.LayerNorm.bias': unsupported dtype I32 \(supported: F32, F16, BF16\)$/,
    ],
    ['vocabulary without [MASK]', () => loadCheckpoint(writeBert('nomask', good, { vocab: WORDS.map((w) => (w === '[MASK]' ? '[MSK]' : w)) })), /nomask\/vocab.txt: the vocabulary has no mask token '\[MASK\]'$/],
    ['untied decoder', () => loadCheckpoint(writeBert('untied', good, { config: bertConfig({ tie_word_embeddings: false }) })), /untied\/config.json: tie_word_embeddings false is not supported/],
  ];
  for (const [what, f, msg] of cases) {
    let err: Error | undefined;
    try {
      f();
    } catch (e) {
      err = e as Error;
    }
    expect([what, err?.message]).toEqual([what, expect.stringMatching(msg)]);
    expect(err!.message).not.toContain('\n');
  }
});

test('errors carry a stable code: a folder missing a tensor is BAD_CHECKPOINT, a missing folder NOT_FOUND', () => {
  const m = new Map(bertTensors('code'));
  m.delete('bert.encoder.layer.0.attention.self.query.weight');
  const dir = writeBert('code-missing', m);
  let err: unknown;
  try {
    loadCheckpoint(dir);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(GdfoError);
  expect(err).toMatchObject({ code: 'BAD_CHECKPOINT', message: expect.stringMatching(/code-missing\/model.safetensors: missing tensor 'bert.encoder.layer.0.attention.self.query.weight'$/) });
  expect(() => loadCheckpoint(join(dir, 'nowhere'))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
});

test('a prompt plus input beyond max_position_embeddings is refused in one line', () => {
  const m = loadCheckpoint(writeBert('positions', bertTensors('pos')));
  const tpl = new ClozeTemplate('{text} it was {mask} .', m.tokenizer);
  expect(() => buildClozeBatch(tpl, [{ text: 'a film' }], { promptLength: 12, mode: 'add', promptTokens: Array.from({ length: 12 }, () => 9), maxPositions: MAXPOS })).toThrow(
    'prompt: 12 prompt positions + [CLS] + [SEP] leave 2 of the 16 input positions (maxLength, at most max_position_embeddings) for the template and text',
  );
  const ids = new Int32Array(MAXPOS + 1).fill(5);
  expect(() => m.model.forward({ ids, batch: 1, seq: MAXPOS + 1, lengths: Int32Array.from([MAXPOS + 1]) }, { prompt: { shallow: tf.zeros([3, H]), start: 1, length: 3 } })).toThrow(
    'model input: 17 positions (a prompt of 3 + 14 input tokens) exceed the 16 positions of positions (max_position_embeddings); shorten the prompt or maxLength',
  );
  m.model.dispose();
});
