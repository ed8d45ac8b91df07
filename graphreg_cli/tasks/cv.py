"""GraphReg's evaluation protocol: 10-fold cross-validation by chromosome, one table; or, for
data with one or a few chromosomes, K folds over contiguous blocks of genes.

Each fold trains a run in ``OUT/fold_K`` (validation and test chromosomes from
:mod:`graphreg_cli.data.folds`; with ``blocks``, validation and test regions from
:func:`graphreg_cli.data.regions.block_split`) and predicts its held-out genes. The table has
one row per fold and a pooled row over every fold's test genes:

- ``r_expressed``: GraphReg's headline, the Pearson r of log(1 + CAGE), true against
  predicted, at TSS bins whose true CAGE is at least ``min_expression`` (GraphReg: 5, its
  "expressed" set); ``expressed``: how many such bins;
- ``r_all``: the same at every TSS bin (``tss_bins``);
- ``mse``: the study's test MSE (mean over chromosomes of the MSE over all their bins);
- ``pearson`` / ``spearman``: r at the TSS bins in the target's own units (a gene table's
  column, e.g. log1p TPM).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.data.expression import gene_targets
from graphreg_cli.data.folds import FOLDS, fold_split
from graphreg_cli.data.genes import gene_tss
from graphreg_cli.data.graphs import known
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.data.regions import RegionSplit, block_split
from graphreg_cli.errors import NAME_ONLY, SettingError
from graphreg_cli.io.atomic import atomic_text
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.metrics import compute_metrics, pearson, pearson_log1p, rank
from graphreg_cli.tasks.runs import Run
from graphreg_cli.tasks.train import TrainOptions, train

logger = logging.getLogger(__name__)

CV_TABLE = "cv.tsv"
CV_COLUMNS = [
    "fold",
    "val",
    "test",
    "tss_bins",
    "expressed",
    "r_expressed",
    "r_all",
    "mse",
    "pearson",
    "spearman",
]
MIN_EXPRESSION = 5.0


def parse_folds(text: str, count: int = FOLDS) -> list[int]:
    """``"1-10"``, ``"1,3,5"`` or ``"2-4,7"`` → sorted fold numbers within 1..``count``."""
    folds: set[int] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            first, last = 0, -1
        if not (1 <= first <= last <= count):
            raise SettingError(
                f"{{folds}}: '{part}' is not a fold or range of folds within 1-{count} "
                f"(e.g. 1-{count} or 1,2)",
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
    blocks: int | None = None,
) -> pd.DataFrame:
    """Train and test every fold; write and return the table (``CV_COLUMNS``, one row per
    fold then ``pooled``) as ``OUT/cv.tsv``. ``on_fold(k, "training"|"done")`` reports.
    ``blocks``: folds over that many contiguous blocks of genes instead of chromosomes
    (their ``val`` / ``test`` columns then give the regions)."""
    if not folds:
        raise SettingError("{folds}: no fold to run", folds="")
    if not np.isfinite(min_expression):
        raise SettingError(
            "{min_expression} must be a finite number (the CAGE at which a gene counts as "
            "expressed; GraphReg: 5)",
            min_expression=min_expression,
        )
    out = Path(out)
    rows, pooled = [], {"pred": [], "true": [], "mse": []}
    for k in folds:
        val, test, regions = fold_parts(inputs, k, blocks)
        if on_fold:
            on_fold(k, "training")
        run_dir = out / f"fold_{k:02d}"
        train(
            inputs,
            run_dir,
            model_config,
            options,
            val=val,
            test=test,
            on_epoch=on_epoch,
            regions=regions,
        )
        pred, true, mse = _test_predictions(run_dir, options.device)
        pooled["pred"].append(pred)
        pooled["true"].append(true)
        pooled["mse"].extend(mse)
        if regions is not None:
            val_text, test_text = _describe(regions.val), _describe(regions.test)
        else:
            val_text, test_text = ",".join(val), ",".join(test)
        rows.append(_row(str(k), val_text, test_text, pred, true, mse, min_expression))
        if on_fold:
            on_fold(k, "done")
    pred, true = np.concatenate(pooled["pred"]), np.concatenate(pooled["true"])
    rows.append(_row("pooled", "", "", pred, true, pooled["mse"], min_expression))
    table = pd.DataFrame(rows, columns=CV_COLUMNS)
    with atomic_text(out / CV_TABLE) as handle:
        table.to_csv(handle, sep="\t", index=False, float_format="%.6g")
    return table


def fold_parts(inputs: Inputs, k: int, blocks: int | None):
    """``(val chromosomes, test chromosomes, regions)`` of fold ``k``: GraphReg's
    chromosomes, or with ``blocks`` the fold's blocks of genes as regions (chromosomes
    None)."""
    if blocks is None:
        val, test = fold_split(inputs, k)
        return val, test, None
    return None, None, gene_blocks(inputs, blocks, k)


def gene_blocks(inputs: Inputs, blocks: int, k: int) -> RegionSplit:
    """Fold ``k`` of ``blocks`` contiguous blocks of the genes that have a target (all the
    annotation's genes for a CAGE track)."""
    if inputs.genes is None:
        raise SettingError(
            "{blocks} cuts the genes into blocks: give {genes}", blocks=blocks, genes=NAME_ONLY
        )
    sizes = inputs.sizes()
    tss = gene_tss(inputs.genes, sizes, inputs.gene_types, inputs.tss)
    if inputs.target_is_table:
        tss = gene_targets(inputs.target, tss, sizes, inputs.bin_size, inputs.target_settings).genes
    return block_split(tss, sizes, inputs.bin_size, blocks, k)


def _describe(regions) -> str:
    """``chr22:10,000-2,000,000`` for the regions of a block (one per chromosome)."""
    return ",".join(f"{c}:{s:,}-{e:,}" for c, s, e in regions)


def _test_predictions(run_dir: Path, device: str):
    """``(pred, true)`` at the test TSS bins of known target and each test chromosome's MSE."""
    evaluation = Run.open(run_dir).evaluate("test", device)
    graphs, preds = evaluation.graphs, evaluation.predictions
    scored = [(g.gene_mask & known(g)).numpy() for g in graphs]
    pred = [p[m] for p, m in zip(preds, scored)]
    true = [g.y.numpy()[m] for g, m in zip(graphs, scored)]
    mse = [
        compute_metrics([(p, g.y.numpy(), g.gene_mask.numpy(), known(g).numpy())])["mse"]
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
        pearson(pred.astype(np.float64), true.astype(np.float64)),
        pearson(rank(pred), rank(true)),
    ]
