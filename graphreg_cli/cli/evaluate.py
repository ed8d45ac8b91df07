"""``graphreg evaluate``: the study's metrics for a trained run."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from graphreg_cli.cli.console import console
from graphreg_cli.cli.options import Device, Part, device_option, run_option, threads_option

LABELS = {
    "mse": "MSE, all bins (study's Test MSE)",
    "roi_mse": "ROI MSE (study's: ROI error / all bins)",
    "roi_mse_mean": "ROI MSE (mean over ROI bins)",
    "poisson_nll": "Poisson NLL",
    "pearson_log1p": "Pearson r, log1p CAGE at genes",
    "spearman_log1p": "Spearman r, log1p CAGE at genes",
}


def labels(units: str) -> dict[str, str]:
    """The metrics shown, by name: the study's for CAGE, r in the target's units for a gene
    table (known only at genes: no ROI, no Poisson count)."""
    if units == "CAGE":
        return LABELS
    return {
        "mse": f"MSE of {units} at genes",
        "pearson": f"Pearson r, {units} at genes",
        "spearman": f"Spearman r, {units} at genes",
    }


def evaluate(
    model: Path = run_option(),
    split: Part = typer.Option("test", help="Chromosomes to score."),
    plots: Path = typer.Option(
        None,
        file_okay=False,
        help="Folder for PNGs: truth vs prediction per chromosome, and at gene bins.",
    ),
    per_gene: Path = typer.Option(
        None,
        dir_okay=False,
        help="Write a TSV with one row per gene: gene, chrom, tss, bin_start, bin_end, true, "
        "predicted, contacts.",
    ),
    device: Device = device_option(),
    threads: int = threads_option(),
) -> None:
    """Score a trained model: study's MSE and ROI MSE, Poisson NLL, Pearson/Spearman r.

    Prints a table and writes MODEL/metrics.json. ROI = gene bins at offsets -3..+1.
    Sequence models: also Pearson r of each predicted epigenome track over its input bins.
    """
    from graphreg_cli.io.atomic import atomic_text, check_writable
    from graphreg_cli.tasks.evaluate import save_metrics
    from graphreg_cli.tasks.inference import set_threads
    from graphreg_cli.tasks.runs import METRICS, Run

    set_threads(threads)
    run = Run.open(model)
    for path in (run.folder / METRICS, per_gene, plots and plots / "genes.png"):
        if path is not None:
            check_writable(path)
    evaluation = run.evaluate(split.value, device.value)
    if per_gene is not None:
        with atomic_text(per_gene) as handle:
            evaluation.per_gene().to_csv(handle, sep="\t", index=False, float_format="%.6g")
    path = save_metrics(evaluation, per_gene)
    metrics = evaluation.metrics
    where = "regions" if run.regions is not None else "chromosomes"
    table = Table(
        title=f"{evaluation.run.model_config.name} on {split.value} {where} "
        f"({metrics['chromosomes']} chromosome(s), {metrics['gene_bins']} gene bins)",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, label in labels(run.target_units).items():
        table.add_row(label, f"{metrics[key]:.4f}")
    for track, values in metrics.get("epigenome", {}).items():
        table.add_row(f"Pearson r, {track} (input bins)", f"{values['pearson']:.4f}")
        table.add_row(f"Pearson r, log1p {track} (input bins)", f"{values['pearson_log1p']:.4f}")
    console.print(table)
    console.print(f"written: {path}")
    if per_gene is not None:
        console.print(f"written: {per_gene}")
    if plots is not None:
        for written in evaluation.plot(plots):
            console.print(f"plot: {written}")
