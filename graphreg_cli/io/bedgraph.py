"""bedGraph tracks (UCSC: ``chrom start end value``, 0-based half-open; plain or gzip).

Two kinds of value (:data:`BEDGRAPH_VALUES`), declared by the user because the file cannot
say which it holds:

- ``signal``: a per-base value over the interval (MACS2 ``--bdg``, ``bedtools genomecov
  -bg``, ``bigWigToBedGraph``), binned as a bigWig is: a bin's mean over its bases;
- ``counts``: a count for the whole interval (reads per candidate region, as ABC's
  ``CountReads.bedgraph`` writes it): the count is spread evenly over the interval's span, so
  that a bin holds the sum of the counts falling in it, whatever the intervals' grid.

Bases no interval covers count as absent (0), as in a bigWig; ``NA``/``nan`` values too.
Intervals must be sorted and must not overlap within a chromosome (each chromosome one block
of lines, as ``sort -k1,1 -k2,2n`` leaves them); anything else is a one-line error naming
the line. The file carries no chromosome sizes: they come from a chrom.sizes file
(``--chrom-sizes``, or ``chrom.sizes`` / ``*.chrom.sizes`` beside the file).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import NAME_ONLY, InputError, preview
from graphreg_cli.io.bigwig import interval_sums, n_bins
from graphreg_cli.io.chromsizes import alias, read_chromsizes
from graphreg_cli.io.text import read_table

BEDGRAPH_VALUES = ("signal", "counts")
BEDGRAPH_SUFFIXES = (".bedgraph", ".bg", ".bdg")
BEDGRAPH_COLUMNS = ["chrom", "start", "end", "value"]
SIZES_NAMES = ("chrom.sizes", "genome.sizes")  # looked for beside a bedGraph (and *.chrom.sizes)
NA_VALUES = {"na", "nan", "."}


def is_bedgraph(path: str | Path) -> bool:
    """Whether ``path`` is named as a bedGraph (``.bedGraph``, ``.bg``, ``.bdg``, gzip too)."""
    name = str(path).lower().removesuffix(".gz")
    return name.endswith(BEDGRAPH_SUFFIXES)


@dataclass
class BedGraph:
    """A bedGraph read and checked: ``intervals[chrom] = (start, end, value)``, ``(k,)``
    arrays each (int64, int64, float64; absent values NaN), chromosomes in file order;
    ``lines[chrom]``: each interval's 1-based line in the file, ``(k,) int64``."""

    path: Path
    intervals: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    lines: dict[str, np.ndarray]

    def grid(self) -> int | None:
        """The grid (bp) the intervals lie on: the gcd of the first chromosome's first 2000
        interval boundaries (None without data)."""
        for start, end, _ in self.intervals.values():
            bounds = np.concatenate([start[:2000], end[:2000]])
            bounds = bounds[bounds > 0]
            if len(bounds):
                return int(np.gcd.reduce(bounds))
        return None

    def bin_sums(self, chrom: str, length: int, bin_size: int, values: str) -> np.ndarray:
        """``(n_bins,) float64``: per-bin sums of the per-base signal (``signal``) or of the
        counts spread over their intervals (``counts``)."""
        if chrom not in self.intervals:
            return np.zeros(n_bins(length, bin_size))
        start, end, value = self.intervals[chrom]
        if values == "counts":
            value = value / (end - start)
        return interval_sums(start, end, value, length, bin_size)


