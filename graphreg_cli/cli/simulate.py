"""``graphreg simulate``: the study's synthetic dataset as bigWig / BEDPE / BED files."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from graphreg_cli.cli.console import console, progress_bar
from graphreg_cli.cli.options import float_option
from graphreg_cli.errors import NAME_ONLY, SettingError
from graphreg_cli.simulation.generator import SimulationParams
from graphreg_cli.simulation.generator import simulate as run_simulation
from graphreg_cli.simulation.resources import check_disk, check_sequence
from graphreg_cli.simulation.sequence import SequenceParams
from graphreg_cli.tasks.train import MAX_SEED

DEFAULTS = SimulationParams()
SEQ = SequenceParams()
SEQUENCE_PANEL = "Sequence (--sequence)"
EPI_ONLY = (  # options with no meaning for --sequence
    "chrom_sizes",
    "genome",
    "peak_width",
    "smooth_width",
    "dnase_noise",
    "cage_window",
    "cage_noise",
    "silencer_signal",
    "max_link_distance",
    "decoy_partners",
    "decoy_spacing",
)
REAL_GENOME_LINK_DISTANCE = 2_000_000  # bp: GraphReg's window margin (6 Mb window, 2 Mb stride)


class SilencerSignal(str, Enum):
    weaker = "weaker"
    same = "same"
    visible = "visible"


class DecoyPartners(str, Enum):
    regulators = "regulators"
    inactive = "inactive"


class Genome(str, Enum):
    hg38 = "hg38"


def _parse_split(text: str) -> tuple[int, int, int]:
    try:
        parts = tuple(int(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3:
        raise typer.BadParameter(f"'{text}' is not three comma-separated counts like 20,5,5")
    return parts  # type: ignore[return-value]


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was set by the user (not left at its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _real_chromosomes(
    ctx: typer.Context, chrom_sizes: Path | None, genome: Genome | None
) -> tuple[dict[str, int], str, str | None]:
    """``(sizes, label, built-in genome)`` for --chrom-sizes / --genome; ``({}, "", None)``
    without them."""
    if chrom_sizes is not None and genome is not None:
        raise SettingError(
            "give {chrom_sizes} or {genome}, not both", chrom_sizes=NAME_ONLY, genome=NAME_ONLY
        )
    if chrom_sizes is None and genome is None:
        return {}, "", None
    for name in ("chromosomes", "bins"):
        if _given(ctx, name):
            raise SettingError(
                f"{{{name}}} cannot be used with {{chrom_sizes}}/{{genome}}: the chromosomes "
                "and their bins come from the sizes (ceil(length / {bin_size}) bins each)",
                **{name: NAME_ONLY},
                chrom_sizes=NAME_ONLY,
                genome=NAME_ONLY,
                bin_size=NAME_ONLY,
            )
    if genome is not None:
        from graphreg_cli.simulation.genomes import genome_sizes

        return genome_sizes(genome.value), genome.value, genome.value
    from graphreg_cli.io.chromsizes import read_chromsizes

    return read_chromsizes(chrom_sizes), str(chrom_sizes), None


def _link_distance(given: int | None, real_sizes: bool) -> int:
    """``--max-link-distance``: as given, else 2 Mb on real chromosome sizes, else anywhere."""
    if given is not None:
        return given
    return REAL_GENOME_LINK_DISTANCE if real_sizes else 0


def simulate(
    ctx: typer.Context,
    out: Path = typer.Option(
        Path("graphreg_data"),
        "--out",
        "-o",
        help="Folder to write the dataset into.",
        file_okay=False,
    ),
    chromosomes: int = typer.Option(
        DEFAULTS.chromosomes,
        min=1,
        help="Number of chromosomes (chr1..chrN, all --bins long); not with "
        "--chrom-sizes/--genome.",
    ),
    bins: int = typer.Option(
        DEFAULTS.bins, min=1, help="Bins per chromosome; not with --chrom-sizes/--genome."
    ),
    bin_size: int = typer.Option(
        DEFAULTS.bin_size,
        min=1,
        help="Graph bin size in bp: one node per bin; CAGE is written at it.",
    ),
    input_bin_size: int = typer.Option(
        None,
        min=1,
        show_default="--bin-size",
        help="Resolution of dnase.bw in bp; must divide --bin-size (e.g. 100 for 5000). Each "
        "bin's DNase becomes a peak over finer bins whose mean is the bin's value, bins of 0 "
        "left out as gaps; everything else is the same as without it.",
    ),
    chrom_sizes: Path = typer.Option(
        None,
        "--chrom-sizes",
        exists=True,
        dir_okay=False,
        help="Simulate on these chromosomes (UCSC chrom.sizes: chrom<TAB>length) instead of "
        "--chromosomes x --bins; then --genes, --regulators, --silencers and --decoy-contacts "
        "are per 1000 bins, and the default split is the last 1/6 test, the 1/6 before val.",
    ),
    genome: Genome = typer.Option(
        None,
        case_sensitive=False,
        help="Simulate on a built-in genome's chromosome sizes, like --chrom-sizes. hg38: "
        "chr1..chr22, chrX, chrY; val chr1,chr11 and test chr2,chr12 (Epi-GraphReg's first "
        "fold) unless --split is given.",
    ),
    genes: int = typer.Option(
        DEFAULTS.genes,
        min=0,
        help="Genes per chromosome (per 1000 bins with --chrom-sizes/--genome).",
    ),
    regulators: int = typer.Option(
        DEFAULTS.regulators,
        min=0,
        help="Regulators (enhancers + silencers) per chromosome (per 1000 bins with "
        "--chrom-sizes/--genome).",
    ),
    silencers: int = typer.Option(
        DEFAULTS.silencers,
        min=0,
        help="How many of the regulators are silencers (the study's second dataset: 10); "
        "per 1000 bins with --chrom-sizes/--genome.",
    ),
    enhancers_per_gene: int = typer.Option(
        DEFAULTS.enhancers_per_gene, min=0, help="Enhancers linked to each gene."
    ),
    silencers_per_gene: int = typer.Option(
        DEFAULTS.silencers_per_gene,
        min=0,
        help="Silencers linked to each gene (when --silencers > 0).",
    ),
    split: str = typer.Option(
        "20,5,5",
        help="Train,val,test chromosome counts, in chromosome order; must add up to "
        "--chromosomes (or to the chromosomes of --chrom-sizes/--genome).",
    ),
    peak_width: int = typer.Option(
        DEFAULTS.peak_width, min=1, help="DNase peak width in bins, centred on each element."
    ),
    smooth_width: int = typer.Option(
        DEFAULTS.smooth_width, min=1, help="Moving-average width (bins) applied to DNase."
    ),
    noise_fraction: float = float_option(
        DEFAULTS.noise_fraction,
        help="Share of bins that get noise, in DNase and in CAGE.",
        low=0,
        high=1,
    ),
    dnase_noise: float = float_option(
        DEFAULTS.dnase_noise, help="DNase noise: this times U(0,1) on noisy bins.", low=0
    ),
    cage_window: int = typer.Option(
        DEFAULTS.cage_window,
        min=0,
        help="CAGE at gene bin g+o sums regulator DNase at r+o for o in -w..w.",
    ),
    cage_noise: float = float_option(
        DEFAULTS.cage_noise,
        help="CAGE noise: this times max(CAGE) times U(0,1) on noisy bins.",
        low=0,
    ),
    silencer_signal: SilencerSignal = typer.Option(
        SilencerSignal.weaker,
        help="'weaker': silencer DNase peaks ~4x weaker (the study; a fifth to a third are lost in "
        "the noise); 'visible': the same weaker peaks on the summit enhancers have, so every "
        "silencer shows; 'same': drawn like enhancers', so only the graph can tell them apart.",
    ),
    decoy_score_ratio: float = typer.Option(
        DEFAULTS.decoy_score_ratio,
        help="With --decoy-contacts: contacts get loop-caller-like counts (log-normal, true "
        "links' median 30), decoys' median this share of true links', so weaker on the whole "
        "but overlapping, as real loop calls that regulate nothing. In (0, 1].",
    ),
    decoy_contacts: int = typer.Option(
        DEFAULTS.decoy_contacts,
        min=0,
        help="Extra contacts per chromosome (per 1000 bins with --chrom-sizes/--genome) that "
        "regulate nothing (real Hi-C has many).",
    ),
    decoy_partners: DecoyPartners = typer.Option(
        DecoyPartners.regulators,
        case_sensitive=False,
        help="With --decoy-contacts: what a decoy joins a gene to. 'regulators': an enhancer or "
        "silencer it is not linked to; 'inactive': a bin of its own holding an accessible but "
        "inactive element (a DNase peak like an enhancer's, no histone mark, no effect on "
        "CAGE), written to regulators.bed as chrN_inactive<bin>.",
    ),
    decoy_spacing: int = typer.Option(
        DEFAULTS.decoy_spacing,
        min=0,
        help="With --decoy-partners inactive: bins each inactive element keeps from every gene "
        "and regulator. 0 (default): anywhere but their own bins, so an inactive peak can "
        "share bins with a regulator's and make it look stronger than it acts; 4: no inactive "
        "peak (2 bins each side, smoothed over 5) reaches a gene's or regulator's own bin.",
    ),
    max_link_distance: int = typer.Option(
        None,
        min=0,
        show_default="anywhere; 2 Mb with --genome/--chrom-sizes",
        help="Draw each gene's enhancers and silencers (and decoy partners) within this many "
        "bp of it; the nearest ones when too few are. 0: anywhere on the chromosome, as the "
        "study's 5 Mb chromosomes. Real enhancers mostly lie within 1-2 Mb, and links longer "
        "than train --window's margin cannot be seen by the model.",
    ),
    seed: int = typer.Option(
        DEFAULTS.seed,
        min=0,
        max=MAX_SEED,
        help="Random seed; the same seed gives identical files.",
    ),
    sequence: bool = typer.Option(
        False,
        "--sequence",
        help="Simulate the DNA too, its motifs driving the epigenome: genome.fa, DNase (and "
        "with --histone H3K27ac, H3K4me3) at 100 bp from motif hits, CAGE from linked "
        "elements, variants.vcf; for seq-gat/seq-cnn. Defaults then keep CPU training short: "
        f"--chromosomes {SEQ.chromosomes} --bins {SEQ.length // SEQ.bin_size} (400 kb each) "
        f"--input-bin-size {SEQ.input_bin_size} --genes {SEQ.genes} --regulators "
        f"{SEQ.enhancers + SEQ.silencers} --silencers {SEQ.silencers} --enhancers-per-gene "
        f"{SEQ.enhancers_per_gene} --silencers-per-gene {SEQ.silencers_per_gene} --split "
        f"{','.join(map(str, SEQ.split))}.",
        rich_help_panel=SEQUENCE_PANEL,
    ),
    histone: bool = typer.Option(
        False,
        help="Also write histone mark tracks at the DNase resolution, listed with dnase.bw as "
        "the input tracks in dataset.json. Epi (default): h3k27ac.bw marks promoters and "
        "enhancers, h3k27me3.bw marks silencers (a peak each). With --sequence: H3K27ac "
        "(activator and promoter motifs), H3K4me3 (promoter motifs) and H3K27me3 (repressor "
        "motifs).",
    ),
    variants: int = typer.Option(
        SEQ.variants,
        min=0,
        help="With --sequence: SNVs per chromosome breaking a motif of a promoter or a linked "
        "enhancer or silencer (true effect in INFO), and as many neutral ones.",
        rich_help_panel=SEQUENCE_PANEL,
    ),
) -> None:
    """Write the study's synthetic dataset (DNase, CAGE, contacts, genes) as files IGV opens.

    Genes and enhancers get DNase peaks; each gene is linked by a chromatin contact to
    --enhancers-per-gene enhancers (and --silencers-per-gene silencers), and its CAGE is the
    sum of their DNase. Open OUT/igv_session.xml in IGV (File > Open Session) to look.

    Like real data: --genome hg38 --input-bin-size 100 writes 100 bp DNase (with gaps) and
    5 kb CAGE on hg38's 24 chromosomes; --chrom-sizes FILE does the same on any genome.
    """
    from graphreg_cli.simulation.writer import check_out, file_count, write_dataset

    if sequence:
        values = dict(ctx.params)
        return _simulate_sequence(ctx, values)
    sizes, label, builtin = _real_chromosomes(ctx, chrom_sizes, genome)
    counts, val_chroms, test_chroms = _parse_split(split), (), ()
    if sizes:
        from graphreg_cli.simulation.genomes import default_split

        chromosomes = len(sizes)
        if not _given(ctx, "split"):
            counts, val_chroms, test_chroms = default_split(list(sizes), builtin)
    params = SimulationParams(
        chromosomes=chromosomes,
        bins=bins,
        bin_size=bin_size,
        genes=genes,
        regulators=regulators,
        silencers=silencers,
        enhancers_per_gene=enhancers_per_gene,
        silencers_per_gene=silencers_per_gene,
        split=counts,
        peak_width=peak_width,
        smooth_width=smooth_width,
        noise_fraction=noise_fraction,
        dnase_noise=dnase_noise,
        cage_window=cage_window,
        cage_noise=cage_noise,
        silencer_signal=silencer_signal.value,
        decoy_contacts=decoy_contacts,
        decoy_score_ratio=decoy_score_ratio,
        decoy_partners=decoy_partners.value,
        decoy_spacing=decoy_spacing,
        histone=histone,
        max_link_distance=_link_distance(max_link_distance, bool(sizes)),
        seed=seed,
        input_bin_size=input_bin_size,
        sizes=tuple(sizes.items()),
        genome=label,
        val_chroms=val_chroms,
        test_chroms=test_chroms,
    )
    params.check()
    check_out(out)
    check_disk(params, out)
    with progress_bar() as progress:
        task = progress.add_task("simulating chromosomes", total=chromosomes)
        data = run_simulation(params, lambda done, total: progress.update(task, completed=done))
        files = progress.add_task("writing files", total=file_count(params))
        write_dataset(data, out, step=lambda name: progress.advance(files))
    from graphreg_cli.simulation.summary import dataset_table

    console.print(dataset_table(data, out))


def sequence_params(ctx: typer.Context, values: dict) -> SequenceParams:
    """``--sequence``'s parameters: the options given, the sequence defaults for the rest."""
    for name in EPI_ONLY:
        if _given(ctx, name):
            raise SettingError(
                f"{{{name}}} has no meaning with {{sequence}}; leave it out",
                **{name: NAME_ONLY},
                sequence=NAME_ONLY,
            )

    def pick(name: str, default):
        return values[name] if _given(ctx, name) else default

    bin_size = pick("bin_size", SEQ.bin_size)
    silencers = pick("silencers", SEQ.silencers)
    regulators = pick("regulators", SEQ.enhancers + SEQ.silencers)
    if silencers > regulators:
        raise SettingError(
            "{silencers} is more than {regulators}: silencers are among the regulators",
            silencers=silencers,
            regulators=regulators,
        )
    return SequenceParams(
        chromosomes=pick("chromosomes", SEQ.chromosomes),
        length=pick("bins", SEQ.length // SEQ.bin_size) * bin_size,
        bin_size=bin_size,
        input_bin_size=pick("input_bin_size", SEQ.input_bin_size),
        genes=pick("genes", SEQ.genes),
        enhancers=regulators - silencers,
        silencers=silencers,
        enhancers_per_gene=pick("enhancers_per_gene", SEQ.enhancers_per_gene),
        silencers_per_gene=pick("silencers_per_gene", SEQ.silencers_per_gene),
        decoy_contacts=values["decoy_contacts"],
        split=_parse_split(values["split"]) if _given(ctx, "split") else SEQ.split,
        histone=values["histone"],
        variants=values["variants"],
        noise_fraction=pick("noise_fraction", SEQ.noise_fraction),
        seed=values["seed"],
    )


def _as_given(err: SettingError, params: SequenceParams) -> SettingError:
    """A SequenceParams message in the flags simulate has: ``length`` (bp) is ``--bins``
    bins of ``--bin-size``, and the enhancers are ``--regulators`` minus ``--silencers``."""
    settings = dict(err.settings)
    message = err.message
    if "length" in settings:
        settings["bins"] = -(-params.length // params.bin_size)
        message = message.replace(" bins of {length}", " bins ({bins} per chromosome)")
        message = message.replace("{length}", "{bins}")
        del settings["length"]
    if "enhancers" in settings:
        settings["regulators"] = params.enhancers + params.silencers
        settings["silencers"] = params.silencers
        message = message.replace(
            "{genes} + {enhancers} + {silencers}", "{genes} + {regulators}"
        ).replace(
            "{enhancers}", f"the {params.enhancers} enhancers ({{regulators}} minus {{silencers}})"
        )
        del settings["enhancers"]
    return SettingError(message, **settings)


def _simulate_sequence(ctx: typer.Context, values: dict) -> None:
    from graphreg_cli.simulation.seq_writer import file_count
    from graphreg_cli.simulation.sequence import simulate_sequence
    from graphreg_cli.simulation.summary import dataset_table

    params = sequence_params(ctx, values)
    out = values["out"]
    try:
        params.check()
    except SettingError as err:
        raise _as_given(err, params) from None
    check_sequence(params, out)
    with progress_bar() as progress:
        task = progress.add_task("simulating DNA", total=params.chromosomes)
        data = simulate_sequence(params, lambda done, total: progress.update(task, completed=done))
        files = progress.add_task("writing files", total=file_count(params))
        data.write(out, step=lambda name: progress.advance(files))
    console.print(dataset_table(data, out))
