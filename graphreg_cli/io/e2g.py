"""Enhancer–gene maps as the field writes them, and CRISPRi tables to score them against.

- **ENCODE-rE2G / ABC** ("generic" and "ENCODE" in EngreitzLab/CRISPR_comparison): a tab
  table with a header (optionally starting with ``#``), :data:`E2G_COLUMNS` then score
  columns, one row per (element, gene).
- **IGVF**: ``#`` header lines (one of them ``# SampleSummaryShort: CELL``), then
  :data:`IGVF_COLUMNS` and score columns.
- **EPCrisprBenchmark** CRISPRi tables: ``chrom chromStart chromEnd ... measuredGeneSymbol
  ... Regulated`` (:data:`CRISPR_REQUIRED`), one tested (element, gene) pair per row.

Readers return the common frame :data:`PAIR_COLUMNS` + the score columns; writers are atomic.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import InputError, preview
from graphreg_cli.io.atomic import atomic_binary
from graphreg_cli.io.text import open_text

# the column lists of CRISPR_comparison's loaders (workflow/scripts/crisprComparisonLoadInputData.R)
E2G_COLUMNS = ["chr", "start", "end", "name", "class", "TargetGene", "TargetGeneTSS", "CellType"]
IGVF_COLUMNS = [
    "ElementChr",
    "ElementStart",
    "ElementEnd",
    "ElementName",
    "ElementClass",
    "GeneSymbol",
    "GeneEnsemblID",
    "GeneTSS",
    "SampleSummaryShort",
]
IGVF_TO_E2G = dict(zip(IGVF_COLUMNS, E2G_COLUMNS[:5] + ["TargetGene", "GeneEnsemblID",
                                                         "TargetGeneTSS", "CellType"]))  # fmt: skip
E2G_FORMATS = ("encode", "igvf")
CRISPR_REQUIRED = ["chrom", "chromStart", "chromEnd", "measuredGeneSymbol", "Regulated"]
PAIR_COLUMNS = ["chr", "start", "end", "TargetGene"]


def write_e2g(frame: pd.DataFrame, path: str | Path, fmt: str = "encode") -> None:
    """Write predictions ``frame`` (:data:`E2G_COLUMNS`, ``Score``, then method columns, and
    ``GeneEnsemblID`` for IGVF) as the ENCODE-rE2G table (``encode``) or the IGVF one;
    gzip when ``path`` ends in ``.gz``; atomically."""
    scores = [c for c in frame.columns if c not in E2G_COLUMNS and c != "GeneEnsemblID"]
    if fmt == "igvf":
        cell = str(frame["CellType"].iat[0]) if len(frame) else "unknown"
        out = frame.rename(columns={v: k for k, v in IGVF_TO_E2G.items()})
        if "GeneEnsemblID" not in out:
            out["GeneEnsemblID"] = "."
        head = f"# graphreg enhancer-gene predictions\n# SampleSummaryShort: {cell}\n"
        body = out[IGVF_COLUMNS + scores]
    else:
        head, body = "", frame[E2G_COLUMNS + scores]
    text = head + body.to_csv(sep="\t", index=False, float_format="%.6g", lineterminator="\n")
    data = text.encode()
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)  # the same predictions give the same bytes
    with atomic_binary(path) as handle:
        handle.write(data)


def read_predictions(path: str | Path) -> pd.DataFrame:
    """An enhancer–gene map in the ENCODE-rE2G/ABC or IGVF format (told by its columns) as
    :data:`PAIR_COLUMNS` + every other column, coordinates int64."""
    path = Path(path)
    lines = _lines(path)
    header_at = next((k for k, line in enumerate(lines) if not line.startswith("#")), None)
    if header_at is None:
        raise InputError("holds no header line and no predictions", path)
    names = lines[header_at].split("\t")
    if header_at and set(E2G_COLUMNS[:4]) <= set(lines[header_at - 1].lstrip("#").split("\t")):
        header_at -= 1  # a header written as '#chr start ...' (ENCODE format)
        names = lines[header_at].lstrip("#").split("\t")
    frame = pd.read_csv(io.StringIO("\n".join(lines[header_at + 1 :])), sep="\t",
                        header=None, names=names, dtype=str, keep_default_na=False)  # fmt: skip
    if "ElementChr" in names:
        frame = frame.rename(columns=IGVF_TO_E2G)
    missing = [c for c in PAIR_COLUMNS if c not in frame]
    if missing:
        raise InputError(
            f"has no {', '.join(missing)} column (columns {preview(names, 6)}); is it in the "
            "ENCODE-rE2G/ABC or IGVF prediction format?",
            path,
            header_at + 1,
        )
    for column in ("start", "end"):
        frame[column] = _integers(frame, column, path, header_at + 2)
    return frame


def read_crispr(path: str | Path) -> pd.DataFrame:
    """A CRISPRi table in EPCrisprBenchmark format: :data:`CRISPR_REQUIRED` checked,
    ``Regulated`` as bool, coordinates int64, a ``line`` column; every column kept."""
    path = Path(path)
    lines = _lines(path)
    if not lines:
        raise InputError("is empty; an EPCrisprBenchmark table has a header and pairs", path)
    names = lines[0].lstrip("#").split("\t")
    missing = [c for c in CRISPR_REQUIRED if c not in names]
    if missing:
        raise InputError(
            f"has no {', '.join(missing)} column; an EPCrisprBenchmark table has "
            f"{', '.join(CRISPR_REQUIRED)}",
            path,
            1,
        )
    frame = pd.read_csv(io.StringIO("\n".join(lines[1:])), sep="\t", header=None, names=names,
                        dtype=str, keep_default_na=False)  # fmt: skip
    frame["line"] = np.arange(2, len(frame) + 2)
    for column in ("chromStart", "chromEnd"):
        frame[column] = _integers(frame, column, path, 2)
    regulated = frame["Regulated"].str.strip().str.upper()
    bad = ~regulated.isin(["TRUE", "FALSE", "1", "0"])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"Regulated '{frame['Regulated'].iat[i]}' is not TRUE or FALSE", path, i + 2
        )
    frame["Regulated"] = regulated.isin(["TRUE", "1"]).to_numpy()
    return frame


def _lines(path: Path) -> list[str]:
    try:
        with open_text(path) as handle:
            return [line.rstrip("\r\n") for line in handle if line.strip()]
    except (EOFError, OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot be read ({err}); is it truncated or binary?", path) from None


def _integers(frame: pd.DataFrame, column: str, path: Path, first_line: int) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64)
    bad = np.isnan(values) | (values % 1 != 0) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{column} '{frame[column].iat[i]}' is not a coordinate", path, first_line + i
        )
    return values.astype(np.int64)
