"""``graphreg prepare``: raw files → graphreg inputs (BAM → bigWig, matrix → contacts)."""

from __future__ import annotations

import contextlib
import os
from enum import Enum
from pathlib import Path

import typer

from graphreg_cli.cli.console import console, progress_bar

app = typer.Typer(
    name="prepare",
    help=(
        "Make graphreg's inputs from raw files: [bold]coverage[/] turns BAMs into binned "
        "bigWigs (DNase, ChIP, CAGE 5′ ends), [bold]contacts[/] turns a Hi-C/HiChIP matrix into "
        "significant contacts at a chosen FDR."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)


class Normalize(str, Enum):
    none = "none"
    cpm = "cpm"
    rpgc = "rpgc"


class Strand(str, Enum):
    both = "both"
    plus = "+"
    minus = "-"


@contextlib.contextmanager
def lazy_progress(description: str):
    """A ``progress(done, total)`` callback whose bar appears at its first call, so that
    errors found before any work starts print alone."""
    bar, task = progress_bar(), None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            bar.start()
            task = bar.add_task(description, total=total)
        bar.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if task is not None:
            bar.stop()


def _default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@app.command("coverage")
def coverage(
    bams: list[Path] = typer.Argument(
        ...,
        help="Coordinate-sorted, indexed BAMs; several (replicates) are summed.",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", dir_okay=False, help="bigWig to write (e.g. dnase.bw)."
    ),
    bin_size: int = typer.Option(
        100, min=1, help="Bin size in bp (GraphReg: 100 for epigenomic tracks, 5000 for CAGE)."
    ),
    normalize: Normalize = typer.Option(
        Normalize.none,
        help="none: reads per bin; cpm: per million reads counted; rpgc: 1x coverage "
        "(reads × fragment length / effective genome size), comparable across cell types.",
    ),
    effective_genome_size: str = typer.Option(
        None,
        help="For --normalize rpgc: hg38, hg19, mm10 (deepTools' mappable sizes) or a number "
        "of bp.",
    ),
    min_mapq: int = typer.Option(
        0, min=0, max=255, help="Skip reads with mapping quality below this (e.g. 30)."
    ),
    extend: int = typer.Option(
        None,
        min=1,
        help="Single-end reads: count this many bp from the 5′ end in the read's direction "
        "(the fragment length; e.g. 200 for ChIP-seq). Paired-end reads always count their "
        "fragment.",
    ),
    five_prime: bool = typer.Option(
        False,
        "--five-prime",
        help="Count only each read's 5′ end (the first mate's): CAGE, where it marks the TSS.",
    ),
    strand: Strand = typer.Option(
        Strand.both,
        help="Count reads on this strand only (+ or -; the first mate's strand for pairs): "
        "ENCODE ships CAGE as plus and minus tracks.",
    ),
    keep_duplicates: bool = typer.Option(
        False, "--keep-duplicates", help="Count reads flagged as duplicates (skipped by default)."
    ),
    blacklist: Path = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="BED of regions to leave out (e.g. ENCODE's blacklist); reads overlapping them "
        "are skipped.",
    ),
    chroms: str = typer.Option(
        None, help="Comma-separated chromosomes to count (default: all in the BAM header)."
    ),
    threads: int = typer.Option(
        _default_threads(), min=1, help="Threads; chromosomes are counted in parallel."
    ),
) -> None:
    """Binned coverage of BAMs as a bigWig, like deepTools bamCoverage.

    Every read (paired-end: fragment) adds 1 to each bin it overlaps. Unmapped, secondary,
    supplementary, QC-failed and duplicate reads are skipped.

    Examples:
    [bold]graphreg prepare coverage dnase_rep1.bam dnase_rep2.bam --normalize rpgc
    --effective-genome-size hg38 -o dnase.bw[/];
    CAGE by strand: [bold]graphreg prepare coverage cage.bam --five-prime --strand + --bin-size
    5000 -o cage_plus.bw[/].
    """
    from graphreg_cli.io.bigwig import write_bigwig
    from graphreg_cli.prepare import coverage as lib

    size = (
        None if effective_genome_size is None else lib.effective_genome_size(effective_genome_size)
    )
    options = lib.CoverageOptions(
        bin_size=bin_size,
        normalize=normalize.value,
        effective_genome_size=size,
        min_mapq=min_mapq,
        extend=extend,
        five_prime=five_prime,
        strand=strand.value,
        keep_duplicates=keep_duplicates,
        chroms=None if chroms is None else [c for c in chroms.split(",") if c],
        threads=threads,
    )
    lib.check_options(options)
    regions = lib.read_regions(blacklist) if blacklist is not None else None
    with lazy_progress("counting reads") as on_progress:
        result = lib.bam_coverage(bams, options, regions, on_progress)
    write_bigwig(output, result.sizes, result.values, bin_size, gaps=True)
    console.print(
        f"{result.reads:,} reads counted in {len(result.sizes)} chromosome(s), "
        f"{bin_size} bp bins, {normalize.value} (scale {result.scale:.4g}); written: {output}"
    )


