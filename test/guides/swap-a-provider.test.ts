/**
 * Runs each variant of docs/guides/swap-a-provider.md's code — the local teacher in process, and OpenAI (chat,
 * completions) and Hugging Face against loopback servers backed by that same local model — changing only
 * `config.teacher`.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Task } from '@gdfo/spec';
import { tinyTask } from '../fixtures/tiny-task-plugin.mjs';
import { initBackend, tinyModel } from '@gdfo/models';
import { DiscretePromptSpace, textPromptAsTemplate } from '@gdfo/pipeline';
import { createLocalTeacher } from '@gdfo/adapter-local';
import { slotBackend } from '../servers/backends.js';
import { startOpenAIServer, type OpenAIServer } from '../servers/openai.js';
import { startHuggingFaceServer, type HuggingFaceServer } from '../servers/huggingface.js';
import { config, main, providers, type Io } from './swap-a-provider.example.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OPENAI_KEY = 'sk-guide-LOOPBACK-0a1b2c3d4e5f';
const HF_KEY = 'hf_guideLOOPBACK9z8y7x6w5v';

function task(): Task {
  return tinyTask({ train: [0, 1, 2, 3, 4, 5], dev: [6, 7, 8, 9], test: [10, 11, 0, 1] });
}

describe('guide: swap a provider', () => {
  let openai: OpenAIServer;
  let hf: HuggingFaceServer;
  const t = task();
  let io: Omit<Io, 'url'>;

  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    const models = { teacher: tinyModel({ seed: 'guide-teacher' }), student: tinyModel({ seed: 'guide-student' }) };
    // the loopback providers are backed by the same local model the 'local' variant runs in process
    const local = textPromptAsTemplate(await createLocalTeacher({ model: models.teacher, promptLength: config.space.slots }));
    const space = new DiscretePromptSpace({ ...config.space, seed: config.seed });
    const backend = slotBackend({
      space,
      task: t,
      logits: async (choices, example) => {
        const slots = Array.from(choices).filter((v) => v >= 0).map((v, l) => space.candidates[l]![v]!);
        const prompt = slots.length ? { kind: 'discrete-text' as const, text: slots.join(' '), slots } : { kind: 'none' as const };
        const r = await local.score({ examples: [example], template: t.template, verbalizer: t.verbalizer, prompt, purpose: 'train' });
        return Float64Array.from(r.logits);
      },
    });
    openai = await startOpenAIServer({ apiKey: OPENAI_KEY, backend });
    hf = await startHuggingFaceServer({ token: HF_KEY, backend });
    io = { env: { OPENAI_API_KEY: OPENAI_KEY, HF_TOKEN: HF_KEY }, models };
  });
  afterAll(async () => {
    await openai.close();
    await hf.close();
  });

  const variants = {
    local: () => ({}),
    openai: () => ({ url: openai.baseURL }),
    openaiCompletions: () => ({ url: openai.baseURL }),
    huggingface: () => ({ url: hf.endpoint('chat') }),
  };
  const results: Record<string, Awaited<ReturnType<typeof main>>> = {};

  it.each(Object.keys(variants) as (keyof typeof variants)[])('%s: the guide code runs the same GDFO run within its budget', async (name) => {
    const cacheDir = mkdtempSync(join(tmpdir(), `gdfo-guide-${name}-`));
    const result = await main(t, { ...io, ...variants[name](), cacheDir }, { ...config, teacher: providers[name] });
    results[name] = result;
    expect(result.method).toBe('gdfo');
    expect(result.calls).toBe(30);
    expect(result.bestTrainFitness!).toBeLessThan(result.trainHistory[0]!.mean);
    expect(result.agreement.length).toBeGreaterThan(0);
    console.log(`guide ${name}: best CE ${result.bestTrainFitness!.toFixed(4)}, dev ${result.dev}, test ${result.test}, calls ${result.calls}+${result.evalCalls}`);
  }, 60_000);

  it('OpenAI chat and Hugging Face chat give identical runs; the local and completions runs choose the same prompts', () => {
    expect(results['huggingface']).toEqual(results['openai']);
    // log-probabilities ln((1 − m)·softmax(s)) over HTTP vs the logits s in process: the same cross-entropy
    expect(results['openai']!.trainHistory[0]!.mean).toBeCloseTo(results['local']!.trainHistory[0]!.mean, 4);
    for (const name of ['local', 'openaiCompletions']) {
      expect(results[name]!.bestZ).toEqual(results['openai']!.bestZ);
      expect(results[name]!.bestTrainFitness!).toBeCloseTo(results['openai']!.bestTrainFitness!, 4);
      expect({ dev: results[name]!.dev, test: results[name]!.test }).toEqual({ dev: results['openai']!.dev, test: results['openai']!.test });
    }
  });

  it('the guide shows this code verbatim and names the one line to change', () => {
    const md = readFileSync(join(root, 'docs', 'guides', 'swap-a-provider.md'), 'utf8');
    const code = readFileSync(join(root, 'test', 'guides', 'swap-a-provider.example.ts'), 'utf8');
    expect(md).toContain('```ts\n' + code + '```');
    expect(code).toContain('teacher: providers.openai as Provider, // ← the one line');
  });
});
