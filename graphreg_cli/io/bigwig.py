"""bigWig tracks as per-bin arrays (pyBigWig).

Reading uses ``values(numpy=True)`` + reshape (``stats(nBins=)`` is ~60x slower). pyBigWig
writes NaN/inf, ends past the chromosome and out-of-order entries without complaint and readers
then crash, so :func:`write_bigwig` validates everything before the first byte is written.
"""

from __future__ import annotations

import itertools
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pyBigWig

from graphreg_cli.errors import GraphregError, InputError, preview
from graphreg_cli.io.atomic import atomic_path

BASE_SLICE = 10_000_000  # bp of per-base values read at a time


def n_bins(length: int, bin_size: int) -> int:
    """Number of bins covering a chromosome of ``length`` bp (the last may be partial)."""
    return math.ceil(length / bin_size)


def open_bigwig(path: str | Path):
    """Open a bigWig for reading, with a clear error when it is missing or not a bigWig."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path", path)
    try:
        handle = pyBigWig.open(str(path))
    except RuntimeError:
        handle = None
    if handle is None or not handle.isBigWig():
        raise InputError("is not a bigWig file (bigBed, bedGraph or truncated?)", path)
    return handle


def bigwig_chroms(path: str | Path) -> dict[str, int]:
    """The ``{chrom: length}`` header of a bigWig, in file order."""
    with open_bigwig(path) as handle:
        return dict(handle.chroms())


def _binned_sums(handle, chrom: str, length: int, bin_size: int) -> np.ndarray:
    """Per-bin sums of a chromosome's signal (missing data = 0), ``(n_bins,) float64``.

    Tracks stored as intervals of tens of bp or more (binned tracks) are summed from their
    intervals through the running integral of the signal, without expanding to bases; base
    resolution tracks go through ``values(numpy=True)`` + reshape, ``BASE_SLICE`` bp at a time.
    """
    count = n_bins(length, bin_size)
    probe = handle.intervals(chrom, 0, min(length, 1_000_000)) or []
    wide = len(probe) < 20_000  # under 1 interval per 50 bp in the first Mb
    if wide:
        intervals = handle.intervals(chrom, 0, length) or []
        if not intervals:
            return np.zeros(count)
        flat = itertools.chain.from_iterable(intervals)  # faster than np.asarray
        table = np.fromiter(flat, np.float64, 3 * len(intervals)).reshape(-1, 3)
        start, end, value = (
            table[:, 0],
            table[:, 1],
            np.nan_to_num(table[:, 2], posinf=0.0, neginf=0.0),
        )
        cumulative = np.concatenate([[0.0], np.cumsum(value * (end - start))])
        edges = np.minimum(np.arange(count + 1, dtype=np.float64) * bin_size, length)
        at = np.searchsorted(start, edges, side="right") - 1
        i = np.clip(at, 0, None)
        integral = cumulative[i] + value[i] * np.clip(edges - start[i], 0, end[i] - start[i])
        integral[at < 0] = 0.0
        return np.diff(integral)
    # base resolution: per-base values a slice at a time (memory: one slice, not chr1's 1 GB)
    sums = np.zeros(count)
    step = max(1, BASE_SLICE // bin_size) * bin_size
    for first in range(0, length, step):
        last = min(first + step, length)
        values = handle.values(chrom, first, last, numpy=True)
        values[~np.isfinite(values)] = 0.0  # missing data (NaN) counts as 0
        full = (last - first) // bin_size  # whole bins of the slice: no padded copy
        at = first // bin_size
        part = values[: full * bin_size].reshape(full, bin_size)
        sums[at : at + full] = part.sum(axis=1, dtype=np.float64)
        if full * bin_size < last - first:  # the chromosome's partial last bin
            sums[at + full] = values[full * bin_size :].sum(dtype=np.float64)
    return sums


def read_bins(handle, chrom: str, bin_size: int, stat: str = "mean") -> np.ndarray:
    """Per-bin values of one chromosome from an open bigWig handle.

    Returns ``(n_bins,)`` float32; bases without data count as 0. ``stat`` is ``"mean"``
    (over the bin's bases; the last, partial bin over its own length) or ``"sum"``.
    """
    length = handle.chroms(chrom)
    if length is None:
        raise GraphregError(f"{chrom} is not in this bigWig")
    if stat not in ("mean", "sum"):
        raise ValueError(f"unknown stat {stat!r}")
    sums = _binned_sums(handle, chrom, length, bin_size)
    if stat == "sum":
        return sums.astype(np.float32)
    widths = np.full(len(sums), bin_size, dtype=np.float64)
    widths[-1] = length - (len(sums) - 1) * bin_size
    return (sums / widths).astype(np.float32)


def read_bigwig(
    path: str | Path, bin_size: int, chroms: list[str] | None = None, stat: str = "mean"
) -> dict[str, np.ndarray]:
    """Read a bigWig as ``{chrom: (n_bins,) float32}`` for ``chroms`` (default: all)."""
    with open_bigwig(path) as handle:
        present = handle.chroms()
        wanted = list(present) if chroms is None else chroms
        missing = [c for c in wanted if c not in present]
        if missing:
            raise InputError(
                f"{missing[0]} is not found in this bigWig (it has {preview(present, 4)}); "
                "check the chromosome names",
                path,
            )
        return {c: read_bins(handle, c, bin_size, stat) for c in wanted}


def validate_track(
    sizes: dict[str, int], tracks: dict[str, np.ndarray], bin_size: int, target: str | Path
) -> None:
    """Check per-bin tracks against chromosome sizes before anything is written."""
    for chrom, values in tracks.items():
        if chrom not in sizes:
            raise InputError(f"{chrom} is not found in chromosome sizes file", target)
        expected = n_bins(sizes[chrom], bin_size)
        if len(values) != expected:
            raise GraphregError(
                f"{target}: {chrom} has {len(values)} values but {expected} bins of "
                f"{bin_size} bp cover its {sizes[chrom]} bp; is the bin size right?"
            )
        finite = np.isfinite(values)
        if not finite.all():
            i = int(np.flatnonzero(~finite)[0])
            raise GraphregError(
                f"{target}: {chrom} bin {i} ({i * bin_size}-{(i + 1) * bin_size}) is "
                f"{values[i]}; bigWig values must be finite"
            )


def write_bigwig(
    path: str | Path,
    sizes: dict[str, int],
    tracks: dict[str, np.ndarray],
    bin_size: int,
    gaps: bool = False,
) -> None:
    """Write per-bin values ``{chrom: (n_bins,) array}`` as a bigWig, atomically.

    The header lists every chromosome of ``sizes`` in its order; entries follow that order;
    the last bin of each chromosome ends at the chromosome's size. ``gaps``: leave bins of
    value 0 out (read back as 0) — one fixed-span ``addEntries`` per chromosome over the
    non-zero bins, for fine, sparse tracks.
    """
    validate_track(sizes, tracks, bin_size, path)
    with atomic_path(path) as tmp:
        handle = pyBigWig.open(str(tmp), "w")
        try:
            handle.addHeader(list(sizes.items()), maxZooms=10)
            for chrom, length in sizes.items():
                if chrom not in tracks:
                    continue
                values = np.asarray(tracks[chrom], dtype=np.float64)
                full = length // bin_size  # bins ending inside the chromosome
                if gaps:
                    keep = np.flatnonzero(values[:full])
                    if keep.size:
                        handle.addEntries(
                            chrom, keep * bin_size, values=values[keep], span=bin_size
                        )
                elif full:
                    handle.addEntries(chrom, 0, values=values[:full], span=bin_size, step=bin_size)
                if full < len(values) and not (gaps and values[full] == 0):
                    handle.addEntries(
                        [chrom], [full * bin_size], ends=[length], values=[float(values[full])]
                    )
        finally:
            handle.close()


def copy_to_stdout(path: str | Path) -> None:
    """Copy a finished file's bytes to stdout (pyBigWig cannot write to a pipe)."""
    with open(path, "rb") as source:
        shutil.copyfileobj(source, sys.stdout.buffer)
    sys.stdout.buffer.flush()


def write_region_bigwig(
    path: str | Path, sizes: dict[str, int], chrom: str, start: int, values: np.ndarray
) -> None:
    """Write per-base ``values`` from 0-based ``start`` on ``chrom`` as a bigWig (atomically),
    the header listing every chromosome of ``sizes`` (so it loads beside the genome)."""
    values = np.asarray(values, dtype=np.float64)
    if chrom not in sizes or start < 0 or start + len(values) > sizes[chrom]:
        raise GraphregError(f"{path}: {chrom}:{start}+{len(values)} is off the chromosome sizes")
    if not np.isfinite(values).all():
        raise GraphregError(f"{path}: values must be finite")
    with atomic_path(path) as tmp:
        handle = pyBigWig.open(str(tmp), "w")
        try:
            handle.addHeader(list(sizes.items()), maxZooms=10)
            if len(values):
                handle.addEntries(chrom, int(start), values=values, span=1, step=1)
        finally:
            handle.close()