class Covariates(str, Enum):
    distance = "distance"
    distance_coverage = "distance-coverage"


@app.command("contacts")
def contacts(
    matrix: Path = typer.Argument(
        ...,
        help="Hi-C/HiChIP contact matrix: .hic, .cool or .mcool (raw counts are used).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        dir_okay=False,
        help="BEDPE of significant contacts (graphreg train reads it; --max-fdr filters it).",
    ),
    resolution: int = typer.Option(
        5000, min=1, help="Bin size in bp to read the matrix at (GraphReg: 5000)."
    ),
    fdr: float = typer.Option(
        0.1,
        help="Keep contacts with Benjamini-Hochberg q-value at most this, in (0, 1] "
        "(GraphReg: 0.1, 0.01 or 0.001).",
    ),
    max_distance: int = typer.Option(
        2_000_000, min=1, help="Test pixels up to this distance in bp (GraphReg: 2 Mb)."
    ),
    min_count: int = typer.Option(
        1,
        min=1,
        help="Never call a pixel with fewer reads (still part of the model and of the number of "
        "tests). HiChIP: e.g. 5, so that sparse pixels next to strong anchors are not called "
        "on one or two reads.",
    ),
    covariates: Covariates = typer.Option(
        Covariates.distance_coverage,
        help="What the expected count depends on: distance alone, or distance and the two "
        "bins' coverage (their visibility; needed for HiChIP, whose coverage follows the "
        "ChIP signal).",
    ),
    chroms: str = typer.Option(
        None, help="Comma-separated chromosomes to call (default: all in the matrix)."
    ),
) -> None:
    """Significant contacts of a Hi-C/HiChIP matrix at an FDR, in the spirit of HiC-DC+.

    Per chromosome, every pixel within --max-distance gets an expected count from a negative
    binomial model of distance (and coverage), a p-value and a q-value. The BEDPE has a
    '#' header and the columns count, expected, pvalue, qvalue after the ten BEDPE ones.

    Example: [bold]graphreg prepare contacts k562.hic --resolution 5000 --fdr 0.1 -o
    k562_contacts.bedpe[/], then [bold]graphreg train ... k562_contacts.bedpe[/].
    """
    from graphreg_cli.io.bedpe import write_bedpe
    from graphreg_cli.io.schemas import CALL_COLUMNS
    from graphreg_cli.prepare import contacts as lib

    options = lib.CallOptions(
        resolution=resolution,
        fdr=fdr,
        max_distance=max_distance,
        min_count=min_count,
        covariates=covariates.value,
        chroms=None if chroms is None else [c for c in chroms.split(",") if c],
    )
    lib.check_options(options)
    with lazy_progress("testing pixels (bins)") as on_progress:
        calls, summary = lib.call_contacts(matrix, options, on_progress)
    write_bedpe(calls, output, extras=CALL_COLUMNS, header=True)
    console.print(
        f"{len(calls):,} contacts at FDR {fdr:g} of {int(summary['tests'].sum()):,} pixels "
        f"tested on {len(summary)} chromosome(s); written: {output}"
    )
