"""Genes from GTF/GFF annotations (e.g. GENCODE, Ensembl) through pyranges."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from graphreg_cli.errors import InputError

GTF_SUFFIXES = (".gtf", ".gff", ".gff3", ".gtf.gz", ".gff.gz", ".gff3.gz")


def is_gtf(path: str | Path) -> bool:
    return str(path).lower().endswith(GTF_SUFFIXES)


def read_gtf_genes(path: str | Path) -> pd.DataFrame:
    """Genes of a GTF/GFF as a BED6-like frame: ``chrom, start, end, name, score, strand``.

    Rows of feature ``gene`` (``transcript`` when the file has no gene rows, so every TSS of a
    gene is kept); names from ``gene_name``, else ``gene_id``, else ``Name``/``ID`` (GFF3).
    Coordinates are 0-based half-open, as pyranges returns them.
    """
    import pyranges as pr

    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path", path)
    try:
        reader = pr.read_gff3 if ".gff" in path.name.lower() else pr.read_gtf
        with warnings.catch_warnings():  # pyranges 0.1 uses pandas APIs pandas 3 deprecates
            warnings.simplefilter("ignore")
            frame = reader(str(path)).df
    except Exception as err:  # pyranges raises assorted parser errors
        raise InputError(f"cannot be read as GTF/GFF ({type(err).__name__}: {err})", path) from None
    if frame.empty or "Feature" not in frame:
        raise InputError("no annotation rows found; is this a GTF/GFF file?", path)
    for feature in ("gene", "transcript"):
        rows = frame[frame["Feature"] == feature]
        if len(rows):
            break
    else:
        raise InputError("no 'gene' or 'transcript' rows; cannot place TSSs", path)
    name = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    for column in ("gene_name", "gene_id", "Name", "ID"):
        if column in rows:
            name = name.fillna(rows[column])
    return pd.DataFrame(
        {
            "chrom": rows["Chromosome"].astype(str).to_numpy(),
            "start": rows["Start"].astype("int64").to_numpy(),
            "end": rows["End"].astype("int64").to_numpy(),
            "name": name.fillna(".").astype(str).to_numpy(),
            "score": 0,
            "strand": rows["Strand"].astype(str).to_numpy(),
            "line": 0,
        }
    )


def read_genes(path: str | Path) -> pd.DataFrame:
    """Genes from a BED (BED3-BED6+) or a GTF/GFF file, by file name."""
    if is_gtf(path):
        return read_gtf_genes(path)
    from graphreg_cli.io.bed import read_bed

    return read_bed(path)
