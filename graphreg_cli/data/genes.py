"""Genes → TSS bins: the gene annotation that tells the model where CAGE can arise."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.data.naming import did_you_mean, reconcile_names
from graphreg_cli.errors import InputError, preview
from graphreg_cli.io.gtf import read_genes
from graphreg_cli.io.text import check_in_genome

logger = logging.getLogger(__name__)


def gene_tss(
    path: Path, sizes: dict[str, int], types: list[str] | None = None, tss: str = "gene"
) -> pd.DataFrame:
    """One row per gene (``gene, chrom, tss, start, end``, and ``gene_id`` from a GTF that
    has it; TSS 0-based, strand-aware: ``+``/``.`` →
    start, ``-`` → end - 1) from a BED or a GTF/GFF (``gene`` rows; ``tss="transcript"``: one
    row per transcript; ``types``: those gene types only), names matched to the tracks'
    chromosome names. Genes on chromosomes the tracks lack are skipped with a note; none on
    them at all is an error."""
    frame = read_genes(path, types, tss)
    if frame.empty:
        raise InputError(
            "holds no genes (the file is empty); give one gene per line, as BED "
            "(chrom, start, end, name, score, strand) or GTF",
            path,
        )
    mapping = reconcile_names(frame["chrom"], sizes, "genes")
    frame["chrom"] = frame["chrom"].replace(mapping)
    elsewhere = ~frame["chrom"].isin(list(sizes))
    if elsewhere.all():
        raise InputError(
            f"no gene lies on the tracks' chromosomes (genes on {frame['chrom'].iat[0]}, "
            f"tracks on {preview(sizes)}){did_you_mean(frame['chrom'].iat[0], sizes)}"
            "; check the chromosome names",
            path,
        )
    if elsewhere.any():
        logger.info(f"genes: {int(elsewhere.sum())} on chromosomes without tracks skipped")
        frame = frame[~elsewhere]
    check_in_genome(frame, sizes, path, "chrom", "end")
    if "strand" in frame:
        tss = np.where(frame["strand"].to_numpy() == "-", frame["end"] - 1, frame["start"])
    else:
        tss = frame["start"].to_numpy()
    if "name" in frame:
        names = frame["name"].astype(str).to_numpy()
    else:
        names = (frame["chrom"] + ":" + pd.Series(tss, index=frame.index).astype(str)).to_numpy()
    out = pd.DataFrame(
        {
            "gene": names,
            "chrom": frame["chrom"].to_numpy(),
            "tss": np.asarray(tss, np.int64),
            "start": frame["start"].to_numpy(np.int64),
            "end": frame["end"].to_numpy(np.int64),
        }
    )
    if "gene_id" in frame:
        out["gene_id"] = frame["gene_id"].to_numpy()
    return out


def gene_bins(
    path: Path,
    sizes: dict[str, int],
    bin_size: int,
    types: list[str] | None = None,
    tss: str = "gene",
) -> dict[str, np.ndarray]:
    """``{chrom: sorted unique TSS bins}``; several TSSs in one bin count once."""
    return tss_bins(gene_tss(path, sizes, types, tss), bin_size)


def tss_bins(table: pd.DataFrame, bin_size: int) -> dict[str, np.ndarray]:
    """``{chrom: sorted unique TSS bins}`` of a :func:`gene_tss` table."""
    return {
        str(chrom): np.unique(table["tss"].to_numpy()[idx] // bin_size)
        for chrom, idx in table.groupby("chrom", sort=False).indices.items()
    }


def gene_names(
    path: Path,
    sizes: dict[str, int],
    bin_size: int,
    types: list[str] | None = None,
    tss: str = "gene",
) -> dict[tuple[str, int], str]:
    """``{(chrom, TSS bin): name}`` (names sharing a bin joined with commas, each once)."""
    table = gene_tss(path, sizes, types, tss)
    names: dict[tuple[str, int], list[str]] = {}
    for chrom, start, name in zip(table["chrom"], table["tss"], table["gene"]):
        listed = names.setdefault((chrom, int(start) // bin_size), [])
        if str(name) not in listed:
            listed.append(str(name))
    return {key: ",".join(listed) for key, listed in names.items()}
