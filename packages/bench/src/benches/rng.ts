/** Throughput of the core RNG (Gaussian deviates per second). */
import { createRng } from '@gdfo/core';

export async function run(_args: string[]): Promise<void> {
  const r = createRng(1);
  const n = 5_000_000;
  const out = new Float64Array(n);
  const t0 = performance.now();
  r.fillGaussian(out);
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ bench: 'rng', gaussians: n, ms: Math.round(ms), per_second: Math.round(n / (ms / 1000)) }));
}
