"""How well explanations recover true regulator–gene links: ranking metrics and the table
``graphreg explain --truth`` prints."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphreg_cli.tasks.metrics import rank

METHODS = {  # method -> score column of the explanation table
    "saliency": "saliency",
    "integrated_gradients": "integrated_gradients",
    "deletion": "deletion",
    "abc": "abc",
    "distance": "inverse_distance",
    "attention": "attention",
}
# methods whose sign says enhancer (+) or silencer (-)
SIGNED = ("saliency", "integrated_gradients", "deletion")
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
    """Per method, unsigned: AUPRC and AUROC of true links among all candidate pairs, and
    the share of true links whose effect sign is right; signed: the share of enhancer links
    called enhancers and of silencer links called silencers, and the AUPRC of finding
    enhancer links by their positive effect and silencer links by their negative effect
    (unsigned methods count every score as positive, so they cannot find silencers so).

    ``scores``: the explanation table; ``truth``: ``chrom, gene_bin, element_bin, sign``.
    Methods with no scores (attention of a non-GAT model) are left out.
    """
    rows = []
    for method, score, sign, label, true_sign in labelled(scores, truth):
        effect = sign * score
        enhancers, silencers = label & (true_sign > 0), label & (true_sign < 0)
        rows.append(
            {
                "method": method,
                "auprc": average_precision(score, label),
                "auroc": auroc(score, label),
                "sign_accuracy": _share(sign[label] == true_sign[label]),
                "enhancer_sign": _share(sign[enhancers] > 0),
                "silencer_sign": _share(sign[silencers] < 0),
                "enhancer_auprc": average_precision(effect, enhancers),
                "silencer_auprc": average_precision(-effect, silencers),
                "pairs": int(len(label)),
                "true_links": int(label.sum()),
                "silencer_links": int(silencers.sum()),
            }
        )
    return pd.DataFrame(rows)


def _share(hits: np.ndarray) -> float:
    return float(hits.mean()) if len(hits) else float("nan")
