/**
 * How a run's steps compose. A stage is a link, as in trpc: it receives the generation and `next` (the rest
 * of the chain), does its work before and/or after calling `next`, or ends the generation by returning
 * without calling it. There is no hidden guard and no hidden ordering: what runs is what the chain says.
 *
 *   const chain = [ask(), evaluate(), tell(), every(10, checkpoint())];
 *   await compose(chain)(gen);
 *
 * The loop over generations (`runGenerations` in run.ts) is an RxJS stream; each generation is pushed
 * through the composed chain once.
 */
export type Next<G> = (gen: G) => Promise<G>;

/** One link of a chain over generations of type G. */
export type Link<G> = (gen: G, next: Next<G>) => Promise<G>;

/** Anything with a `done` reason and a 0-based `index` can flow through a chain. */
export interface ChainItem {
  readonly index: number;
  /** Set when the run must end after this generation. */
  done?: string;
}

/**
 * A link from a plain step: runs `fn`, then the rest of the chain unless `fn` ended the generation (set
 * `done`).
 */
export function step<G extends ChainItem>(fn: (gen: G) => Promise<void> | void): Link<G> {
  return async (gen, next) => {
    await fn(gen);
    return gen.done === undefined ? next(gen) : gen;
  };
}

/** Runs `link` when `predicate` holds for the generation; otherwise passes straight to `next`. */
export function when<G>(predicate: (gen: G) => boolean, link: Link<G>): Link<G> {
  return (gen, next) => (predicate(gen) ? link(gen, next) : next(gen));
}

/**
 * Runs `link` on every n-th generation (the n-th, 2n-th, … : generation index + 1 divisible by n); n ≤ 0
 * never. `n` may be read from the generation (a run's configuration).
 */
export function every<G extends ChainItem>(n: number | ((gen: G) => number), link: Link<G>): Link<G> {
  return when((gen) => {
    const k = typeof n === 'function' ? n(gen) : n;
    return k > 0 && (gen.index + 1) % k === 0;
  }, link);
}

/** The chain as one function of a generation: each link's `next` is the link after it. */
export function compose<G>(links: readonly Link<G>[]): (gen: G) => Promise<G> {
  const at = (i: number): Next<G> => (gen) => {
    const link = links[i];
    return link ? link(gen, at(i + 1)) : Promise.resolve(gen);
  };
  return at(0);
}
