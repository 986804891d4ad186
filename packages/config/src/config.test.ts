import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHODS } from '@gdfo/pipeline';
import { jsonErrorLocation, jsonErrorOffset } from '@gdfo/core';
import {
  ConfigError,
  configJsonSchema,
  configReference,
  configSchemaText,
  expandShorthands,
  EXAMPLE_CONFIG,
  loadConfig,
  mergeFlags,
  methodOptions,
  parseConfig,
  parseConfigText,
  referenceRows,
  writeConfigDocs,
} from './index.js';

const here = dirname(fileURLToPath(import.meta.url));
const docs = join(here, '..', '..', '..', 'docs');

function tmpFile(name: string, text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'gdfo-config-')), name);
  writeFileSync(p, text);
  return p;
}

describe('parseConfig', () => {
  it('fills every default from an empty config', () => {
    const c = parseConfig({}, 'run.yaml');
    expect(c).toEqual({
      task: { name: 'synthetic', seed: 42, k: 16, options: {} },
      methods: ['manual', 'bbt', 'gdfo'],
      budget: 8000,
      seed: 42,
      dim: 500,
      promptLength: 50,
      popSize: 20,
      strategy: { name: 'cma-es', options: {} },
      fitness: 'ce',
      harmonizer: { name: 'gradient-sample', options: {} },
      distill: { loss: 'kd', options: {}, steps: 32, batchSize: 32 },
      teacher: { kind: 'local', options: {} },
      student: { kind: 'local', options: {} },
      middleware: [],
      plugins: [],
      evalEvery: 100,
      checkpointEvery: 10,
      testCurve: false,
      out: 'runs',
    });
    expect(c.sigma0).toBeUndefined();
  });

  it('keeps given values and nested defaults', () => {
    const c = parseConfig({ task: { name: 'sst2', k: 4 }, distill: { steps: 8 }, sigma0: 0.5, middleware: [{ name: 'cost-guard' }] });
    expect(c.task).toEqual({ name: 'sst2', seed: 42, k: 4, options: {} });
    expect(c.distill).toEqual({ loss: 'kd', options: {}, steps: 8, batchSize: 32 });
    expect(c.sigma0).toBe(0.5);
    expect(c.middleware).toEqual([{ name: 'cost-guard', options: {} }]);
  });

  it('refuses a wrong type, naming the source, key path, expectation and value', () => {
    expect(() => parseConfig({ budget: 'lots' }, 'run.json')).toThrow('run.json: budget: expected a positive integer, got "lots"');
    expect(() => parseConfig({ sigma0: 'x' }, 'run.json')).toThrow('run.json: sigma0: expected a positive number, got "x"');
    expect(() => parseConfig({ distill: { steps: 2.5 } }, 'c')).toThrow('c: distill.steps: expected a positive integer, got 2.5');
    expect(() => parseConfig({ plugins: 'gdfo-plugin-de' }, 'c')).toThrow('c: plugins: expected a list of package names or paths, got "gdfo-plugin-de"');
    expect(() => parseConfig({ fitness: 'mse' }, 'c')).toThrow('c: fitness: expected one of ce, hinge, got "mse"');
    expect(() => parseConfig({ strategy: { name: 'bad name!' } }, 'c')).toThrow(/^c: strategy\.name: expected a strategy name: letters/);
  });

  it('refuses a negative budget and a negative checkpoint interval', () => {
    expect(() => parseConfig({ budget: -5 }, 'run.yaml')).toThrow('run.yaml: budget: expected a positive integer, got -5');
    expect(() => parseConfig({ budget: 0 }, 'run.yaml')).toThrow('run.yaml: budget: expected a positive integer, got 0');
    expect(() => parseConfig({ checkpointEvery: -1 }, 'run.yaml')).toThrow('run.yaml: checkpointEvery: expected a non-negative integer, got -1');
    expect(() => parseConfig({ checkpointEvery: 0 }, 'run.yaml').checkpointEvery).not.toThrow();
  });

  it('refuses an unknown key, suggesting the near one', () => {
    expect(() => parseConfig({ budgett: 10 }, 'run.yaml')).toThrow(/^run\.yaml: budgett: unknown key; did you mean "budget"\? expected one of task, methods, budget,/);
    expect(() => parseConfig({ distill: { stepz: 1 } }, 'run.yaml')).toThrow(
      'run.yaml: distill.stepz: unknown key; did you mean "steps"? expected one of loss, options, steps, batchSize',
    );
    expect(() => parseConfig({ teacher: { kind: 'lmaas', url: 'x' } }, 'r')).toThrow('r: teacher.url: unknown key; expected one of kind, options');
  });

  it('refuses an unknown method and a repeated one', () => {
    expect(() => parseConfig({ methods: ['bbt', 'gdfo2'] }, 'run.yaml')).toThrow(
      `run.yaml: methods[1]: expected one of ${METHODS.join(', ')}, got "gdfo2"`,
    );
    expect(() => parseConfig({ methods: ['bbt', 'bbt'] }, 'run.yaml')).toThrow('run.yaml: methods: expected each method at most once, got ["bbt","bbt"]');
    expect(() => parseConfig({ methods: [] }, 'run.yaml')).toThrow('run.yaml: methods: expected at least one method, got []');
  });

  it('refuses a missing required key and a non-mapping top level', () => {
    expect(() => parseConfig({ task: { k: 4 } }, 'r')).toThrow('r: task.name: expected a task name (a string), got nothing (the key is missing)');
    expect(() => parseConfig([1, 2], 'r')).toThrow('r: expected a mapping of config keys at the top level, got a list');
    expect(() => parseConfig('budget', 'r')).toThrow('r: expected a mapping of config keys at the top level, got "budget"');
  });

  it('lists every problem, one line each', () => {
    let err: unknown;
    try {
      parseConfig({ budget: -1, seed: -1, dim: 0 }, 'r');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.split('\n')).toEqual([
      'r: budget: expected a positive integer, got -1',
      'r: seed: expected a non-negative integer, got -1',
      'r: dim: expected a positive integer, got 0',
    ]);
    expect((err as ConfigError).problems).toHaveLength(3);
    expect((err as ConfigError).code).toBe('BAD_CONFIG');
  });

  it('accepts string shorthands of task, strategy, harmonizer, teacher, student and middleware items', () => {
    const c = parseConfig({ task: 'spam', strategy: 'sep-cma-es', harmonizer: 'none', middleware: ['cost-guard'] }, 'r');
    expect(c.task).toEqual({ name: 'spam', seed: 42, k: 16, options: {} });
    expect(c.strategy).toEqual({ name: 'sep-cma-es', options: {} });
    expect(c.harmonizer).toEqual({ name: 'none', options: {} });
    expect(c.middleware).toEqual([{ name: 'cost-guard', options: {} }]);
    // a built-in kind names the kind; anything else is a local model (shipped name or checkpoint directory)
    expect(parseConfig({ teacher: 'lmaas', student: 'local' }).teacher).toEqual({ kind: 'lmaas', options: {} });
    expect(parseConfig({ teacher: 'lmaas', student: 'local' }).student).toEqual({ kind: 'local', options: {} });
    expect(parseConfig({ teacher: 'some-model', student: '/abs/student' })).toMatchObject({
      teacher: { kind: 'local', options: { checkpoint: 'some-model' } },
      student: { kind: 'local', options: { checkpoint: '/abs/student' } },
    });
    expect(expandShorthands({ teacher: './t', student: 'models/s', task: 'x' }, '/base')).toEqual({
      teacher: { kind: 'local', options: { checkpoint: '/base/t' } },
      student: { kind: 'local', options: { checkpoint: '/base/models/s' } },
      task: { name: 'x' },
    });
    // the object forms are unchanged
    expect(parseConfig({ teacher: { kind: 'openai', options: { model: 'm' } } }).teacher).toEqual({ kind: 'openai', options: { model: 'm' } });
    expect(() => parseConfig({ task: 5 }, 'r')).toThrow('r: task: expected a task name (`task: spam`) or a mapping { name, seed, k, dataDir, options }, got 5');
    expect(() => parseConfig({ teacher: '' }, 'r')).toThrow('r: teacher: expected a teacher kind or model (a string) or a mapping { kind, options }, got ""');
  });
});

