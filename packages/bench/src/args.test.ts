import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, checkArgs, numberList, usageOptions } from './args.js';
import { USAGE } from './usage.js';

const benchesDir = join(dirname(fileURLToPath(import.meta.url)), 'benches');

describe('bench options', () => {
  it('reads which options a usage line names and which take a value', () => {
    const o = usageOptions('npm run bench -- x [--seeds 42] [--queue redis://h:p [--workers 1]] [--estimate-only | --report-only] [--out DIR]');
    expect([...o]).toEqual([
      ['seeds', true],
      ['queue', true],
      ['workers', true],
      ['estimate-only', false],
      ['report-only', false],
      ['out', true],
    ]);
  });

  it('rejects, in one line naming it, an unknown option, a missing value and a stray word; accepts the rest', () => {
    const u = USAGE['fewshot']!;
    expect(() => checkArgs('fewshot', ['--seeds', '7,13', '--report-only', '--jobs', '2'], u.usage, u.internal)).not.toThrow();
    expect(() => checkArgs('fewshot', ['--shard-file', '/tmp/x.json'], u.usage, u.internal)).not.toThrow();
    expect(() => checkArgs('fewshot', ['--seed', '7'], u.usage, u.internal)).toThrow(/^bench fewshot: unknown option "--seed" \(options: --tasks, --methods, --seeds,/);
    expect(() => checkArgs('fewshot', ['--help-me'], u.usage)).toThrow('unknown option "--help-me"');
    expect(() => checkArgs('fewshot', ['--seeds', '--jobs', '2'], u.usage)).toThrow('bench fewshot: --seeds expects a value');
    expect(() => checkArgs('fewshot', ['--tasks'], u.usage)).toThrow('--tasks expects a value');
    expect(() => checkArgs('fewshot', ['sst2'], u.usage)).toThrow('bench fewshot: unexpected argument "sst2"');
    // internal options are not offered to people
    expect(() => checkArgs('fewshot', ['--x'], u.usage, u.internal)).not.toThrow(/shard-file/);
    expect(() => checkArgs('rng', ['--reps', '3'], USAGE['rng']!.usage)).toThrow('bench rng: unknown option "--reps" (options: none)');
  });

  it('arg: the value, the fallback when absent, an error when the value is missing', () => {
    expect(arg(['--budget', '500'], 'budget', '2000')).toBe('500');
    expect(arg([], 'budget', '2000')).toBe('2000');
    expect(() => arg(['--budget'], 'budget', '2000')).toThrow('--budget: expected a value after it');
  });

  it('every bench has a usage, and every option a bench reads is named in it', () => {
    const benches = readdirSync(benchesDir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'cmaes-common.ts')
      .map((f) => f.slice(0, -3));
    expect(benches.sort()).toEqual(Object.keys(USAGE).sort());
    for (const b of benches) {
      const src = readFileSync(join(benchesDir, `${b}.ts`), 'utf8');
      const read = new Set([...src.matchAll(/\(args, '([a-z-]+)'/g)].map((m) => m[1]!));
      for (const m of src.matchAll(/includes\('--([a-z-]+)'\)/g)) read.add(m[1]!);
      const named = usageOptions(`${USAGE[b]!.usage} ${USAGE[b]!.internal ?? ''}`);
      for (const o of read) expect(`${b} --${o}: ${named.has(o)}`).toBe(`${b} --${o}: true`);
      if (b === 'fewshot') expect(read.size).toBeGreaterThan(15); // the scan finds what the bench reads
    }
  });
});

describe('numberList', () => {
  const unit = (x: number) => x >= 0 && x <= 1;
  it('reads a comma list of numbers', () => {
    expect(numberList('0.5', 'beta', unit, 'numbers in [0, 1]')).toEqual([0.5]);
    expect(numberList('0, 0.5,1', 'beta', unit, 'numbers in [0, 1]')).toEqual([0, 0.5, 1]);
  });
  it('refuses an empty entry, a word or a number out of range in one line naming the option', () => {
    for (const bad of ['', '0.5,', 'a', '0.5,1.5', 'NaN']) {
      expect(() => numberList(bad, 'beta', unit, 'numbers in [0, 1]')).toThrow(`--beta: expected a comma list of numbers in [0, 1], got "${bad}"`);
    }
  });
});
