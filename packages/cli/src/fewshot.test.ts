import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBackend } from '@gdfo/models';
import { cellId } from '@gdfo/sweep';
import { cellRunner, curveAt, CURVE_POINTS, kernelsName, mergeOverrides } from './fewshot.js';

describe('few-shot benchmark cells', () => {
  it('reads a curve at a call count as the selection in force after that many calls', () => {
    const curve = [
      { calls: 100, value: 0.5 },
      { calls: 200, value: 0.6 },
      { calls: 300, value: 0.55 },
    ];
    expect(curveAt(curve, 99)).toBeUndefined();
    expect(curveAt(curve, 100)).toBe(0.5);
    expect(curveAt(curve, 250)).toBe(0.6);
    expect(curveAt(curve, 2000)).toBe(0.55);
    expect(CURVE_POINTS).toEqual([200, 500, 1000, 2000]);
  });

  it('runs BBT on a dev-only task with the shipped teacher and reports the best-on-dev curve at the curve points', async () => {
    const run = cellRunner(mkdtempSync(join(tmpdir(), 'gdfo-fewshot-')));
    await ensureBackend();
    const cell = { task: 'spam', method: 'bbt', seed: 1, budget: 240, dim: 20, popSize: 8, promptLength: 4, maxLength: 40, distillSteps: 2, kernels: kernelsName() };
    // a cell meant for other kernels is refused before it runs: its numbers would not be comparable
    await expect(run({ ...cell, kernels: 'other' })).rejects.toThrow(`fewshot: cell spam/bbt is for other kernels, this process runs ${kernelsName()}`);
    const r = await run(cell);
    expect(r.split).toBe('dev'); // spam is not one of the five tasks with a test set in the table
    expect(r.calls).toBe(240);
    expect(r.curve.map((p) => p.calls)).toEqual([8, 112, 216, 240]); // a dev check after the first generation, then every ≥ 100 calls (whole generations of 8), and at the end
    // The dev curve is the running best, so it never goes down; `at` reads it within the budget only.
    for (let i = 1; i < r.curve.length; i++) expect(r.curve[i]!.value).toBeGreaterThanOrEqual(r.curve[i - 1]!.value);
    expect(r.at).toEqual({ 200: r.curve[1]!.value });
    expect(r.value).toBe(r.dev);
    expect(r.value).toBe(r.curve.at(-1)!.value);
  }, 120_000);

  it('a cell naming a teacher model runs on it (a shipped name or a folder); a bad one is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdfo-fewshot-'));
    const run = cellRunner(dir);
    await ensureBackend();
    const cell = { task: 'spam', method: 'manual', seed: 1, budget: 1, dim: 20, popSize: 8, promptLength: 4, maxLength: 40, distillSteps: 2, kernels: kernelsName() };
    const teacherOf = (c: Record<string, string | number>) =>
      (JSON.parse(readFileSync(join(dir, 'runs', cellId(c).slice(0, 16), 'config.json'), 'utf8')) as { teacher: string }).teacher;
    await run(cell);
    await run({ ...cell, teacher: 'mlm-2x128' });
    expect(teacherOf(cell)).toMatch(/mlm-4x256/);
    expect(teacherOf({ ...cell, teacher: 'mlm-2x128' })).toMatch(/mlm-2x128/);
    await expect(run({ ...cell, teacher: '/nonexistent/model' })).rejects.toThrow(/nonexistent/);
    // overrides reach the experiment config, merged key by key into what the cell sets
    const tuned = { ...cell, overrides: '{"teacher":{"options":{"maxLength":32}},"distill":{"batchSize":8}}' };
    await run(tuned);
    const config = (JSON.parse(readFileSync(join(dir, 'runs', cellId(tuned).slice(0, 16), 'config.json'), 'utf8')) as { config: { teacher: { options: Record<string, unknown> }; distill: Record<string, unknown> } }).config;
    expect(config.teacher.options).toEqual({ maxLength: 32 });
    expect(config.distill).toMatchObject({ steps: 2, batchSize: 8 });
    await expect(run({ ...cell, overrides: '[1]' })).rejects.toThrow('cell spam/manual overrides: expected a JSON object, got "[1]"');
  }, 120_000);

  it('merges overrides into a config: objects key by key, anything else replaced; bad JSON named in one line', () => {
    const base = { a: 1, b: { c: 2, d: { e: 3 } }, f: [1, 2] };
    expect(mergeOverrides(base, '{"b":{"d":{"g":4}},"f":[3],"h":"x"}')).toEqual({ a: 1, b: { c: 2, d: { e: 3, g: 4 } }, f: [3], h: 'x' });
    expect(mergeOverrides(base, '{"b":5}')).toEqual({ a: 1, b: 5, f: [1, 2] });
    expect(mergeOverrides(base, undefined)).toBe(base);
    expect(base.b.d).toEqual({ e: 3 }); // the base is not changed
    expect(() => mergeOverrides(base, '{"a":', '--overrides')).toThrow(/^--overrides: expected a JSON object, got "\{\\"a\\":" \(/);
    expect(() => mergeOverrides(base, '3', '--overrides')).toThrow('--overrides: expected a JSON object, got "3"');
  });
});
