import * as tf from '@tensorflow/tfjs';
import type { ComponentFactory, ComponentKind, Registry } from '@gdfo/spec';
import { createContainer, createRng, GdfoError, installPlugin } from '@gdfo/core';
import { ceLoss, createLoss, defineLoss, hingeLoss, kdLoss, klLoss, LOSS_NAMES, mixtureLoss, mseLoss, registerLosses, type TfDistillationLoss } from './losses.js';

beforeAll(async () => {
  tf.enableProdMode(); // silences the "install tfjs-node" console banner; no effect on the maths
  await tf.setBackend('cpu');
  await tf.ready();
});

const LN2 = Math.log(2);
const LN3 = Math.log(3);

describe('hand computations of value()', () => {
  it('ce', () => {
    // Row 0: s = [0, ln 2, ln 5], y = 2: CE = −ln(5/8) = ln 1.6; row 1: s = [1, 1, 1], y = 0: ln 3. Mean = ln 4.8 / 2.
    const s = new Float32Array([0, LN2, Math.log(5), 1, 1, 1]);
    expect(ceLoss().value(s, null, new Int32Array([2, 0]), 3)).toBeCloseTo(Math.log(4.8) / 2, 6);
  });

  it('hinge (BBT: sum over wrong classes, not divided by C)', () => {
    // Row 0: s = [0.5, 1, 3], y = 1: 1.5 + 4 = 5.5; row 1: s = [4, 0, 1], y = 0: 0. Mean 2.75.
    const s = new Float32Array([0.5, 1, 3, 4, 0, 1]);
    expect(hingeLoss().value(s, null, new Int32Array([1, 0]), 3)).toBe(2.75);
    expect(hingeLoss({ margin: 1 }).value(s, null, new Int32Array([1, 0]), 3)).toBe(1.75);
  });

  it('kl with τ = 1 and τ = 2 (τ² factor)', () => {
    // τ = 1: teacher t = [0, ln 3] → p = [1/4, 3/4]; student s = [0, 0] → q = [1/2, 1/2]
    //   KL = 1/4·ln(1/2) + 3/4·ln(3/2) = 0.75·ln 1.5 − 0.25·ln 2 = 0.130812...
    // Row 1 has t = s → 0. Mean over 2 rows = half.
    const s = new Float32Array([0, 0, 1, 2]);
    const t = new Float32Array([0, LN3, 1, 2]);
    const y = new Int32Array([1, 0]);
    const kl1 = 0.75 * Math.log(1.5) - 0.25 * LN2;
    expect(klLoss().value(s, t, y, 2)).toBeCloseTo(kl1 / 2, 6);
    // τ = 2: t/τ = [0, ln 3 / 2] → p = [1, √3] / (1 + √3); q = [1/2, 1/2]
    //   KL = Σ p ln(2p) = 0.366025·ln 0.732051 + 0.633975·ln 1.267949 = −0.114165 + 0.150506 = 0.036341; × τ² = 4 → 0.145363
    const p0 = 1 / (1 + Math.sqrt(3));
    const p1 = 1 - p0;
    const kl2 = 4 * (p0 * Math.log(2 * p0) + p1 * Math.log(2 * p1));
    expect(kl2).toBeCloseTo(0.145363, 6);
    expect(klLoss({ tau: 2 }).value(s, t, y, 2)).toBeCloseTo(kl2 / 2, 6);
  });

  it('mse, plain and centred', () => {
    // Row 0: s = [1, 2], t = [0, 4]: (1² + 2²)/2 = 2.5; row 1: equal → 0. Mean 1.25.
    // Centred: s − 1.5 = [−0.5, 0.5], t − 2 = [−2, 2] → diff [1.5, −1.5] → 2.25; mean with 0 → 1.125.
    const s = new Float32Array([1, 2, 3, 3]);
    const t = new Float32Array([0, 4, 3, 3]);
    const y = new Int32Array([0, 0]);
    expect(mseLoss().value(s, t, y, 2)).toBe(1.25);
    expect(mseLoss({ center: true }).value(s, t, y, 2)).toBe(1.125);
  });

  it('kd = (1−β)·CE + β·τ²·KL', () => {
    // One row: s = [0, 0], t = [0, ln 3], y = 1: CE = ln 2; τ²·KL at τ = 2 = kl2 (above).
    // β = 0.5: 0.5·ln 2 + 0.5·kl2; β = 0.25, τ = 1: 0.75·ln 2 + 0.25·(0.75 ln 1.5 − 0.25 ln 2)
    const s = new Float32Array([0, 0]);
    const t = new Float32Array([0, LN3]);
    const y = new Int32Array([1]);
    const p0 = 1 / (1 + Math.sqrt(3));
    const kl2 = 4 * (p0 * Math.log(2 * p0) + (1 - p0) * Math.log(2 * (1 - p0)));
    const kd = kdLoss();
    expect(kd.params).toEqual({ beta: 0.5, tau: 2 });
    expect(kd.usesTeacher).toBe(true);
    expect(kd.value(s, t, y, 2)).toBeCloseTo(0.5 * LN2 + 0.5 * kl2, 6);
    expect(kdLoss({ beta: 0.25, tau: 1 }).value(s, t, y, 2)).toBeCloseTo(0.75 * LN2 + 0.25 * (0.75 * Math.log(1.5) - 0.25 * LN2), 6);
    // β = 0 is pure CE and no longer reads the teacher
    expect(kdLoss({ beta: 0 }).usesTeacher).toBe(false);
    expect(kdLoss({ beta: 0 }).value(s, null, y, 2)).toBeCloseTo(LN2, 7);
  });

  it('mixture = Σ w_i · loss_i', () => {
    // s = [0.5, 1, 3], y = 1: CE = logsumexp − 1; hinge(margin 1) = (0.5 − 1 + 1) + (3 − 1 + 1) = 3.5
    const s = new Float32Array([0.5, 1, 3]);
    const y = new Int32Array([1]);
    const ce = Math.log(Math.exp(0.5) + Math.exp(1) + Math.exp(3)) - 1;
    const m = mixtureLoss([
      { name: 'ce', weight: 0.3 },
      { name: 'hinge', weight: 0.7, options: { margin: 1 } },
    ]);
    expect(m.params).toEqual({ formula: '0.3*ce + 0.7*hinge(margin=1)' });
    expect(m.usesTeacher).toBe(false);
    expect(m.value(s, null, y, 3)).toBeCloseTo(0.3 * ce + 0.7 * 3.5, 6);
  });
});

