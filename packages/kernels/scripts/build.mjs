#!/usr/bin/env node
/*
 * Install step of @gdfo/kernels: compiles the native addon with node-gyp (the copy npm ships, against the
 * headers npm is configured with). Never fails the install: without a compiler or headers gdfo runs on the
 * tfjs wasm kernels alone, and says so once at start. GDFO_NATIVE_KERNELS=0 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

if (process.env.GDFO_NATIVE_KERNELS === '0') {
  console.log('@gdfo/kernels: GDFO_NATIVE_KERNELS=0, native kernels not built');
  process.exit(0);
}
function nodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // not a dependency here: look beside npm
  }
  // npm's own copy, next to the npm that runs this script
  const npmCli = process.env.npm_execpath;
  if (npmCli) {
    const candidate = join(dirname(npmCli), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(candidate)) return candidate;
  }
  // the npm installed beside this node
  const global = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(global) ? global : undefined;
}
const gyp = nodeGyp();
if (!gyp) {
  console.log('@gdfo/kernels: node-gyp not found; native kernels not built (gdfo uses the wasm kernels)');
  process.exit(0);
}
const r = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: join(here, '..'), stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000 });
if (r.status === 0) {
  console.log('@gdfo/kernels: native kernels built');
} else {
  const why = `${r.stderr || ''}${r.stdout || ''}`.split('\n').filter((l) => /error|ERR!/i.test(l)).slice(0, 3).join(' | ');
  console.log(`@gdfo/kernels: native kernels not built (gdfo uses the wasm kernels): ${why || r.error?.message || `exit ${r.status}`}`);
}
process.exit(0);
