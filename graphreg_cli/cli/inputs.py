"""Reading the command line's inputs: TRACK... CONTACTS (or GENOME.fa CONTACTS), filled from
a ``graphreg simulate`` folder, and the validation/test chromosomes (shared by ``train`` and
``cv``)."""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from pathlib import Path

import typer

from graphreg_cli.data.edges import ContactOptions
from graphreg_cli.data.expression import target_column
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.errors import NAME_ONLY, SettingError
from graphreg_cli.io.fasta import is_fasta
from graphreg_cli.io.tracks import is_track
from graphreg_cli.models import SEQUENCE_MODELS

DEFAULT_DATA = Path("graphreg_data")


def chroms(text: str | None) -> list[str] | None:
    """``"chr1,chr2"`` → ``["chr1", "chr2"]``; None stays None."""
    return None if text is None else [c for c in text.split(",") if c]


class TssLevel(str, Enum):
    gene = "gene"
    transcript = "transcript"


def split_options(inputs: Inputs, fold, val_chroms, test_chroms):
    """``(val, test)`` chromosome lists from --fold or --val-chroms/--test-chroms."""
    if fold is None:
        return chroms(val_chroms), chroms(test_chroms)
    if val_chroms or test_chroms:
        raise SettingError(
            "give {fold} or {val_chroms}/{test_chroms}, not both",
            fold=fold,
            val_chroms=NAME_ONLY,
            test_chroms=NAME_ONLY,
        )
    from graphreg_cli.data.folds import fold_split

    return fold_split(inputs, fold)


def resolve_inputs(
    files: list[Path] | None,
    target: Path | None,
    genes: Path | None,
    bin_size: int | None,
    input_bin_size: int | None = None,
    contact_options: ContactOptions | None = None,
    epigenome: list[Path] | None = None,
    no_contacts: bool = False,
) -> Inputs:
    """TRACK... CONTACTS (last), or GENOME.fa CONTACTS with the ``epigenome`` tracks, filling
    target/genes/bin size (and a simulate --sequence folder's genome and tracks) from the
    ``dataset.json`` beside the contacts; no files at all means ``./graphreg_data``. With
    ``no_contacts`` every file is a track and the graph comes from genomic distance."""
    if no_contacts:
        return _without_contacts(files, target, genes, bin_size, input_bin_size, contact_options)
    genome = None
    if not files:
        if not (DEFAULT_DATA / "dataset.json").exists():
            raise typer.BadParameter(
                "give TRACK.bw [TRACK.bw ...] CONTACTS.bedpe, or GENOME.fa CONTACTS.bedpe for "
                "seq models (or run graphreg simulate first)",
                param_hint="FILES",
            )
        default = Inputs.from_folder(DEFAULT_DATA)
        files, genome = [*default.tracks, default.contacts], default.genome
    if files and is_fasta(files[0]):
        if len(files) != 2:
            raise typer.BadParameter(
                "with a genome give GENOME.fa CONTACTS and the tracks as --epigenome",
                param_hint="FILES",
            )
        genome, files = files[0], [*(epigenome or []), files[1]]
    elif epigenome:
        raise typer.BadParameter(
            "--epigenome goes with a genome: GENOME.fa CONTACTS --epigenome TRACK.bw",
            param_hint="FILES",
        )
    if len(files) < 2 and genome is None:
        raise typer.BadParameter(
            "need at least one track and the contacts: TRACK.bw CONTACTS.bedpe", param_hint="FILES"
        )
    *tracks, contacts = files
    return Inputs.from_files(
        tracks, contacts, target, genes, bin_size, input_bin_size, contact_options, genome
    )


def _without_contacts(files, target, genes, bin_size, input_bin_size, contact_options):
    """``--no-contacts``: TRACK ... only; a contacts file among them is refused."""
    if not files:
        raise typer.BadParameter("--no-contacts needs the tracks: TRACK [TRACK ...]", "FILES")
    if is_fasta(files[0]):
        raise SettingError(
            "{no_contacts} is for track models; sequence models read GENOME.fa CONTACTS",
            no_contacts=NAME_ONLY,
        )
    if not is_track(files[-1]):
        raise SettingError(
            f"{{no_contacts}} with a contacts file ({Path(files[-1]).name}): drop the file to "
            "build the graph from genomic distance, or drop {no_contacts} to use it",
            no_contacts=NAME_ONLY,
        )
    return Inputs.from_files(
        list(files), None, target, genes, bin_size, input_bin_size, contact_options
    )


def training_inputs(v: dict) -> tuple[Inputs, list[str] | None, list[str] | None]:
    """``graphreg train``'s inputs and validation / test chromosomes, from its options by
    name (``v``): tracks (or a genome for sequence models) and contacts, targets, genes,
    resolutions and the split."""
    files, target = v["files"], v["target"]
    if files and is_fasta(files[0]) and v["model"].value not in SEQUENCE_MODELS:
        raise SettingError(
            "{model} reads tracks, not a genome: give TRACK.bw ... CONTACTS, "
            f"or choose {' or '.join(SEQUENCE_MODELS)}",
            model=v["model"].value,
        )
    contacts = ContactOptions(
        v["contacts_format"].value,
        v["max_fdr"],
        v["min_score"],
        v["top_k"],
        dump_chrom=v["contacts_chrom"],
        distance_bp=v["max_distance"],
    )
    inputs = resolve_inputs(
        files,
        target[0] if target else None,
        v["genes"],
        v["bin_size"],
        v["input_bin_size"],
        contacts,
        v["epigenome"],
        v["no_contacts"],
    )
    inputs = replace(
        inputs,
        extra_targets=list(target or [])[1:],
        gene_types=chroms(v["gene_types"]),
        tss=v["tss"].value,
        bedgraph=v["bedgraph"].value,
        chrom_sizes=v["chrom_sizes"],
        target_column=v["target_column"],
        target_scale=v["target_scale"].value,
        target_transform=v["target_transform"].value,
    )
    if inputs.target_is_table:  # the column read, named in notes and the run's files
        inputs = replace(inputs, target_column=target_column(inputs.target, inputs.target_column))
    if inputs.extra_targets and inputs.target_is_table:
        raise SettingError(
            "{target} twice sums two CAGE tracks (strands); a gene table is given once",
            target=NAME_ONLY,
        )
    val, test = split_options(inputs, v["fold"], v["val_chroms"], v["test_chroms"])
    if inputs.target is None:
        raise SettingError(
            "no target: give the CAGE bigWig or a gene table (TSV) as {target}",
            target=NAME_ONLY,
        )
    return inputs, val, test
