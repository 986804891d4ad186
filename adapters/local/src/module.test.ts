import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComponentFactory, ComponentKind, FactoryContext, Registry } from '@gdfo/spec';
import { initBackend, saveCheckpoint, tinyModel } from '@gdfo/models';
import { registerLocal } from './module.js';
import type { LocalTeacher } from './teacher.js';
import type { LocalStudent } from './student.js';

function fakeRegistry() {
  const map = new Map<string, ComponentFactory>();
  const r: Registry = {
    register: (kind, name, factory) => void map.set(`${kind}/${name}`, factory as ComponentFactory),
    registerStrategy: () => undefined,
    has: (kind: ComponentKind, name: string) => map.has(`${kind}/${name}`),
    names: (kind: ComponentKind) => [...map.keys()].filter((k) => k.startsWith(`${kind}/`)).map((k) => k.slice(kind.length + 1)),
  };
  return { r, map };
}

test('registerLocal binds a teacher and a student named local, built from a checkpoint directory', async () => {
  await initBackend({ prefer: 'wasm' });
  const dir = mkdtempSync(join(tmpdir(), 'gdfo-local-'));
  try {
    const tiny = tinyModel({ seed: 'module' });
    saveCheckpoint(dir, tiny);
    const { r, map } = fakeRegistry();
    registerLocal(r);
    expect(r.names('teacher')).toEqual(['local']);
    expect(r.names('student')).toEqual(['local']);
    const ctx = {} as FactoryContext;
    const t = (await map.get('teacher/local')!({ checkpoint: dir, promptLength: 4, maxPromptLength: 8 }, ctx)) as LocalTeacher;
    expect(t.info.width).toBe(16);
    const s = (await map.get('student/local')!({ checkpoint: dir, dim: 3, promptLength: 4, template: '{text} it was {mask} .', verbalizer: ['bad', 'great'] }, ctx)) as LocalStudent;
    expect(s.info.parameters).toBe(4 * 16 + 3 * 4 * 16 + 4);
    await t.close();
    s.dispose?.();
    tiny.model.dispose();
    await expect(Promise.resolve().then(() => map.get('teacher/local')!({ checkpoint: join(dir, 'nope') }, ctx))).rejects.toThrow(/checkpoint: .*nope\/config.json does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the registry defaults load the shipped teacher and student', async () => {
  const { r, map } = fakeRegistry();
  registerLocal(r);
  const ctx = {} as FactoryContext;
  const t = (await map.get('teacher/local')!({}, ctx)) as LocalTeacher;
  expect(t.info).toMatchObject({ id: 'local:mlm-4x256', width: 256, layers: 4, maxPromptLength: 64 });
  expect(t.info.scale!.embedding).toBeGreaterThan(0.01);
  const ex = [{ id: '1', text: 'a gripping , beautifully acted film', label: 1 }, { id: '2', text: 'a dull and lifeless mess', label: 0 }];
  const res = await t.score({ examples: ex, template: { specVersion: '1.0', text: '{text} . It was {mask} .' }, verbalizer: { specVersion: '1.0', words: ['bad', 'great'] }, prompt: { kind: 'continuous-shallow', mode: 'add', length: 50, width: 256, values: new Float32Array(50 * 256) }, purpose: 'dev' });
  expect(res.logits.length).toBe(4);
  expect(t.info.scale!.hidden).toHaveLength(4);
  const s = (await map.get('student/local')!({ dim: 10, template: '{text} . It was {mask} .', verbalizer: ['bad', 'great'] }, ctx)) as LocalStudent;
  expect(s.info).toEqual({ id: 'local-student:mlm-2x128', dim: 10, classes: 2, parameters: 50 * 128 * 11 + 4 });
  s.dispose?.();
  await t.close();
});
