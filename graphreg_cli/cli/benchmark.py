"""``graphreg benchmark``: score an enhancer–gene map against CRISPRi screens."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from graphreg_cli.cli.console import console


def benchmark(
    predictions: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="Enhancer-gene predictions in the ENCODE-rE2G/ABC format (chr start end name "
        "class TargetGene TargetGeneTSS CellType Score ...) or the IGVF one, plain or gzip: "
        "graphreg explain --e2g, ABC's EnhancerPredictions*.tsv, ENCODE-rE2G's files.",
        show_default=False,
    ),
    crispr: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="CRISPRi pairs in EPCrisprBenchmark format (chrom chromStart chromEnd ... "
        "measuredGeneSymbol ... Regulated), plain or gzip.",
        show_default=False,
    ),
    score_column: str = typer.Option(
        None,
        help="The score to rank by (default: Score, else the one column ending in .Score, "
        "as ENCODE-rE2G.Score).",
    ),
    compare: list[str] = typer.Option(
        None,
        help="Another score column of the file to rank by, side by side (repeat; default: "
        "abc when the file has it).",
    ),
    bootstrap: int = typer.Option(
        1000,
        min=0,
        help="Resamples of the CRISPRi pairs for a 95% interval of each AUPRC (0: none). "
        "With few positives (7 on K562 chr22) the interval shows what the AUPRC can tell.",
    ),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        dir_okay=False,
        help="Write the table as TSV: predictor, distance_class, pairs, positives, covered, "
        "auprc, precision_at_70_recall (and auprc_low, auprc_high with --bootstrap).",
    ),
) -> None:
    """Score enhancer-gene predictions against CRISPRi: AUPRC, precision at 70% recall and
    the pairs covered, for all pairs and by distance to the TSS (<10 kb, 10-100 kb, >100 kb),
    beside distance alone (and ABC where the file carries it).

    A CRISPRi pair takes the highest score among the predictions for its gene whose element
    overlaps it; a pair with none scores 0, as EngreitzLab/CRISPR_comparison does.
    """
    from graphreg_cli.io.atomic import atomic_text, check_writable
    from graphreg_cli.tasks.benchmark import benchmark as run_benchmark

    if output is not None:
        check_writable(output)
    table, scored = run_benchmark(predictions, crispr, score_column, compare or None, bootstrap)
    if output is not None:
        with atomic_text(output) as handle:
            table.to_csv(handle, sep="\t", index=False, float_format="%.6g")
    pairs = scored.pairs
    shown = Table(
        title=f"{predictions.name} against {crispr.name}: {len(pairs)} CRISPRi pairs, "
        f"{int(pairs['Regulated'].sum())} positive",
        title_justify="left",
    )
    auprc_label = "AUPRC [95% interval]" if bootstrap else "AUPRC"
    for label in ("predictor", "distance", "pairs", "positives", "covered", auprc_label, "P@70%R"):
        shown.add_column(label, justify="left" if label == "predictor" else "right")
    for row in table.itertuples(index=False):
        auprc = _number(row.auprc)
        if bootstrap:
            auprc += f" [{_number(row.auprc_low, 2)}-{_number(row.auprc_high, 2)}]"
        cells = [row.predictor, row.distance_class, str(row.pairs), str(row.positives)]
        cells += [f"{row.covered:.0%}", auprc, _number(row.precision_at_70_recall)]
        shown.add_row(*cells)
    console.print(shown)
    if output is not None:
        console.print(f"written: {output}")


def _number(value: float, digits: int = 3) -> str:
    return "–" if value != value else f"{value:.{digits}f}"
