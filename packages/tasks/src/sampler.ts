/**
 * Seeded k-shot sampling: for each class, k training and k dev examples, disjoint.
 *
 * Algorithm (reproducible from the seed): the examples of each class c are collected in input order and
 * shuffled (Fisher–Yates) with `createRng(seed).fork("class-<c>")`; the first k go to train, the next k to
 * dev, the rest to `rest`. Train and dev are then each shuffled with `fork("train")` / `fork("dev")` so that
 * classes are interleaved; `rest` keeps input order.
 */
import type { Example } from '@gdfo/spec';
import { createRng, GdfoError } from '@gdfo/core';

export interface FewShotOptions {
  /** Examples per class in train (and, by default, in dev). */
  readonly k: number;
  /** Examples per class in dev (default k; 0 for no dev split). */
  readonly kDev?: number;
  readonly seed: number | string;
  /** Number of classes; every class id 0..classes-1 must have enough examples. */
  readonly classes: number;
  /** Names used in error messages, index = class id. */
  readonly classNames?: readonly string[];
  /** Where the examples came from, for error messages. */
  readonly source?: string;
}

export interface FewShotSplit {
  readonly train: Example[];
  readonly dev: Example[];
  /** Every example not drawn, in input order. */
  readonly rest: Example[];
}

/** Draws k train and kDev dev examples per class, disjoint, reproducibly from `seed`. */
export function sampleFewShot(examples: readonly Example[], options: FewShotOptions): FewShotSplit {
  const { k, classes, seed } = options;
  const kDev = options.kDev ?? k;
  const where = options.source ? ` in ${options.source}` : '';
  if (!Number.isInteger(k) || k < 1) throw new GdfoError('BAD_OPTION', `sampleFewShot: k must be a positive integer, got ${k}`);
  if (!Number.isInteger(kDev) || kDev < 0) throw new GdfoError('BAD_OPTION', `sampleFewShot: kDev must be a non-negative integer, got ${kDev}`);
  if (!Number.isInteger(classes) || classes < 1) {
    throw new GdfoError('BAD_OPTION', `sampleFewShot: classes must be a positive integer, got ${classes}`);
  }
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  examples.forEach((ex, i) => {
    const bucket = byClass[ex.label];
    if (!Number.isInteger(ex.label) || !bucket) {
      throw new GdfoError('BAD_DATA', `sampleFewShot: example "${ex.id}"${where} has label ${ex.label}, expected an integer in 0..${classes - 1}`);
    }
    bucket.push(i);
  });
  const rng = createRng(seed);
  const taken = new Uint8Array(examples.length);
  const train: Example[] = [];
  const dev: Example[] = [];
  for (let c = 0; c < classes; c++) {
    const idx = byClass[c] as number[];
    const name = options.classNames?.[c] !== undefined ? `${c} (${options.classNames[c]})` : String(c);
    if (idx.length === 0) {
      throw new GdfoError('BAD_DATA', `sampleFewShot: class ${name} has no examples${where}; need ${k + kDev} (k = ${k} train + ${kDev} dev)`);
    }
    if (idx.length < k + kDev) {
      throw new GdfoError(
        'BAD_DATA',
        `sampleFewShot: class ${name} has ${idx.length} examples${where}; need ${k + kDev} (k = ${k} train + ${kDev} dev)`,
      );
    }
    rng.fork(`class-${c}`).shuffle(idx);
    for (let j = 0; j < k + kDev; j++) {
      const i = idx[j] as number;
      taken[i] = 1;
      (j < k ? train : dev).push(examples[i] as Example);
    }
  }
  rng.fork('train').shuffle(train);
  rng.fork('dev').shuffle(dev);
  const rest = examples.filter((_, i) => taken[i] === 0);
  return { train, dev, rest };
}

/**
 * Draws `perClass` examples of each class (or fewer when a class has fewer, unless `strict`), seeded;
 * returns them interleaved by a seeded shuffle. Used for balanced held-out test sets.
 */
export function sampleBalanced(
  examples: readonly Example[],
  perClass: number,
  classes: number,
  seed: number | string,
  strict = true,
): Example[] {
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new GdfoError('BAD_OPTION', `sampleBalanced: perClass must be a positive integer, got ${perClass}`);
  }
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  examples.forEach((ex, i) => byClass[ex.label]?.push(i));
  const rng = createRng(seed);
  const out: Example[] = [];
  for (let c = 0; c < classes; c++) {
    const idx = byClass[c] as number[];
    if (strict && idx.length < perClass) {
      throw new GdfoError('BAD_DATA', `sampleBalanced: class ${c} has ${idx.length} examples, need ${perClass}`);
    }
    rng.fork(`class-${c}`).shuffle(idx);
    for (const i of idx.slice(0, perClass)) out.push(examples[i] as Example);
  }
  rng.fork('all').shuffle(out);
  return out;
}
