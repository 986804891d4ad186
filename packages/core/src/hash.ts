import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted, typed arrays as `{ "$typed": "Float32Array", "b64": … }` of their
 * exact bytes (little-endian), so that equal requests give equal strings and any bit change differs.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canon(value));
}

function canon(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
    return value;
  }
  if (ArrayBuffer.isView(value)) {
    const v = value as ArrayBufferView;
    return {
      $typed: v.constructor.name,
      b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'),
    };
  }
  if (Array.isArray(value)) return value.map(canon);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as object).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined && typeof v !== 'function') out[key] = canon(v);
  }
  return out;
}

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}
