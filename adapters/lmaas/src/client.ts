/** A Teacher that calls an LMaaS server over HTTP. */
import type { CallOptions, ScoreRequest, ScoreResult, Teacher, TeacherInfo } from '@gdfo/spec';
import { throwIfNotToStart } from '@gdfo/core';
import { decodeFloat32, promptToWire } from './wire.js';

export interface LmaasTeacherOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly token: string;
  /** Injectable fetch (default: globalThis.fetch). */
  readonly fetch?: typeof fetch;
}

async function call(f: typeof fetch, url: string, token: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await f(url, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } });
  } catch (e) {
    throw new Error(`lmaas: request to ${url} failed: ${(e as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const msg = (body as { error?: { message?: string } } | undefined)?.error?.message ?? text.slice(0, 200);
    const err = new Error(`lmaas ${res.status}: ${msg}`) as Error & { status: number };
    err.status = res.status;
    throw err;
  }
  return body;
}

/** Connects to an LMaaS server (fetches its TeacherInfo) and returns a Teacher. */
export async function createLmaasTeacher(options: LmaasTeacherOptions): Promise<Teacher> {
  if (typeof options.url !== 'string' || !/^https?:\/\//.test(options.url)) throw new Error(`createLmaasTeacher url: expected http(s)://host:port, got ${JSON.stringify(options.url)}`);
  if (typeof options.token !== 'string' || !options.token) throw new Error('createLmaasTeacher token: expected a non-empty string');
  const f = options.fetch ?? globalThis.fetch;
  const base = options.url.replace(/\/+$/, '');
  const infoBody = (await call(f, `${base}/v1/info`, options.token, { method: 'GET' })) as { info?: TeacherInfo };
  if (!infoBody?.info || typeof infoBody.info.id !== 'string') throw new Error(`lmaas: ${base}/v1/info did not return a TeacherInfo`);
  let info: TeacherInfo = infoBody.info;
  return {
    specVersion: '1.0',
    /** The server's TeacherInfo, refreshed by every score response (scales appear after calibration). */
    get info() {
      return info;
    },
    async score(request: ScoreRequest, callOptions?: CallOptions): Promise<ScoreResult> {
      throwIfNotToStart(callOptions); // once sent, only `signal` cuts the request
      const body = JSON.stringify({
        specVersion: '1.0',
        examples: request.examples.map((e) => ({ id: e.id, text: e.text, label: e.label, ...(e.textB !== undefined ? { textB: e.textB } : {}) })),
        template: request.template,
        verbalizer: request.verbalizer,
        purpose: request.purpose,
        prompt: promptToWire(request.prompt),
      });
      const r = (await call(f, `${base}/v1/score`, options.token, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        ...(callOptions?.signal ? { signal: callOptions.signal } : {}),
      })) as { rows: number; classes: number; logits: string; info?: TeacherInfo; usage?: ScoreResult['usage']; cached?: boolean };
      if (!r || !Number.isInteger(r.rows) || !Number.isInteger(r.classes)) throw new Error('lmaas: malformed score response (rows/classes)');
      const logits = decodeFloat32(r.logits, 'lmaas response logits', r.rows * r.classes);
      if (r.info && typeof r.info.id === 'string') info = r.info;
      return { logits, rows: r.rows, classes: r.classes, ...(r.usage ? { usage: r.usage } : {}), ...(r.cached ? { cached: true } : {}) };
    },
  };
}
