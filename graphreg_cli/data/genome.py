"""The genome sequence on the graphs: integer-coded DNA per graph bin, for sequence models.

Each chromosome graph gets ``seq: (n_bins, bin_size) uint8`` (codes of
:mod:`graphreg_cli.data.dna`; the partial last bin padded with N), so windows and batches
slice and stack it like any per-node tensor, and one-hot happens inside the model, per batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from graphreg_cli.data.dna import N_CODE
from graphreg_cli.data.naming import did_you_mean, reconcile_names
from graphreg_cli.errors import InputError
from graphreg_cli.io.fasta import open_fasta, read_sequence


def genome_names(path: Path, sizes: dict[str, int], reference: str) -> dict[str, str]:
    """``{track chromosome: FASTA name}`` for every chromosome of ``sizes``; a chromosome the
    FASTA lacks, or holds at another length, is a one-line error naming both files."""
    fasta = open_fasta(path)
    try:
        theirs = {name: len(record) for name, record in fasta.records.items()}
    finally:
        fasta.close()
    mapping = reconcile_names(theirs, sizes, Path(path).name)
    own = {mapping.get(name, name): name for name in theirs}
    for chrom, length in sizes.items():
        if chrom not in own:
            hint = did_you_mean(chrom, theirs)
            raise InputError(
                f"has no sequence for {chrom} of {reference} (it has "
                f"{', '.join(list(theirs)[:3])}{', ...' if len(theirs) > 3 else ''}){hint}; is "
                "it the genome of the same assembly?",
                path,
            )
        if theirs[own[chrom]] != length:
            raise InputError(
                f"{own[chrom]} is {theirs[own[chrom]]} bp here but {length} bp in {reference}; "
                "are these files from the same assembly?",
                path,
            )
    return {chrom: own[chrom] for chrom in sizes}


def attach_sequence(
    graphs: list[Data], path: Path, sizes: dict[str, int], bin_size: int, reference: str
) -> None:
    """Give each graph ``seq: (num_nodes, bin_size) uint8``, in place, from the FASTA
    ``path`` (names matched to the tracks', sizes checked against ``sizes``)."""
    names = genome_names(path, {g.chrom: sizes[g.chrom] for g in graphs}, reference)
    fasta = open_fasta(path)
    try:
        for g in graphs:
            codes = read_sequence(fasta, names[g.chrom])
            padded = np.full(g.num_nodes * bin_size, N_CODE, dtype=np.uint8)
            padded[: len(codes)] = codes
            g.seq = torch.from_numpy(padded.reshape(g.num_nodes, bin_size))
    finally:
        fasta.close()
