"""Validation of ``graphreg prepare contacts`` on simulated matrices with planted loops.

Each matrix is one chromosome of ``--bins`` 5 kb bins (20 Mb by default) whose counts are
negative binomial (dispersion 0.05) around a power-law distance decay (``depth / d``) times
log-normal bin biases (sd 0.2), with ``--loops`` single-pixel loops ``fold`` times stronger,
10 kb to 2 Mb apart (:mod:`graphreg_cli.simulation.matrix`). The caller tests every pixel
within 2 Mb at FDR 0.1; a call is true when it is a planted loop's pixel.

- recall and precision over a grid of depth x loop fold (distance + coverage model), the
  distance-only model at one point, and both with HiChIP-like bin biases (sd 0.8);
- recall by loop distance at one point;
- calibration: ``--null`` matrices without loops; BH at FDR 0.1 allows a call in at most 10%
  of them.

    python benchmarks/contacts_validation.py [--bins 4000] [--loops 200] [--null 100]
"""

from __future__ import annotations

import argparse

import numpy as np

from graphreg_cli.prepare.contacts import CallOptions, score_chromosome
from graphreg_cli.simulation.matrix import MatrixParams, simulate_matrix

RES, MAX_BINS, FDR = 5_000, 400, 0.1


def run(params: MatrixParams, covariates: str = "distance-coverage"):
    pixels, loops = simulate_matrix(params)
    i, j, c = (pixels[k].to_numpy(np.int64) for k in ("bin1", "bin2", "count"))
    options = CallOptions(resolution=RES, max_distance=MAX_BINS * RES, covariates=covariates)
    test = score_chromosome(i, j, c, params.bins, options)
    keep = test.qvalue <= FDR
    calls = set(zip(test.bin1[keep].tolist(), test.bin2[keep].tolist()))
    return calls, set(map(tuple, loops.tolist())), test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bins", type=int, default=4_000)
    parser.add_argument("--loops", type=int, default=200)
    parser.add_argument("--null", type=int, default=100)
    args = parser.parse_args()
    base = dict(bins=args.bins, max_distance=MAX_BINS, loops=args.loops, loop_min_distance=2)
    print(f"{args.bins} bins of 5 kb, pixels up to 2 Mb, {args.loops} planted loops, FDR {FDR}")
    grid = [(depth, fold) for depth in (50, 200, 1000) for fold in (2, 4, 8)]
    points = [("distance + coverage", d, f, 0.2) for d, f in grid]
    points += [("distance only", 200, 4, 0.2)]
    # HiChIP-like: anchors' visibility varies far more (ChIP enrichment), sd 0.8
    points += [("distance + coverage", 200, 8, 0.8), ("distance only", 200, 8, 0.8)]
    print("| model | bin bias sd | depth (d=1) | loop fold | calls | true | recall | precision |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for seed, (model, depth, fold, bias) in enumerate(points):
        params = MatrixParams(**base, depth=depth, loop_fold=fold, bias_sd=bias, seed=seed)
        covariates = "distance" if model == "distance only" else "distance-coverage"
        calls, truth, _ = run(params, covariates)
        true = len(calls & truth)
        precision = true / len(calls) if calls else float("nan")
        print(
            f"| {model} | {bias} | {depth} | {fold} | {len(calls)} | {true} "
            f"| {true / len(truth):.2f} | {precision:.2f} |"
        )
    calls, truth, _ = run(MatrixParams(**base, depth=200, loop_fold=4, seed=99))
    print("\nrecall by loop distance (depth 200, fold 4)\n")
    print("| distance | loops | found |\n| --- | ---: | ---: |")
    for low, high in ((2, 10), (10, 40), (40, 100), (100, 400)):
        near = {
            p for p in truth if low <= p[1] - p[0] < high or (high == 400 and p[1] - p[0] == 400)
        }
        print(f"| {low * 5}-{high * 5} kb | {len(near)} | {len(near & calls)} |")
    counts = []
    for seed in range(args.null):
        params = MatrixParams(**dict(base, loops=0), depth=200, seed=1000 + seed)
        calls, _, test = run(params)
        counts.append(len(calls))
    counts = np.array(counts)
    print(
        f"\nnull: {args.null} matrices without loops (depth 200, {test.tests:,} tests each): "
        f"{int((counts > 0).sum())} with any call ({(counts > 0).mean():.1%}), "
        f"{int(counts.sum())} calls in all, at most {int(counts.max())} in one"
    )


if __name__ == "__main__":
    main()
