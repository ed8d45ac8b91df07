"""Gene tables: one row per gene with a header line, tab- or comma-separated (plain or
gzip), as RNA-seq quantifiers and papers' supplements write them (``gene<TAB>TPM``,
``gene_id,symbol,log10_expression``, ...). Lines starting with ``#`` before the header are
skipped. Values stay text here; :mod:`graphreg_cli.data.expression` picks and parses the
columns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import InputError, preview
from graphreg_cli.io.text import open_text

TABLE_SUFFIXES = (".tsv", ".csv", ".txt", ".tab")
NA_TEXT = {"", "na", "nan", "n/a", "null", "none", "."}


def is_gene_table(path: str | Path) -> bool:
    """Whether ``path`` is named as a gene table (``.tsv``, ``.csv``, ``.txt``, ``.tab``,
    gzip too)."""
    return str(path).lower().removesuffix(".gz").endswith(TABLE_SUFFIXES)


@dataclass
class GeneTable:
    """A gene table as text: ``frame`` (every column ``object``), ``lines`` the 1-based file
    line of each row ``(n_rows,) int64``."""

    path: Path
    frame: pd.DataFrame
    lines: np.ndarray

    def numeric(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``(values (n,) float64, parsed (n,) bool)``: a column as numbers (NaN where the
        text is missing or not a number) and where the text parsed as one."""
        text = self.frame[column].to_numpy(object)
        values = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(np.float64)
        return values, ~np.isnan(values)

    def numeric_columns(self) -> list[str]:
        """Columns whose every non-missing entry is a number (and that have one)."""
        out = []
        for column in self.frame.columns:
            values, parsed = self.numeric(column)
            missing = np.array(
                [str(v).strip().lower() in NA_TEXT for v in self.frame[column]], dtype=bool
            )
            if parsed.any() and (parsed | missing).all():
                out.append(column)
        return out


def read_gene_table(path: str | Path) -> GeneTable:
    """Read a gene table (see the module docstring); errors name the file and line."""
    path = Path(path)
    try:
        with open_text(path) as handle:
            text = [line.rstrip("\r\n") for line in handle]
    except (EOFError, OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot be read ({err}); is it truncated or binary?", path) from None
    numbered = [(k, line) for k, line in enumerate(text, 1) if line.strip()]
    numbered = _after_comments(numbered)
    if not numbered:
        raise InputError("is empty; a gene table has a header line, then one row per gene", path)
    header_line, header = numbered[0]
    sep = "\t" if "\t" in header else "," if "," in header else None
    if sep is None:
        raise InputError(
            f"header '{header[:60]}' has one column; a gene table is tab- or comma-separated "
            "with a gene column and a value column",
            path,
            header_line,
        )
    rows = list(csv.reader([line for _, line in numbered], delimiter=sep))
    names = [name.strip() for name in rows[0]]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise InputError(f"header names the column '{twice}' twice", path, header_line)
    width = len(names)
    for (number, _), fields in zip(numbered[1:], rows[1:]):
        if len(fields) != width:
            raise InputError(
                f"has {len(fields)} fields but the header has {width} ({preview(names)})",
                path,
                number,
            )
    if len(rows) < 2:
        raise InputError("has a header but no rows", path, header_line)
    frame = pd.DataFrame(rows[1:], columns=names, dtype=object)
    lines = np.array([number for number, _ in numbered[1:]], dtype=np.int64)
    return GeneTable(path, frame, lines)


def _after_comments(numbered: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The lines from the header on: leading ``#`` lines are skipped, but a last ``#`` line
    that names the columns (as many fields as the next line, none of them a number, where
    the next line has numbers) is the header, without its ``#``."""
    k = 0
    while k < len(numbered) and numbered[k][1].startswith("#"):
        k += 1
    if 0 < k < len(numbered):
        number, line = numbered[k - 1]
        if _names_columns(line.lstrip("#"), numbered[k][1]):
            return [(number, line.lstrip("#"))] + numbered[k:]
    return numbered[k:]


def _names_columns(candidate: str, row: str) -> bool:
    sep = "\t" if "\t" in row else ","
    names, values = candidate.split(sep), row.split(sep)
    return (
        len(names) == len(values) > 1 and not any(map(_number, names)) and any(map(_number, values))
    )


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
