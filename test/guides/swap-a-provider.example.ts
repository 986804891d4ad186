// file: test/guides/swap-a-provider.example.ts
import type { Student, Task, Teacher } from '@gdfo/spec';
import { createContainer, GdfoError } from '@gdfo/core';
import { createRemoteTeacher } from '@gdfo/provider-kit';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { shippedCheckpoint, type LoadedModel } from '@gdfo/models';
import { DiscretePromptSpace, RelaxedStudent, registerPipeline, runMethod, textPromptAsTemplate, type MethodResult } from '@gdfo/pipeline';
import { createLocalStudent, createLocalTeacher } from '@gdfo/adapter-local';
import { createOpenAITeacher } from '@gdfo/adapter-openai';
import { createHuggingFaceTeacher } from '@gdfo/adapter-huggingface';

/** Every provider a run can use. Keys are read from the environment variable each one names. */
export const providers = {
  local: { kind: 'local', checkpoint: 'teacher' },
  openai: {
    kind: 'openai',
    endpoint: 'chat',
    model: 'gpt-4o-mini',
    baseURL: 'https://api.openai.com/v1',
    apiKeyEnv: 'OPENAI_API_KEY',
    prices: { promptPer1k: 0.00015, completionPer1k: 0.0006 },
  },
  openaiCompletions: {
    kind: 'openai',
    endpoint: 'completions',
    model: 'gpt-3.5-turbo-instruct',
    baseURL: 'https://api.openai.com/v1',
    apiKeyEnv: 'OPENAI_API_KEY',
    prices: { promptPer1k: 0.0015, completionPer1k: 0.002 },
  },
  huggingface: {
    kind: 'huggingface',
    mode: 'chat',
    model: 'meta-llama/Llama-3.1-8B-Instruct',
    endpointUrl: 'https://my-endpoint.endpoints.huggingface.cloud',
    apiKeyEnv: 'HF_TOKEN',
  },
} as const;

export type Provider = (typeof providers)[keyof typeof providers];

export const config = {
  teacher: providers.openai as Provider, // ← the one line: providers.local, providers.openai, providers.huggingface
  method: 'gdfo' as const,
  harmonizer: 'gradient-sample',
  seed: 7,
  budget: { calls: 30, costUsd: 2 },
  space: { dim: 16, slots: 4, candidates: ['the', 'this', 'a', 'very', 'not', 'film', 'movie', 'it'] },
  popSize: 6,
  cacheDir: '.gdfo/cache',
};

/** What the caller supplies: where keys come from, and (in tests) other URLs and local models. */
export interface Io {
  env: Readonly<Record<string, string | undefined>>;
  /** Replaces the provider's baseURL / endpointUrl (a proxy, a self-hosted server, a test server). */
  url?: string;
  /** Replaces the shipped checkpoints of the local teacher and student. */
  models?: { teacher: LoadedModel; student: LoadedModel };
  cacheDir?: string;
}

function key(env: Io['env'], name: string): string {
  const value = env[name];
  if (!value) throw new GdfoError('NO_API_KEY', `api key: environment variable ${name} is not set`);
  return value;
}

/** The teacher stack for a provider: the adapter, wrapped with budget, cache and retry when it is remote. */
export async function makeTeacher(p: Provider, io: Io, cfg = config): Promise<Teacher> {
  const remote = (t: Teacher) => createRemoteTeacher(t, { budget: { costUsd: cfg.budget.costUsd }, cacheDir: io.cacheDir ?? cfg.cacheDir, retries: 5 });
  switch (p.kind) {
    case 'local':
      // the local model takes templates, not text prompts: the slot words are put in front of the template
      return textPromptAsTemplate(
        await createLocalTeacher({
          ...(io.models ? { model: io.models.teacher } : { checkpoint: shippedCheckpoint(p.checkpoint) }),
          promptLength: cfg.space.slots, // its continuous prompts are not used here
        }),
      );
    case 'openai':
      return remote(createOpenAITeacher({ apiKey: key(io.env, p.apiKeyEnv), baseURL: io.url ?? p.baseURL, model: p.model, endpoint: p.endpoint, priceTable: p.prices }));
    case 'huggingface':
      return remote(createHuggingFaceTeacher({ mode: p.mode, accessToken: key(io.env, p.apiKeyEnv), endpointUrl: io.url ?? p.endpointUrl, model: p.model }));
  }
}

/** The same GDFO run whatever the provider: a discrete prompt space and a local student relaxed over it. */
export async function main(task: Task, io: Io, cfg = config): Promise<MethodResult> {
  const { registry } = createContainer({ seed: cfg.seed });
  registerDfo(registry);
  registerLosses(registry);
  registerPipeline(registry);
  const space = new DiscretePromptSpace({ ...cfg.space, seed: cfg.seed });
  const inner: Student = await createLocalStudent({
    ...(io.models ? { model: io.models.student } : { checkpoint: shippedCheckpoint('student') }),
    dim: space.slots * space.vocab, // the student's generator reads the relaxed slots π(z)
    promptLength: space.slots,
    template: task.template,
    verbalizer: task.verbalizer,
    seed: cfg.seed,
  });
  const teacher = await makeTeacher(cfg.teacher, io, cfg);
  try {
    return await runMethod({
      method: cfg.method,
      task,
      teacher,
      registry,
      seed: cfg.seed,
      budget: cfg.budget.calls,
      popSize: cfg.popSize,
      space,
      student: new RelaxedStudent(inner, space),
      harmonizer: cfg.harmonizer,
      pipeline: { evalEvery: 12, checkpointEvery: 0, distill: { steps: 4, batchSize: 16 } },
    });
  } finally {
    await teacher.close?.();
    inner.dispose?.();
  }
}