/** rows × classes logits from the project RNG; hinge kinks avoided (|s_j − s_y + margin| > 0.05). */
function data(rows: number, classes: number, seed: number) {
  const rng = createRng(seed);
  const s = new Float64Array(rows * classes);
  const t = new Float64Array(rows * classes);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    y[r] = rng.int(classes);
    for (;;) {
      for (let c = 0; c < classes; c++) {
        s[r * classes + c] = 2 * rng.gaussian();
        t[r * classes + c] = 2 * rng.gaussian();
      }
      let ok = true;
      for (let c = 0; c < classes; c++) {
        const sy = s[r * classes + (y[r] as number)] as number;
        for (const margin of [1, 2]) if (c !== y[r] && Math.abs((s[r * classes + c] as number) - sy + margin) < 0.05) ok = false;
      }
      if (ok) break;
    }
  }
  // Round to float32 so that value() sees exactly what the float32 tensors hold.
  return { s: new Float64Array(new Float32Array(s)), t: new Float64Array(new Float32Array(t)), y };
}

const CASES: [string, () => TfDistillationLoss][] = [
  ['ce', () => ceLoss()],
  ['hinge', () => hingeLoss()],
  ['hinge margin 1', () => hingeLoss({ margin: 1 })],
  ['kl τ=1', () => klLoss()],
  ['kl τ=3', () => klLoss({ tau: 3 })],
  ['mse', () => mseLoss()],
  ['mse centred', () => mseLoss({ center: true })],
  ['kd', () => kdLoss()],
  ['kd β=0.8 τ=4', () => kdLoss({ beta: 0.8, tau: 4 })],
  ['mixture', () => mixtureLoss([{ name: 'ce', weight: 0.2 }, { name: 'mse', weight: 0.5 }, { name: 'hinge', weight: 0.3 }])],
];

