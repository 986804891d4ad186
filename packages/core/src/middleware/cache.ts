/**
 * Teacher response cache. The key is the SHA-256 of the canonical JSON of every request field (examples,
 * template, verbalizer, prompt with its exact float bytes, purpose), the teacher's model id and the spec
 * version: a hit needs all of them equal. Hits are marked `cached: true` (nothing was paid).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScoreRequest, ScoreResult, Teacher, TeacherMiddleware } from '@gdfo/spec';
import { canonicalJson, sha256 } from '../hash.js';
import { SPEC_VERSION } from '../plugins.js';
import { writeFileAtomic } from '../checkpoint.js';
import { GdfoError } from '../errors.js';

export interface CacheStore {
  get(key: string): ScoreResult | undefined;
  set(key: string, value: ScoreResult): void;
}

export function cacheKey(modelId: string, request: ScoreRequest): string {
  return sha256(canonicalJson({ specVersion: SPEC_VERSION, model: modelId, request }));
}

export class MemoryCache implements CacheStore {
  private readonly map = new Map<string, ScoreResult>();
  get(key: string) {
    return this.map.get(key);
  }
  set(key: string, value: ScoreResult) {
    this.map.set(key, value);
  }
  get size(): number {
    return this.map.size;
  }
}

/** One small JSON file per entry under `dir/<aa>/<key>.json`, written atomically. Holds no secrets. */
export class DiskCache implements CacheStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  private path(key: string) {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }
  get(key: string): ScoreResult | undefined {
    const p = this.path(key);
    if (!existsSync(p)) return undefined;
    let raw: { rows: number; classes: number; logits: string; usage?: ScoreResult['usage'] };
    try {
      raw = JSON.parse(readFileSync(p, 'utf8'));
    } catch (err) {
      throw new GdfoError('BAD_CACHE', `cache entry ${p} is corrupted: ${(err as Error).message}`);
    }
    const bytes = Buffer.from(raw.logits, 'base64');
    const logits = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(logits.buffer).set(bytes);
    return { rows: raw.rows, classes: raw.classes, logits, ...(raw.usage ? { usage: raw.usage } : {}) };
  }
  set(key: string, value: ScoreResult): void {
    const logits = Buffer.from(value.logits.buffer, value.logits.byteOffset, value.logits.byteLength).toString('base64');
    writeFileAtomic(
      this.path(key),
      JSON.stringify({ rows: value.rows, classes: value.classes, logits, ...(value.usage ? { usage: value.usage } : {}) }),
    );
  }
}

export interface CacheStats {
  hits: number;
  misses: number;
}

export function withCache(store: CacheStore, stats: CacheStats = { hits: 0, misses: 0 }): TeacherMiddleware {
  return (inner: Teacher): Teacher => ({
    specVersion: inner.specVersion,
    info: inner.info,
    close: inner.close?.bind(inner),
    async score(request, options) {
      const key = cacheKey(inner.info.id, request);
      const hit = store.get(key);
      if (hit) {
        stats.hits++;
        return { ...hit, cached: true };
      }
      stats.misses++;
      const result = await inner.score(request, options);
      store.set(key, { rows: result.rows, classes: result.classes, logits: result.logits, ...(result.usage ? { usage: result.usage } : {}) });
      return result;
    },
  });
}
