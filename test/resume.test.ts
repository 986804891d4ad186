/**
 * Resume bit-identity: a `gdfo run` killed with SIGKILL at a random point and resumed with `gdfo resume`
 * produces the same results (metrics, calls, histories, best prompt z) as an uninterrupted run with the seed.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRng } from '@gdfo/core';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const ARGS = ['run', '--task', 'synthetic', '--methods', 'bbt,gdfo', '--budget', '1200', '--json'];

function results(runDir: string): unknown {
  return (JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8')) as { results: unknown }).results;
}

/** Starts a run and SIGKILLs it after `afterGenerations` generation events. */
function killedRun(out: string, afterGenerations: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...ARGS, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let seen = 0;
    let buffer = '';
    child.stderr.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) if (l.includes('"type":"generation"') && ++seen === afterGenerations) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolvePromise() : reject(new Error(`run ended before the kill (code ${code})`))));
  });
}

describe('resume after SIGKILL', () => {
  it('gives the same result.json as an uninterrupted run, for two random kill points', async () => {
    const fullOut = mkdtempSync(join(tmpdir(), 'gdfo-full-'));
    const { stdout } = await run(process.execPath, [bin, ...ARGS, '--out', fullOut], { maxBuffer: 64 << 20 });
    const fullDir = (JSON.parse(stdout.trim().split('\n').pop()!) as { runDir: string }).runDir;
    const expected = results(fullDir);
    const rng = createRng(`resume-test-${Date.now()}`); // a different random point on every run
    for (const killAt of [1 + rng.int(55), 61 + rng.int(55)]) {
      const out = mkdtempSync(join(tmpdir(), 'gdfo-killed-'));
      await killedRun(out, killAt);
      const [dir] = readdirSync(out);
      const runDir = join(out, dir!);
      const ckpts = join(runDir, 'checkpoints');
      for (const m of existsSync(ckpts) ? readdirSync(ckpts) : []) expect(readdirSync(join(ckpts, m))).toEqual(['latest.ckpt']); // nothing half-written left
      await run(process.execPath, [bin, 'resume', runDir, '--quiet'], { maxBuffer: 64 << 20 });
      expect({ killAt, results: results(runDir) }).toEqual({ killAt, results: expected });
    }
  }, 120_000);
});