describe.each(CASES)('%s: tensor() matches value() and its gradient matches finite differences', (_label, make) => {
  const rows = 6;
  const classes = 4;
  const { s, t, y } = data(rows, classes, 7);
  const loss = make();

  it('tensor equals value', () => {
    const got = tf.tidy(() => loss.tensor(tf.tensor2d(Float32Array.from(s), [rows, classes]), tf.tensor2d(Float32Array.from(t), [rows, classes]), tf.tensor1d(y, 'int32')).dataSync()[0]);
    const want = loss.value(s, t, y, classes);
    expect(Math.abs((got as number) - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
  });

  it('∇ tensor w.r.t. the student = central differences of value (h = 1e-5)', () => {
    const before = tf.memory().numTensors;
    const grad = tf.tidy(() => {
      const tt = tf.tensor2d(Float32Array.from(t), [rows, classes]);
      const yy = tf.tensor1d(y, 'int32');
      return tf.grad((x: tf.Tensor) => loss.tensor(x, tt, yy))(tf.tensor2d(Float32Array.from(s), [rows, classes])).dataSync();
    });
    expect(tf.memory().numTensors).toBe(before);
    const h = 1e-5;
    let maxErr = 0;
    let maxG = 0;
    for (let i = 0; i < s.length; i++) {
      const p = Float64Array.from(s);
      const m = Float64Array.from(s);
      p[i] = (p[i] as number) + h;
      m[i] = (m[i] as number) - h;
      const fd = (loss.value(p, t, y, classes) - loss.value(m, t, y, classes)) / (2 * h);
      maxErr = Math.max(maxErr, Math.abs(fd - (grad[i] as number)));
      maxG = Math.max(maxG, Math.abs(fd));
    }
    expect(maxG).toBeGreaterThan(1e-3);
    // measured: max |fd − grad| ≤ 3.4e-8 for every case (float32 tensors vs float64 reference)
    expect(maxErr).toBeLessThan(1e-6 * Math.max(1, maxG));
  });
});

describe('errors and factories', () => {
  it('one-line errors for bad inputs', () => {
    const s = new Float32Array([0, 1, 2, 3]);
    expect(() => klLoss().value(s, null, new Int32Array([0, 1]), 2)).toThrow('loss kl: teacher logits are required (got null)');
    expect(() => ceLoss().value(s, null, new Int32Array([0, 2]), 2)).toThrow('loss ce: labels[1] = 2, expected an integer class id in 0..1');
    expect(() => mseLoss().value(s, new Float32Array(3), new Int32Array([0, 1]), 2)).toThrow(
      'loss mse: teacher has 3 entries, expected 4 (rows × classes like student)',
    );
    expect(() => ceLoss().value(s, null, new Int32Array([0]), 2)).toThrow('loss ce: labels has 1 entries, expected one per row (2)');
    tf.tidy(() => {
      const st = tf.tensor2d(s, [2, 2]);
      expect(() => ceLoss().tensor(st, null, tf.tensor1d([0, 1], 'float32'))).toThrow('loss ce: labels must be an int32 tensor, got float32');
      expect(() => ceLoss().tensor(st, null, tf.tensor1d([0], 'int32'))).toThrow('loss ce: labels must have shape [2], got [1]');
      expect(() => klLoss().tensor(st, tf.zeros([2, 3]), tf.tensor1d([0, 1], 'int32'))).toThrow(
        'loss kl: teacher must have shape [2,2] like student, got [2,3]',
      );
    });
  });

  it('createLoss by name with options, with one-line errors', () => {
    expect(createLoss('kd', { beta: 0.3, tau: 4 }).params).toEqual({ beta: 0.3, tau: 4 });
    expect(createLoss('hinge').params).toEqual({ margin: 2 });
    expect(createLoss('kl', { tau: 2 }).params).toEqual({ tau: 2 });
    expect(createLoss('mse', { center: true }).params).toEqual({ center: 1 });
    expect(createLoss('ce').usesTeacher).toBe(false);
    expect(createLoss('mixture', { components: [{ name: 'kl', weight: 1, options: { tau: 2 } }] }).params).toEqual({ formula: '1*kl(tau=2)' });
    expect(() => createLoss('focal')).toThrow('loss: unknown loss "focal"; expected one of ce, hinge, kl, mse, kd, mixture');
    expect(() => createLoss('kd', { temperature: 2 })).toThrow('loss kd: unknown option "temperature"; expected beta, tau');
    expect(() => createLoss('kd', { beta: 1.5 })).toThrow('loss kd: beta must be a number in [0, 1], got 1.5');
    expect(() => createLoss('kl', { tau: '2' })).toThrow('loss kl: tau must be a number, got "2"');
    expect(() => createLoss('kl', { tau: 0 })).toThrow('loss kl: tau must be a positive number, got 0');
    expect(() => createLoss('mixture', { components: [] })).toThrow('loss mixture: components must be a non-empty array');
    expect(() => createLoss('mixture', { components: [{ name: 'ce', weight: -1 }] })).toThrow('components[0].weight must be a non-negative number, got -1');
  });

  it('registerLosses registers every loss under kind "loss"', async () => {
    const got = new Map<string, ComponentFactory>();
    const reg: Registry = {
      register<T>(kind: ComponentKind, name: string, factory: ComponentFactory<T>) {
        got.set(`${kind}:${name}`, factory as ComponentFactory);
      },
      registerStrategy() {},
      has: (kind, name) => got.has(`${kind}:${name}`),
      names: (kind) => [...got.keys()].filter((k) => k.startsWith(kind)).map((k) => k.split(':')[1] as string),
    };
    registerLosses(reg);
    expect(reg.names('loss')).toEqual([...LOSS_NAMES]);
    // a variable, not a literal: the context's fields grow with the spec (rng, clock, resolve)
    const ctx = { rng: createRng(1), clock: { now: () => 0, sleep: async () => {} }, resolve: async () => undefined as never };
    const kd = (await got.get('loss:kd')?.({ tau: 3 }, ctx)) as TfDistillationLoss;
    expect(kd.name).toBe('kd');
    expect(kd.params).toEqual({ beta: 0.5, tau: 3 });
  });
});

describe('defineLoss: a plugin loss through the registry', () => {
  // A plugin's loss: mean over rows of (1/C) Σ_c log cosh(s_c − t_c), written once per path; defineLoss adds the checks.
  const logCosh = defineLoss({
    name: 'logcosh',
    description: 'mean log-cosh of the logit differences',
    usesTeacher: true,
    usesLabels: false,
    value(s, t, _y, _classes) {
      let acc = 0;
      for (let i = 0; i < s.length; i++) acc += Math.log(Math.cosh((s[i] as number) - (t![i] as number)));
      return acc / s.length;
    },
    tensor: (s, t) => tf.mean(tf.log(tf.cosh(tf.sub(s, t!)))) as tf.Scalar,
  });
  const plugin = {
    name: 'gdfo-plugin-logcosh',
    version: '0.1.0',
    specVersion: '1.0',
    register(registry: Registry) {
      registry.register('loss', logCosh.name, () => logCosh, logCosh.description);
    },
  };
  const rows = 6;
  const classes = 4;
  const { s, t, y } = data(rows, classes, 11);
  const tensors = () => [tf.tensor2d(Float32Array.from(s), [rows, classes]), tf.tensor2d(Float32Array.from(t), [rows, classes]), tf.tensor1d(y, 'int32')] as const;

  async function host() {
    const { registry } = createContainer();
    registerLosses(registry);
    await installPlugin(registry, plugin, 'test');
    return registry;
  }

  it('resolves by name with its description and origin; float64 value = tensor value on the same inputs', async () => {
    const registry = await host();
    const loss = registry.resolveSync<TfDistillationLoss>('loss', 'logcosh');
    expect(loss).toBe(logCosh);
    expect(registry.list('loss').find((r) => r.name === 'logcosh')).toMatchObject({ description: 'mean log-cosh of the logit differences', origin: 'gdfo-plugin-logcosh@0.1.0' });
    expect(loss.specVersion).toBe('1.0');
    const want = loss.value(s, t, y, classes);
    const got = tf.tidy(() => loss.tensor(...tensors()).dataSync()[0] as number);
    expect(want).toBeGreaterThan(0.1);
    expect(Math.abs(got - want)).toBeLessThan(1e-5 * want);
    expect(createLoss('logcosh', {}, registry)).toBe(logCosh);
  });

  it('a wrong-shape input gets the one-line error every built-in gives (GdfoError BAD_SHAPE)', () => {
    const short = t.subarray(0, 5);
    for (const l of [logCosh, klLoss()]) {
      let err: unknown;
      try {
        l.value(s, short, y, classes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GdfoError);
      expect(err).toMatchObject({ code: 'BAD_SHAPE', message: `loss ${l.name}: teacher has 5 entries, expected 24 (rows × classes like student)` });
    }
    expect(() => logCosh.value(s, null, y, classes)).toThrow('loss logcosh: teacher logits are required (got null)');
    expect(() => logCosh.value(s, t, y, 5)).toThrow('loss logcosh: logits has 24 entries, expected a positive multiple of classes = 5');
    tf.tidy(() => {
      const [st, , yt] = tensors();
      expect(() => logCosh.tensor(st, tf.zeros([rows, 3]), yt)).toThrow(
        expect.objectContaining({ code: 'BAD_SHAPE', message: 'loss logcosh: teacher must have shape [6,4] like student, got [6,3]' }),
      );
      expect(() => logCosh.tensor(st, st, tf.tensor1d([0, 1], 'int32'))).toThrow('loss logcosh: labels must have shape [6], got [2]');
    });
  });

  it('a mixture resolves its components through the registry, so a plugin loss can be mixed', async () => {
    const registry = await host();
    const components = [
      { name: 'ce', weight: 0.25 },
      { name: 'logcosh', weight: 0.75 },
    ];
    const m = registry.resolveSync<TfDistillationLoss>('loss', 'mixture', { components });
    expect(m.params).toEqual({ formula: '0.25*ce + 0.75*logcosh' });
    expect(m.usesTeacher).toBe(true);
    const want = 0.25 * ceLoss().value(s, t, y, classes) + 0.75 * logCosh.value(s, t, y, classes);
    expect(m.value(s, t, y, classes)).toBeCloseTo(want, 12);
    const got = tf.tidy(() => m.tensor(...tensors()).dataSync()[0] as number);
    expect(Math.abs(got - want)).toBeLessThan(1e-5 * want);
    // without the plugin the same name is unknown, and the message lists what is registered
    expect(() => createLoss('mixture', { components })).toThrow('loss: unknown loss "logcosh"; expected one of ce, hinge, kl, mse, kd, mixture');
    expect(() => createLoss('focal', {}, registry)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_COMPONENT', message: 'loss: unknown loss "focal"; expected one of ce, hinge, kl, mse, kd, mixture, logcosh' }),
    );
  });

  it('every built-in is registered with a description; kd is exactly the mixture of ce and kl', async () => {
    const registry = await host();
    for (const name of LOSS_NAMES) expect(registry.get('loss', name).description).not.toBe('');
    const kd = registry.resolveSync<TfDistillationLoss>('loss', 'kd', { beta: 0.3, tau: 3 });
    const mix = registry.resolveSync<TfDistillationLoss>('loss', 'mixture', { components: [{ name: 'ce', weight: 0.7 }, { name: 'kl', weight: 0.3, options: { tau: 3 } }] });
    expect(kd.value(s, t, y, classes)).toBe(mix.value(s, t, y, classes));
  });

  it('a definition missing a path is refused in one line (BAD_LOSS)', () => {
    expect(() => defineLoss({ name: 'half', usesTeacher: false, value: () => 0 })).toThrow(
      expect.objectContaining({ code: 'BAD_LOSS', message: 'defineLoss half: needs tensor(student, teacher, labels) or rows' }),
    );
  });
});
