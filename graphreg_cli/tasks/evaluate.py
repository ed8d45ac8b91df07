"""Evaluate a trained run on a split: the study's metrics, a JSON file, optional plots."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.data.graphs import load_graphs
from graphreg_cli.errors import NAME_ONLY, SettingError
from graphreg_cli.io.atomic import atomic_text
from graphreg_cli.tasks.metrics import compute_metrics
from graphreg_cli.tasks.runs import METRICS, open_run, save_json
from graphreg_cli.tasks.train import pick_device, predict_graphs

logger = logging.getLogger(__name__)


def evaluate_run(
    run_dir: Path | None,
    split: str = "test",
    plots: Path | None = None,
    device: str = "auto",
    per_gene: Path | None = None,
) -> dict:
    """Metrics of the run's best model on ``split`` (``train``, ``val``, ``test`` or ``all``).

    Writes ``metrics.json`` in the run folder (one entry per split evaluated so far) and,
    with ``plots``, PNGs of truth vs prediction per chromosome and at gene bins; with
    ``per_gene``, a TSV of every gene (see ``gene_predictions``).
    """
    run = open_run(run_dir)
    dev = pick_device(device)
    wanted = run.chromosomes(split)
    if not wanted:
        raise SettingError(f"{{split}}: the run has no {split} chromosome", split=split)
    chosen = load_graphs(run.inputs, split=run.split, only=wanted)
    if not any(bool(g.y.any()) for g in chosen):
        logger.info("the target is zero everywhere on these chromosomes; metrics will be trivial")
    spec = run.features
    prepared = [spec.apply(g) for g in chosen]
    preds = predict_graphs(run.model(dev), prepared, dev, run.tiling)
    metrics = compute_metrics(
        [(p, g.y.numpy(), g.gene_mask.numpy()) for p, g in zip(preds, chosen)]
    )
    if per_gene is not None:
        table = gene_predictions(run, chosen, preds)
        with atomic_text(per_gene) as handle:
            table.to_csv(handle, sep="\t", index=False, float_format="%.6g")
        metrics["per_gene"] = str(per_gene)
    metrics["split"] = split
    metrics["model"] = run.model_config.name
    path = run.folder / METRICS
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous[split] = metrics
    save_json(previous, path)
    if plots is not None:
        from graphreg_cli.tasks.plots import plot_chromosomes, plot_gene_scatter

        written = plot_chromosomes(chosen, preds, Path(plots), run.inputs.bin_size)
        written.append(plot_gene_scatter(chosen, preds, Path(plots) / f"genes_{split}.png"))
        metrics["plots"] = [str(p) for p in written]
    return metrics


PER_GENE_COLUMNS = ["gene", "chrom", "tss", "bin_start", "bin_end", "true", "predicted", "contacts"]


def gene_predictions(run, graphs, preds) -> pd.DataFrame:
    """One row per gene of the run's annotation on ``graphs``' chromosomes:
    ``gene, chrom, tss`` (0-based), its graph bin ``bin_start, bin_end``, the ``true`` and
    ``predicted`` CAGE of that bin and the number of bins it contacts (``contacts``).
    Genes sharing a TSS bin share its values."""
    from graphreg_cli.data.genes import gene_tss
    from graphreg_cli.io.bigwig import bigwig_chroms

    inputs = run.inputs
    if inputs.genes is None:
        raise SettingError(
            "{per_gene} needs genes: the run was trained without them", per_gene=NAME_ONLY
        )
    sizes = bigwig_chroms(inputs.tracks[0])
    table = gene_tss(inputs.genes, sizes, inputs.gene_types, inputs.tss)
    size = inputs.bin_size
    rows = []
    for g, p in zip(graphs, preds):
        genes = table[table["chrom"] == g.chrom]
        bins = genes["tss"].to_numpy() // size
        degree = np.bincount(g.edge_index[0].numpy(), minlength=g.num_nodes)
        rows.append(
            pd.DataFrame(
                {
                    "gene": genes["gene"].to_numpy(),
                    "chrom": g.chrom,
                    "tss": genes["tss"].to_numpy(),
                    "bin_start": bins * size,
                    "bin_end": np.minimum((bins + 1) * size, sizes[g.chrom]),
                    "true": g.y.numpy()[bins],
                    "predicted": p[bins],
                    "contacts": degree[bins],
                }
            )
        )
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=PER_GENE_COLUMNS)
    return out[PER_GENE_COLUMNS]
