import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ComponentFactory, ComponentKind, Registry, Task } from '@gdfo/spec';
import { BENCHMARK_TASKS, getTaskDefinition, TASK_NAMES, TASKS } from './definitions.js';
import { defaultDataDir, findRepoRoot, getTask, registerTasks, resolveDataDir } from './tasks.js';
import { validateTemplate } from './template.js';

describe('task definitions (BBT dataloader.py / metrics.py)', () => {
  it('templates, verbalizers and metrics as in BBT, words lower-cased', () => {
    const expected: Record<string, [string, string[], string]> = {
      sst2: ['{text} . It was {mask} .', ['bad', 'great'], 'accuracy'],
      yelp: ['{text} . It was {mask} .', ['bad', 'great'], 'accuracy'],
      agnews: ['{mask} News: {text}', ['World', 'Sports', 'Business', 'Tech'], 'accuracy'],
      dbpedia: [
        '[ Category: {mask} ] {text}',
        ['Company', 'Education', 'Artist', 'Athlete', 'Office', 'Transportation', 'Building', 'Natural', 'Village', 'Animal', 'Plant', 'Album', 'Film', 'Written'],
        'accuracy',
      ],
      mrpc: ['{text} ? {mask} , {textB}', ['No', 'Yes'], 'f1'],
      rte: ['{text} ? {mask} , {textB}', ['Yes', 'No'], 'accuracy'],
      snli: ['{text} ? {mask} , {textB}', ['Yes', 'Maybe', 'No'], 'accuracy'],
    };
    for (const name of BENCHMARK_TASKS) {
      const def = TASKS[name];
      const [template, words, metric] = expected[name] as [string, string[], string];
      expect(def.template).toBe(template);
      expect(def.bbtWords).toEqual(words);
      expect(def.words).toEqual(words.map((w) => w.toLowerCase()));
      expect(def.metric).toBe(metric);
      expect(def.classes.length).toBe(words.length);
      expect(def.pair).toBe(template.includes('{textB}'));
      validateTemplate(def.template);
    }
    expect(TASKS.spam.words).toEqual(['normal', 'spam']);
    expect(TASK_NAMES).toEqual(['sst2', 'yelp', 'agnews', 'dbpedia', 'mrpc', 'rte', 'snli', 'spam']);
  });

  it('class names follow ../shared/data/README.md label ids', () => {
    expect(TASKS.rte.classes).toEqual(['entailment', 'not_entailment']);
    expect(TASKS.snli.classes).toEqual(['entailment', 'neutral', 'contradiction']);
    expect(TASKS.mrpc.classes[1]).toBe('equivalent');
    expect(TASKS.dbpedia.classes[13]).toBe('WrittenWork');
  });

  it('BBT preprocessing: literal \\n in Yelp becomes a space, DBPedia content is stripped', () => {
    expect(TASKS.yelp.preprocess?.('good.\\nGreat food')).toBe('good. Great food');
    expect(TASKS.dbpedia.preprocess?.(' The Tramway Society ')).toBe('The Tramway Society');
  });

  it('unknown task names are a one-line error', () => {
    expect(() => getTaskDefinition('imdb')).toThrow('tasks: unknown task "imdb"; expected one of sst2, yelp, agnews, dbpedia, mrpc, rte, snli, spam');
  });
});

