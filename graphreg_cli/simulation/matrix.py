"""Simulated Hi-C/HiChIP contact matrices with planted loops, to validate the caller.

Expected counts fall with distance as a power law and scale with each bin's bias (its
visibility: mappability, GC, or for HiChIP the ChIP enrichment at the anchor):
``mu_ij = depth * d^-decay * b_i * b_j`` for ``1 <= d = j - i <= max_distance`` bins, times
``loop_fold`` at planted loops. Counts are negative binomial (gamma-Poisson) with dispersion
``alpha`` (variance ``mu + alpha mu^2``), the model ``graphreg prepare contacts`` fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class MatrixParams:
    """One chromosome's simulated matrix; distances in bins."""

    bins: int = 2_000
    max_distance: int = 400
    depth: float = 200.0  # expected count of adjacent bins (d = 1) of average bias
    decay: float = 1.0
    alpha: float = 0.05
    bias_sd: float = 0.2  # log-normal sd of the per-bin bias; 0 = flat
    loops: int = 0
    loop_fold: float = 4.0
    loop_min_distance: int = 5
    seed: int = 0


def simulate_matrix(
    params: MatrixParams, loops: np.ndarray | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """``(pixels, loops)``: nonzero pixels ``bin1, bin2, count`` (``bin1 < bin2``, int64),
    and the planted loops ``(k, 2) int64`` (bin pairs), sorted: ``params.loops`` random ones,
    or the given ``loops`` (``(k, 2)`` bin pairs within ``max_distance``)."""
    rng = np.random.default_rng(params.seed)
    n, top = params.bins, min(params.max_distance, params.bins - 1)
    bias = np.exp(rng.normal(0.0, params.bias_sd, n)) if params.bias_sd else np.ones(n)
    if loops is None:
        loops = _plant(rng, params, top)
    else:
        loops = np.unique(np.sort(np.asarray(loops, np.int64).reshape(-1, 2), axis=1), axis=0)
        loops = loops[(loops[:, 1] - loops[:, 0] >= 1) & (loops[:, 1] - loops[:, 0] <= top)]
    loop_key = set(map(tuple, loops.tolist()))
    frames = []
    for d in range(1, top + 1):
        i = np.arange(n - d)
        mu = params.depth * d ** (-params.decay) * bias[i] * bias[i + d]
        if loop_key:
            at = loops[loops[:, 1] - loops[:, 0] == d, 0]
            mu[at] *= params.loop_fold
        count = _negative_binomial(rng, mu, params.alpha)
        keep = count > 0
        frames.append(np.stack([i[keep], i[keep] + d, count[keep]], axis=1))
    table = np.concatenate(frames)
    table = table[np.lexsort((table[:, 1], table[:, 0]))]
    return pd.DataFrame(table, columns=["bin1", "bin2", "count"]), loops


def _plant(rng, params: MatrixParams, top: int) -> np.ndarray:
    """Distinct loop pixels, distances uniform in [loop_min_distance, top]."""
    chosen: set[tuple[int, int]] = set()
    low = min(params.loop_min_distance, top)
    while len(chosen) < params.loops:
        d = int(rng.integers(low, top + 1))
        i = int(rng.integers(0, params.bins - d))
        chosen.add((i, i + d))
    return np.array(sorted(chosen), dtype=np.int64).reshape(-1, 2)


def _negative_binomial(rng, mu: np.ndarray, alpha: float) -> np.ndarray:
    if alpha <= 0:
        return rng.poisson(mu)
    return rng.poisson(rng.gamma(1.0 / alpha, alpha * mu))


def write_cool(
    path: str | Path, sizes: dict[str, int], bin_size: int, pixels: dict[str, pd.DataFrame]
) -> None:
    """Write ``{chrom: pixels (bin1, bin2, count; bins within the chromosome)}`` as a .cool
    (hictkpy), with global bin ids in ``sizes``' order."""
    import hictkpy

    offsets = np.cumsum([0] + [-(-n // bin_size) for n in sizes.values()])
    writer = hictkpy.cooler.FileWriter(str(path), sizes, bin_size)
    for chrom, offset in zip(sizes, offsets[:-1].tolist()):
        table = pixels.get(chrom)
        if table is None or not len(table):
            continue
        writer.add_pixels(
            pd.DataFrame(
                {
                    "bin1_id": table["bin1"].to_numpy(np.int64) + offset,
                    "bin2_id": table["bin2"].to_numpy(np.int64) + offset,
                    "count": table["count"].to_numpy(np.int32),
                }
            )
        )
    writer.finalize()
