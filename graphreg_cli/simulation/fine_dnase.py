"""DNase at a finer resolution than the graph bins (``graphreg simulate --input-bin-size``).

Real DNase tracks come at 100 bp or finer while the graph has one node per 5 kb bin; the model
reads them back averaged per graph bin. :func:`fine_dnase` spreads each graph bin's simulated
value over its finer bins as a peak on a flat background, keeping the bin's mean exactly;
the histone marks of ``--histone`` are spread the same way, with broader peaks.
"""

from __future__ import annotations

import math

import numpy as np

FINE_SIGMA_BP = (100.0, 300.0)  # standard deviation of a fine DNase peak, drawn per bin
FINE_BACKGROUND = 0.2  # share of a bin's fine DNase spread flat under its peak


def fine_dnase(
    dnase: np.ndarray,
    length: int,
    bin_size: int,
    fine: int,
    rng: np.random.Generator,
    sigma_bp: tuple[float, float] = FINE_SIGMA_BP,
) -> np.ndarray:
    """Spread per-bin DNase ``(n_bins,)`` over ``fine``-bp bins: ``(ceil(length / fine),)
    float32``, each graph bin's mean over its bases equal to its value.

    Within each graph bin: a Gaussian peak (centre uniform in the bin, standard deviation
    uniform in ``sigma_bp``, at least ``fine / 2``) carrying ``1 - FINE_BACKGROUND`` of
    the signal over a flat ``FINE_BACKGROUND``; bins of value 0 stay 0 (gaps in the track).
    Centres and widths are drawn for every bin, so the draws do not depend on the values.
    """
    n, per_bin = len(dnase), bin_size // fine
    own = np.minimum(bin_size, length - np.arange(n) * bin_size)  # bp of each graph bin
    centre = rng.random(n) * own
    sigma = np.maximum(rng.uniform(*sigma_bp, n), fine / 2)
    # bp of each fine bin inside the chromosome: (n, per_bin), 0 past the end
    edges = np.arange(n * per_bin, dtype=np.int64).reshape(n, per_bin) * fine
    widths = np.clip(length - edges, 0, fine).astype(np.float64)
    out = np.zeros((n, per_bin), dtype=np.float32)
    hit = np.flatnonzero(dnase)
    if hit.size:
        x = (np.arange(per_bin) + 0.5) * fine
        bump = np.exp(-0.5 * ((x - centre[hit, None]) / sigma[hit, None]) ** 2)
        w = widths[hit]
        bump /= (bump * w).sum(axis=1, keepdims=True) / w.sum(axis=1, keepdims=True)
        shape = FINE_BACKGROUND + (1 - FINE_BACKGROUND) * bump  # width-weighted mean 1
        out[hit] = dnase[hit, None].astype(np.float64) * shape
    return out.reshape(-1)[: math.ceil(length / fine)]