def read_bedgraph(path: str | Path) -> BedGraph:
    """Read and check a bedGraph (see the module docstring); cached while the file is
    unchanged, so a run that reads it for training and evaluation parses it once."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path", path)
    if path.is_dir():
        raise InputError("is a folder, expected a bedGraph file", path)
    stat = path.stat()
    return _read_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _read_cached(path: str, mtime: int, size: int) -> BedGraph:
    frame = read_table(path, BEDGRAPH_COLUMNS, 4, {"start", "end"})
    if len(frame.columns) != 5:  # 4 columns + line
        extra = len(frame.columns) - 1
        raise InputError(
            f"has {extra} columns; a bedGraph has 4 (chrom, start, end, value)",
            path,
            int(frame["line"].iat[0]),
        )
    lines = frame["line"].to_numpy()
    value = _values(frame["value"].to_numpy(object), lines, path)
    start, end = frame["start"].to_numpy(np.int64), frame["end"].to_numpy(np.int64)
    empty = end <= start
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise InputError(
            f"interval {start[i]}-{end[i]} is empty (end must be after start)", path, lines[i]
        )
    chroms = frame["chrom"].astype(str).to_numpy()
    intervals, where = {}, {}
    change = np.flatnonzero(chroms[1:] != chroms[:-1]) + 1
    bounds = np.r_[0, change, len(chroms)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        chrom = chroms[a]
        if chrom in intervals:
            raise InputError(
                f"{chrom} appears again after other chromosomes; sort the file: sort -k1,1 -k2,2n",
                path,
                lines[a],
            )
        s, e = start[a:b], end[a:b]
        before = np.flatnonzero(s[1:] < s[:-1])
        if len(before):
            i = a + int(before[0]) + 1
            raise InputError(
                f"{chrom}:{start[i]} starts before the line above it; sort the file: "
                "sort -k1,1 -k2,2n",
                path,
                lines[i],
            )
        overlap = np.flatnonzero(s[1:] < e[:-1])
        if len(overlap):
            i = a + int(overlap[0]) + 1
            raise InputError(
                f"{chrom}:{start[i]}-{end[i]} overlaps the interval above it "
                f"(ends at {end[i - 1]}); a bedGraph holds one value per base: merge or "
                "split the intervals",
                path,
                lines[i],
            )
        intervals[chrom] = (s, e, value[a:b])
        where[chrom] = lines[a:b]
    if not intervals:
        raise InputError("holds no data lines (chrom, start, end, value)", path)
    return BedGraph(Path(path), intervals, where)


def _values(raw: np.ndarray, lines: np.ndarray, path) -> np.ndarray:
    """The value column as float64 (``NA``/``nan``/``.`` → NaN); an error naming the first
    line whose value is not a number, or is infinite."""
    values = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(np.float64)
    bad = np.isnan(values)
    if bad.any():
        bad &= ~np.array([str(v).strip().lower() in NA_VALUES for v in raw], dtype=bool)
    bad |= np.isinf(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"value '{raw[i]}' is not a finite number", path, int(lines[i]))
    return values


def find_chrom_sizes(path: str | Path) -> Path | None:
    """A chrom.sizes file beside ``path``: ``chrom.sizes``, ``genome.sizes`` or the one
    ``*.chrom.sizes`` there; None when there is none."""
    folder = Path(path).resolve().parent
    for name in SIZES_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted(folder.glob("*.chrom.sizes"))
    return found[0] if len(found) == 1 else None


def bedgraph_sizes(data: BedGraph, chrom_sizes: Path | None) -> dict[str, int]:
    """``{chrom: length}`` of a bedGraph's chromosomes, in the sizes file's order, checked:
    an interval past its chromosome's end, or on a chromosome the sizes lack, is an error
    asking whether the file is for another assembly; so is no sizes file, given or beside."""
    sizes_path = chrom_sizes or find_chrom_sizes(data.path)
    if sizes_path is None:
        raise InputError(
            "a bedGraph carries no chromosome sizes: give {chrom_sizes} FILE (e.g. from UCSC "
            "fetchChromSizes hg38), or put chrom.sizes beside it",
            data.path,
            chrom_sizes=NAME_ONLY,
        )
    known = read_chromsizes(sizes_path)
    by_alias = {alias(c): c for c in known}
    out = {}
    for chrom, (_, end, _) in data.intervals.items():
        name = chrom if chrom in known else by_alias.get(alias(chrom))
        if name is None:
            raise InputError(
                f"{chrom} is not in {sizes_path.name} ({preview(known)}); is this file for "
                "another assembly?",
                data.path,
                int(data.lines[chrom][0]),
            )
        if int(end[-1]) > known[name]:
            over = int(np.flatnonzero(end > known[name])[0])
            raise InputError(
                f"End coordinate {int(end[over])} bigger than {chrom} size of {known[name]} "
                f"({sizes_path.name}); is this file for another assembly?",
                data.path,
                int(data.lines[chrom][over]),
            )
        out[chrom] = known[name]
    order = {alias(c): k for k, c in enumerate(known)}
    return dict(sorted(out.items(), key=lambda item: order.get(alias(item[0]), math.inf)))
