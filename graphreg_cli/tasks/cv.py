"""GraphReg's evaluation protocol: 10-fold cross-validation by chromosome, one table.

Each fold trains a run in ``OUT/fold_K`` (validation and test chromosomes from
:mod:`graphreg_cli.data.folds`) and predicts its test chromosomes. The table has one row per
fold and a pooled row over every fold's test chromosomes:

- ``r_expressed``: GraphReg's headline, the Pearson r of log(1 + CAGE), true against
  predicted, at TSS bins whose true CAGE is at least ``min_expression`` (GraphReg: 5, its
  "expressed" set); ``expressed``: how many such bins;
- ``r_all``: the same at every TSS bin (``tss_bins``);
- ``mse``: the study's test MSE (mean over chromosomes of the MSE over all their bins).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.data.folds import FOLDS, fold_split
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.errors import SettingError
from graphreg_cli.io.atomic import atomic_text
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.metrics import compute_metrics, pearson_log1p
from graphreg_cli.tasks.runs import Run
from graphreg_cli.tasks.train import TrainOptions, train

logger = logging.getLogger(__name__)

CV_TABLE = "cv.tsv"
CV_COLUMNS = ["fold", "val", "test", "tss_bins", "expressed", "r_expressed", "r_all", "mse"]
MIN_EXPRESSION = 5.0


def parse_folds(text: str) -> list[int]:
    """``"1-10"``, ``"1,3,5"`` or ``"2-4,7"`` → sorted fold numbers."""
    folds: set[int] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            first, last = 0, -1
        if not (1 <= first <= last <= FOLDS):
            raise SettingError(
                f"{{folds}}: '{part}' is not a fold or range of folds within 1-{FOLDS} "
                "(e.g. 1-10 or 1,2,5)",
                folds=text,
            )
        folds.update(range(first, last + 1))
    return sorted(folds)


def cross_validate(
    inputs: Inputs,
    out: Path,
    model_config: ModelConfig,
    options: TrainOptions,
    folds: list[int],
    min_expression: float = MIN_EXPRESSION,
    on_fold: Callable[[int, str], None] | None = None,
    on_epoch=None,
) -> pd.DataFrame:
    """Train and test every fold; write and return the table (``CV_COLUMNS``, one row per
    fold then ``pooled``) as ``OUT/cv.tsv``. ``on_fold(k, "training"|"done")`` reports."""
    if not folds:
        raise SettingError("{folds}: no fold to run", folds="")
    out = Path(out)
    rows, pooled = [], {"pred": [], "true": [], "mse": []}
    for k in folds:
        val, test = fold_split(inputs, k)
        if on_fold:
            on_fold(k, "training")
        run_dir = out / f"fold_{k:02d}"
        train(inputs, run_dir, model_config, options, val=val, test=test, on_epoch=on_epoch)
        pred, true, mse = _test_predictions(run_dir, options.device)
        pooled["pred"].append(pred)
        pooled["true"].append(true)
        pooled["mse"].extend(mse)
        rows.append(_row(str(k), ",".join(val), ",".join(test), pred, true, mse, min_expression))
        if on_fold:
            on_fold(k, "done")
    pred, true = np.concatenate(pooled["pred"]), np.concatenate(pooled["true"])
    rows.append(_row("pooled", "", "", pred, true, pooled["mse"], min_expression))
    table = pd.DataFrame(rows, columns=CV_COLUMNS)
    with atomic_text(out / CV_TABLE) as handle:
        table.to_csv(handle, sep="\t", index=False, float_format="%.6g")
    return table


def _test_predictions(run_dir: Path, device: str):
    """``(pred, true)`` at the test chromosomes' TSS bins and each test chromosome's MSE."""
    evaluation = Run.open(run_dir).evaluate("test", device)
    graphs, preds = evaluation.graphs, evaluation.predictions
    pred = [p[g.gene_mask.numpy()] for p, g in zip(preds, graphs)]
    true = [g.y.numpy()[g.gene_mask.numpy()] for g in graphs]
    mse = [
        compute_metrics([(p, g.y.numpy(), g.gene_mask.numpy())])["mse"]
        for p, g in zip(preds, graphs)
    ]
    return np.concatenate(pred), np.concatenate(true), mse


def _row(fold, val, test, pred, true, mse, min_expression) -> list:
    expressed = true >= min_expression
    return [
        fold,
        val,
        test,
        len(true),
        int(expressed.sum()),
        pearson_log1p(pred[expressed], true[expressed]),
        pearson_log1p(pred, true),
        float(np.mean(mse)) if len(mse) else float("nan"),
    ]
