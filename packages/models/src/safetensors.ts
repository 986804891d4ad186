/**
 * Reader and writer of the safetensors format (Hugging Face): an 8-byte little-endian header length n, n bytes
 * of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: {...} }`, then the raw
 * little-endian tensor bytes (offsets relative to the end of the header). Sharded checkpoints add
 * `model.safetensors.index.json` (`{ weight_map: { name: file } }`).
 *
 * Every check names the file and the tensor or field: a truncated file, a header over 100 MB (the format's own
 * limit), offsets outside the data, a byte count that does not match the shape, an unsupported dtype.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fromHalfBits, toHalfBits } from './half.js';
import { GdfoError } from '@gdfo/core';

/** Dtypes read here (converted to float32). */
export const SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** The format's header bound (the reference implementation refuses larger headers). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** File it lives in (for sharded checkpoints). */
  readonly file: string;
  /** Float32 values (row-major) on demand. */
  read(): Float32Array;
}

const WIDTH: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function isDtype(d: string): d is SafetensorsDtype {
  return (SAFETENSORS_DTYPES as readonly string[]).includes(d);
}

/** Converts raw little-endian bytes of a supported dtype to float32. */
export function decodeTensorBytes(bytes: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const n = bytes.length / WIDTH[dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  if (dtype === 'F32') for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  else if (dtype === 'F16') for (let i = 0; i < n; i++) out[i] = fromHalfBits(view.getUint16(i * 2, true));
  else {
    // bfloat16: the top 16 bits of a float32
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = view.getUint16(i * 2, true) << 16;
  }
  return out;
}

/** Parses one safetensors file (held in memory). Tensors are decoded lazily by `read()`. */
export function parseSafetensors(bytes: Uint8Array, file: string): Map<string, TensorEntry> {
  if (bytes.length < 8) throw new GdfoError('BAD_CHECKPOINT', `${file}: truncated safetensors file (${bytes.length} bytes, the 8-byte header length is missing)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER_BYTES) throw new GdfoError('BAD_CHECKPOINT', `${file}: safetensors header length ${n} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`);
  if (8 + n > bytes.length) throw new GdfoError('BAD_CHECKPOINT', `${file}: truncated safetensors header (declares ${n} bytes, the file has ${bytes.length - 8} after the length)`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString('utf8'));
  } catch (e) {
    throw new GdfoError('BAD_CHECKPOINT', `${file}: safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new GdfoError('BAD_CHECKPOINT', `${file}: safetensors header must be a JSON object`);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const out = new Map<string, TensorEntry>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const where = `${file}: tensor '${name}'`;
    if (!info || typeof info !== 'object') throw new GdfoError('BAD_CHECKPOINT', `${where}: expected an object with dtype, shape, data_offsets`);
    if (typeof info.dtype !== 'string') throw new GdfoError('BAD_CHECKPOINT', `${where}: dtype must be a string`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new GdfoError('BAD_CHECKPOINT', `${where}: shape must be an array of non-negative integers`);
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) throw new GdfoError('BAD_CHECKPOINT', `${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
    const [begin, end] = offs as [number, number];
    if (end > dataLength) throw new GdfoError('BAD_CHECKPOINT', `${where}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes; truncated file?)`);
    const dtype = info.dtype;
    const shape = info.shape as number[];
    const size = shape.reduce((a, b) => a * b, 1);
    if (isDtype(dtype) && end - begin !== size * WIDTH[dtype]) throw new GdfoError('BAD_CHECKPOINT', `${where}: ${end - begin} bytes do not hold shape [${shape.join(', ')}] of ${dtype} (${size * WIDTH[dtype]} bytes expected)`);
    out.set(name, {
      name,
      dtype,
      shape,
      file,
      read: () => {
        if (!isDtype(dtype)) throw new GdfoError('BAD_CHECKPOINT', `${where}: unsupported dtype ${dtype} (supported: ${SAFETENSORS_DTYPES.join(', ')})`);
        return decodeTensorBytes(bytes.subarray(dataStart + begin, dataStart + end), dtype);
      },
    });
  }
  return out;
}

/**
 * The tensors of a checkpoint folder: `model.safetensors`, or the shards listed by
 * `model.safetensors.index.json`.
 */
export function readSafetensorsFolder(dir: string): Map<string, TensorEntry> {
  const single = join(dir, 'model.safetensors');
  const index = join(dir, 'model.safetensors.index.json');
  if (existsSync(single)) return parseSafetensors(new Uint8Array(readFileSync(single)), single);
  if (!existsSync(index)) throw new GdfoError('NOT_FOUND', `${dir}: no model.safetensors or model.safetensors.index.json (only safetensors weights are read; convert pytorch_model.bin with transformers' save_pretrained(safe_serialization=True))`);
  let parsed: { weight_map?: unknown };
  try {
    parsed = JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: unknown };
  } catch (e) {
    throw new GdfoError('BAD_CHECKPOINT', `${index}: not valid JSON (${(e as Error).message})`);
  }
  const map = parsed.weight_map;
  if (!map || typeof map !== 'object') throw new GdfoError('BAD_CHECKPOINT', `${index}: weight_map must be an object of tensor name → shard file`);
  const files = [...new Set(Object.values(map as Record<string, unknown>))];
  const out = new Map<string, TensorEntry>();
  for (const f of files) {
    if (typeof f !== 'string' || f.includes('/') || f.includes('\\')) throw new GdfoError('BAD_CHECKPOINT', `${index}: weight_map shard ${JSON.stringify(f)} must be a file name in the same folder`);
    const path = join(dirname(index), f);
    if (!existsSync(path)) throw new GdfoError('NOT_FOUND', `${index}: shard ${f} is missing`);
    for (const [name, t] of parseSafetensors(new Uint8Array(readFileSync(path)), path)) out.set(name, t);
  }
  for (const [name, f] of Object.entries(map as Record<string, string>)) {
    const t = out.get(name);
    if (!t) throw new GdfoError('BAD_CHECKPOINT', `${index}: tensor '${name}' is not in shard ${f}`);
    if (basename(t.file) !== f) throw new GdfoError('BAD_CHECKPOINT', `${index}: tensor '${name}' is mapped to ${f} but found in ${basename(t.file)}`);
  }
  return out;
}

export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  readonly dtype?: SafetensorsDtype;
}

/** Serialises tensors to safetensors bytes (F32, F16 or BF16; BF16 rounds to nearest even). */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    const len = t.data.length * WIDTH[dtype];
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [off, off + len] };
    off += len;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' '; // the reference writer aligns the data to 8 bytes
  const hlen = Buffer.byteLength(json);
  const out = new Uint8Array(8 + hlen + off);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(hlen), true);
  out.set(Buffer.from(json, 'utf8'), 8);
  let p = 8 + hlen;
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i]!;
      if (dtype === 'F32') view.setFloat32(p, v, true);
      else if (dtype === 'F16') view.setUint16(p, toHalfBits(v), true);
      else {
        f32[0] = v;
        const bits = u32[0]!;
        view.setUint16(p, ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff, true);
      }
      p += WIDTH[dtype];
    }
  }
  return out;
}
