/**
 * Each bench's options, in the form `npm run bench -- <name> --help` prints. The runner rejects an option a
 * bench's usage does not name (a mistyped `--seed 7` for `--seeds 7` must not run an hour on seed 42), and
 * `args.test.ts` checks that every option a bench reads is named here. `internal` options are passed between
 * the bench's own processes and are not for people.
 */
export interface BenchUsage {
  readonly usage: string;
  readonly internal?: string;
}

export const USAGE: Readonly<Record<string, BenchUsage>> = {
  agreement: {
    usage:
      'npm run bench -- agreement [--task agnews] [--samples 300] [--holdout 100] [--epochs 8] [--steps 100] [--sigma 1] [--seed 42] ' +
      '[--prompt-length 10] [--max-length 48] [--dim 500] [--lr 0.01] [--generator free|projected|aligned] [--student NAME|DIR] ' +
      '[--beta 0.5[,1]] [--tau 2[,1,4]]',
  },
  'cmaes-quality': { usage: 'npm run bench -- cmaes-quality [--seeds 5] [--dims 10,40] [--functions sphere,ellipsoid,rosenbrock]' },
  cmaes: { usage: 'npm run bench -- cmaes [--dim 500] [--popsize 20] [--generations 300] [--seed 1]' },
  eigh: { usage: 'npm run bench -- eigh [--sizes 100,200,500] [--reps 3]' },
  fewshot: {
    usage:
      'npm run bench -- fewshot [--tasks a,b] [--methods a,b] [--seeds 42] [--budget 2000] [--dim 500] [--pop-size 20] [--prompt-length 10] ' +
      '[--max-length 48] [--distill-steps 16] [--teacher NAME|DIR] [--overrides JSON] [--results bench/results] [--jobs N] ' +
      '[--import a.json,b.json] [--queue redis://host:port [--workers 1]] [--estimate-only | --report-only]',
    internal: '--shard-file FILE',
  },
  kernels: { usage: 'npm run bench -- kernels [--reps 20]' },
  methods: {
    usage:
      'npm run bench -- methods [--task sst2] [--budget 2000] [--seed 42] [--methods a,b] [--dim 500] [--pop-size 20] [--prompt-length 50] ' +
      '[--distill-steps 32] [--out DIR]',
  },
  pool: {
    usage:
      'npm run bench -- pool [--workers 2] [--pop-size 20] [--generations 10] [--seed 42] [--task spam] [--dim 500] [--prompt-length 50] [--checkpoint DIR]',
  },
  rng: { usage: 'npm run bench -- rng' },
  teacher: {
    usage:
      'npm run bench -- teacher [--backend wasm] [--checkpoint DIR] [--calls 10] [--batch 32] [--text 37] [--prompt 10] [--torch-threads 2]',
  },
};
