/**
 * Harmonizers: how the student's gradient and the DFO strategy act together (see docs/method.md).
 *
 * - `gradient-sample` (guided ES): replaces the candidate the student ranks worst with m − σ·√d·ĝ, where ĝ is
 *   the normalized ∇_z of the student's task loss at the mean m; the strategy learns from it like any sample
 *   and can reject it.
 * - `mean-shift`: after tell, moves m to m − trust·σ·√d·ĝ, only while the student agrees with the teacher
 *   (out-of-sample Spearman above a threshold: of the last generation, or on the mean of the last `window`
 *   measured generations, which chance crosses far less often).
 * - `surrogate-screen`: samples κ·λ candidates, ranks them by student loss, sends the best λ to the teacher.
 * - `none`: plain BBT.
 *
 * Before the student has seen any data (empty buffer) every harmonizer behaves as `none`.
 */
import type { Harmonizer, HarmonizerGeneration, MeanBasedOptimizer, Registry, StateValue } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { isMeanBased } from './context.js';

export interface HarmonizerOptions {
  /** gradient-sample: step length in units of σ·√d (default 1). */
  step?: number;
  /** mean-shift: trust-region multiple (default 1). */
  trust?: number;
  /** mean-shift: minimal agreement (default 0.3). */
  threshold?: number;
  /**
   * mean-shift: generations whose agreement is averaged before the threshold applies (default 1: this one).
   * With no relation at all one generation's Spearman over λ = 20 has a spread of ≈ 0.23 and exceeds 0.3 about
   * one time in ten; the mean of 3 (spread ≈ 0.13) about one time in a hundred.
   */
  window?: number;
  /** surrogate-screen: oversampling factor κ (default 4). */
  kappa?: number;
}

/** Normalized −∇_z of the student task loss at z (a unit descent direction), or undefined if ∇ = 0. */
async function descent(gen: HarmonizerGeneration, z: Float64Array): Promise<Float64Array | undefined> {
  const grad = await gen.studentGradient(z);
  let norm = 0;
  for (const g of grad) norm += g * g;
  norm = Math.sqrt(norm);
  if (!(norm > 0) || !Number.isFinite(norm)) return undefined;
  return grad.map((g) => -g / norm);
}

function requireMean(gen: HarmonizerGeneration, name: string): MeanBasedOptimizer {
  if (!isMeanBased(gen.strategy)) {
    throw new GdfoError('BAD_HARMONIZER', `harmonizer "${name}" needs a mean-based strategy (CMA-ES, sep-CMA-ES, (1+1)-ES); "${gen.strategy.name}" is not`);
  }
  return gen.strategy;
}

export function noneHarmonizer(): Harmonizer {
  return { name: 'none' };
}

export function gradientSample(options: HarmonizerOptions = {}): Harmonizer {
  const step = options.step ?? 1;
  return {
    name: 'gradient-sample',
    async beforeEvaluate(gen) {
      if (!gen.studentReady || gen.points.length < 2) return;
      const strategy = requireMean(gen, 'gradient-sample');
      const m = strategy.mean();
      const d = await descent(gen, m);
      if (!d) return;
      const len = step * strategy.sigma * Math.sqrt(m.length);
      const x = m.map((v, i) => v + len * d[i]!);
      const losses = await gen.studentLosses(gen.points);
      let worst = 0;
      losses.forEach((l, i) => {
        if (!(l <= losses[worst]!)) worst = i; // NaN counts as worst
      });
      gen.points[worst] = x;
      gen.injected = [worst];
    },
  };
}

export function meanShift(options: HarmonizerOptions = {}): Harmonizer {
  const trust = options.trust ?? 1;
  const threshold = options.threshold ?? 0.3;
  const window = options.window ?? 1;
  if (!(Number.isInteger(window) && window >= 1)) throw new GdfoError('BAD_OPTION', `harmonizer.window: expected an integer ≥ 1, got ${window}`);
  let accepted = 0;
  let refused = 0;
  /** The agreements of the last `window` generations that measured one, oldest first. */
  let recent: number[] = [];
  return {
    name: 'mean-shift',
    async afterTell(gen) {
      if (!gen.studentReady) return;
      const strategy = requireMean(gen, 'mean-shift');
      const rho = gen.agreement();
      if (rho !== undefined) recent = [...recent, rho].slice(-window);
      const trusted = rho !== undefined && recent.length === window && recent.reduce((a, b) => a + b, 0) / window > threshold;
      if (!trusted) {
        refused++;
        return;
      }
      const m = strategy.mean();
      const d = await descent(gen, m);
      if (!d) return;
      const len = trust * strategy.sigma * Math.sqrt(m.length);
      strategy.setMean(m.map((v, i) => v + len * d[i]!));
      accepted++;
    },
    state: (): StateValue => (window === 1 ? { accepted, refused } : { accepted, refused, recent: [...recent] }),
    restore(s: StateValue) {
      const st = s as { accepted: number; refused: number; recent?: number[] };
      accepted = st.accepted;
      refused = st.refused;
      recent = [...(st.recent ?? [])];
    },
  };
}

export function surrogateScreen(options: HarmonizerOptions = {}): Harmonizer {
  const kappa = options.kappa ?? 4;
  if (!(Number.isInteger(kappa) && kappa >= 1)) throw new GdfoError('BAD_OPTION', `harmonizer.kappa: expected an integer ≥ 1, got ${kappa}`);
  return {
    name: 'surrogate-screen',
    async ask(gen) {
      const lambda = gen.strategy.popSize;
      if (!gen.studentReady || kappa === 1) return gen.strategy.ask();
      const pool = gen.strategy.ask(kappa * lambda);
      const losses = await gen.studentLosses(pool);
      const order = pool.map((_p, i) => i).sort((a, b) => (losses[a]! - losses[b]!) || a - b);
      return order.slice(0, lambda).map((i) => pool[i]!);
    },
  };
}

export const HARMONIZERS: Record<string, (o: HarmonizerOptions) => Harmonizer> = {
  none: noneHarmonizer,
  'gradient-sample': gradientSample,
  'mean-shift': meanShift,
  'surrogate-screen': surrogateScreen,
};

const DESCRIPTIONS: Record<string, string> = {
  none: 'plain BBT: the student is trained and measured but does not steer the search',
  'gradient-sample': "replace the student's worst-ranked candidate with m − σ·√d·ĝ (guided ES); the strategy can reject it",
  'mean-shift': 'after tell, move the mean along −ĝ by trust·σ·√d while the student agrees with the teacher',
  'surrogate-screen': 'sample κ·λ candidates, send the λ the student ranks best to the teacher',
};

/** Registers the built-in harmonizers by name (names already registered are left alone). */
export function registerHarmonizers(registry: Registry): void {
  for (const [name, make] of Object.entries(HARMONIZERS)) {
    if (!registry.has('harmonizer', name)) registry.register<Harmonizer>('harmonizer', name, (o) => make(o as HarmonizerOptions), DESCRIPTIONS[name]);
  }
}