describe('getTask from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdfo-data-'));
  const row = (text: string, label: number) => JSON.stringify({ text, label });
  const pairRow = (a: string, b: string, label: number) => JSON.stringify({ text_a: a, text_b: b, label });
  beforeAll(() => {
    // A miniature copy of the shared layout: 16 per class, train/dev, plus a test file.
    const mk = (task: string, lines: (i: number, split: string) => string, n: number, test: boolean) => {
      const d = join(dir, 'fewshot', task, 'seed-42');
      mkdirSync(d, { recursive: true });
      for (const split of ['train', 'dev']) {
        writeFileSync(join(d, `${split}.jsonl`), Array.from({ length: n }, (_, i) => lines(i, split)).join('\n') + '\n');
      }
      if (test) {
        mkdirSync(join(dir, 'test'), { recursive: true });
        writeFileSync(join(dir, 'test', `${task}.jsonl`), Array.from({ length: 10 }, (_, i) => lines(i, 'test')).join('\n') + '\n');
      }
    };
    mk('sst2', (i, s) => row(`${s} sentence ${i} `, i % 2), 32, true);
    mk('dbpedia', (i, s) => row(` ${s} content ${i}`, i % 14), 224, false);
    mk('rte', (i, s) => pairRow(`${s} premise ${i}`, `hyp ${i}`, i % 2), 32, true);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads train/dev/test with the task metadata', async () => {
    const t: Task = await getTask('sst2', { dataDir: dir });
    expect(t.specVersion).toBe('1.0');
    expect(t.name).toBe('sst2');
    expect([t.train.length, t.dev.length, t.test?.length]).toEqual([32, 32, 10]);
    expect(t.train[0]).toEqual({ id: 'train-0', text: 'train sentence 0 ', label: 0 });
    expect(t.dev[3]?.id).toBe('dev-3');
    expect(t.template.text).toBe('{text} . It was {mask} .');
    expect(t.verbalizer.words).toEqual(['bad', 'great']);
    expect(t.metric).toBe('accuracy');
    expect(t.source).toContain(join(dir, 'fewshot', 'sst2', 'seed-42'));
  });

  it('strips DBPedia texts and has no test set for it', async () => {
    const t = await getTask('dbpedia', { dataDir: dir });
    expect(t.train[0]?.text).toBe('train content 0');
    expect(t.test).toBeUndefined();
    expect(t.classes.length).toBe(14);
  });

  it('sentence-pair tasks carry textB', async () => {
    const t = await getTask('rte', { dataDir: dir, test: false });
    expect(t.train[1]).toEqual({ id: 'train-1', text: 'train premise 1', textB: 'hyp 1', label: 1 });
    expect(t.test).toBeUndefined();
  });

  it('k < 16 subsamples each shipped split per class, seeded', async () => {
    const t = await getTask('sst2', { dataDir: dir, k: 4 });
    expect(t.train.length).toBe(8);
    expect(t.dev.length).toBe(8);
    expect(t.train.filter((e) => e.label === 1).length).toBe(4);
    expect(t.train.every((e) => e.id.startsWith('train-'))).toBe(true);
    const again = await getTask('sst2', { dataDir: dir, k: 4 });
    expect(again.train.map((e) => e.id)).toEqual(t.train.map((e) => e.id));
    await expect(getTask('sst2', { dataDir: dir, k: 32 })).rejects.toThrow("k = 32 but the shipped few-shot splits have 16 per class; use source 'hub'");
  });

  it('one-line errors naming where it looked', async () => {
    const missing = join(dir, 'nowhere');
    await expect(getTask('sst2', { dataDir: missing })).rejects.toThrow(`tasks: data directory not found: looked in ${missing}`);
    await expect(getTask('sst2', { dataDir: dir, seed: 7 })).rejects.toThrow(
      `getTask(sst2): few-shot folder not found: looked in ${join(dir, 'fewshot', 'sst2', 'seed-7')} (available: seed-42)`,
    );
    await expect(getTask('mrpc', { dataDir: dir })).rejects.toThrow(`(no folder ${join(dir, 'fewshot', 'mrpc')})`);
    const bad = join(dir, 'fewshot', 'sst2', 'seed-9');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'train.jsonl'), row('ok', 0) + '\n' + row('bad', 5) + '\n');
    writeFileSync(join(bad, 'dev.jsonl'), row('ok', 0) + '\n');
    await expect(getTask('sst2', { dataDir: dir, seed: 9 })).rejects.toThrow(
      `${join(bad, 'train.jsonl')}:2: field "label": expected an integer class id in 0..1, got 5`,
    );
  });

  it('the default data dir is <repo root>/../shared/data', () => {
    const root = findRepoRoot();
    expect(existsSync(join(root, 'packages', 'tasks', 'src', 'tasks.ts'))).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces).toBeDefined();
    expect(findRepoRoot(join(root, 'packages', 'tasks', 'src'))).toBe(root);
    expect(defaultDataDir()).toBe(resolve(root, '..', 'shared', 'data'));
    expect(resolveDataDir(dir)).toBe(dir);
    expect(() => findRepoRoot(tmpdir())).toThrow('tasks: cannot find the repository root');
  });
});

