/**
 * `gdfo run --config` against an OpenAI-compatible loopback server: the teacher is built from the config by
 * the `gdfo` binary, its key read from the environment variable the config names, wrapped with the disk cache;
 * BBT tunes a discrete prompt (slots of candidate words) on a small task a plugin registers. The key appears in no file.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { task } from './fixtures/tiny-task-plugin.mjs';
import { DiscretePromptSpace } from '@gdfo/pipeline';
import { slotBackend } from './servers/backends.js';
import { startOpenAIServer, type OpenAIServer } from './servers/openai.js';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const KEY = 'sk-cli-LOOPBACK-7f6e5d4c3b2a';
const CANDIDATES = ['the', 'this', 'a', 'very', 'not', 'film', 'movie', 'it'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('gdfo run with an OpenAI teacher from the config', () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    const space = new DiscretePromptSpace({ dim: 20, slots: 4, seed: 42, candidates: CANDIDATES });
    // The served model separates the classes better the more slots hold an even-indexed candidate.
    const backend = slotBackend({
      space,
      task,
      logits: (choices, example) => {
        let good = 0;
        for (const v of choices) if (v >= 0 && v % 2 === 0) good++;
        const margin = good - 1.5;
        return Float64Array.from([0, 1], (c) => (c === example.label ? margin : -margin));
      },
    });
    server = await startOpenAIServer({ apiKey: KEY, backend });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('tunes a discrete prompt over HTTP, pays each distinct request once, and writes the key nowhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-cli-openai-'));
    const config = join(dir, 'openai.yaml');
    writeFileSync(
      config,
      [
        'task: { name: tiny-sentiment }',
        `plugins: [${JSON.stringify(join(root, 'test', 'fixtures', 'tiny-task-plugin.mjs'))}]`,
        'methods: [manual, bbt]',
        'budget: 40',
        'seed: 42',
        'dim: 20',
        'promptLength: 4',
        'popSize: 10',
        'teacher:',
        '  kind: openai',
        '  options:',
        `    baseURL: ${JSON.stringify(server.baseURL)}`,
        '    model: loopback-model',
        '    endpoint: chat',
        '    apiKeyEnv: TEST_OPENAI_KEY',
        `    candidates: ${JSON.stringify(CANDIDATES)}`,
        `    cacheDir: ${JSON.stringify(join(dir, 'cache'))}`,
        `out: ${JSON.stringify(join(dir, 'runs'))}`,
      ].join('\n'),
    );
    const env = { ...process.env, TEST_OPENAI_KEY: KEY };
    const { stdout } = await run(process.execPath, [bin, 'run', '--config', config, '--json'], { env, maxBuffer: 64 << 20 });
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { runDir: string; results: { method: string; calls: number; test: number }[] };
    const [manual, bbt] = summary.results;
    console.log(`cli openai: manual test ${manual!.test}, bbt test ${bbt!.test}, server hits ${server.hits}`);
    expect(bbt!.calls).toBe(40);
    expect(bbt!.test).toBeGreaterThan(manual!.test);
    // The same run again: every request is answered from the on-disk cache, the server is not asked again.
    const hits = server.hits;
    const again = await run(process.execPath, [bin, 'run', '--config', config, '--json', '--quiet'], { env, maxBuffer: 64 << 20 });
    expect(JSON.parse(again.stdout.trim().split('\n').pop()!).results).toEqual(summary.results);
    expect(server.hits).toBe(hits);
    // Without the key in the environment the run stops at once, naming the variable.
    await expect(run(process.execPath, [bin, 'run', '--config', config], { env: { ...process.env, TEST_OPENAI_KEY: '' } })).rejects.toMatchObject({
      stderr: expect.stringContaining('api key: environment variable TEST_OPENAI_KEY is not set'),
    });
    for (const f of filesUnder(dir)) expect({ f, hasKey: readFileSync(f).includes(KEY) }).toEqual({ f, hasKey: false });
  }, 300_000);
});
