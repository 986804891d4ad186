/**
 * Wire format of the LMaaS HTTP API (JSON; float32 arrays as base64 of little-endian IEEE 754 bytes).
 *
 *   GET  /healthz          → { ok: true, queued, inFlight }                     (no auth)
 *   GET  /v1/info          → { specVersion, info: TeacherInfo }
 *   POST /v1/score         ← { specVersion, examples, template, verbalizer, purpose, prompt: WirePrompt }
 *                          → { specVersion, rows, classes, logits: base64, usage? }
 *   errors                 → { error: { status, message } } with 400 / 401 / 404 / 405 / 413 / 500 / 503
 */
import type { Prompt } from '@gdfo/spec';

export type WirePrompt =
  | { readonly kind: 'none' }
  | { readonly kind: 'discrete-text'; readonly text: string; readonly slots?: readonly string[] }
  | { readonly kind: 'continuous-shallow'; readonly mode: 'add' | 'cat'; readonly length: number; readonly width: number; readonly values: string }
  | { readonly kind: 'continuous-deep'; readonly layers: number; readonly length: number; readonly width: number; readonly values: string };

export function encodeFloat32(a: Float32Array): string {
  const buf = Buffer.alloc(a.length * 4);
  for (let i = 0; i < a.length; i++) buf.writeFloatLE(a[i]!, i * 4);
  return buf.toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes base64 float32; `expected` (when given) is the required number of values. Throws a one-line message. */
export function decodeFloat32(text: unknown, field: string, expected?: number): Float32Array {
  if (typeof text !== 'string') throw new Error(`${field}: expected a base64 string of float32 values, got ${text === null ? 'null' : typeof text}`);
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw new Error(`${field}: not valid base64`);
  const buf = Buffer.from(text, 'base64');
  if (buf.length % 4 !== 0) throw new Error(`${field}: ${buf.length} bytes is not a whole number of float32 values`);
  const n = buf.length / 4;
  if (expected !== undefined && n !== expected) throw new Error(`${field}: expected ${expected} float32 values (${expected * 4} bytes), got ${n}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export function promptToWire(p: Prompt): WirePrompt {
  switch (p.kind) {
    case 'continuous-shallow':
      return { kind: p.kind, mode: p.mode, length: p.length, width: p.width, values: encodeFloat32(p.values) };
    case 'continuous-deep':
      return { kind: p.kind, layers: p.layers, length: p.length, width: p.width, values: encodeFloat32(p.values) };
    case 'discrete-text':
      return p.slots ? { kind: p.kind, text: p.text, slots: p.slots } : { kind: p.kind, text: p.text };
    default:
      return { kind: 'none' };
  }
}

function posInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${field}: expected a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Parses and validates a wire prompt (shape fields and value count). */
export function promptFromWire(w: unknown): Prompt {
  if (!w || typeof w !== 'object') throw new Error('prompt: expected an object with a kind');
  const o = w as Record<string, unknown>;
  switch (o.kind) {
    case 'none':
      return { kind: 'none' };
    case 'discrete-text':
      if (typeof o.text !== 'string') throw new Error('prompt.text: expected a string');
      return { kind: 'discrete-text', text: o.text };
    case 'continuous-shallow': {
      if (o.mode !== 'add' && o.mode !== 'cat') throw new Error(`prompt.mode: expected 'add' or 'cat', got ${JSON.stringify(o.mode)}`);
      const length = posInt(o.length, 'prompt.length');
      const width = posInt(o.width, 'prompt.width');
      return { kind: 'continuous-shallow', mode: o.mode, length, width, values: decodeFloat32(o.values, 'prompt.values', length * width) };
    }
    case 'continuous-deep': {
      const layers = posInt(o.layers, 'prompt.layers');
      const length = posInt(o.length, 'prompt.length');
      const width = posInt(o.width, 'prompt.width');
      return { kind: 'continuous-deep', layers, length, width, values: decodeFloat32(o.values, 'prompt.values', layers * length * width) };
    }
    default:
      throw new Error(`prompt.kind: expected none, discrete-text, continuous-shallow or continuous-deep, got ${JSON.stringify(o.kind)}`);
  }
}
