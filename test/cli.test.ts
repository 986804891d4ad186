/** The gdfo command as a user runs it: a child process over the built CLI. */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');

describe('gdfo run (synthetic task)', () => {
  it('runs from a config file with plugins: the DE strategy and the cost-guard middleware, flags overriding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-config-'));
    const config = join(dir, 'run.yaml');
    writeFileSync(
      config,
      [
        'task: { name: synthetic }',
        'methods: [bbt, gdfo]',
        'budget: 999',
        'strategy: { name: jade }',
        'harmonizer: { name: surrogate-screen }',
        'middleware:',
        '  - name: cost-guard',
        `    options: { ledgerFile: ${JSON.stringify(join(dir, 'ledger.json'))} }`,
        'plugins:',
        `  - ${JSON.stringify(join(root, 'plugins', 'de'))}`,
        `  - ${JSON.stringify(join(root, 'plugins', 'cost-guard'))}`,
        `out: ${JSON.stringify(join(dir, 'runs'))}`,
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, [bin, 'run', '--config', config, '--budget', '60', '--quiet', '--json']);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { runDir: string; results: { method: string; calls: number }[] };
    expect(summary.results.map((r) => [r.method, r.calls])).toEqual([['bbt', 60], ['gdfo', 60]]);
    const written = JSON.parse(readFileSync(join(summary.runDir, 'config.json'), 'utf8')) as { config: { strategy: { name: string } }; plugins: { name: string }[] };
    expect(written.config.strategy.name).toBe('jade');
    expect(written.plugins.map((p) => p.name)).toEqual(['gdfo-plugin-de', 'gdfo-plugin-cost-guard']);
    expect(existsSync(join(dir, 'ledger.json'))).toBe(true);
  }, 60_000);

  it('names the file, line and key of a bad config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-config-'));
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'task: { name: synthetic }\nbudget: -3\n');
    await expect(run(process.execPath, [bin, 'run', '--config', config])).rejects.toMatchObject({
      stderr: expect.stringContaining(`gdfo: ${config}:2: budget: expected a positive integer, got -3`),
    });
    writeFileSync(config, 'task: { name: synthetic }\nbudgett: 10\n');
    await expect(run(process.execPath, [bin, 'run', '--config', config])).rejects.toMatchObject({ stderr: expect.stringMatching(/bad\.yaml:2: .*budgett/) });
  }, 60_000);

  it('takes the shorthands a person writes (task: synthetic) and lists every problem of a config, one line each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-config-'));
    const config = join(dir, 'short.yaml');
    writeFileSync(config, `task: synthetic\nstrategy: sep-cma-es\nmethods: [manual, bbt]\nbudget: 40\nout: ${JSON.stringify(join(dir, 'runs'))}\n`);
    const { stdout } = await run(process.execPath, [bin, 'run', '--config', config, '--quiet']);
    expect(stdout).toMatch(/^bbt\s+40\s/m);
    // the sentences under the table: the change against the manual prompt, calls, the report
    expect(stdout).toMatch(/^bbt: accuracy dev \d\.\d{4} \(.*manual prompt.*\), test \d\.\d{4} \(.*; 40 teacher calls charged .*Report: .*report\.html\.$/m);
    const [runDir] = readdirSync(join(dir, 'runs'));
    const written = JSON.parse(readFileSync(join(dir, 'runs', runDir!, 'config.json'), 'utf8')) as { config: { task: { name: string }; strategy: { name: string } } };
    expect([written.config.task.name, written.config.strategy.name]).toEqual(['synthetic', 'sep-cma-es']);

    writeFileSync(config, 'task: synthetic\nbudget: -3\nmethods: [bbt, magic]\nseed: x\n');
    const failed = await run(process.execPath, [bin, 'run', '--config', config]).then(
      () => null,
      (e: { stderr: string }) => e,
    );
    expect(failed!.stderr.trim().split('\n')).toEqual([
      `gdfo: ${config}:2: budget: expected a positive integer, got -3`,
      `gdfo: ${config}:3: methods[1]: expected one of manual, icl, bbt, bbtv2, gdfo, gdfo-deep, kd, whitebox, got "magic"`,
      `gdfo: ${config}:4: seed: expected a non-negative integer, got "x"`,
    ]);
  }, 60_000);

  it('--json prints valid JSON lines and writes config, events, checkpoints and result', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gdfo-cli-'));
    const { stdout, stderr } = await run(process.execPath, [bin, 'run', '--task', 'synthetic', '--methods', 'bbt,gdfo', '--budget', '100', '--json', '--out', out]);
    const events = stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string });
    expect(events.filter((e) => e.type === 'generation')).toHaveLength(10); // λ = 20: 5 generations per method
    expect(events.filter((e) => e.type === 'run-end')).toHaveLength(2);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { runDir: string; results: { method: string; calls: number; test: number }[] };
    expect(summary.results.map((r) => [r.method, r.calls])).toEqual([['bbt', 100], ['gdfo', 100]]);
    const [dir] = readdirSync(out);
    for (const f of ['config.json', 'events.jsonl', 'result.json', 'report.html', 'checkpoints/gdfo/latest.ckpt']) expect(existsSync(join(out, dir!, f))).toBe(true);
    const lines = readFileSync(join(out, dir!, 'events.jsonl'), 'utf8').trim().split('\n');
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
    // gdfo eval scores the selected prompts again: the same test metrics as the run reported
    const evaluated = await run(process.execPath, [bin, 'eval', join(out, dir!), '--json']);
    const rows = evaluated.stdout.trim().split('\n').map((l) => JSON.parse(l) as { method: string; value: number });
    expect(rows.map((r) => [r.method, r.value])).toEqual(summary.results.map((r) => [r.method, r.test]));
  }, 60_000);

  it('runs a method a plugin registers (--methods sep-bbt), and gdfo eval scores its prompt again', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gdfo-method-plugin-'));
    const plugin = join(root, 'test', 'fixtures', 'method-plugin.mjs');
    const { stdout } = await run(process.execPath, [bin, 'run', '--task', 'synthetic', '--methods', 'bbt,sep-bbt', '--plugins', plugin, '--budget', '100', '--quiet', '--json', '--out', out]);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { runDir: string; results: { method: string; calls: number; test: number; stopReason: string }[] };
    expect(summary.results.map((r) => [r.method, r.calls])).toEqual([['bbt', 100], ['sep-bbt', 100]]);
    // its own chain ran (sep-CMA-ES is a different search: a different selected prompt than BBT's)
    const events = readFileSync(join(summary.runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; runId: string; config?: { strategy?: string } });
    expect(events.find((e) => e.type === 'run-start' && e.runId.startsWith('sep-bbt'))?.config?.strategy).toBe('sep-cma-es');
    expect(existsSync(join(summary.runDir, 'checkpoints', 'sep-bbt', 'latest.ckpt'))).toBe(true);
    const evaluated = await run(process.execPath, [bin, 'eval', summary.runDir, '--json']);
    const rows = evaluated.stdout.trim().split('\n').map((l) => JSON.parse(l) as { method: string; value: number });
    expect(rows.map((r) => [r.method, r.value])).toEqual(summary.results.map((r) => [r.method, r.test]));
  }, 60_000);

  it('refuses an unknown method and a bad budget in one line', async () => {
    await expect(run(process.execPath, [bin, 'run', '--task', 'synthetic', '--methods', 'bbt,magic'])).rejects.toMatchObject({
      stderr: expect.stringContaining('gdfo: command line: --methods: expected one of manual, icl, bbt, bbtv2, gdfo, gdfo-deep, kd, whitebox, got "magic"'),
    });
    await expect(run(process.execPath, [bin, 'run', '--budget', '-5'])).rejects.toMatchObject({
      stderr: expect.stringContaining('gdfo: command line: --budget: expected a positive integer, got -5'),
    });
  }, 60_000);
});

