/**
 * The worker-thread side of a `WorkerTeacher`: builds one teacher from the serializable spec in `workerData`
 * (one tfjs backend per thread for the local teacher), then answers `score` and `ping` messages one at a
 * time. Logits go back as transferables.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Teacher } from '@gdfo/spec';
import { buildTeacher } from './specs.js';
import { serializeError, type FromWorker, type ToWorker, type WorkerInit } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('@gdfo/pool worker.js must be started as a worker thread');
const init = workerData as WorkerInit;
const post = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* simulated compute */
  }
}

let teacher: Teacher;
try {
  teacher = await buildTeacher(init.spec);
} catch (err) {
  post({ type: 'init-error', error: serializeError(err) });
  process.exit(1);
}

let calls = 0;
// Messages are handled strictly in arrival order: each score call finishes before the next starts.
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  chain = chain.then(async () => {
    switch (msg.type) {
      case 'ping':
        post({ type: 'pong', id: msg.id });
        return;
      case 'close':
        await teacher.close?.();
        process.exit(0);
        return;
      case 'score': {
        calls++;
        if (init.faults?.exitOnCall === calls) process.exit(3);
        try {
          if (init.faults?.delayMs) busyWait(init.faults.delayMs);
          const r = await teacher.score(msg.request);
          // A private copy that is exactly the logits: transferring it cannot detach anything the teacher keeps.
          const logits = r.logits.slice();
          post(
            {
              type: 'result',
              id: msg.id,
              result: { logits, rows: r.rows, classes: r.classes, ...(r.usage ? { usage: r.usage } : {}), ...(r.cached ? { cached: true } : {}) },
              // The teacher's info may change (the local teacher adds its hidden scales after calibrating).
              info: teacher.info,
            },
            [logits.buffer as ArrayBuffer],
          );
        } catch (err) {
          post({ type: 'error', id: msg.id, error: serializeError(err) });
        }
        return;
      }
    }
  });
});

post({ type: 'ready', info: teacher.info });
