/**
 * Atomic checkpoints. One file per checkpoint:
 *
 *   "GDFOCKPT" | u32 format version | u32 JSON byte length | JSON (UTF-8) | zero pad to 8 | binary blobs | sha256
 *
 * Typed arrays in the state are stored as raw little-endian bytes in the blob area and referenced from the
 * JSON as `{ "$typed": "Float64Array", "offset": o, "length": n }`, so floats round-trip bit-for-bit. The
 * trailing SHA-256 covers everything before it: a torn or corrupted file is refused with a one-line error.
 *
 * Writes go to a temporary file in the same directory, are fsync'ed, then renamed over the target, and the
 * directory is fsync'ed: a crash at any point leaves either the old or the new checkpoint, never a mix.
 */
import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import type { StateValue } from '@gdfo/spec';
import { GdfoError } from './errors.js';

export const CHECKPOINT_FORMAT_VERSION = 1;
const MAGIC = Buffer.from('GDFOCKPT', 'ascii');

type TypedName = 'Float64Array' | 'Float32Array' | 'Int32Array' | 'Uint32Array';
const TYPED: Record<TypedName, { new (b: ArrayBuffer, o: number, n: number): ArrayBufferView; BYTES_PER_ELEMENT: number }> = {
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
};

export function encodeCheckpoint(state: StateValue): Buffer {
  const blobs: Buffer[] = [];
  let offset = 0;
  const json = JSON.stringify(state, function (this: unknown, _key, value: unknown) {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const name = value.constructor.name as TypedName;
      if (!(name in TYPED)) throw new GdfoError('BAD_STATE', `checkpoint: typed array ${name} is not supported`);
      const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      const pad = (8 - (offset % 8)) % 8;
      if (pad) blobs.push(Buffer.alloc(pad));
      offset += pad;
      const ref = { $typed: name, offset, length: (value as unknown as { length: number }).length };
      blobs.push(Buffer.from(bytes));
      offset += bytes.length;
      return ref;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
    return value;
  });
  const jsonBuf = Buffer.from(json, 'utf8');
  const header = Buffer.alloc(16);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
  header.writeUInt32LE(jsonBuf.length, 12);
  const pad = Buffer.alloc((8 - ((16 + jsonBuf.length) % 8)) % 8);
  const body = Buffer.concat([header, jsonBuf, pad, ...blobs]);
  const digest = createHash('sha256').update(body).digest();
  return Buffer.concat([body, digest]);
}

export function decodeCheckpoint(buf: Buffer, source = 'checkpoint'): StateValue {
  if (buf.length < 16 + 32 || !buf.subarray(0, 8).equals(MAGIC)) {
    throw new GdfoError('BAD_CHECKPOINT', `${source}: not a gdfo checkpoint (bad magic or too short: ${buf.length} bytes)`);
  }
  const version = buf.readUInt32LE(8);
  if (version !== CHECKPOINT_FORMAT_VERSION) {
    throw new GdfoError('BAD_CHECKPOINT', `${source}: checkpoint format version ${version}, expected ${CHECKPOINT_FORMAT_VERSION}`);
  }
  const body = buf.subarray(0, buf.length - 32);
  const digest = createHash('sha256').update(body).digest();
  if (!digest.equals(buf.subarray(buf.length - 32))) {
    throw new GdfoError('BAD_CHECKPOINT', `${source}: checksum mismatch (file is truncated or corrupted)`);
  }
  const jsonLen = buf.readUInt32LE(12);
  const json = buf.subarray(16, 16 + jsonLen).toString('utf8');
  const blobStart = 16 + jsonLen + ((8 - ((16 + jsonLen) % 8)) % 8);
  return JSON.parse(json, (_key, value: unknown) => {
    if (value && typeof value === 'object' && '$typed' in value) {
      const v = value as { $typed: TypedName; offset: number; length: number };
      const T = TYPED[v.$typed];
      if (!T) throw new GdfoError('BAD_CHECKPOINT', `${source}: unknown typed array ${v.$typed}`);
      const start = blobStart + v.offset;
      const copy = new ArrayBuffer(v.length * T.BYTES_PER_ELEMENT);
      new Uint8Array(copy).set(buf.subarray(start, start + copy.byteLength));
      return new T(copy, 0, v.length);
    }
    if (value && typeof value === 'object' && '$num' in value && Object.keys(value).length === 1) {
      return Number((value as { $num: string }).$num);
    }
    return value;
  }) as StateValue;
}

/** The file operations atomic writes use; injectable so tests can simulate a crash or a full disk. */
export interface FileOps {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

export const nodeFileOps: FileOps = {
  openSync: (p, f) => nodeFs.openSync(p, f),
  writeSync: (fd, d, o, l) => nodeFs.writeSync(fd, d, o, l),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  closeSync: (fd) => nodeFs.closeSync(fd),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
};

let tmpCounter = 0;

/** Writes `data` to `path` atomically (temp file + fsync + rename + directory fsync). */
export function writeFileAtomic(path: string, data: Uint8Array | string, ops: FileOps = nodeFileOps): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = dirname(path);
  nodeFs.mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${++tmpCounter}.tmp`);
  let fd: number | undefined;
  try {
    fd = ops.openSync(tmp, 'w');
    let written = 0;
    while (written < bytes.length) written += ops.writeSync(fd, bytes, written, bytes.length - written);
    ops.fsyncSync(fd);
    ops.closeSync(fd);
    fd = undefined;
    ops.renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        ops.closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      ops.unlinkSync(tmp);
    } catch {
      /* temp file may not exist */
    }
    const e = err as NodeJS.ErrnoException;
    throw new GdfoError('WRITE_FAILED', `cannot write ${path}: ${e.code ?? ''} ${e.message}`.trim(), { cause: err });
  }
  try {
    const dfd = nodeFs.openSync(dir, 'r');
    try {
      nodeFs.fsyncSync(dfd);
    } finally {
      nodeFs.closeSync(dfd);
    }
  } catch {
    /* some file systems refuse directory fsync; the rename is still atomic */
  }
}

/** Named checkpoints in one directory (`<dir>/<name>.ckpt`). */
export class CheckpointStore {
  constructor(
    readonly dir: string,
    private readonly ops: FileOps = nodeFileOps,
  ) {}

  pathOf(name: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new GdfoError('BAD_NAME', `checkpoint name "${name}" must match [A-Za-z0-9._-]+`);
    return join(this.dir, `${name}.ckpt`);
  }

  save(name: string, state: StateValue): string {
    const path = this.pathOf(name);
    writeFileAtomic(path, encodeCheckpoint(state), this.ops);
    return path;
  }

  exists(name: string): boolean {
    return nodeFs.existsSync(this.pathOf(name));
  }

  load(name: string): StateValue {
    const path = this.pathOf(name);
    if (!nodeFs.existsSync(path)) throw new GdfoError('NO_CHECKPOINT', `no checkpoint at ${path}`);
    return decodeCheckpoint(nodeFs.readFileSync(path), path);
  }

  list(): string[] {
    if (!nodeFs.existsSync(this.dir)) return [];
    return nodeFs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.ckpt') && !f.startsWith('.'))
      .map((f) => f.slice(0, -5))
      .sort();
  }
}
