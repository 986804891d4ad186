/**
 * BBTv2's layer-wise search as one Optimizer over the concatenated z = [z_0 … z_{L−1}]: one strategy per
 * layer; each generation asks and tells only the active layer's strategy, every other layer fixed at its best
 * z_l so far; the active layer advances round-robin after each tell (one round = one generation per layer).
 * Being an ordinary Optimizer, it slots into the same operator chain as BBT's single strategy.
 */
import type { Candidate, MeanBasedOptimizer, Optimizer, StateValue, TerminationReason } from '@gdfo/spec';
import { GdfoError } from '@gdfo/core';
import { isMeanBased } from './context.js';

export class LayerwiseOptimizer implements MeanBasedOptimizer {
  readonly specVersion = '1.0' as const;
  readonly name: string;
  readonly dim: number;
  readonly layerDim: number;
  private active = 0;
  private fixed: Float64Array;
  private bestLayerF: number[];
  private bestFull: Candidate | undefined;
  private evals = 0;
  private gens = 0;

  constructor(readonly layers: readonly Optimizer[]) {
    if (layers.length === 0) throw new GdfoError('BAD_OPTION', 'layer-wise optimizer: needs at least one layer strategy');
    this.layerDim = layers[0]!.dim;
    if (layers.some((l) => l.dim !== this.layerDim || l.popSize !== layers[0]!.popSize)) {
      throw new GdfoError('BAD_OPTION', 'layer-wise optimizer: every layer strategy must have the same dimension and population size');
    }
    this.dim = this.layerDim * layers.length;
    this.name = `layerwise(${layers[0]!.name}×${layers.length})`;
    this.fixed = new Float64Array(this.dim);
    this.bestLayerF = layers.map(() => Infinity);
  }

  get popSize(): number {
    return this.layers[0]!.popSize;
  }
  get generation(): number {
    return this.gens;
  }
  get evaluations(): number {
    return this.evals;
  }
  get best(): Candidate | undefined {
    return this.bestFull;
  }
  get activeLayer(): number {
    return this.active;
  }

  private embed(block: Float64Array): Float64Array {
    const full = Float64Array.from(this.fixed);
    full.set(block, this.active * this.layerDim);
    return full;
  }

  private block(full: Float64Array): Float64Array {
    return full.slice(this.active * this.layerDim, (this.active + 1) * this.layerDim);
  }

  ask(count?: number): Float64Array[] {
    return this.layers[this.active]!.ask(count).map((b) => this.embed(b));
  }

  tell(points: readonly Float64Array[], fitness: readonly number[]): void {
    const layer = this.layers[this.active]!;
    layer.tell(points.map((p) => this.block(p)), fitness);
    points.forEach((p, i) => {
      const f = fitness[i]!;
      if (!Number.isFinite(f)) return;
      if (f < this.bestLayerF[this.active]!) {
        this.bestLayerF[this.active] = f;
        this.fixed.set(this.block(p), this.active * this.layerDim);
      }
      if (!this.bestFull || f < this.bestFull.f) this.bestFull = { x: Float64Array.from(p), f };
    });
    this.evals += points.length;
    this.gens++;
    this.active = (this.active + 1) % this.layers.length;
  }

  stop(): TerminationReason[] {
    const all = this.layers.map((l) => l.stop());
    return all.every((r) => r.length > 0) ? [...new Set(all.flat())] : [];
  }

  mean(): Float64Array {
    const layer = this.layers[this.active]!;
    return this.embed(isMeanBased(layer) ? layer.mean() : this.block(this.fixed));
  }

  get sigma(): number {
    const layer = this.layers[this.active]!;
    return isMeanBased(layer) ? layer.sigma : NaN;
  }

  setMean(mean: Float64Array): void {
    const layer = this.layers[this.active]!;
    if (isMeanBased(layer)) layer.setMean(this.block(mean));
  }

  state(): StateValue {
    return {
      active: this.active,
      fixed: Float64Array.from(this.fixed),
      bestLayerF: this.bestLayerF.map((f) => (Number.isFinite(f) ? f : null)),
      bestFull: this.bestFull ? { x: Float64Array.from(this.bestFull.x), f: this.bestFull.f } : null,
      evals: this.evals,
      gens: this.gens,
      layers: this.layers.map((l) => l.state()),
    };
  }

  restore(state: StateValue): void {
    const s = state as {
      active: number;
      fixed: Float64Array;
      bestLayerF: (number | null)[];
      bestFull: Candidate | null;
      evals: number;
      gens: number;
      layers: StateValue[];
    };
    if (!s || !Array.isArray(s.layers) || s.layers.length !== this.layers.length) {
      throw new GdfoError('BAD_STATE', `layer-wise optimizer state: expected ${this.layers.length} layer states`);
    }
    this.active = s.active;
    this.fixed = Float64Array.from(s.fixed);
    this.bestLayerF = s.bestLayerF.map((f) => f ?? Infinity);
    this.bestFull = s.bestFull ? { x: Float64Array.from(s.bestFull.x), f: s.bestFull.f } : undefined;
    this.evals = s.evals;
    this.gens = s.gens;
    this.layers.forEach((l, i) => l.restore(s.layers[i]!));
  }
}
