"""Genes from GTF/GFF annotations (e.g. GENCODE, Ensembl) through pyranges."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from graphreg_cli.errors import NAME_ONLY, InputError, SettingError

TSS_LEVELS = ("gene", "transcript")
TYPE_COLUMNS = ("gene_type", "gene_biotype")  # GENCODE, Ensembl
GTF_SUFFIXES = (".gtf", ".gff", ".gff3", ".gtf.gz", ".gff.gz", ".gff3.gz")


def is_gtf(path: str | Path) -> bool:
    return str(path).lower().endswith(GTF_SUFFIXES)


def read_gtf_genes(
    path: str | Path, types: list[str] | None = None, tss: str = "gene"
) -> pd.DataFrame:
    """Genes of a GTF/GFF as a BED6-like frame: ``chrom, start, end, name, score, strand``
    (and ``gene_id`` where the file has it).

    Rows of feature ``gene`` (``transcript`` when the file has no gene rows, so every TSS of a
    gene is kept); ``tss="transcript"``: the ``transcript`` rows, every TSS of every gene, as
    GraphReg marks them. ``types``: keep genes whose ``gene_type`` (GENCODE) or
    ``gene_biotype`` (Ensembl) is listed, e.g. ``["protein_coding"]``. Names from
    ``gene_name``, else ``gene_id``, else ``Name``/``ID`` (GFF3). Coordinates are 0-based
    half-open, as pyranges returns them.
    """
    if tss not in TSS_LEVELS:
        raise SettingError(f"{{tss}}: choose {' or '.join(TSS_LEVELS)}", tss=tss)
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
    for feature in ("gene", "transcript") if tss == "gene" else ("transcript",):
        rows = frame[frame["Feature"] == feature]
        if len(rows):
            break
    else:
        wanted = "'transcript'" if tss == "transcript" else "'gene' or 'transcript'"
        raise InputError(f"no {wanted} rows; cannot place TSSs", path)
    if types is not None:
        rows = _of_types(rows, types, path)
    name = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    for column in ("gene_name", "gene_id", "Name", "ID"):
        if column in rows:
            name = name.fillna(rows[column])
    out = pd.DataFrame(
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
    if "gene_id" in rows:  # matched against gene tables keyed by Ensembl id
        out["gene_id"] = rows["gene_id"].astype(str).to_numpy()
    return out


def _of_types(rows: pd.DataFrame, types: list[str], path: Path) -> pd.DataFrame:
    column = next((c for c in TYPE_COLUMNS if c in rows), None)
    if column is None:
        raise InputError(
            "has no gene_type or gene_biotype attribute to select gene types by; drop --gene-types",
            path,
        )
    kept = rows[rows[column].isin(types)]
    if kept.empty:
        present = rows[column].value_counts().index.tolist()
        raise InputError(
            f"has no gene of type {', '.join(types)} (it has {', '.join(map(str, present[:5]))}"
            f"{', ...' if len(present) > 5 else ''})",
            path,
        )
    return kept


def read_genes(path: str | Path, types: list[str] | None = None, tss: str = "gene") -> pd.DataFrame:
    """Genes from a BED (BED3-BED6+) or a GTF/GFF file, by file name (``types``/``tss``:
    GTF/GFF only, see :func:`read_gtf_genes`)."""
    if is_gtf(path):
        return read_gtf_genes(path, types, tss)
    if types is not None or tss != "gene":
        raise SettingError(
            f"{{gene_types}} and {{tss}} select from a GTF/GFF annotation; {Path(path).name} "
            "is a BED",
            gene_types=NAME_ONLY,
            tss=NAME_ONLY,
        )
    from graphreg_cli.io.bed import read_bed

    return read_bed(path)
