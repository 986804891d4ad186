/**
 * Starts a throwaway `redis-server` on 127.0.0.1 (no persistence) — for tests and for trying a queue sweep on
 * one machine. Production sweeps point at a Redis server that outlives them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { GdfoError } from '@gdfo/core';

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

const INSTALL_HINT = 'install it with `apt-get install redis-server` (Debian/Ubuntu) or put redis-server on PATH';

/** Whether a `redis-server` binary is on PATH. */
export function hasRedisServer(bin = 'redis-server'): boolean {
  const r = spawnSync(bin, ['--version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no`; resolves once it accepts connections. */
export async function startRedisServer(options: { port?: number; bin?: string; startTimeoutMs?: number } = {}): Promise<RedisServerHandle> {
  const bin = options.bin ?? 'redis-server';
  if (!hasRedisServer(bin)) throw new GdfoError('NO_REDIS', `${bin} not found: ${INSTALL_HINT}`);
  const port = options.port ?? (await freePort());
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new GdfoError('REDIS_START', `redis-server on port ${port} not ready after ${options.startTimeoutMs ?? 10_000} ms: ${output.slice(-300)}`));
    }, options.startTimeoutMs ?? 10_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new GdfoError('REDIS_START', `redis-server exited with code ${code} while starting: ${output.slice(-300)}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
