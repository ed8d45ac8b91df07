"""Figures: truth vs prediction along chromosomes (the study's Figs. 5-6) and at gene bins."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from graphreg_cli.io.atomic import atomic_binary


def pyplot():
    """matplotlib's pyplot on the Agg backend (files only, no screen)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    try:
        with atomic_binary(path) as handle:
            fig.savefig(handle, dpi=110, format="png")
    finally:
        pyplot().close(fig)
    return path


def plot_chromosomes(graphs, preds, folder: Path, bin_size: int) -> list[Path]:
    """One PNG per chromosome: CAGE truth and prediction, gene bins, contact arcs below.

    ``graphs``: Data with ``y (n,)``, ``gene_mask (n,)``, ``edge_index (2, E)``, ``chrom``;
    ``preds``: ``[(n,) array]`` in the same order.
    """
    plt = pyplot()
    written = []
    for g, pred in zip(graphs, preds):
        n = len(pred)
        pos = np.arange(n) * bin_size / 1e6
        fig, (top, bottom) = plt.subplots(
            2, 1, figsize=(14, 5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
        )
        top.plot(pos, g.y.numpy(), color="black", lw=1, label="true CAGE")
        top.plot(pos, pred, color="tab:red", lw=1, alpha=0.85, label="predicted")
        genes = np.flatnonzero(g.gene_mask.numpy())
        top.plot(pos[genes], np.zeros(len(genes)), "|", color="tab:blue", ms=12, label="gene bins")
        top.set_ylabel("CAGE")
        top.legend(loc="upper right", fontsize=8)
        top.set_title(f"{g.chrom}: truth vs prediction")
        src, dst = g.edge_index.numpy()
        for a, b in zip(src[src < dst], dst[src < dst]):
            centre, radius = (pos[a] + pos[b]) / 2, abs(pos[b] - pos[a]) / 2
            t = np.linspace(0, np.pi, 30)
            bottom.plot(
                centre + radius * np.cos(t),
                -radius * np.sin(t),
                color="tab:purple",
                lw=0.5,
                alpha=0.6,
            )
        bottom.set_yticks([])
        bottom.set_ylabel("contacts")
        bottom.set_xlabel(f"{g.chrom} position (Mb)")
        fig.tight_layout()
        written.append(save_figure(fig, folder / f"{g.chrom}.png"))
    return written


def plot_gene_scatter(graphs, preds, path: Path) -> Path:
    """Predicted vs true log1p(CAGE) at gene bins."""
    plt = pyplot()
    true = np.concatenate([g.y.numpy()[g.gene_mask.numpy()] for g in graphs])
    pred = np.concatenate([p[g.gene_mask.numpy()] for g, p in zip(graphs, preds)])
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.scatter(np.log1p(true), np.log1p(pred), s=10, alpha=0.7)
    top = max(np.log1p(true).max(initial=1), np.log1p(pred).max(initial=1))
    ax.plot([0, top], [0, top], color="grey", lw=1, ls="--")
    ax.set_xlabel("true log1p(CAGE) at gene bins")
    ax.set_ylabel("predicted log1p(CAGE)")
    fig.tight_layout()
    return save_figure(fig, path)


def plot_pr(scores, truth, path: Path) -> Path:
    """Precision-recall curves of every explanation method against the true links."""
    from graphreg_cli.tasks.ranking import average_precision, labelled, precision_recall

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.5))
    label = None
    for method, score, _, label, _ in labelled(scores, truth):
        precision, recall = precision_recall(score, label)
        ax.plot(recall, precision, label=f"{method} (AUPRC {average_precision(score, label):.2f})")
    if label is not None:
        ax.axhline(label.mean(), color="grey", ls="--", lw=1, label="chance")
    ax.set_xlabel("recall (true regulator-gene links)")
    ax.set_ylabel("precision")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return save_figure(fig, Path(path))
