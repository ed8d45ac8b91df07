"""Evaluate a trained run on a split: the study's metrics, a JSON file, optional plots."""

from __future__ import annotations

import json
from pathlib import Path

from graphreg_cli.data import load_graphs
from graphreg_cli.errors import GraphregError
from graphreg_cli.metrics import compute_metrics
from graphreg_cli.runs import METRICS, open_run, save_json
from graphreg_cli.train import pick_device, predict_graphs


def evaluate_run(
    run_dir: Path | None,
    split: str = "test",
    plots: Path | None = None,
    device: str = "auto",
    log=print,
) -> dict:
    """Metrics of the run's best model on ``split`` (``train``, ``val``, ``test`` or ``all``).

    Writes ``metrics.json`` in the run folder (one entry per split evaluated so far) and,
    with ``plots``, PNGs of truth vs prediction per chromosome and at gene bins.
    """
    run = open_run(run_dir)
    dev = pick_device(device)
    wanted = run.chromosomes(split)
    if not wanted:
        raise GraphregError(f"--split {split}: the run has no {split} chromosome")
    chosen = load_graphs(run.inputs, split=run.split, log=log, only=wanted)
    if not any(bool(g.y.any()) for g in chosen):
        log("the target is zero everywhere on these chromosomes; metrics will be trivial")
    spec = run.features
    prepared = [spec.apply(g) for g in chosen]
    preds = predict_graphs(run.model(dev), prepared, dev)
    metrics = compute_metrics(
        [(p, g.y.numpy(), g.gene_mask.numpy()) for p, g in zip(preds, chosen)]
    )
    metrics["split"] = split
    metrics["model"] = run.model_config.name
    path = run.folder / METRICS
    previous = json.loads(path.read_text()) if path.exists() else {}
    previous[split] = metrics
    save_json(previous, path)
    if plots is not None:
        from graphreg_cli.plots import plot_chromosomes, plot_gene_scatter

        written = plot_chromosomes(chosen, preds, Path(plots), run.inputs.bin_size)
        written.append(plot_gene_scatter(chosen, preds, Path(plots) / f"genes_{split}.png"))
        metrics["plots"] = [str(p) for p in written]
    return metrics
