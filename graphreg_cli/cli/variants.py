"""``graphreg variants`` and ``graphreg ism``: what sequence changes do to predicted expression."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from graphreg_cli.cli.console import console, progress_bar
from graphreg_cli.cli.options import Device, Part, device_option, run_option


def variants(
    vcf: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="SNVs as VCF (plain or bgzip), POS 1-based on the model's genome; indels and "
        "multi-allelic records are skipped with a count.",
        show_default=False,
    ),
    model: Path = run_option(),
    output: Path = typer.Option(
        Path("variant_effects.tsv"),
        "--output",
        "-o",
        dir_okay=False,
        help="TSV, one row per (SNV, gene it reaches), largest |delta_log2| first: variant, "
        "chrom, pos, ref, alt, gene, tss, distance, contact, cage_ref, cage_alt, delta_log2, "
        "delta_<track>.",
    ),
    arcs: Path = typer.Option(
        None,
        dir_okay=False,
        help="BEDPE of SNV -> gene arcs for IGV, score = |delta_log2| scaled to 1-1000 "
        "(default: OUTPUT with .bedpe; none when OUTPUT is a pipe such as /dev/stdout).",
    ),
    truth: bool = typer.Option(
        False,
        help="Score against the VCF's INFO (SIGN, GENE, as graphreg simulate --sequence "
        "writes): AUPRC of true-effect over neutral SNVs, share of signs right.",
    ),
    split: Part = typer.Option("all", help="Only SNVs on these chromosomes of the run."),
    device: Device = device_option(),
) -> None:
    """Effect of each SNV on predicted expression (a seq-gat or seq-cnn run).

    For every SNV: the change in log2(1 + CAGE) at each gene it can reach (its own graph bin
    and the bins its bin contacts) and the change in each predicted epigenome track at it.
    SNVs of one window share its forward pass, so thousands take seconds.
    """
    from graphreg_cli.io.atomic import check_writable, is_special
    from graphreg_cli.io.links import write_variant_effects
    from graphreg_cli.tasks.runs import Run
    from graphreg_cli.tasks.variants import score_variants

    if arcs is None and not is_special(output):  # (-o /dev/stdout: no arcs unless asked)
        arcs = output.with_suffix(".bedpe")
    for target in (output, arcs):
        if target is not None:
            check_writable(target)
    run = Run.open(model)
    with progress_bar() as progress:
        task = progress.add_task("scoring SNVs", total=None)
        effects = score_variants(
            run,
            vcf,
            split.value,
            device.value,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            truth=truth,
        )
    metrics = effects.truth_metrics() if truth else None
    write_variant_effects(effects, output, arcs)
    wrote = f"{output} and {arcs}" if arcs else f"{output}"
    console.print(
        f"{len(effects.variants)} SNVs scored in {effects.seconds:.1f} s "
        f"({effects.per_second:.0f} SNVs/s); wrote {wrote}"
    )
    _print_top(effects)
    if metrics:
        _print_truth(metrics)


def _print_top(effects, rows: int = 10) -> None:
    table = Table(title="largest predicted effects", title_justify="left")
    for column in ("variant", "gene", "contact", "delta_log2"):
        table.add_column(column, justify="right" if column == "delta_log2" else "left")
    for row in effects.effects.head(rows).itertuples(index=False):
        table.add_row(row.variant, row.gene, row.contact, f"{row.delta_log2:+.3g}")
    console.print(table)


def _print_truth(metrics: dict) -> None:
    table = Table(title="against the VCF's truth (INFO SIGN)", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("AUPRC, true-effect over neutral SNVs", f"{metrics['auprc']:.4f}")
    table.add_row("AUROC", f"{metrics['auroc']:.4f}")
    table.add_row("share of signs right (true-effect SNVs)", f"{metrics['sign_accuracy']:.1%}")
    table.add_row("SNVs: true-effect / neutral", f"{metrics['true_effect']} / {metrics['neutral']}")
    console.print(table)


def ism(
    model: Path = run_option(),
    region: str = typer.Option(
        ...,
        help="CHROM:START-END, 1-based inclusive as IGV shows, e.g. chr1:1,200,001-1,201,000 "
        "(within one of the model's windows; at most 100 kb).",
    ),
    gene: str = typer.Option(
        None,
        help="Score the change in this gene's log2(1 + CAGE) (default: the first epigenome "
        "track, DNase, at each base's own input bin).",
    ),
    output: Path = typer.Option(
        Path("ism.bw"), "--output", "-o", dir_okay=False, help="Per-base scores as a bigWig."
    ),
    device: Device = device_option(),
) -> None:
    """In-silico mutagenesis: each base of REGION changed to the 3 others, as GraphReg's ISM.

    A base's score is minus the sum of the 3 changes (positive: the reference base supports
    the output), written at 1 bp as a bigWig to load beside the genome in IGV.
    """
    from graphreg_cli.io.atomic import check_writable
    from graphreg_cli.io.bigwig import write_region_bigwig
    from graphreg_cli.tasks.ism import ism as run_ism
    from graphreg_cli.tasks.runs import Run

    check_writable(output)
    run = Run.open(model)
    with progress_bar() as progress:
        task = progress.add_task("mutating bases", total=None)
        result = run_ism(
            run,
            region,
            gene,
            device.value,
            progress=lambda done: progress.update(task, completed=done),
        )
    where = result.region
    write_region_bigwig(output, run.inputs.sizes(), where.chrom, where.start, result.scores)
    snvs = 3 * len(result.scores)
    console.print(
        f"{snvs} SNVs in {result.seconds:.1f} s ({snvs / max(result.seconds, 1e-9):.0f} SNVs/s); "
        f"scores of {result.output} over {where.chrom}:{where.start + 1:,}-{where.end:,} "
        f"written to {output}"
    )
