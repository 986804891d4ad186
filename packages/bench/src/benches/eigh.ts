/**
 * `npm run bench -- eigh` (options: `--help`, or ../usage.ts)
 * Speed of @gdfo/dfo's symmetric eigensolver (Householder tridiagonalization + implicit QL on Float64Array),
 * best of `reps` per size on a random symmetric matrix, with the residual max |A·v − λ·v|.
 * Last line: {"bench":"eigh","ms":{"<n>":ms,…}}.
 */
import { createRng } from '@gdfo/core';
import { EighWorkspace, eighUpper } from '@gdfo/dfo';
import { arg } from '../args.js';

export async function run(args: string[]): Promise<void> {
  const sizes = arg(args, 'sizes', '100,200,500').split(',').map(Number);
  const reps = Number(arg(args, 'reps', '3'));
  const summary: Record<string, number> = {};
  for (const n of sizes) {
    const r = createRng(n);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const v = r.gaussian();
        a[i * n + j] = v;
        a[j * n + i] = v;
      }
    }
    const ws = new EighWorkspace(n);
    const values = new Float64Array(n);
    const vectors = new Float64Array(n * n);
    let best = Infinity;
    for (let k = 0; k < reps; k++) {
      const t0 = performance.now();
      eighUpper(a, n, values, vectors, ws);
      best = Math.min(best, performance.now() - t0);
    }
    let res = 0;
    for (let j = 0; j < n; j += Math.max(1, Math.floor(n / 16))) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += (a[i * n + k] as number) * (vectors[k * n + j] as number);
        res = Math.max(res, Math.abs(s - (values[j] as number) * (vectors[i * n + j] as number)));
      }
    }
    summary[String(n)] = Number(best.toFixed(1));
    console.log(JSON.stringify({ n, ms: Number(best.toFixed(1)), residual: res }));
  }
  console.log(JSON.stringify({ bench: 'eigh', reps, ms: summary }));
}
