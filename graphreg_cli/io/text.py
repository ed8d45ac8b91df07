"""Shared reader for tab-separated genomic text formats (BED, BEDPE, chrom.sizes)."""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import InputError

HEADER_PREFIXES = ("#", "track", "browser")


def open_text(path: str | Path):
    """Open a plain or gzip-compressed text file for reading."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path", path)
    if path.is_dir():
        raise InputError("is a folder, expected a file", path)
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", newline="")
    return open(path, newline="")


def data_lines(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line_number, fields)`` for each data line; headers and blank lines skipped."""
    try:
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                line = line.rstrip("\r\n")
                if not line.strip() or line.startswith(HEADER_PREFIXES):
                    continue
                yield number, line.split("\t")
    except (EOFError, gzip.BadGzipFile, UnicodeDecodeError) as err:
        raise InputError(f"cannot be read ({err}); is it truncated or binary?", path) from None


def read_table(
    path: str | Path,
    columns: list[str],
    required: int,
    int_columns: set[str],
) -> pd.DataFrame:
    """Read a tab-separated table whose first ``required`` columns must be present.

    Columns beyond ``columns`` are kept as ``extra1``, ``extra2``, ... . Integer columns are
    parsed and checked (``start <= end``, no negatives). The result carries a ``line`` column
    with each row's 1-based line number in the file, for error messages downstream.
    """
    parsed = _read_fast(path, columns, required, int_columns)
    frame, lines = parsed or _read_lines(path, columns, required, int_columns)
    return _checked(frame, lines, path)


def _read_lines(
    path: str | Path, columns: list[str], required: int, int_columns: set[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Line by line, naming the first bad line: the frame before checks and line numbers."""
    rows: list[list[str]] = []
    numbers: list[int] = []
    width = None
    for number, fields in data_lines(path):
        if len(fields) < required:
            raise InputError(
                f"expecting at least {required} tab-separated columns, found {len(fields)}; "
                "is the file truncated or space-separated?",
                path,
                number,
            )
        if width is None:
            width = len(fields)
        elif len(fields) != width:
            raise InputError(
                f"has {len(fields)} columns but earlier lines have {width}; "
                "every line needs the same number of columns",
                path,
                number,
            )
        rows.append(fields)
        numbers.append(number)
    width = width or required
    names = columns[:width] + [f"extra{i + 1}" for i in range(width - len(columns))]
    frame = (
        pd.DataFrame(rows, columns=names, dtype=object)
        if rows
        else pd.DataFrame({name: pd.Series(dtype=object) for name in names})
    )
    lines = np.asarray(numbers, dtype=np.int64)
    for name in names:
        if name not in int_columns:
            continue
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = values.isna().to_numpy() | (values.to_numpy() % 1 != 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{name} '{frame[name].iat[i]}' is not an integer coordinate", path, lines[i]
            )
        frame[name] = values.astype(np.int64)
    return frame, lines


def _checked(frame: pd.DataFrame, lines: np.ndarray, path: str | Path) -> pd.DataFrame:
    """Check coordinates (no negatives, start <= end) and add the ``line`` column."""
    for start, end in (("start", "end"), ("start1", "end1"), ("start2", "end2")):
        if start not in frame:
            continue
        negative = frame[start].to_numpy() < 0
        if negative.any():
            i = int(np.flatnonzero(negative)[0])
            raise InputError(f"negative {start} {frame[start].iat[i]}", path, lines[i])
        inverted = frame[start].to_numpy() > frame[end].to_numpy()
        if inverted.any():
            i = int(np.flatnonzero(inverted)[0])
            raise InputError(
                f"{start} {frame[start].iat[i]} is after {end} {frame[end].iat[i]} "
                "(coordinates are 0-based, half-open)",
                path,
                lines[i],
            )
    frame["line"] = lines
    return frame


def _read_fast(
    path: str | Path, columns: list[str], required: int, int_columns: set[str]
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """A well-formed table through pandas' C parser (~5x faster than line by line,
    benchmarks/table_read.py): the frame before checks and its line numbers,
    ``(n_rows,) int64``. None when anything is off — too
    few columns, ragged lines, a non-integer coordinate, an unreadable file — so that the
    line-by-line reader finds the problem and names its line."""
    skip: list[int] = []
    width, total = None, 0
    try:
        with open_text(path) as handle:
            for index, line in enumerate(handle):
                total = index + 1
                if not line.strip() or line.startswith(HEADER_PREFIXES):
                    skip.append(index)
                    continue
                fields = line.count("\t") + 1
                if width is None:
                    width = fields
                elif fields != width:
                    return None  # ragged
        if width is None or width < required:
            return None
        names = columns[:width] + [f"extra{i + 1}" for i in range(width - len(columns))]
        dtypes = {i: np.int64 if name in int_columns else object for i, name in enumerate(names)}
        with open_text(path) as handle:
            frame = pd.read_csv(
                handle,
                sep="\t",
                header=None,
                skiprows=skip,
                dtype=dtypes,
                na_filter=False,
                quoting=csv.QUOTE_NONE,
                skip_blank_lines=False,
                engine="c",
            )
    except (ValueError, OverflowError, pd.errors.ParserError, EOFError, OSError):
        return None  # (pandas' ParserError and EmptyDataError are ValueErrors too)
    if frame.shape[1] != width or frame.isna().to_numpy().any():
        return None
    frame.columns = names
    kept = np.ones(total, dtype=bool)
    kept[skip] = False
    lines = np.flatnonzero(kept).astype(np.int64) + 1
    if len(lines) != len(frame):
        return None
    return frame, lines


def check_in_genome(
    frame: pd.DataFrame, sizes: dict[str, int], path: str | Path, chrom: str, end: str
) -> None:
    """Raise UCSC-worded errors for rows off the chromosome sizes."""
    known = frame[chrom].isin(list(sizes)).to_numpy()
    if not known.all():
        i = int(np.flatnonzero(~known)[0])
        name = frame[chrom].iat[i]
        raise InputError(
            f"{name} is not found in chromosome sizes file; "
            "check the chromosome names (e.g. 'chr1' vs '1')",
            path,
            int(frame["line"].iat[i]) or None,  # 0: line unknown (e.g. parsed by pyranges)
        )
    limits = frame[chrom].map(sizes).to_numpy()
    over = frame[end].to_numpy() > limits
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(
            f"End coordinate {frame[end].iat[i]} bigger than {frame[chrom].iat[i]} size of "
            f"{limits[i]}; is this file for another assembly?",
            path,
            int(frame["line"].iat[i]) or None,
        )


def write_table(
    frame: pd.DataFrame, path: str | Path, columns: list[str], comment: str | None = None
) -> None:
    """Write the given columns tab-separated, no header (``comment``: a first line), atomically."""
    from graphreg_cli.io.atomic import atomic_text

    with atomic_text(path) as handle:
        if comment is not None:
            handle.write(comment + "\n")
        frame[columns].to_csv(handle, sep="\t", header=False, index=False, lineterminator="\n")
