"""The study's metrics and GraphReg's, computed per split.

- ``mse``: the study's "Test MSE": mean over chromosomes of the per-chromosome MSE over all bins.
- ``roi_mse``: the study's "Test MSE over ROI": ROI = gene bin offsets -3..+1; the squared
  error summed over ROI bins divided by *all* bins of the chromosome, then averaged over
  chromosomes (a share of the full MSE, as the study's code computed it).
- ``roi_mse_mean``: plain mean squared error over ROI bins.
- ``poisson_nll``: mean ``pred - y log pred`` over all bins.
- ``pearson_log1p`` / ``spearman_log1p``: correlation of log1p(CAGE) at gene bins (GraphReg's
  headline), pooled over the split's chromosomes.
- ``pearson`` / ``spearman``: the same on the target's own units (for a gene table already on
  a log scale, or learned as log1p: its r), at gene bins of known target.
"""

from __future__ import annotations

import numpy as np

ROI_OFFSETS = range(-3, 2)


def roi_mask(gene_mask: np.ndarray) -> np.ndarray:
    """Bins at offsets -3..+1 of any gene bin. ``gene_mask: (n_bins,) bool``."""
    n = len(gene_mask)
    roi = np.zeros(n, bool)
    genes = np.flatnonzero(gene_mask)
    for offset in ROI_OFFSETS:
        at = genes + offset
        roi[at[(at >= 0) & (at < n)]] = True
    return roi


def rank(values: np.ndarray) -> np.ndarray:
    """0-based ranks, ties given their average rank."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    sorted_values = values[order]  # average ranks of ties
    _, start, counts = np.unique(sorted_values, return_index=True, return_counts=True)
    for s, c in zip(start, counts):
        if c > 1:
            ranks[order[s : s + c]] = s + (c - 1) / 2
    return ranks


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r (NaN for fewer than 2 values or a constant side)."""
    if len(a) < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def pearson_log1p(pred: np.ndarray, true: np.ndarray) -> float:
    """Pearson r of log(1 + CAGE), predicted against true (``(n,)`` each; NaN below 2 values
    or without spread). GraphReg's log2(x + 1) gives the same r."""
    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    return pearson(np.log1p(np.clip(pred, 0, None)), np.log1p(np.clip(true, 0, None)))


def compute_metrics(chromosomes: list[tuple]) -> dict:
    """Metrics over ``[(pred (n,), true (n,), gene_mask (n,) bool[, known (n,) bool]), ...]``,
    one per chromosome; bins not ``known`` (a target without data there) are left out."""
    if not chromosomes:
        return {}
    mse, roi_share, roi_err, roi_n, nll = [], [], 0.0, 0, []
    gene_pred, gene_true = [], []
    for pred, true, genes, *rest in chromosomes:
        known = rest[0] if rest else np.ones(len(pred), bool)
        if not known.any():
            continue
        roi = roi_mask(genes)[known]
        pred, true = pred[known].astype(np.float64), true[known].astype(np.float64)
        genes = genes[known]
        err = (pred - true) ** 2
        mse.append(err.mean())
        roi_share.append(err[roi].sum() / len(err))
        roi_err += err[roi].sum()
        roi_n += int(roi.sum())
        p = np.clip(pred, 1e-8, None)
        nll.append(float((p - true * np.log(p)).mean()))
        gene_pred.append(pred[genes])
        gene_true.append(true[genes])
    gp = np.log1p(np.clip(np.concatenate(gene_pred), 0, None))  # a linear model can go below 0
    gt = np.log1p(np.clip(np.concatenate(gene_true), 0, None))
    has_genes = roi_n > 0
    return {
        "chromosomes": len(chromosomes),
        "mse": float(np.mean(mse)),
        "roi_mse": float(np.mean(roi_share)) if has_genes else float("nan"),
        "roi_mse_mean": roi_err / roi_n if has_genes else float("nan"),
        "poisson_nll": float(np.mean(nll)),
        "pearson_log1p": pearson(gp, gt),
        "spearman_log1p": pearson(rank(gp), rank(gt)),
        "pearson": pearson(np.concatenate(gene_pred), np.concatenate(gene_true)),
        "spearman": pearson(rank(gp), rank(gt)),
        "gene_bins": int(len(gp)),
    }
