/**
 * A RoBERTa folder on disk as the black box: BBT and GDFO run end to end on it (byte-level BPE with its leading
 * spaces, `<s>`/`</s>`/`<pad>` ids, positions offset by padding_idx + 1). No RoBERTa weights exist on this
 * machine, so the folder is a small random one written here; the network's equivalence with the BERT path is
 * pinned in packages/models/src/hf.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Example, Task } from '@gdfo/spec';
import { createRng } from '@gdfo/core';
import { encodeSafetensors, huggingFaceTensorShapes, initBackend, loadCheckpoint, type ModelConfig, type TensorToWrite } from '@gdfo/models';
import { createLocalStudent, createLocalTeacher } from '@gdfo/adapter-local';
import { createRegistry } from '@gdfo/cli';
import { runMethod } from '@gdfo/pipeline';

const H = 16;
const F = 32;
const LAYERS = 2;
const MAXPOS = 40;

/** GPT-2's printable stand-ins of the 256 bytes (what vocab.json stores). */
function byteChars(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const out = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = bs.includes(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
  return out;
}

function writeRoberta(dir: string, seed: string): void {
  mkdirSync(dir, { recursive: true });
  const merges = ['Ġ g', 'Ġg r', 'Ġgr e', 'Ġgre a', 'Ġgrea t', 'Ġ b', 'Ġb a', 'Ġba d', 'Ġ w', 'Ġw a', 'Ġwa s'];
  const symbols = ['<s>', '<pad>', '</s>', '<unk>', '<mask>', ...byteChars(), ...merges.map((m) => m.replace(' ', ''))];
  const V = symbols.length;
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(symbols.map((s, i) => [s, i]))));
  writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\n' + merges.join('\n') + '\n');
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ model_type: 'roberta', architectures: ['RobertaForMaskedLM'], vocab_size: V, hidden_size: H, num_hidden_layers: LAYERS, num_attention_heads: 2, intermediate_size: F, hidden_act: 'gelu', max_position_embeddings: MAXPOS + 2, type_vocab_size: 1, pad_token_id: 1, layer_norm_eps: 1e-5 }),
  );
  const rng = createRng(seed);
  const config: ModelConfig = { name: 'random', arch: 'bert', vocabSize: V, hidden: H, layers: LAYERS, heads: 2, ffn: F, maxPositions: MAXPOS, typeVocabSize: 1, positionOffset: 2 };
  const tensors: TensorToWrite[] = huggingFaceTensorShapes(config, 'roberta').map(({ name, shape }) => ({
    name,
    shape,
    dtype: 'F16',
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (/(LayerNorm|layer_norm)\.weight$/.test(name) ? 1 : name.endsWith('.bias') ? rng.gaussian() * 0.05 : rng.gaussian() * 0.3)),
  }));
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors));
}

let dir: string;
beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'gdfo-roberta-'));
  writeRoberta(join(dir, 'teacher'), 'teacher');
  writeRoberta(join(dir, 'student'), 'student');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const examples = (split: string, n: number): Example[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${split}-${i}`, text: i % 2 ? `What a fine, moving film (${i}).` : `A dull mess; I left early — ${i}!`, label: i % 2 }));

const task: Task = {
  specVersion: '1.0',
  name: 'tiny-sentiment',
  classes: ['negative', 'positive'],
  template: { specVersion: '1.0', text: '{text} It was {mask}.' },
  verbalizer: { specVersion: '1.0', words: ['bad', 'great'] },
  metric: 'accuracy',
  train: examples('train', 8),
  dev: examples('dev', 8),
  test: examples('test', 8),
};

test('the RoBERTa folder tokenizes the task as RoBERTa does: <s> … Ġwas <mask>. </s>, verbalizers with their space', () => {
  const { tokenizer, model, promptTokens } = loadCheckpoint(join(dir, 'teacher'));
  expect(tokenizer.kind).toBe('byte-bpe');
  expect(tokenizer.tokens(' was great')).toEqual(['Ġwas', 'Ġgreat']);
  expect([tokenizer.wordId('bad'), tokenizer.wordId('great')].map((id) => tokenizer.token(id!))).toEqual(['Ġbad', 'Ġgreat']);
  expect(model.config).toMatchObject({ maxPositions: MAXPOS, positionOffset: 2 });
  expect(Math.max(...promptTokens)).toBeLessThan(tokenizer.size);
  model.dispose();
});

test.each(['bbt', 'gdfo'] as const)('%s runs end to end with a RoBERTa teacher', async (method) => {
  const teacher = await createLocalTeacher({ checkpoint: join(dir, 'teacher'), promptLength: 4 });
  try {
    expect(teacher.info).toMatchObject({ id: 'local:teacher', width: H, layers: LAYERS });
    const result = await runMethod({
      method,
      task,
      teacher,
      registry: createRegistry(7),
      seed: 7,
      budget: 40,
      dim: 12,
      popSize: 10,
      promptLength: 4,
      ...(method === 'gdfo'
        ? {
            student: await createLocalStudent({ checkpoint: join(dir, 'student'), dim: 12, template: task.template, verbalizer: task.verbalizer, promptLength: 4, seed: 7 }),
            pipeline: { evalEvery: 20, checkpointEvery: 0, distill: { steps: 2, batchSize: 8 } },
          }
        : { pipeline: { evalEvery: 20, checkpointEvery: 0 } }),
    });
    expect(result.calls).toBe(40);
    expect(result.devHistory.length).toBeGreaterThan(0);
    for (const h of result.devHistory) expect(Number.isFinite(h.loss)).toBe(true);
    expect(result.test).toBeGreaterThanOrEqual(0);
  } finally {
    await teacher.close();
  }
}, 120_000);
