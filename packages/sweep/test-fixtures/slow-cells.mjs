// A cell function for the queue tests: a few timed steps, each logged (with the worker's pid) to the file named
// by GDFO_SWEEP_TEST_LOG, so a test can see which process started, advanced and finished each cell.
import { appendFileSync } from 'node:fs';

export async function cellFn(config, { id, attempt }) {
  const log = process.env.GDFO_SWEEP_TEST_LOG;
  const note = (event, extra = {}) => {
    if (log) appendFileSync(log, JSON.stringify({ id, pid: process.pid, attempt, event, ...extra }) + '\n');
  };
  note('start');
  let acc = 0;
  for (let step = 0; step < config.steps; step++) {
    note('step', { step });
    // A cell that takes its worker down with it (SIGKILL, as an out-of-memory kill would).
    if (config.killWorkerAtStep === step) process.kill(process.pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, config.stepMs));
    acc += config.seed * (step + 1);
  }
  note('done');
  return { seed: config.seed, acc };
}