describe('the embedded spam task', () => {
  it('16-shot train/dev and a balanced 500-example test set, disjoint and seeded', async () => {
    const t = await getTask('spam');
    expect([t.train.length, t.dev.length, t.test?.length]).toEqual([32, 32, 500]);
    for (const c of [0, 1]) {
      expect(t.train.filter((e) => e.label === c).length).toBe(16);
      expect(t.dev.filter((e) => e.label === c).length).toBe(16);
      expect(t.test?.filter((e) => e.label === c).length).toBe(250);
    }
    const ids = [...t.train, ...t.dev, ...(t.test ?? [])].map((e) => e.id);
    expect(new Set(ids).size).toBe(564);
    expect(t.classes).toEqual(['ham', 'spam']);
    expect(t.verbalizer.words).toEqual(['normal', 'spam']);
    const same = await getTask('spam', { seed: 42 });
    expect(same.train.map((e) => e.id)).toEqual(t.train.map((e) => e.id));
    expect(same.test?.map((e) => e.id)).toEqual(t.test?.map((e) => e.id));
    const other = await getTask('spam', { seed: 1, k: 8, spamTestSize: 100 });
    expect([other.train.length, other.test?.length]).toEqual([16, 100]);
    expect(other.train.map((e) => e.id)).not.toEqual(t.train.map((e) => e.id).slice(0, 16));
    await expect(getTask('spam', { spamTestSize: 5 })).rejects.toThrow('spamTestSize must be an even integer');
  });
});

describe('registerTasks', () => {
  class FakeRegistry implements Registry {
    readonly entries = new Map<string, { factory: ComponentFactory; description?: string }>();
    register<T>(kind: ComponentKind, name: string, factory: ComponentFactory<T>, description?: string): void {
      this.entries.set(`${kind}:${name}`, { factory: factory as ComponentFactory, ...(description ? { description } : {}) });
    }
    registerStrategy(): void {
      throw new Error('not used');
    }
    has(kind: ComponentKind, name: string): boolean {
      return this.entries.has(`${kind}:${name}`);
    }
    names(kind: ComponentKind): string[] {
      return [...this.entries.keys()].filter((k) => k.startsWith(`${kind}:`)).map((k) => k.slice(kind.length + 1));
    }
  }

  it('registers all eight tasks by name; the factory builds the task and checks options', async () => {
    const reg = new FakeRegistry();
    registerTasks(reg);
    expect(reg.names('task')).toEqual(['sst2', 'yelp', 'agnews', 'dbpedia', 'mrpc', 'rte', 'snli', 'spam']);
    expect(reg.entries.get('task:mrpc')?.description).toContain('metric f1');
    const ctx = { rng: undefined as never, clock: undefined as never, resolve: async () => undefined as never };
    const factory = reg.entries.get('task:spam')?.factory as ComponentFactory<Task>;
    const t = await factory({ k: 2, spamTestSize: 10 }, ctx);
    expect([t.train.length, t.test?.length]).toEqual([4, 10]);
    await expect(Promise.resolve().then(() => factory({ kk: 2 }, ctx))).rejects.toThrow('task spam: unknown option "kk"');
    await expect(Promise.resolve().then(() => factory({ k: '2' }, ctx))).rejects.toThrow('task spam: option "k" must be a number, got "2"');
  });
});