describe('gdfo dashboard', () => {
  it('serves a runs folder on 127.0.0.1 and prints its address; a bad port is one line', async () => {
    const out = mkdtempSync(join(tmpdir(), 'gdfo-dash-cli-'));
    await run(process.execPath, [bin, 'run', '--task', 'synthetic', '--methods', 'bbt', '--budget', '20', '--quiet', '--out', out]);
    const child = spawn(process.execPath, [bin, 'dashboard', out, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((ok, fail) => {
        let buf = '';
        child.stdout.on('data', (c: Buffer) => {
          buf += c.toString();
          if (buf.includes('\n')) ok(buf.split('\n')[0]!);
        });
        child.on('exit', (code) => fail(new Error(`gdfo dashboard exited with ${code}`)));
      });
      const m = /^gdfo dashboard: (http:\/\/127\.0\.0\.1:\d+\/) \(watching (.*)\); Ctrl-C stops$/.exec(line);
      expect(m?.[2]).toBe(out);
      const [runDir] = readdirSync(out);
      const index = await (await fetch(m![1]!)).text();
      expect(index).toContain(`<a href="/run/${runDir}">${runDir}</a>`);
      const page = await (await fetch(`${m![1]!}run/${runDir}`)).text();
      expect(page).toContain('data-stat="state"><b>status</b> <span class="v">finished</span>');
    } finally {
      child.kill('SIGTERM');
    }
    await expect(run(process.execPath, [bin, 'dashboard', out, '--port', 'abc'])).rejects.toMatchObject({
      stderr: 'gdfo: command line: --port: expected a port number 0-65535, got "abc"\n',
    });
  }, 60_000);
});

describe('models by path', () => {
  const shipped = join(root, 'packages', 'models', 'checkpoints');

  it('gdfo list shows the shipped models and their default roles', async () => {
    const { stdout } = await run(process.execPath, [bin, 'list']);
    expect(stdout).toMatch(/^model\s+mlm-4x256\s+default teacher: 4 layers × 256 \(4 heads\), 7\.37 M parameters, held-out MLM accuracy 0\.411 \(.*mlm-4x256\)$/m);
    expect(stdout).toMatch(/^model\s+mlm-2x128\s+default student: 2 layers × 128 \(2 heads\), 2\.49 M parameters/m);
  }, 60_000);

  it('--teacher-path and --student-path put any local folder in either role; a wrong path is one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-paths-'));
    const config = join(dir, 'spam.yaml');
    writeFileSync(config, `task: { name: spam, options: { spamTestSize: 40 } }\nmethods: [manual]\npromptLength: 10\nout: ${JSON.stringify(join(dir, 'runs'))}\nteacher: { kind: local, options: { maxLength: 48 } }\n`);
    // the small model as the teacher (fast), by a relative path
    const { stdout } = await run(process.execPath, [bin, 'run', '--config', config, '--teacher-path', 'packages/models/checkpoints/mlm-2x128', '--student-path', join(shipped, 'mlm-4x256'), '--json'], { cwd: root });
    const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { runDir: string; results: { method: string; test: number }[] };
    const written = JSON.parse(readFileSync(join(summary.runDir, 'config.json'), 'utf8')) as { teacher: string; config: { teacher: { kind: string; options: Record<string, unknown> }; student: { options: Record<string, unknown> } } };
    expect(written.teacher).toBe('local:mlm-2x128');
    expect(written.config.teacher).toEqual({ kind: 'local', options: { maxLength: 48, checkpoint: join(shipped, 'mlm-2x128') } });
    expect(written.config.student.options).toEqual({ checkpoint: join(shipped, 'mlm-4x256') });
    expect(summary.results[0]!.test).toBeGreaterThan(0);
    await expect(run(process.execPath, [bin, 'run', '--config', config, '--teacher-path', join(dir, 'nope')])).rejects.toMatchObject({
      stderr: `gdfo: checkpoint: ${join(dir, 'nope', 'config.json')} does not exist (expected a Hugging Face BERT/RoBERTa folder or a gdfo-mlm checkpoint)\n`,
    });
  }, 120_000);

  it('gdfo serve --model serves the folder it is given', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--model', join(shipped, 'mlm-2x128'), '--port', '0'], { env: { ...process.env, GDFO_LMAAS_TOKEN: 'test-token' } });
    try {
      const line = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) ok(out.split('\n')[0]!);
        });
        child.on('exit', (code) => fail(new Error(`serve exited with ${code}`)));
        setTimeout(() => fail(new Error('serve did not start in 30 s')), 30_000);
      });
      expect(line).toMatch(/^gdfo serve: local:mlm-2x128 at http:\/\/127\.0\.0\.1:\d+/);
      const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
