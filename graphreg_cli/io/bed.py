"""BED3–BED6+ (UCSC): 0-based half-open intervals; extra columns kept."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphreg_cli.io.schemas import BED_COLUMNS, BED_REQUIRED, INT_COLUMNS
from graphreg_cli.io.text import check_in_genome, read_table, write_table


def read_bed(path: str | Path, sizes: dict[str, int] | None = None) -> pd.DataFrame:
    """Read a BED file.

    Returns a frame with ``chrom, start, end`` (+ ``name, score, strand`` and ``extraN`` when
    present) and ``line`` (line number). With ``sizes``, rows off the genome raise InputError.
    """
    frame = read_table(path, BED_COLUMNS, BED_REQUIRED, INT_COLUMNS)
    if sizes is not None:
        check_in_genome(frame, sizes, path, "chrom", "end")
    return frame


def write_bed(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the BED columns present in ``frame`` (and its ``extraN`` columns)."""
    columns = [c for c in BED_COLUMNS if c in frame]
    columns += [c for c in frame.columns if str(c).startswith("extra")]
    write_table(frame, path, columns)
