"""How well explanations recover true regulator–gene links: ranking metrics and the table
``graphreg explain --truth`` prints."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphreg_cli.tasks.metrics import rank

METHODS = {  # method -> score column of the explanation table
    "saliency": "saliency",
    "deletion": "deletion",
    "abc": "abc",
    "distance": "inverse_distance",
    "attention": "attention",
}
SIGNED = ("saliency", "deletion")  # methods whose sign says enhancer (+) or silencer (-)
KEY = ["chrom", "gene_bin", "element_bin"]


def average_precision(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision), higher score = positive."""
    if not label.any():
        return float("nan")
    precision, _ = precision_recall(score, label)
    hits = label[np.argsort(-score, kind="stable")]
    return float(precision[hits].sum() / hits.sum())


def auroc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    pos, neg = int(label.sum()), int((~label).sum())
    if not pos or not neg:
        return float("nan")
    ranks = rank(score) + 1
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def precision_recall(score: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every threshold (scores sorted high to low)."""
    order = np.argsort(-score, kind="stable")
    hits = label[order].astype(np.float64)
    tp = np.cumsum(hits)
    return tp / np.arange(1, len(hits) + 1), tp / max(hits.sum(), 1)


def labelled(scores: pd.DataFrame, truth: pd.DataFrame):
    """Yield ``(method, ranking score, sign (+1/-1), is true link, true sign)`` arrays per
    method with scores: signed methods rank by absolute value (a silencer is a regulator too)
    and give the sign; unsigned ones call every link an enhancer."""
    merged = scores.merge(truth[KEY + ["sign"]], on=KEY, how="left")
    label = merged["sign"].notna().to_numpy()
    true_sign = merged["sign"].to_numpy(dtype=np.float64)
    for method, column in METHODS.items():
        if column not in merged or merged[column].isna().all():
            continue  # attention of a model without it
        value = merged[column].to_numpy(dtype=np.float64)
        signed = method in SIGNED
        score = np.abs(value) if signed else value
        yield method, score, np.sign(value) if signed else np.ones(len(value)), label, true_sign


def truth_metrics(scores: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per method: AUPRC, AUROC, and the share of true links whose effect sign is right.

    ``scores``: the explanation table; ``truth``: ``chrom, gene_bin, element_bin, sign``.
    Methods with no scores (attention of a non-GAT model) are left out.
    """
    rows = []
    for method, score, sign, label, true_sign in labelled(scores, truth):
        right = (sign[label] == true_sign[label]).mean() if label.any() else np.nan
        rows.append(
            {
                "method": method,
                "auprc": average_precision(score, label),
                "auroc": auroc(score, label),
                "sign_accuracy": float(right),
                "pairs": int(len(label)),
                "true_links": int(label.sum()),
            }
        )
    return pd.DataFrame(rows)
