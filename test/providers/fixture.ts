/**
 * The world the provider tests run in: the discrete synthetic black box of @gdfo/testing behind loopback
 * servers that speak the providers' wire protocols, a small task, and helpers (registry, fake-clock pump,
 * a server per test).
 */
import type { ScoreRequest, Teacher } from '@gdfo/spec';
import { createContainer, type ComponentRegistry, type FakeClock } from '@gdfo/core';
import { registerDfo } from '@gdfo/dfo';
import { registerLosses } from '@gdfo/distill';
import { registerPipeline, DiscretePromptSpace, RelaxedStudent } from '@gdfo/pipeline';
import { discreteSyntheticLogits, discreteSyntheticTask, SyntheticStudent, SyntheticWorld } from '@gdfo/testing';
import { slotBackend } from '../servers/backends.js';

/** Not a real key: a recognisable string to grep for. */
export const API_KEY = 'sk-test-LOOPBACK-7f3a9c2e51d84b06';
export const HF_TOKEN = 'hf_LOOPBACKtokenQ8w2Zr5Xy3Vb7Nm1';

export const CANDIDATES = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'sigma'];

export function syntheticSetup(seed = 5) {
  const space = new DiscretePromptSpace({ dim: 12, slots: 4, candidates: CANDIDATES, seed: 9, temperature: 0.3 });
  const world = new SyntheticWorld({ dim: space.slots * space.vocab, width: 8, classes: 2, seed, logitScale: 3 });
  const task = discreteSyntheticTask(world, space, { train: 8, dev: 8, test: 16 }, { seed: 2 });
  const backend = slotBackend({ space, task, logits: (choices, ex) => discreteSyntheticLogits(world, space, choices, ex) });
  const student = (s: number | string) => new RelaxedStudent(new SyntheticStudent(world, { seed: s, lr: 0.01 }), space);
  return { space, world, task, backend, student };
}

export function registry(seed: number): ComponentRegistry {
  const { registry } = createContainer({ seed });
  registerDfo(registry);
  registerLosses(registry);
  registerPipeline(registry);
  return registry;
}

/** Advances a fake clock whenever something sleeps on it, while real I/O goes on; returns a stop function. */
export function pump(clock: FakeClock): () => void {
  let on = true;
  const tick = async () => {
    while (on) {
      await new Promise((r) => setTimeout(r, 1));
      if (clock.pending > 0) await clock.runAll();
    }
  };
  void tick();
  return () => {
    on = false;
  };
}

/** Awaits `p` while `pump` advances `clock` (a teacher call that sleeps on the fake clock between HTTP requests). */
export async function pumped<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  const stop = pump(clock);
  try {
    return await p;
  } finally {
    stop();
  }
}

/**
 * Starts a loopback server before each test of the calling `describe` block and closes it after: `slot.server`
 * is the running one (a test may close it and put another there).
 */
export function serverPerTest<S extends { close(): Promise<void> }>(start: () => Promise<S>): { server: S } {
  const slot = {} as { server: S };
  beforeEach(async () => {
    slot.server = await start();
  });
  afterEach(async () => {
    await slot.server.close();
  });
  return slot;
}

/** Records the requests that succeeded through `inner` (place it just outside the adapter). */
export function spy(inner: Teacher): Teacher & { succeeded: ScoreRequest[] } {
  const succeeded: ScoreRequest[] = [];
  return {
    specVersion: inner.specVersion,
    info: inner.info,
    succeeded,
    async score(request, options) {
      const r = await inner.score(request, options);
      succeeded.push(request);
      return r;
    },
  };
}
