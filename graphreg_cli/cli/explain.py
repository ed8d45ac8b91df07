"""``graphreg explain`` and ``graphreg perturb``: what drives each gene's prediction."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from graphreg_cli.cli.console import console, progress_bar
from graphreg_cli.cli.options import (
    Background,
    Device,
    E2gFormat,
    Method,
    Part,
    device_option,
    devices_option,
    float_option,
    genes_option,
    run_option,
    threads_option,
)
from graphreg_cli.errors import InputError, SettingError, preview


def explain(
    model: Path = run_option(),
    genes: Path = genes_option(),
    output: Path = typer.Option(
        Path("explained_links.bedpe"),
        "--output",
        "-o",
        dir_okay=False,
        help="BEDPE of scored gene-element arcs.",
    ),
    method: Method = typer.Option(
        "saliency",
        help="Method for the BEDPE's arcs and their sign. saliency (gradient x input, "
        "GraphReg's) by default: on the simulated benchmarks it gave the right sign to more "
        "of the true links than deletion did, for every graph model (docs/explain.md).",
    ),
    tsv: Path = typer.Option(
        None,
        dir_okay=False,
        help="Also write every method's scores as TSV (default: OUTPUT with .tsv).",
    ),
    truth: Path = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="True links (regulator anchor first; score -1 = silencer), "
        "e.g. links.bedpe of graphreg simulate: prints AUPRC/AUROC.",
    ),
    pr_plot: Path = typer.Option(
        None,
        dir_okay=False,
        help="With --truth: precision-recall PNG (default: OUTPUT with .pr.png).",
    ),
    elements: Path = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="Candidate elements BED (ABC's candidate regions, DNase peaks): each is scored "
        "over its own span, one row per (element, gene), instead of per graph bin; those "
        "within --window bins of a gene (default 1 Mb) or on its contacts.",
    ),
    e2g: Path = typer.Option(
        None,
        dir_okay=False,
        help="Also write the map in the ENCODE-rE2G/ABC format (chr start end name class "
        "TargetGene TargetGeneTSS CellType Score, then a column per method; .gz for gzip), "
        "Score from --method: what graphreg benchmark and EngreitzLab/CRISPR_comparison read.",
    ),
    e2g_format: E2gFormat = typer.Option(
        "encode", help="--e2g layout: encode (ENCODE-rE2G/ABC) or igvf (IGVF's columns)."
    ),
    cell_type: str = typer.Option("unknown", help="--e2g: the CellType column (e.g. K562)."),
    split: Part = typer.Option("all", help="Chromosomes to explain."),
    window: int = typer.Option(
        0, min=0, help="Also score bins (or elements) within this many bins of each gene."
    ),
    width: int = typer.Option(
        0,
        min=0,
        help="Bins per element (deleted / summed), centred; 0: the model's own — 1 for "
        "additive runs (their deletions sign elements best there: docs/explain.md), else 5.",
    ),
    background: Background = typer.Option(
        "zero",
        help="What a deleted element's tracks become: zero (no signal), median (each track's "
        "median over the window) or shuffle (another stretch of the window).",
    ),
    steps: int = typer.Option(8, min=1, help="Points on the integrated-gradients path."),
    device: Device = device_option(),
    threads: int = threads_option(),
    devices: int = devices_option("Explain the chromosomes"),
) -> None:
    """Score the elements that drive each gene: saliency, integrated gradients, in-silico
    deletion, ABC, distance (and GAT attention).

    Writes OUTPUT (BEDPE: IGV draws arcs; score = |score| scaled to 1-1000; column 11 is the
    effect sign, +1 enhancer / -1 silencer; column 12 the method) and a TSV with every
    method's raw scores.
    """
    from graphreg_cli.io.atomic import atomic_text, check_writable
    from graphreg_cli.io.e2g import write_e2g
    from graphreg_cli.io.links import read_truth, write_links
    from graphreg_cli.models import SEQUENCE_MODELS
    from graphreg_cli.tasks.elements import read_elements
    from graphreg_cli.tasks.explain import ExplainOptions, e2g_map, element_width
    from graphreg_cli.tasks.inference import set_threads
    from graphreg_cli.tasks.plots import plot_pr
    from graphreg_cli.tasks.ranking import METHODS, truth_metrics
    from graphreg_cli.tasks.runs import Run

    set_threads(threads)
    run = Run.open(model)
    if run.model_config.name in SEQUENCE_MODELS:
        raise SettingError(
            f"{{model}}: explain attributes a track model's inputs; this run is "
            f"{run.model_config.name}, which reads DNA: score its bases with graphreg ism "
            "--region CHROM:START-END, or SNVs with graphreg variants VCF",
            model=str(model),
        )
    bin_size = run.inputs.bin_size
    tsv = tsv or output.with_suffix(".tsv")
    pr_plot = pr_plot or output.with_suffix(".pr.png")
    for path in (output, tsv, *([pr_plot] if truth else []), *([e2g] if e2g else [])):
        check_writable(path)
    links = read_truth(truth, bin_size) if truth is not None else None  # checked up front
    if links is not None:
        explained = run.chromosomes(split.value)
        if not links["chrom"].isin(explained).any():
            raise InputError(
                f"no true link lies on the chromosomes explained ({split.value}: "
                f"{preview(explained)}; the links are on {preview(links['chrom'].unique())}); "
                "give the truth of this run's genome, or another --split",
                truth,
            )
    candidates = None
    if elements is not None:  # checked before any work
        candidates = read_elements(elements, run.inputs.sizes())
    width = width or element_width(run)
    options = ExplainOptions(
        window=window,
        width=width,
        background=background.value,
        steps=steps,
        elements=candidates,
    )
    with progress_bar() as progress:
        task = progress.add_task("explaining chromosomes", total=None)
        scores = run.explain(
            split.value,
            device.value,
            genes=genes,
            options=options,
            progress=lambda d, t: progress.update(task, completed=d, total=t),
            devices=devices,
        )
    column = METHODS[method.value]
    if scores[column].isna().all() and len(scores):
        raise SettingError(
            "{method}: the run's model has none; pick another method", method=method.value
        )
    write_links(scores, column, method.value, bin_size, output)
    with atomic_text(tsv) as handle:
        scores.to_csv(handle, sep="\t", index=False, float_format="%.6g")
    what = f"{len(candidates):,} elements" if candidates is not None else (
        f"elements of {width} bin{'s' if width > 1 else ''}")  # fmt: skip
    console.print(
        f"wrote {output} ({len(scores)} gene-element pairs, {method.value}, {what}) and {tsv}"
    )
    if e2g is not None:
        table = e2g_map(run, scores, genes, method.value, cell_type)
        write_e2g(table, e2g, e2g_format.value)
        console.print(f"wrote {e2g} ({len(table):,} element-gene rows, Score = {method.value})")
    if links is None:
        return
    metrics = truth_metrics(scores, links)
    table = Table(
        title=f"Recovering true links ({metrics['true_links'].iat[0]} of "
        f"{len(links)} among {metrics['pairs'].iat[0]} candidate pairs)",
        title_justify="left",
    )
    columns = {
        "method": "method",
        "auprc": "AUPRC",
        "auroc": "AUROC",
        "enhancer_sign": "enhancers +",
        "silencer_sign": "silencers −",
        "enhancer_auprc": "AUPRC enh. (+)",
        "silencer_auprc": "AUPRC sil. (−)",
    }
    for key, label in columns.items():
        table.add_column(label, justify="left" if key == "method" else "right")
    for row in metrics.to_dict("records"):
        cells = [row["method"]]
        for key in list(columns)[1:]:
            value = row[key]
            cells.append(
                "–" if value != value else f"{value:.1%}" if "sign" in key else f"{value:.3f}"
            )
        table.add_row(*cells)
    console.print(table)
    plot_pr(scores, links, pr_plot)
    console.print(f"precision-recall curves: {pr_plot}")


def perturb(
    region: str = typer.Option(..., help="Region to perturb, e.g. chr1:1,200,001-1,210,000."),
    model: Path = run_option(),
    scale: float = float_option(
        0.0, help="Multiply the region's input tracks by this (0 = knock down, 2 = double).", low=0
    ),
    output: Path = typer.Option(
        Path("delta.bw"),
        "--output",
        "-o",
        dir_okay=False,
        help="bigWig of the predicted change in expression.",
    ),
    top: int = typer.Option(10, min=0, help="How many of the most affected genes to print."),
    device: Device = device_option(),
    threads: int = threads_option(),
) -> None:
    """Knock a region's input down (or up) and write the predicted change in CAGE."""
    from graphreg_cli.io.atomic import check_writable
    from graphreg_cli.tasks.inference import set_threads
    from graphreg_cli.tasks.predict import write_prediction
    from graphreg_cli.tasks.runs import Run

    set_threads(threads)
    check_writable(output)
    run = Run.open(model)
    result = run.perturb(region, scale, device.value)
    write_prediction(output, run.inputs.sizes(), result.delta, run.inputs.bin_size)
    table = Table(
        title=f"Genes most affected by scaling {result.region} by {scale:g}", title_justify="left"
    )
    for column in ("gene bin", "position", "before", "after", "change"):
        table.add_column(column, justify="right")
    for row in result.genes.head(top).itertuples():
        table.add_row(
            str(row.gene_bin),
            f"{row.chrom}:{row.start + 1:,}",
            f"{row.before:.3f}",
            f"{row.after:.3f}",
            f"{row.delta:+.3f}",
        )
    console.print(table)
    console.print(f"wrote {output}")
