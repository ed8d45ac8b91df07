"""Hi-C/HiChIP matrix → significant contacts, in the spirit of HiC-DC+ (which GraphReg used).

Per chromosome, every pixel ``(i, j)`` with ``1 <= j - i <= max_distance`` bins between bins
that have any contact (coverage > 0) is one test. The expected count comes from a negative
binomial regression (log link) on a cubic B-spline of log distance and, with the
``distance-coverage`` covariates, on ``log(coverage_i) + log(coverage_j)`` (the bins'
visibility; for HiChIP, mostly the ChIP enrichment at the anchors). The model is fitted with
statsmodels on a uniform sample of the tested pixels, zeros included, alternating the
regression with a maximum-likelihood dispersion (scipy). A pixel's p-value is the negative
binomial upper tail ``P(Y >= count)``; q-values are Benjamini-Hochberg over all of the
chromosome's tests (pixels without reads have p = 1 and are counted in, not listed).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import NAME_ONLY, InputError, SettingError
from graphreg_cli.io.matrix import fetch_pixels
from graphreg_cli.io.schemas import BEDPE_COLUMNS, CALL_COLUMNS

logger = logging.getLogger(__name__)

COVARIATES = ("distance", "distance-coverage")
BLOCK_PIXELS = 1 << 22  # band pixels fetched at a time
Progress = Callable[[int, int], None] | None


@dataclass
class CallOptions:
    """Settings of :func:`call_contacts` (``graphreg prepare contacts``); distances in bp."""

    resolution: int = 5_000
    fdr: float = 0.1
    max_distance: int = 2_000_000
    min_count: int = 1
    covariates: str = "distance-coverage"
    chroms: list[str] | None = None
    sample: int = 200_000  # pixels the model is fitted on, per chromosome
    spline_df: int = 6
    seed: int = 0

    @property
    def max_bins(self) -> int:
        return self.max_distance // self.resolution


@dataclass
class ChromosomeTest:
    """The tests of one chromosome: every pixel with reads, ``(k,)`` arrays ``bin1 < bin2``
    (int64), ``count`` (int64), ``expected``, ``pvalue``, ``qvalue`` (float64); ``tests``: the
    number of pixels tested (with or without reads), ``alpha``: the fitted dispersion."""

    bin1: np.ndarray
    bin2: np.ndarray
    count: np.ndarray
    expected: np.ndarray
    pvalue: np.ndarray
    qvalue: np.ndarray
    tests: int
    alpha: float


def check_options(options: CallOptions) -> None:
    if options.resolution < 1:
        raise SettingError("{resolution} must be at least 1 bp", resolution=options.resolution)
    if not 0 < options.fdr <= 1:
        raise SettingError("{fdr} must be in (0, 1]", fdr=options.fdr)
    if options.max_bins < 1:
        raise SettingError(
            "{max_distance} must be at least one bin ({resolution})",
            max_distance=options.max_distance,
            resolution=options.resolution,
        )
    if options.min_count < 1:
        raise SettingError("{min_count} must be at least 1", min_count=options.min_count)
    if options.covariates not in COVARIATES:
        raise SettingError(
            f"{{covariates}}: choose {' or '.join(COVARIATES)}", covariates=options.covariates
        )


def call_contacts(
    path: str | Path, options: CallOptions, progress: Progress = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Significant contacts of a .cool/.mcool/.hic at ``options.resolution``.

    Returns ``(calls, summary)``: ``calls`` has the BEDPE columns (``score`` = count) and
    ``count, expected, pvalue, qvalue`` for pixels with q <= fdr and count >= min_count, in
    chromosome order; ``summary`` one row per chromosome (``chrom, bins, tests, with_reads,
    calls, alpha, seconds``). ``progress(done, total)`` counts bins.
    """
    from graphreg_cli.io.matrix import open_matrix

    check_options(options)
    path = Path(path)
    handle, sizes = open_matrix(path, options.resolution)
    chroms = _chromosomes(path, sizes, options.chroms)
    res = options.resolution
    offsets = np.cumsum([0] + [-(-n // res) for n in sizes.values()])
    offset = dict(zip(sizes, offsets[:-1].tolist()))
    total = sum(-(-sizes[c] // res) for c in chroms)
    frames, rows, done = [], [], 0
    for chrom in chroms:
        clock = time.perf_counter()
        n = -(-sizes[chrom] // res)
        i, j, count = band_pixels(handle, chrom, sizes[chrom], res, options.max_bins, offset[chrom])
        if not len(count):
            logger.info(f"contacts: {chrom} has no contacts within the distance; skipped")
            rows.append((chrom, n, 0, 0, 0, math.nan, time.perf_counter() - clock))
            continue
        test = score_chromosome(i, j, count, n, options)
        keep = (test.qvalue <= options.fdr) & (test.count >= options.min_count)
        frames.append(_calls_frame(chrom, sizes[chrom], res, test, keep))
        seconds = time.perf_counter() - clock
        rows.append((chrom, n, test.tests, len(count), int(keep.sum()), test.alpha, seconds))
        done += n
        if progress:
            progress(done, total)
    summary = pd.DataFrame(
        rows, columns=["chrom", "bins", "tests", "with_reads", "calls", "alpha", "seconds"]
    )
    if not frames:
        raise InputError(
            f"has no contacts within {options.max_distance:,} bp on {_preview(chroms)}", path
        )
    calls = pd.concat(frames, ignore_index=True)
    logger.info(
        f"contacts: {len(calls):,} significant at FDR {options.fdr:g} of "
        f"{int(summary['tests'].sum()):,} pixels tested on {len(chroms)} chromosome(s)"
    )
    return calls, summary


def _preview(names) -> str:
    names = list(names)
    return ", ".join(names[:3]) + (f", ... ({len(names)} in all)" if len(names) > 3 else "")


def _chromosomes(path: Path, sizes: dict[str, int], wanted: list[str] | None) -> list[str]:
    from graphreg_cli.data.naming import did_you_mean

    if wanted is None:
        return [c for c in sizes if c.lower() != "all"]
    for name in wanted:
        if name not in sizes:
            raise SettingError(
                f"{{chroms}}: {name} is not in {path.name} (it has {_preview(sizes)})"
                f"{did_you_mean(name, sizes)}",
                chroms=NAME_ONLY,
            )
    return list(wanted)


def band_pixels(handle, chrom: str, length: int, res: int, max_bins: int, offset: int):
    """Raw counts of the pixels ``1 <= j - i <= max_bins`` of a chromosome with reads:
    ``(i, j, count)``, ``(k,) int64`` each, sorted by ``i`` then ``j``."""
    n = -(-length // res)
    rows = max(1, BLOCK_PIXELS // (max_bins + 1))
    parts = []
    for first in range(0, n, rows):
        last = min(n, first + rows)
        start, stop = first * res, min(last * res, length)
        reach = min((last + max_bins) * res, length)  # columns up to max_bins past the rows
        i, j, c = fetch_pixels(handle, chrom, (start, stop), (start, reach), offset)
        d = j - i
        keep = (d >= 1) & (d <= max_bins) & (c > 0) & (i >= first) & (i < last)
        parts.append((i[keep], j[keep], c[keep]))
    i, j, c = (np.concatenate([p[k] for p in parts]) for k in range(3))
    if len(c) and not np.array_equal(c, np.round(c)):
        logger.warning(f"contacts: {chrom} has non-integer counts (balanced?); rounded")
    order = np.lexsort((j, i))
    return i[order], j[order], np.round(c[order]).astype(np.int64)


def score_chromosome(
    i: np.ndarray, j: np.ndarray, count: np.ndarray, n_bins: int, options: CallOptions
) -> ChromosomeTest:
    """Expected counts, p- and q-values of one chromosome's pixels with reads.

    ``i, j, count``: ``(k,) int64`` pixels (``1 <= j - i <= max_bins``, count > 0, each once).
    """
    top = min(options.max_bins, n_bins - 1)
    coverage = np.bincount(i, count, n_bins) + np.bincount(j, count, n_bins)
    valid = coverage > 0
    tests = sum(int(np.count_nonzero(valid[:-d] & valid[d:])) for d in range(1, top + 1))
    basis = _distance_basis(top, options.spline_df)
    log_cov = np.log(np.where(valid, coverage, 1.0) / _expected_coverage(i, j, count, valid, top))
    log_cov -= log_cov[valid].mean()
    use_cov = options.covariates == "distance-coverage"

    def design(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        columns = [basis[b - a - 1]]
        if use_cov:
            columns.append((log_cov[a] + log_cov[b])[:, None])
        return np.hstack(columns)

    fit_i, fit_j = _sample(valid, top, options.sample, tests, options.seed)
    fit_y = _lookup(i, j, count, fit_i, fit_j, top)
    params, alpha = _fit(fit_y, design(fit_i, fit_j))
    # expected counts without a (pixels x columns) matrix: the spline part is one per distance
    log_mu = (basis @ params[: basis.shape[1]])[j - i - 1]
    if use_cov:
        log_mu += params[-1] * (log_cov[i] + log_cov[j])
    expected = np.exp(log_mu)
    pvalue = _upper_tail(count, expected, alpha)
    return ChromosomeTest(i, j, count, expected, pvalue, bh_qvalues(pvalue, tests), tests, alpha)


def _expected_coverage(i, j, count, valid: np.ndarray, top: int) -> np.ndarray:
    """Each bin's coverage if it were average: the mean count at each distance summed over
    its partners in the band, ``(n_bins,)`` (> 0 for valid bins). Dividing by it leaves the
    bin's visibility, without the dip of bins near the chromosome ends."""
    d = j - i
    at_distance = np.bincount(d, count, top + 1)[1:]
    pairs = np.array([np.count_nonzero(valid[:-k] & valid[k:]) for k in range(1, top + 1)])
    mean = np.divide(at_distance, pairs, out=np.zeros(top), where=pairs > 0)
    kernel = np.r_[mean[::-1], 0.0, mean]
    n = len(valid)
    expected = np.convolve(valid.astype(np.float64), kernel)[top : top + n]
    return np.where(valid, np.maximum(expected, 1e-12), 1.0)


def _distance_basis(top: int, df: int) -> np.ndarray:
    """``(top, columns)``: row ``d - 1`` is distance ``d``'s regressors. A cubic B-spline of
    log distance with ``df`` columns (they sum to 1: no separate intercept), or one column per
    distance when there are no more distances than that."""
    if top <= df:
        return np.eye(top)
    from scipy.interpolate import BSpline

    x = np.log(np.arange(1, top + 1, dtype=np.float64))
    inner = np.linspace(0.0, x[-1], df - 2)[1:-1]
    knots = np.r_[[0.0] * 4, inner, [x[-1]] * 4]
    return BSpline.design_matrix(x, knots, 3).toarray()


def _sample(valid: np.ndarray, top: int, size: int, tests: int, seed: int):
    """Up to ``size`` tested pixels ``(i, j)`` drawn uniformly (all of them when fewer)."""
    n = len(valid)
    if tests <= size:
        parts = [(np.flatnonzero(valid[:-d] & valid[d:]), d) for d in range(1, top + 1)]
        i = np.concatenate([p for p, _ in parts])
        return i, i + np.concatenate([np.full(len(p), d) for p, d in parts])
    rng = np.random.default_rng(seed)
    got_i, got_j, have = [], [], 0
    while have < size:
        a = rng.integers(0, n, 2 * size)
        b = a + rng.integers(1, top + 1, 2 * size)
        ok = b < n
        a, b = a[ok], b[ok]
        ok = valid[a] & valid[b]
        got_i.append(a[ok])
        got_j.append(b[ok])
        have += int(ok.sum())
    return np.concatenate(got_i)[:size], np.concatenate(got_j)[:size]


def _lookup(i, j, count, at_i, at_j, top: int) -> np.ndarray:
    """Counts of pixels ``(at_i, at_j)`` (0 where none was read)."""
    keys = i * (top + 1) + (j - i)
    wanted = at_i * (top + 1) + (at_j - at_i)
    where = np.clip(np.searchsorted(keys, wanted), 0, max(len(keys) - 1, 0))
    found = keys[where] == wanted if len(keys) else np.zeros(len(wanted), bool)
    return np.where(found, count[where] if len(keys) else 0, 0).astype(np.float64)


def _fit(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """Negative binomial GLM (log link): ``(coefficients, dispersion alpha)``. statsmodels'
    Poisson fit gives the means, alpha their maximum likelihood, the NB fit at that alpha the
    coefficients, and alpha is updated once more from the NB means."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        # the spline columns sum to 1: the intercept is among them (hasconst skips a check)
        poisson = sm.GLM(y, x, family=sm.families.Poisson(), hasconst=True)
        result = poisson.fit(wls_method="qr", tol=1e-6)
        alpha = _alpha(y, result.fittedvalues)
        model = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=alpha), hasconst=True)
        result = model.fit(start_params=result.params, wls_method="qr", tol=1e-6)
    return np.asarray(result.params), _alpha(y, result.fittedvalues)


def _alpha(y: np.ndarray, mu: np.ndarray) -> float:
    """Maximum-likelihood NB2 dispersion given the means (bounded to [1e-6, 20])."""
    from scipy.optimize import minimize_scalar
    from scipy.special import gammaln

    def negative_loglik(log_alpha: float) -> float:
        r = np.exp(-log_alpha)
        return -float(
            np.sum(
                gammaln(y + r) - gammaln(r) + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu))
            )
        )

    best = minimize_scalar(negative_loglik, bounds=(np.log(1e-6), np.log(20.0)), method="bounded")
    return float(np.exp(best.x))


def _upper_tail(count: np.ndarray, mu: np.ndarray, alpha: float) -> np.ndarray:
    """``P(Y >= count)`` under NB(mean mu, dispersion alpha)."""
    from scipy.stats import nbinom

    r = 1.0 / max(alpha, 1e-9)
    return nbinom.sf(count - 1, r, r / (r + mu))


def bh_qvalues(pvalue: np.ndarray, tests: int) -> np.ndarray:
    """Benjamini-Hochberg q-values of ``pvalue`` among ``tests`` tests, the others having
    p = 1 (pixels without reads): ``q_(r) = min over s >= r of p_(s) * tests / s``, capped at 1."""
    k = len(pvalue)
    if not k:
        return np.zeros(0)
    order = np.argsort(pvalue, kind="stable")
    scaled = pvalue[order] * tests / np.arange(1, k + 1)
    q = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(k)
    out[order] = q
    return out


def _calls_frame(chrom, length, res, test: ChromosomeTest, keep) -> pd.DataFrame:
    a, b = test.bin1[keep], test.bin2[keep]
    frame = pd.DataFrame(
        {
            "chrom1": chrom,
            "start1": a * res,
            "end1": np.minimum((a + 1) * res, length),
            "chrom2": chrom,
            "start2": b * res,
            "end2": np.minimum((b + 1) * res, length),
            "name": ".",
            "score": test.count[keep],
            "strand1": ".",
            "strand2": ".",
        }
    )
    for column, values in zip(CALL_COLUMNS, (test.count, test.expected, test.pvalue, test.qvalue)):
        frame[column] = values[keep]
    return frame[BEDPE_COLUMNS + CALL_COLUMNS]
