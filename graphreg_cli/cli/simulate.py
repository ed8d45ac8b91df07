"""``graphreg simulate``: the study's synthetic dataset as bigWig / BEDPE / BED files."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from graphreg_cli.console import console, progress_bar
from graphreg_cli.simulate import SimulationParams
from graphreg_cli.simulate import simulate as run_simulation

DEFAULTS = SimulationParams()


class SilencerSignal(str, Enum):
    weaker = "weaker"
    same = "same"


def _parse_split(text: str) -> tuple[int, int, int]:
    try:
        parts = tuple(int(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3:
        raise typer.BadParameter(f"'{text}' is not three comma-separated counts like 20,5,5")
    return parts  # type: ignore[return-value]


def simulate(
    out: Path = typer.Option(
        Path("graphreg_data"),
        "--out",
        "-o",
        help="Folder to write the dataset into.",
        file_okay=False,
    ),
    chromosomes: int = typer.Option(DEFAULTS.chromosomes, help="Number of chromosomes."),
    bins: int = typer.Option(DEFAULTS.bins, help="Bins per chromosome."),
    bin_size: int = typer.Option(DEFAULTS.bin_size, help="Bin size in bp."),
    genes: int = typer.Option(DEFAULTS.genes, help="Genes per chromosome."),
    regulators: int = typer.Option(
        DEFAULTS.regulators, help="Regulators (enhancers + silencers) per chromosome."
    ),
    silencers: int = typer.Option(
        DEFAULTS.silencers,
        help="How many of the regulators are silencers (the study's second dataset: 10).",
    ),
    enhancers_per_gene: int = typer.Option(
        DEFAULTS.enhancers_per_gene, help="Enhancers linked to each gene."
    ),
    silencers_per_gene: int = typer.Option(
        DEFAULTS.silencers_per_gene, help="Silencers linked to each gene (when --silencers > 0)."
    ),
    split: str = typer.Option(
        "20,5,5", help="Train,val,test chromosome counts; must add up to --chromosomes."
    ),
    peak_width: int = typer.Option(
        DEFAULTS.peak_width, help="DNase peak width in bins, centred on each element."
    ),
    smooth_width: int = typer.Option(
        DEFAULTS.smooth_width, help="Moving-average width (bins) applied to DNase."
    ),
    noise_fraction: float = typer.Option(
        DEFAULTS.noise_fraction, help="Share of bins that get noise, in DNase and in CAGE."
    ),
    dnase_noise: float = typer.Option(
        DEFAULTS.dnase_noise, help="DNase noise: this times U(0,1) on noisy bins."
    ),
    cage_window: int = typer.Option(
        DEFAULTS.cage_window,
        help="CAGE at gene bin g+o sums regulator DNase at r+o for o in -w..w.",
    ),
    cage_noise: float = typer.Option(
        DEFAULTS.cage_noise, help="CAGE noise: this times max(CAGE) times U(0,1) on noisy bins."
    ),
    silencer_signal: SilencerSignal = typer.Option(
        SilencerSignal.weaker,
        help="'weaker': silencer DNase peaks ~4x weaker (the study); 'same': drawn like "
        "enhancers', so only the graph can tell them apart.",
    ),
    decoy_contacts: int = typer.Option(
        DEFAULTS.decoy_contacts,
        help="Extra contacts per chromosome that regulate nothing (real Hi-C has many).",
    ),
    seed: int = typer.Option(
        DEFAULTS.seed, help="Random seed; the same seed gives identical files."
    ),
) -> None:
    """Write the study's synthetic dataset (DNase, CAGE, contacts, genes) as files IGV opens.

    Genes and enhancers get DNase peaks; each gene is linked by a chromatin contact to
    --enhancers-per-gene enhancers (and --silencers-per-gene silencers), and its CAGE is the
    sum of their DNase. Open OUT/igv_session.xml in IGV (File > Open Session) to look.
    """
    from graphreg_cli.export import FILES, write_dataset

    params = SimulationParams(
        chromosomes=chromosomes,
        bins=bins,
        bin_size=bin_size,
        genes=genes,
        regulators=regulators,
        silencers=silencers,
        enhancers_per_gene=enhancers_per_gene,
        silencers_per_gene=silencers_per_gene,
        split=_parse_split(split),
        peak_width=peak_width,
        smooth_width=smooth_width,
        noise_fraction=noise_fraction,
        dnase_noise=dnase_noise,
        cage_window=cage_window,
        cage_noise=cage_noise,
        silencer_signal=silencer_signal.value,
        decoy_contacts=decoy_contacts,
        seed=seed,
    )
    params.check()
    with progress_bar() as progress:
        task = progress.add_task("simulating chromosomes", total=chromosomes)
        data = run_simulation(params, lambda done, total: progress.update(task, completed=done))
        files = progress.add_task("writing files", total=len(FILES))
        write_dataset(data, out, step=lambda name: progress.advance(files))
    from graphreg_cli.summary import dataset_table

    console.print(dataset_table(data, out))
