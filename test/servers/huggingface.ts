/**
 * A Hugging Face-style endpoint on 127.0.0.1, as `@huggingface/inference` calls it with `endpointUrl`:
 * POST <base>/fill-mask ({ inputs, parameters: { targets, top_k } } → [{ score, token, token_str, sequence }]),
 * POST <base>/text-classification ({ inputs, parameters: { top_k } } → [[{ label, score }]]) and
 * POST <base>/chat/v1/chat/completions (OpenAI chat with logprobs, as TGI serves it).
 */
import { LoopbackServer, type RouteResult } from './loopback.js';
import type { AnswerBackend } from './backends.js';
import { chat, type TokenStyle } from './openai.js';

export interface HuggingFaceServerOptions {
  token: string;
  backend: AnswerBackend;
  maskToken?: string;
  chatStyle?: TokenStyle;
}

export class HuggingFaceServer extends LoopbackServer {
  constructor(readonly options: HuggingFaceServerOptions) {
    super(
      {
        '/fill-mask': (body) => fillMask(body as FillMaskBody, options),
        '/text-classification': (body) => classify(body as ClassifyBody, options),
        '/chat/v1/chat/completions': (body) => chat(body as Parameters<typeof chat>[0], options),
      },
      options.token,
    );
  }
  endpoint(mode: 'fill-mask' | 'text-classification' | 'chat'): string {
    return `${this.url}/${mode}`;
  }
}

export async function startHuggingFaceServer(options: HuggingFaceServerOptions): Promise<HuggingFaceServer> {
  return new HuggingFaceServer(options).start();
}

interface FillMaskBody {
  inputs: string;
  parameters?: { targets?: string[]; top_k?: number };
}

async function fillMask(body: FillMaskBody, o: HuggingFaceServerOptions): Promise<RouteResult> {
  const mask = o.maskToken ?? '[MASK]';
  if (typeof body?.inputs !== 'string' || !body.inputs.includes(mask)) throw new Error(`inputs: expected a string with ${mask}`);
  const dist = await o.backend.answer(body.inputs, mask);
  const vocab = [...dist.keys()];
  const targets = body.parameters?.targets ?? vocab;
  const rows = targets
    .filter((t) => dist.has(t))
    .map((t) => ({ score: Math.exp(dist.get(t)!), token: vocab.indexOf(t), token_str: t, sequence: body.inputs.replace(mask, t) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, body.parameters?.top_k ?? 5);
  return { body: rows };
}

interface ClassifyBody {
  inputs: string;
  parameters?: { top_k?: number };
}

async function classify(body: ClassifyBody, o: HuggingFaceServerOptions): Promise<RouteResult> {
  if (typeof body?.inputs !== 'string') throw new Error('inputs: expected a string');
  const scores = [...(await o.backend.classify(body.inputs)).entries()].map(([label, score]) => ({ label, score })).sort((a, b) => b.score - a.score);
  return { body: [scores.slice(0, body.parameters?.top_k ?? 1)] };
}
