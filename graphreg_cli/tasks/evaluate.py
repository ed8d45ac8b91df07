"""Evaluate a trained run on a split: the study's metrics, per-gene values, plots."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from torch_geometric.data import Data

from graphreg_cli.data.graphs import known
from graphreg_cli.data.regions import PART_CODES, restrict
from graphreg_cli.errors import NAME_ONLY, InputError, SettingError
from graphreg_cli.tasks.inference import pick_device, predict_heads
from graphreg_cli.tasks.metrics import compute_metrics, pearson
from graphreg_cli.tasks.runs import METRICS, PARTS, save_json

logger = logging.getLogger(__name__)

PER_GENE_COLUMNS = ["gene", "chrom", "tss", "bin_start", "bin_end", "true", "predicted", "contacts"]


@dataclass
class Evaluation:
    """A run's predictions on one split and their metrics.

    ``graphs``: the split's chromosome graphs as read (``y: (n,)`` true CAGE, ``gene_mask``);
    ``predictions``: ``[(n,) float32]`` in the same order; ``metrics``: see
    :func:`graphreg_cli.tasks.metrics.compute_metrics`, plus ``split`` and ``model``, and for
    sequence models ``epigenome``: ``{track: {"pearson": r, "pearson_log1p": r}}`` over every
    input bin; ``epigenome``: their predicted tracks, ``[(n, pool, tracks) float32]`` in the
    tracks' units (None for other models).
    """

    run: object
    split: str
    graphs: list[Data]
    predictions: list[np.ndarray]
    metrics: dict
    epigenome: list[np.ndarray] | None = None

    def per_gene(self) -> pd.DataFrame:
        """One row per gene of the run's annotation (see :func:`gene_predictions`); in a
        region split, the genes of the evaluated part only."""
        part = self.split if self.run.regions is not None and self.split != "all" else None
        return gene_predictions(self.run, self.graphs, self.predictions, part)

    def plot(self, folder: Path) -> list[Path]:
        """PNGs of truth vs prediction per chromosome, and at gene bins."""
        from graphreg_cli.tasks.plots import plot_chromosomes, plot_gene_scatter

        folder = Path(folder)
        bin_size = self.run.inputs.bin_size
        written = plot_chromosomes(self.graphs, self.predictions, folder, bin_size)
        path = folder / f"genes_{self.split}.png"
        written.append(plot_gene_scatter(self.graphs, self.predictions, path))
        return written


def evaluate(run, split: str = "test", device: str = "auto") -> Evaluation:
    """The run's best model on ``split`` (``train``, ``val``, ``test`` or ``all``)."""
    if split not in PARTS:
        raise SettingError(f"{{split}}: choose {', '.join(PARTS)}", split=split)
    wanted = run.chromosomes(split)
    if not wanted:
        raise SettingError(f"{{split}}: the run has no {split} chromosome", split=split)
    dev = pick_device(device)
    model = run.model(dev)  # a damaged run fails before the inputs are read
    graphs, ready = run.load(wanted)
    if run.regions is not None and split != "all":  # the split's bins only
        graphs = [restrict(g, split) for g in graphs]
    if not any(bool(known(g).any()) for g in graphs):
        raise InputError(
            f"holds no data (only NaN) on the run's {split} chromosomes; nothing to score",
            run.inputs.target,
        )
    if not any(bool(g.y.any()) for g in graphs):
        logger.info("the target is zero everywhere on these chromosomes; metrics will be trivial")
    heads = predict_heads(model, ready, dev, run.tiling)
    preds = [h["cage"] for h in heads]
    metrics = compute_metrics(
        [(p, g.y.numpy(), g.gene_mask.numpy(), known(g).numpy()) for p, g in zip(preds, graphs)]
    )
    epigenome = None
    if "epigenome" in model.outputs:
        epigenome = [run.features.unscale(h["epigenome"]) for h in heads]
        names = [track_name(t) for t in run.inputs.tracks]
        metrics["epigenome"] = epigenome_metrics(names, graphs, epigenome)
    return Evaluation(run, split, graphs, preds, metrics, epigenome)


def track_name(path: Path) -> str:
    """A track's short name: its file name without the bigWig suffix (``dnase.bw`` → dnase)."""
    name = Path(path).name
    for suffix in (".bw", ".bigwig", ".bigWig"):
        name = name.removesuffix(suffix)
    return name


def epigenome_metrics(names: list[str], graphs, predicted: list[np.ndarray]) -> dict:
    """``{track: {"pearson": r, "pearson_log1p": r}}`` of predicted vs true input bins,
    pooled over the chromosomes. ``graphs[i].x: (n, [pool,] tracks)`` as read."""
    out = {}
    for k, name in enumerate(names):
        true = np.concatenate([g.x.numpy()[..., k].reshape(-1) for g in graphs]).astype(np.float64)
        pred = np.concatenate([p[..., k].reshape(-1) for p in predicted]).astype(np.float64)
        out[name] = {
            "pearson": pearson(pred, true),
            "pearson_log1p": pearson(np.log1p(pred.clip(0)), np.log1p(true.clip(0))),
        }
    return out


def save_metrics(evaluation: Evaluation, per_gene: Path | None = None) -> Path:
    """Record the metrics in the run's ``metrics.json`` (one entry per split evaluated so
    far), with the per-gene table's path when one was written."""
    metrics = dict(evaluation.metrics)
    if per_gene is not None:
        metrics["per_gene"] = str(per_gene)
    metrics["split"] = evaluation.split
    metrics["model"] = evaluation.run.model_config.name
    path = evaluation.run.folder / METRICS
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous[evaluation.split] = metrics
    save_json(previous, path)
    return path


def gene_predictions(run, graphs, preds, part: str | None = None) -> pd.DataFrame:
    """One row per gene of the run's annotation on ``graphs``' chromosomes:
    ``gene, chrom, tss`` (0-based), its graph bin ``bin_start, bin_end``, the ``true`` and
    ``predicted`` CAGE of that bin and the number of bins it contacts (``contacts``).
    Genes sharing a TSS bin share its values. ``part``: only genes whose bin is in that
    part of a region split."""
    from graphreg_cli.data.genes import gene_tss

    inputs = run.inputs
    if inputs.genes is None:
        raise SettingError(
            "{per_gene} needs genes: the run was trained without them", per_gene=NAME_ONLY
        )
    sizes = inputs.sizes()
    table = gene_tss(inputs.genes, sizes, inputs.gene_types, inputs.tss)
    size = inputs.bin_size
    rows = []
    for g, p in zip(graphs, preds):
        genes = table[table["chrom"] == g.chrom]
        bins = genes["tss"].to_numpy() // size
        if part is not None and "node_part" in g:
            keep = g.node_part.numpy()[bins] == PART_CODES[part]
            genes, bins = genes[keep], bins[keep]
        degree = np.bincount(g.edge_index[0].numpy(), minlength=g.num_nodes)
        rows.append(
            pd.DataFrame(
                {
                    "gene": genes["gene"].to_numpy(),
                    "chrom": g.chrom,
                    "tss": genes["tss"].to_numpy(),
                    "bin_start": bins * size,
                    "bin_end": np.minimum((bins + 1) * size, sizes[g.chrom]),
                    "true": np.where(known(g).numpy(), g.y.numpy(), np.nan)[bins],
                    "predicted": p[bins],
                    "contacts": degree[bins],
                }
            )
        )
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=PER_GENE_COLUMNS)
    return out[PER_GENE_COLUMNS]
