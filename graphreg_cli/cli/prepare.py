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
        _default_threads(), min=1, help="Worker processes; chromosomes are counted in parallel."
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
