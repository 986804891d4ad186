import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore, decodeCheckpoint, encodeCheckpoint, nodeFileOps, type FileOps } from './checkpoint.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'gdfo-ckpt-'));

describe('checkpoint format', () => {
  it('round-trips JSON and typed arrays bit-for-bit, including non-finite numbers', () => {
    const f64 = new Float64Array([Math.PI, -0, 1e-310, Number.MAX_VALUE]);
    const f32 = new Float32Array([1.5, Math.fround(0.1), NaN]);
    const state = { a: 1, nested: { f64, list: [f32, new Int32Array([-1, 7]), new Uint32Array([4294967295])] }, inf: -Infinity, s: 'x' };
    const back = decodeCheckpoint(encodeCheckpoint(state)) as typeof state;
    expect(back.nested.f64).toBeInstanceOf(Float64Array);
    expect(Buffer.from(back.nested.f64.buffer).equals(Buffer.from(f64.buffer))).toBe(true);
    expect(Object.is(back.nested.f64[1], -0)).toBe(true);
    expect(Array.from(back.nested.list[0] as Float32Array)).toEqual([1.5, Math.fround(0.1), NaN]);
    expect(back.nested.list[1]).toEqual(new Int32Array([-1, 7]));
    expect(back.nested.list[2]).toEqual(new Uint32Array([4294967295]));
    expect(back.inf).toBe(-Infinity);
  });

  it('refuses a truncated or corrupted file with a one-line error', () => {
    const buf = encodeCheckpoint({ x: new Float64Array(10) });
    expect(() => decodeCheckpoint(buf.subarray(0, buf.length - 5), 'run/x.ckpt')).toThrow(
      'run/x.ckpt: checksum mismatch (file is truncated or corrupted)',
    );
    const bad = Buffer.from(buf);
    bad[20] = bad[20]! ^ 1;
    expect(() => decodeCheckpoint(bad, 'y')).toThrow(/checksum mismatch/);
    expect(() => decodeCheckpoint(Buffer.from('{"json":1}'), 'z')).toThrow(/not a gdfo checkpoint/);
  });
});

describe('checkpoint store', () => {
  it('keeps the previous checkpoint readable when a write dies midway (disk full)', () => {
    const dir = tmp();
    const good = new CheckpointStore(dir);
    good.save('latest', { step: 1, w: new Float32Array([1, 2, 3]) });
    let writes = 0;
    const failing: FileOps = {
      ...nodeFileOps,
      writeSync: (fd, data, offset, length) => {
        if (++writes > 1) {
          const e = new Error('no space left on device') as NodeJS.ErrnoException;
          e.code = 'ENOSPC';
          throw e;
        }
        return nodeFileOps.writeSync(fd, data, offset, Math.min(length, 7)); // a short first write
      },
    };
    const store = new CheckpointStore(dir, failing);
    expect(() => store.save('latest', { step: 2, w: new Float32Array(1000) })).toThrow(/cannot write .*latest\.ckpt: ENOSPC/);
    expect(good.load('latest')).toEqual({ step: 1, w: new Float32Array([1, 2, 3]) });
    expect(readdirSync(dir)).toEqual(['latest.ckpt']); // temp file cleaned up
  });

  it('is not fooled by a temp file a killed process left behind, nor by a crash before rename', () => {
    const dir = tmp();
    const store = new CheckpointStore(dir);
    store.save('latest', { step: 1 });
    writeFileSync(join(dir, '.latest.ckpt.999.1.tmp'), encodeCheckpoint({ step: 2 }).subarray(0, 20));
    const crashBeforeRename = new CheckpointStore(dir, {
      ...nodeFileOps,
      renameSync: () => {
        throw new Error('killed');
      },
    });
    expect(() => crashBeforeRename.save('latest', { step: 3 })).toThrow(/cannot write/);
    expect(store.load('latest')).toEqual({ step: 1 });
    expect(store.list()).toEqual(['latest']);
    store.save('latest', { step: 4 });
    expect(decodeCheckpoint(readFileSync(join(dir, 'latest.ckpt')))).toEqual({ step: 4 });
  });

  it('names a missing checkpoint and a bad name', () => {
    const store = new CheckpointStore(tmp());
    expect(() => store.load('nope')).toThrow(/no checkpoint at .*nope\.ckpt/);
    expect(() => store.save('../evil', {})).toThrow('checkpoint name "../evil" must match [A-Za-z0-9._-]+');
  });
});
