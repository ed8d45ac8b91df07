"""Score an enhancer–gene map against CRISPRi screens, as EngreitzLab/CRISPR_comparison does.

Each CRISPRi pair (an element, a measured gene, ``Regulated`` TRUE/FALSE) takes the highest
score among the predictions for its gene whose element overlaps the pair's; a pair with none
scores 0 and is not *covered*. The summary has one row per predictor and distance class
(:data:`DISTANCE_CLASSES`, by the distance from the element's centre to the gene's TSS):

- ``auprc``: average precision, the pairs ranked by score (tied scores share one threshold);
- ``precision_at_70_recall``: the precision at the first threshold that reaches 70% recall;
- ``covered``: the share of pairs that some prediction scores.

Predictors: the given score column, then ``distance`` (the pair's closeness to the TSS,
``-distance``, needing no predictions) and, when the file has them, ``abc`` (the ABC score
of the same inputs, as ``graphreg explain --e2g`` writes it) and other method columns named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphreg_cli.errors import NAME_ONLY, InputError, SettingError, preview

DISTANCE_CLASSES = (("all", 0, math.inf), ("<10kb", 0, 10_000), ("10-100kb", 10_000, 100_000),
                    (">100kb", 100_000, math.inf))  # fmt: skip
SUMMARY_COLUMNS = [
    "predictor",
    "distance_class",
    "pairs",
    "positives",
    "covered",
    "auprc",
    "precision_at_70_recall",
]
BOOTSTRAP_COLUMNS = ["auprc_low", "auprc_high"]  # with bootstrap: the 95% interval


def score_column(predictions: pd.DataFrame, column: str | None, path) -> str:
    """The score to rank by: ``column``; else ``Score``; else the one column whose name ends
    in ``.Score`` (ENCODE-rE2G writes ``ENCODE-rE2G.Score``). NaN in it is an error."""
    names = list(predictions.columns)
    if column is None:
        ending = [c for c in names if c.endswith(".Score")]
        if "Score" in names:
            column = "Score"
        elif len(ending) == 1:
            column = ending[0]
        else:
            found = f"several ({preview(ending, 4)})" if ending else "none"
            raise InputError(
                f"has no 'Score' column and {found} ending in '.Score'; choose one with "
                "{score_column}",
                path,
                score_column=NAME_ONLY,
            )
    elif column not in names:
        raise InputError(
            f"has no column '{column}' (columns {preview(names, 8)}); check {{score_column}}",
            path,
            score_column=column,
        )
    values = pd.to_numeric(predictions[column], errors="coerce")
    if values.isna().any():
        i = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise InputError(
            f"{column} '{predictions[column].iat[i]}' is not a number; every prediction needs a "
            "score",
            path,
        )
    return column


@dataclass
class Scored:
    """CRISPRi pairs with their predictors' scores: ``pairs`` (the table's rows that lie on
    the predictions' chromosomes, with ``distance``) and ``scores[predictor]`` ``(n,)`` float64
    (NaN: not covered)."""

    pairs: pd.DataFrame
    scores: dict[str, np.ndarray]


def score_pairs(
    predictions: pd.DataFrame,
    crispr: pd.DataFrame,
    column: str,
    extra: list[str] = (),
    path=None,
    crispr_path=None,
) -> Scored:
    """Each CRISPRi pair's highest score of ``column`` (and of each ``extra`` column) among the
    predictions for its gene whose element overlaps it; ``distance`` for every pair."""
    chroms = set(predictions["chr"])
    on = crispr["chrom"].isin(chroms).to_numpy()
    if not on.any():
        raise InputError(
            f"no CRISPRi pair lies on the predictions' chromosomes (pairs on "
            f"{preview(crispr['chrom'].unique())}; predictions on {preview(sorted(chroms))})",
            crispr_path,
        )
    pairs = crispr[on].reset_index(drop=True)
    columns = [column, *[c for c in extra if c != column]]
    values = {c: pd.to_numeric(predictions[c], errors="coerce").to_numpy(np.float64)
              for c in columns}  # fmt: skip
    best = {c: np.full(len(pairs), np.nan) for c in columns}
    by_gene = predictions.groupby(["chr", "TargetGene"], sort=False).indices
    for k, row in enumerate(pairs.itertuples(index=False)):
        rows = by_gene.get((row.chrom, row.measuredGeneSymbol))
        if rows is None:
            continue
        start = predictions["start"].to_numpy()[rows]
        end = predictions["end"].to_numpy()[rows]
        hit = rows[(start < row.chromEnd) & (end > row.chromStart)]
        if len(hit):
            for c in columns:
                best[c][k] = values[c][hit].max()
    pairs["distance"] = _distance(pairs)
    scores = {c: best[c] for c in columns}
    scores["distance"] = -pairs["distance"].to_numpy(np.float64)
    return Scored(pairs, scores)


def _distance(pairs: pd.DataFrame) -> np.ndarray:
    """bp from the element's centre to the gene's TSS (``startTSS``), else the table's
    ``distanceToTSS``; NaN when neither is known."""
    centre = (pairs["chromStart"] + pairs["chromEnd"]) / 2
    if "startTSS" in pairs:
        tss = pd.to_numeric(pairs["startTSS"], errors="coerce")
        return np.abs(centre - tss).to_numpy(np.float64)
    if "distanceToTSS" in pairs:
        return pd.to_numeric(pairs["distanceToTSS"], errors="coerce").abs().to_numpy(np.float64)
    return np.full(len(pairs), np.nan)


def ranked(score: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(precision, recall)`` at each distinct score, highest first: all pairs scoring at
    least the threshold are called (ties share a threshold)."""
    order = np.argsort(-score, kind="stable")
    s, y = score[order], label[order].astype(np.float64)
    last = np.r_[s[1:] != s[:-1], True]  # the last pair of each run of tied scores
    tp = np.cumsum(y)[last]
    called = np.flatnonzero(last) + 1
    return tp / called, tp / max(y.sum(), 1)