describe('loadConfig', () => {
  it('reads YAML and JSON files', () => {
    const y = loadConfig(tmpFile('run.yaml', 'task:\n  name: sst2\nmethods: [bbt, gdfo]\nbudget: 600\n'));
    expect(y.task.name).toBe('sst2');
    expect(y.methods).toEqual(['bbt', 'gdfo']);
    expect(y.budget).toBe(600);
    const j = loadConfig(tmpFile('run.json', JSON.stringify({ budget: 50, harmonizer: { name: 'none' } })));
    expect(j.budget).toBe(50);
    expect(j.harmonizer).toEqual({ name: 'none', options: {} });
    expect(loadConfig(tmpFile('empty.yml', '')).budget).toBe(8000);
  });

  it('names the line of the offending key in a YAML file', () => {
    const p = tmpFile('run.yaml', 'task:\n  name: sst2\n\nbudget: -5\n');
    expect(() => loadConfig(p)).toThrow(`${p}:4: budget: expected a positive integer, got -5`);
    const q = tmpFile('run.yaml', 'distill:\n  loss: kd\n  stepz: 3\n');
    expect(() => loadConfig(q)).toThrow(`${q}:3: distill.stepz: unknown key`);
    const r = tmpFile('run.yaml', 'methods:\n  - bbt\n  - nope\n');
    expect(() => loadConfig(r)).toThrow(`${r}:3: methods[1]: expected one of`);
  });

  it('takes `task: spam` and a teacher path relative to the file, and lists every problem by line', () => {
    const p = tmpFile('run.yaml', 'task: spam\nteacher: ./models/t\nmethods: [bbt]\n');
    const c = loadConfig(p);
    expect(c.task.name).toBe('spam');
    expect(c.teacher).toEqual({ kind: 'local', options: { checkpoint: join(dirname(p), 'models', 't') } });
    const q = tmpFile('run.yaml', 'budgte: 3\ntask: spam\nmethods:\n  - bbt\n  - nope\nbudget: -5\nseed: x\n');
    expect(() => loadConfig(q)).toThrow(
      [
        `${q}:1: budgte: unknown key; did you mean "budget"? expected one of task, methods, budget,`,
      ].join(''),
    );
    let message = '';
    try {
      loadConfig(q);
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split('\n');
    expect(lines.map((l) => l.slice(q.length).split(':')[1])).toEqual(['1', '5', '6', '7']);
    expect(lines[1]).toBe(`${q}:5: methods[1]: expected one of ${METHODS.join(', ')}, got "nope"`);
    expect(lines[2]).toBe(`${q}:6: budget: expected a positive integer, got -5`);
    expect(lines[3]).toBe(`${q}:7: seed: expected a non-negative integer, got "x"`);
  });

  it('reports bad YAML with its line and column', () => {
    const p = tmpFile('run.yaml', 'budget: 5\nmethods: [bbt, gdfo\nseed: 3\n');
    expect(() => loadConfig(p)).toThrow(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:1: invalid YAML: `));
    const dup = tmpFile('run.yaml', 'budget: 5\nbudget: 6\n');
    expect(() => loadConfig(dup)).toThrow(`${dup}:2:1: invalid YAML: Map keys must be unique`);
    const tab = tmpFile('run.yaml', 'task:\n\tname: sst2\n');
    expect(() => loadConfig(tab)).toThrow(/:2:1: invalid YAML: /);
  });

  it('reports bad JSON with its line and column', () => {
    const p = tmpFile('run.json', '{\n  "budget": 5,\n}\n');
    expect(() => loadConfig(p)).toThrow(new RegExp(`run\\.json:3:1: invalid JSON: `));
    const list = tmpFile('run.json', '{\n  "methods": ["bbt",]\n}\n');
    expect(() => loadConfig(list)).toThrow(new RegExp(`run\\.json:2:21: invalid JSON: `));
    const q = tmpFile('run.json', '{\n  "budget": -5\n}\n');
    expect(() => loadConfig(q)).toThrow(`${q}:2: budget: expected a positive integer, got -5`);
  });

  it('refuses an unknown extension and a missing file', () => {
    expect(() => loadConfig('run.toml')).toThrow('run.toml: expected a .yaml, .yml or .json config file, got ".toml"');
    expect(() => loadConfig('/nonexistent/run.yaml')).toThrow('/nonexistent/run.yaml: cannot read the config file: ENOENT');
  });

  it('parses the documented example', () => {
    const c = parseConfigText(EXAMPLE_CONFIG, 'example.yaml');
    expect(c.task).toEqual({ name: 'sst2', seed: 42, k: 16, options: {} });
    expect(c.seed).toBe(7);
    expect(c.middleware).toEqual([{ name: 'cost-guard', options: { maxPromptTokensPerCall: 20000 } }]);
  });
});

describe('mergeFlags', () => {
  const base = parseConfig({ task: { name: 'sst2' }, budget: 1000, strategy: { name: 'cma-es', options: { c1: 0.1 } } }, 'run.yaml');

  it('lets flags override the file, leaving the rest', () => {
    const c = mergeFlags(base, { budget: 200, methods: 'bbt, gdfo', strategy: 'sep-cma-es', 'distill.steps': '8', harmonizer: undefined });
    expect(c.budget).toBe(200);
    expect(c.methods).toEqual(['bbt', 'gdfo']);
    expect(c.strategy).toEqual({ name: 'sep-cma-es', options: { c1: 0.1 } });
    expect(c.distill.steps).toBe(8);
    expect(c.harmonizer.name).toBe('gradient-sample');
    expect(c.task.name).toBe('sst2');
    expect(base.budget).toBe(1000);
    expect(mergeFlags(base, { teacher: 'lmaas', task: 'rte', k: 8, distillLoss: 'mse' })).toMatchObject({
      teacher: { kind: 'lmaas' },
      task: { name: 'rte', k: 8 },
      distill: { loss: 'mse' },
    });
  });

  it('names the flag in its errors', () => {
    expect(() => mergeFlags(base, { budget: -5 })).toThrow('command line: --budget: expected a positive integer, got -5');
    expect(() => mergeFlags(base, { evalEvery: 'often' })).toThrow('command line: --eval-every: expected a number, got "often"');
    expect(() => mergeFlags(base, { methods: 'bbt,zzz' })).toThrow(/^command line: --methods: expected one of manual, /);
    expect(() => mergeFlags(base, { colour: 'red' })).toThrow('command line: --colour: unknown option (no config key colour)');
    // several bad flags: every one, one line each
    expect(() => mergeFlags(base, { budget: -5, seed: -1 })).toThrow('command line: --budget: expected a positive integer, got -5\ncommand line: --seed: expected a non-negative integer, got -1');
  });

  it('maps a config to runMethod options', () => {
    const o = methodOptions(mergeFlags(base, { sigma0: 0.3, popSize: 10 }));
    expect(o).toEqual({
      budget: 1000,
      seed: 42,
      dim: 500,
      promptLength: 50,
      popSize: 10,
      sigma0: 0.3,
      strategy: 'cma-es',
      strategyOptions: { c1: 0.1 },
      fitness: 'ce',
      harmonizer: 'gradient-sample',
      harmonizerOptions: {},
      distillLoss: 'kd',
      distillLossOptions: {},
      pipeline: { evalEvery: 100, checkpointEvery: 10, testCurve: false, distill: { steps: 32, batchSize: 32 } },
    });
  });
});

describe('configuration reference', () => {
  it('lists every key with type, default and description', () => {
    const rows = referenceRows();
    const keys = rows.map((r) => r.key);
    for (const k of ['task.name', 'task.dataDir', 'task.seed', 'task.k', 'methods', 'budget', 'seed', 'dim', 'promptLength', 'popSize', 'sigma0',
      'strategy.name', 'strategy.options', 'fitness', 'harmonizer.name', 'distill.loss', 'distill.steps', 'distill.batchSize', 'teacher.kind',
      'student.kind', 'middleware', 'middleware[].name', 'plugins', 'evalEvery', 'checkpointEvery', 'out']) {
      expect(keys).toContain(k);
    }
    for (const r of rows) expect(r.description.length).toBeGreaterThan(10);
    expect(rows.find((r) => r.key === 'budget')).toEqual(expect.objectContaining({ type: 'integer > 0', default: '`8000`' }));
    expect(rows.find((r) => r.key === 'checkpointEvery')).toEqual(expect.objectContaining({ type: 'integer ≥ 0', default: '`10`' }));
    expect(rows.find((r) => r.key === 'fitness')?.type).toBe('`ce` | `hinge`');
    expect(rows.find((r) => r.key === 'task.name')?.default).toBe('required');
    // the shorthands are in the reference and the JSON Schema (editors must not flag `task: spam`)
    expect(rows.find((r) => r.key === 'task')?.type).toBe('mapping or name');
    expect(rows.find((r) => r.key === 'middleware')?.type).toBe('list of mapping or name');
    const props = (configJsonSchema() as { properties: Record<string, { type: unknown; items?: { type: unknown } }> }).properties;
    for (const key of ['task', 'strategy', 'harmonizer', 'teacher', 'student']) expect(props[key]!.type).toEqual(['object', 'string']);
    expect(props['middleware']!.items!.type).toEqual(['object', 'string']);
    expect(props['distill']!.type).toBe('object');
    expect(rows.find((r) => r.key === 'sigma0')?.default).toBe('—');
  });

  it('docs/configuration.md and docs/config.schema.json are up to date (npm run docs:config)', () => {
    expect(readFileSync(join(docs, 'configuration.md'), 'utf8')).toBe(configReference());
    expect(readFileSync(join(docs, 'config.schema.json'), 'utf8')).toBe(configSchemaText());
  });

  it('writes both documents', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-docs-'));
    const [md, schema] = writeConfigDocs(dir);
    expect(readFileSync(md!, 'utf8')).toContain('| `budget` | integer > 0 | `8000` |');
    expect(JSON.parse(readFileSync(schema!, 'utf8')).properties.budget).toEqual(expect.objectContaining({ type: 'integer', default: 8000, exclusiveMinimum: 0 }));
  });
});

describe('jsonErrorOffset', () => {
  it('finds the offset of the first syntax error, or none for valid JSON', () => {
    expect(jsonErrorOffset('{"a": [1, 2, {"b": "x\\u00e9"}], "c": -1.5e3, "d": null}')).toBeUndefined();
    expect(jsonErrorOffset('[1,]')).toBe(3);
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('[tru]')).toBe(1);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
    expect(jsonErrorOffset('"abc')).toBe(4);
    expect(jsonErrorOffset('')).toBe(0);
    expect(jsonErrorLocation('{\n  "a": [1,]\n}')).toBe(':2:11');
    for (const ok of ['0', '"s"', '[]', '{}', ' true ', '-0.5']) expect([ok, jsonErrorOffset(ok)]).toEqual([ok, undefined]);
  });
});

