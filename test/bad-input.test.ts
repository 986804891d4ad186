/**
 * Bad input across datasets, configs, models and servers: each case must fail with ONE line that names the
 * file:line, the key path or the field, and what was expected.
 */
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Example, Teacher } from '@gdfo/spec';
import { BudgetMeter, CheckpointStore, createContainer, decodeCheckpoint, encodeCheckpoint, loadPlugin } from '@gdfo/core';
import { parseExamples, sampleFewShot, getTask } from '@gdfo/tasks';
import { parseConfig, parseConfigText } from '@gdfo/config';
import { registerDfo } from '@gdfo/dfo';
import { methodFor } from '@gdfo/pipeline';
import { loadCheckpoint, saveCheckpoint, tinyModel, initBackend } from '@gdfo/models';
import { createLocalTeacher } from '@gdfo/adapter-local';
import { createLmaasServer, createLmaasTeacher } from '@gdfo/adapter-lmaas';

const dir = mkdtempSync(join(tmpdir(), 'gdfo-bad-'));
const ex = (label: number, id = `e${label}-${Math.random()}`): Example => ({ id, text: `text ${id}`, label });

/** Runs `thunk` and returns its error message (sync or async). */
async function errorOf(thunk: () => unknown): Promise<string> {
  try {
    await thunk();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error, got none');
}

type Case = [name: string, thunk: () => unknown, expected: string | RegExp];

const datasets: Case[] = [
  ['malformed JSON line', () => parseExamples('{"text":"a","label":0}\n{"text": oops}\n', 'jsonl', { file: 'train.jsonl', classes: 2 }), /^train\.jsonl:2: malformed JSON .*expected one JSON object per line$/],
  ['missing text field', () => parseExamples('{"label":1}\n', 'jsonl', { file: 'train.jsonl', classes: 2 }), /^train\.jsonl:1: missing field "text.*" \(expected a non-empty string\)$/],
  ['missing label field', () => parseExamples('{"text":"x"}\n', 'jsonl', { file: 'd.jsonl', classes: 2 }), /^d\.jsonl:1: missing field "label.*" \(expected an integer class id in 0\.\.1\)$/],
  ['label outside the verbalizer', () => parseExamples('{"text":"x","label":3}\n', 'jsonl', { file: 'd.jsonl', classes: 2 }), /^d\.jsonl:1: field "label": expected an integer class id in .*, got 3$/],
  ['empty text', () => parseExamples('{"text":"   ","label":0}\n', 'jsonl', { file: 'd.jsonl', classes: 2 }), /^d\.jsonl:1: field "text": expected a non-empty string/],
  ['duplicate ids', () => parseExamples('{"id":"a","text":"x","label":0}\n{"id":"a","text":"y","label":1}\n', 'jsonl', { file: 'd.jsonl', classes: 2 }), 'd.jsonl:2: field "id": duplicate id "a" (first on line 1)'],
  ['sentence pair without text_b', () => parseExamples('{"text":"x","label":0}\n', 'jsonl', { file: 'rte.jsonl', classes: 2, pair: true }), /^rte\.jsonl:1: missing field .*second text/],
  ['unterminated CSV quote', () => parseExamples('text,label\n"abc,0\n', 'csv', { file: 'd.csv', classes: 2 }), /^d\.csv:2: unterminated quoted field/],
  ['empty class for k-shot', () => sampleFewShot([ex(0), ex(0), ex(0)], { k: 1, seed: 1, classes: 2, source: 'd.jsonl' }), 'sampleFewShot: class 1 has no examples in d.jsonl; need 2 (k = 1 train + 1 dev)'],
  ['too few examples for k-shot', () => sampleFewShot([ex(0), ex(1), ex(0), ex(1)], { k: 4, seed: 1, classes: 2, source: 'd.jsonl' }), 'sampleFewShot: class 0 has 2 examples in d.jsonl; need 8 (k = 4 train + 4 dev)'],
  ['missing data directory', () => getTask('sst2', { dataDir: join(dir, 'nowhere') }), `tasks: data directory not found: looked in ${join(dir, 'nowhere')}`],
  ['unknown task', () => getTask('imdb'), 'tasks: unknown task "imdb"; expected one of sst2, yelp, agnews, dbpedia, mrpc, rte, snli, spam'],
];

const configs: Case[] = [
  ['wrong type', () => parseConfigText('budget: "many"\n', 'run.yaml'), /^run\.yaml:1: budget: expected a positive integer/],
  ['unknown key', () => parseConfigText('task: { name: sst2 }\nbudgte: 10\n', 'run.yaml'), /^run\.yaml:2: budgte: unknown key; did you mean "budget"\? expected one of task, /],
  ['negative budget', () => parseConfigText('budget: -1\n', 'run.yaml'), 'run.yaml:1: budget: expected a positive integer, got -1'],
  ['unknown method in a config', () => parseConfig({ methods: ['bbt', 'zeroth'] }, 'cfg.json'), /^cfg\.json: methods\[1\]: expected one of manual, .*got "zeroth"$/],
  ['method that is not a name', () => parseConfig({ methods: ['bbt', 'two words'] }, 'cfg.json'), /^cfg\.json: methods\[1\]: expected a method name: letters, digits/],
  ['unknown method by name', async () => methodFor(createContainer().registry, 'zeroth'), /^unknown method "zeroth"; known: bbt, bbtv2, gdfo, gdfo-deep, icl, kd, manual, whitebox$/],
  ['nested wrong type', () => parseConfig({ distill: { steps: 1.5 } }, 'cfg.json'), /^cfg\.json: distill\.steps: expected a positive integer/],
  ['bad YAML', () => parseConfigText('task: [sst2\nbudget: 3\n', 'run.yaml'), /^run\.yaml:2:1: invalid YAML: /],
  [
    'unknown strategy',
    async () => {
      const { registry } = createContainer();
      registerDfo(registry);
      return registry.resolve('strategy', 'cmaes-turbo');
    },
    /^unknown strategy "cmaes-turbo"; known: .*cma-es/,
  ],
  ['unknown plugin', () => loadPlugin(createContainer().registry, 'gdfo-plugin-nope', dir), /^plugin gdfo-plugin-nope: package not found from /],
  ['negative budget meter', () => new BudgetMeter({ calls: -10 }), 'budget.calls: expected a number ≥ 0, got -10'],
];

async function tinyTeacher(): Promise<Teacher> {
  await initBackend({ prefer: 'cpu' });
  return createLocalTeacher({ model: tinyModel({ seed: 1 }), promptLength: 4 });
}
const req = (words: string[]) => ({
  examples: [ex(0, 'a'), ex(1, 'b')],
  template: { specVersion: '1.0' as const, text: '{text} . It was {mask} .' },
  verbalizer: { specVersion: '1.0' as const, words },
  prompt: { kind: 'none' as const },
  purpose: 'dev' as const,
});

const models: Case[] = [
  ['missing checkpoint', () => loadCheckpoint(join(dir, 'no-model')), `checkpoint: ${join(dir, 'no-model', 'config.json')} does not exist (expected a Hugging Face BERT/RoBERTa folder or a gdfo-mlm checkpoint)`],
  [
    'corrupted checkpoint weights',
    async () => {
      await initBackend({ prefer: 'cpu' });
      const ck = join(dir, 'ck');
      saveCheckpoint(ck, tinyModel({ seed: 2 }));
      const weights = join(ck, JSON.parse(readFileSync(join(ck, 'config.json'), 'utf8')).weights.file as string);
      const bytes = readFileSync(weights);
      bytes[10] = bytes[10]! ^ 0xff;
      writeFileSync(weights, bytes);
      return loadCheckpoint(ck);
    },
    /^checkpoint: .*ck\/weights\.bin sha256 [0-9a-f]{64} does not match config\.json \([0-9a-f]{64}\); the file is corrupt or was replaced$/,
  ],
  ['verbalizer word not in the vocabulary', async () => (await tinyTeacher()).score(req(['bad', 'supercalifragilistic'])), /^verbalizer: 'supercalifragilistic' is not a single token of tiny-test's vocabulary \(it splits into /],
  [
    'prompt longer than the model maximum',
    async () => (await tinyTeacher()).score({ ...req(['bad', 'great']), prompt: { kind: 'continuous-shallow', mode: 'add', length: 999, width: 8, values: new Float32Array(999 * 8) } }),
    "prompt.length: 999 exceeds the model's maximum prompt length 12",
  ],
  ['run checkpoint truncated', () => decodeCheckpoint(encodeCheckpoint({ a: 1 }).subarray(0, 30), 'run/latest.ckpt'), /^run\/latest\.ckpt: /],
  ['run checkpoint missing', () => new CheckpointStore(join(dir, 'empty')).load('latest'), /^no checkpoint at .*latest\.ckpt$/],
];

const servers: Case[] = [
  [
    'port in use',
    async () => {
      const blocker = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
      const port = (blocker.address() as { port: number }).port;
      try {
        await createLmaasServer({ teacher: await tinyTeacher(), port, token: 't' }).listen();
      } finally {
        blocker.close();
      }
    },
    /^listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+$/,
  ],
  [
    'bad token',
    async () => {
      const server = createLmaasServer({ teacher: await tinyTeacher(), port: 0, token: 'right' });
      const { url } = await server.listen();
      try {
        await createLmaasTeacher({ url, token: 'wrong' });
      } finally {
        await server.close();
      }
    },
    'lmaas 401: missing or invalid bearer token',
  ],
  [
    'oversize body',
    async () => {
      const server = createLmaasServer({ teacher: await tinyTeacher(), port: 0, token: 't', maxBodyBytes: 1000 });
      const { url } = await server.listen();
      try {
        const r = await fetch(`${url}/v1/score`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: 'x'.repeat(5000) });
        throw new Error(`${r.status}: ${(await r.text()).trim()}`);
      } finally {
        await server.close();
      }
    },
    /^413: /,
  ],
];

describe('bad input gives a one-line error naming where and what', () => {
  const all = [...datasets, ...configs, ...models, ...servers];
  it('covers at least 25 cases', () => expect(all.length).toBeGreaterThanOrEqual(25));
  it.each(all)('%s', async (_name, thunk, expected) => {
    const message = await errorOf(thunk);
    if (process.env['SHOW']) console.log(_name, '=>', message);
    expect(message).not.toMatch(/\n/);
    if (typeof expected === 'string') expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });
});

