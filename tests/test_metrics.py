"""The study's metrics, on cases worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from graphreg_cli.tasks.metrics import compute_metrics, roi_mask


def test_roi_is_gene_offsets_minus3_to_plus1():
    genes = np.zeros(12, bool)
    genes[[1, 8]] = True
    assert np.flatnonzero(roi_mask(genes)).tolist() == [0, 1, 2, 5, 6, 7, 8, 9]


def test_metrics_by_hand():
    true = np.zeros(10)
    pred = np.zeros(10)
    genes = np.zeros(10, bool)
    genes[5] = True
    true[5], pred[5] = 3.0, 1.0  # error 4 inside the ROI (bins 2..6)
    pred[9] = 2.0  # error 4 outside it
    m = compute_metrics([(pred, true, genes), (true, true, genes)])
    assert m["mse"] == pytest.approx((8 / 10 + 0) / 2)
    assert m["roi_mse"] == pytest.approx((4 / 10 + 0) / 2)  # the study's: ROI error / all bins
    assert m["roi_mse_mean"] == pytest.approx(4 / 10)  # 10 ROI bins over both chromosomes
    assert m["gene_bins"] == 2


def test_correlations_on_gene_bins():
    rng = np.random.default_rng(0)
    true = rng.random(50) * 5
    genes = np.ones(50, bool)
    perfect = compute_metrics([(true.copy(), true, genes)])
    assert perfect["pearson_log1p"] == pytest.approx(1.0)
    assert perfect["spearman_log1p"] == pytest.approx(1.0)
    reverse = compute_metrics([(-true + 10, true, genes)])
    assert reverse["spearman_log1p"] == pytest.approx(-1.0)