def auprc(score: np.ndarray, label: np.ndarray) -> float:
    """Average precision: ``Σ (R_k - R_{k-1}) P_k`` over the thresholds."""
    if not label.any():
        return float("nan")
    precision, recall = ranked(score, label)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def precision_at_recall(score: np.ndarray, label: np.ndarray, target: float = 0.7) -> float:
    """The precision at the first threshold whose recall reaches ``target``."""
    if not label.any():
        return float("nan")
    precision, recall = ranked(score, label)
    return float(precision[np.flatnonzero(recall >= target - 1e-12)[0]])


def summary(scored: Scored, first: str, bootstrap: int = 0, seed: int = 0) -> pd.DataFrame:
    """:data:`SUMMARY_COLUMNS`: one row per predictor (``first`` first) and distance class
    (``all`` first). ``bootstrap``: that many resamples of the pairs (with replacement, the
    same resamples for every predictor) give each AUPRC's 95% interval, in
    :data:`BOOTSTRAP_COLUMNS`."""
    label = scored.pairs["Regulated"].to_numpy(bool)
    distance = scored.pairs["distance"].to_numpy(np.float64)
    names = [first, *[p for p in scored.scores if p != first]]
    rng = np.random.default_rng(seed)
    draws = {
        name: rng.integers(0, max(int(inside.sum()), 1), (bootstrap, int(inside.sum())))
        for name, inside in _classes(distance, len(label))
    }
    rows = []
    for name in names:
        values = scored.scores[name]
        covered = ~np.isnan(values)
        # a pair no prediction scores counts as 0 (as CRISPR_comparison fills it); one of
        # unknown distance as the farthest
        filled = np.where(covered, values, -np.inf if name == "distance" else 0.0)
        for label_name, inside in _classes(distance, len(label)):
            y, s = label[inside], filled[inside]
            some = bool(inside.any())
            row = [
                name,
                label_name,
                int(inside.sum()),
                int(y.sum()),
                float(covered[inside].mean()) if some else float("nan"),
                auprc(s, y) if some else float("nan"),
                precision_at_recall(s, y) if some else float("nan"),
            ]
            if bootstrap:
                row += _interval(s, y, draws[label_name]) if some else [np.nan, np.nan]
            rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS + (BOOTSTRAP_COLUMNS if bootstrap else []))


def _classes(distance: np.ndarray, n: int):
    """``(class name, (n,) bool mask)`` per :data:`DISTANCE_CLASSES`."""
    for name, low, high in DISTANCE_CLASSES:
        yield name, np.ones(n, bool) if name == "all" else (distance >= low) & (distance < high)


def _interval(score: np.ndarray, label: np.ndarray, draws: np.ndarray) -> list[float]:
    """The 2.5th and 97.5th percentiles of AUPRC over resamples ``draws: (B, n)`` (resamples
    without a positive left out)."""
    values = [auprc(score[d], label[d]) for d in draws if label[d].any()]
    if not values:
        return [float("nan"), float("nan")]
    low, high = np.percentile(values, [2.5, 97.5])
    return [float(low), float(high)]


def benchmark(
    predictions_path,
    crispr_path,
    column: str | None = None,
    extra: list[str] | None = None,
    bootstrap: int = 0,
) -> tuple[pd.DataFrame, Scored]:
    """Read an enhancer–gene map and a CRISPRi table and score the map.

    Parameters
    ----------
    predictions_path, crispr_path
        The map (ENCODE-rE2G/ABC or IGVF format) and the EPCrisprBenchmark table.
    column
        The score to rank by (default: ``Score``, else the one column ending in ``.Score``).
    extra
        More score columns to rank by (default: ``abc`` where the file has it).
    bootstrap
        Resamples of the pairs for each AUPRC's 95% interval (0: none).

    Returns
    -------
    (summary, scored)
        :func:`summary`'s table and the scored pairs.
    """
    if bootstrap < 0:
        raise SettingError("{bootstrap} cannot be negative", bootstrap=bootstrap)
    from graphreg_cli.io.e2g import read_crispr, read_predictions

    predictions = read_predictions(predictions_path)
    crispr = read_crispr(crispr_path)
    column = score_column(predictions, column, predictions_path)
    if extra is None:
        extra = [c for c in ("abc",) if c in predictions and c != column]
    for name in extra:
        if name not in predictions:
            raise SettingError(
                f"{{compare}}: {predictions_path} has no column '{name}'", compare=name
            )
        score_column(predictions, name, predictions_path)
    scored = score_pairs(predictions, crispr, column, extra, predictions_path, crispr_path)
    return summary(scored, column, bootstrap), scored
