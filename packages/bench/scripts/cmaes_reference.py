#!/usr/bin/python3
"""Reference runs of Debian's python3-cmaes (CyberAgent `cmaes`, class `CMA`) for @gdfo/dfo.

Run with Debian's interpreter: `/usr/bin/python3 packages/bench/scripts/cmaes_reference.py <mode> ...`
(needs `apt-get install -y python3-cmaes libopenblas0-pthread`).

Modes (each prints JSON lines on stdout):
  quality [--seeds 5] [--dims 10,40] [--functions sphere,ellipsoid,rosenbrock]
      per function and dimension: evaluations until the best f < 1e-8 for seeds 1..5, and their median.
      Setup, identical to the TypeScript side (packages/dfo/src/cmaes.test.ts and the cmaes-quality bench):
      sphere/ellipsoid: x0 = 3·1, sigma0 = 2; rosenbrock: x0 = 0, sigma0 = 0.5; default popsize
      4 + floor(3 ln n); evaluations counted per generation (popsize each); a run that stops (should_stop) or
      exceeds 2e5 evaluations before the target counts as a failure (-1) and is left out of the median.
  speed --dim 500 --popsize 20 --generations G [--seed 1]
      sphere, x0 = 1, sigma0 = 0.5; times ask+tell only (not the fitness), prints one JSON line with
      ms_per_gen and final_f (best f of the last generation).
"""
import argparse
import json
import math
import sys
import time

import numpy as np
from cmaes import CMA


def sphere(x):
    return float(np.dot(x, x))


def ellipsoid(x):
    n = len(x)
    c = 10.0 ** (6.0 * np.arange(n) / (n - 1))
    return float(np.dot(c, x * x))


def rosenbrock(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


FUNCTIONS = {"sphere": sphere, "ellipsoid": ellipsoid, "rosenbrock": rosenbrock}
SETUP = {"sphere": (3.0, 2.0), "ellipsoid": (3.0, 2.0), "rosenbrock": (0.0, 0.5)}


def evals_to_target(fn, dim, seed, target=1e-8, max_evals=200000):
    x0, sigma0 = SETUP[fn]
    f = FUNCTIONS[fn]
    opt = CMA(mean=np.full(dim, x0), sigma=sigma0, seed=seed)
    evals = 0
    best = math.inf
    while evals < max_evals:
        sols = []
        for _ in range(opt.population_size):
            x = opt.ask()
            v = f(x)
            best = min(best, v)
            sols.append((x, v))
        opt.tell(sols)
        evals += opt.population_size
        if best < target:
            return evals
        if opt.should_stop():
            return -1
    return -1


def quality(args):
    for d in [int(v) for v in args.dims.split(",")]:
        for fn in args.functions.split(","):
            t0 = time.time()
            runs = [evals_to_target(fn, d, seed) for seed in range(1, args.seeds + 1)]
            ok = [r for r in runs if r > 0]
            med = float(np.median(ok)) if ok else None
            print(json.dumps({"impl": "python3-cmaes", "function": fn, "dim": d, "evals": runs,
                              "median": med, "seconds": round(time.time() - t0, 2)}), flush=True)


def blas_in_use():
    """Which BLAS numpy loaded (read from the process's memory map after a matrix product)."""
    a = np.ones((64, 64))
    a.dot(a)
    try:
        with open("/proc/self/maps") as fh:
            maps = fh.read()
    except OSError:
        return "unknown"
    for name in ("openblas-pthread", "openblas-openmp", "openblas-serial", "openblas", "blis", "mkl", "atlas"):
        if name in maps:
            return name
    return "reference" if "libblas" in maps else "unknown"


def speed(args):
    n = args.dim
    opt = CMA(mean=np.ones(n), sigma=0.5, population_size=args.popsize, seed=args.seed)
    work = 0.0
    final = math.inf
    for _ in range(args.generations):
        t0 = time.perf_counter()
        xs = [opt.ask() for _ in range(opt.population_size)]
        work += time.perf_counter() - t0
        fs = [sphere(x) for x in xs]
        sols = list(zip(xs, fs))
        t0 = time.perf_counter()
        opt.tell(sols)
        work += time.perf_counter() - t0
        final = min(fs)
    print(json.dumps({"impl": "python3-cmaes", "dim": n, "popsize": args.popsize,
                      "generations": args.generations, "ms_per_gen": work * 1000 / args.generations,
                      "final_f": final, "numpy": np.__version__, "blas": blas_in_use()}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--seeds", type=int, default=5)
    q.add_argument("--dims", default="10,40")
    q.add_argument("--functions", default="sphere,ellipsoid,rosenbrock")
    s = sub.add_parser("speed")
    s.add_argument("--dim", type=int, default=500)
    s.add_argument("--popsize", type=int, default=20)
    s.add_argument("--generations", type=int, default=300)
    s.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    quality(args) if args.mode == "quality" else speed(args)


if __name__ == "__main__":
    sys.exit(main())
