/** The scale-out guide's sweep, through a real redis-server: the same results file as the local run. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasRedisServer, startRedisServer, type RedisServerHandle } from '@gdfo/sweep';
import { main, cells } from './scale-out-sweep.example.js';

let redis: RedisServerHandle;
beforeAll(async () => {
  if (!hasRedisServer()) throw new Error('redis-server is not installed: the redis tests need it (apt-get install redis-server)');
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

it('scale-out guide: the sweep through the queue writes the lines the local sweep writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdfo-guide-queue-'));
  const viaQueue = join(dir, 'queue.jsonl');
  const local = join(dir, 'local.jsonl');
  expect(await main(viaQueue, redis.url)).toEqual({ ran: cells.length, skipped: 0, failed: [] });
  expect(await main(local)).toEqual({ ran: cells.length, skipped: 0, failed: [] });
  const sorted = (p: string) => readFileSync(p, 'utf8').trim().split('\n').sort();
  expect(sorted(viaQueue)).toEqual(sorted(local));
  expect(sorted(local)).toHaveLength(6);
}, 60_000);
