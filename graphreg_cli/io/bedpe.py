"""BEDPE (bedtools): two 0-based half-open anchors per line; name/score/strands optional."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphreg_cli.io.schemas import BEDPE_COLUMNS, BEDPE_REQUIRED, INT_COLUMNS
from graphreg_cli.io.text import read_table, write_table


def read_bedpe(path: str | Path) -> pd.DataFrame:
    """Read a BEDPE file; ``#`` header lines are skipped, extra columns kept as ``extraN``.

    Returns ``chrom1, start1, end1, chrom2, start2, end2`` (int64 coordinates), the optional
    columns present, and ``line`` (line number). Chromosomes are not checked here: contacts off
    the genome are dropped and counted by the graph loader.
    """
    return read_table(path, BEDPE_COLUMNS, BEDPE_REQUIRED, INT_COLUMNS)


def write_bedpe(
    frame: pd.DataFrame, path: str | Path, extras: list[str] | None = None, header: bool = False
) -> None:
    """Write a BEDPE with all 10 standard columns (defaults filled) plus ``extras`` (default:
    the ``extraN`` columns); ``header``: a first line naming the columns after ``#``."""
    out = frame.copy()
    defaults = {"name": ".", "score": 0, "strand1": ".", "strand2": "."}
    for column, value in defaults.items():
        if column not in out:
            out[column] = value
    if extras is None:
        extras = [c for c in out.columns if str(c).startswith("extra")]
    columns = BEDPE_COLUMNS + extras
    write_table(out, path, columns, comment="#" + "\t".join(columns) if header else None)
