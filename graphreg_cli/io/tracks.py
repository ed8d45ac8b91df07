"""Input tracks whatever their format: bigWig, or bedGraph (plain or gzip) of a per-base
signal or of counts per region (:mod:`graphreg_cli.io.bedgraph`), behind one reader.

:func:`open_track` returns a :class:`Track`: its chromosome sizes, per-bin values of a
chromosome, the bins holding missing data (NaN) and the grid its data lie on. The format is
told by the file name (``.bedGraph``, ``.bg``, ``.bdg``, with or without ``.gz``: bedGraph;
anything else: bigWig). A bedGraph has no sizes of its own: :class:`TrackFormat` says where
they come from, and what its values are.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graphreg_cli.errors import GraphregError
from graphreg_cli.io.bedgraph import BEDGRAPH_VALUES, bedgraph_sizes, is_bedgraph, read_bedgraph
from graphreg_cli.io.bigwig import bigwig_grid, missing_bins, n_bins, open_bigwig, read_bins
from graphreg_cli.io.bigwig_sums import open_sums

TRACK_SUFFIXES = (".bw", ".bigwig")  # and is_bedgraph's


def is_track(path: str | Path) -> bool:
    """Whether ``path`` is named as a track graphreg reads (bigWig or bedGraph)."""
    return Path(path).suffix.lower() in TRACK_SUFFIXES or is_bedgraph(path)


@dataclass(frozen=True)
class TrackFormat:
    """How tracks without a header are read: ``bedgraph``, what a bedGraph's values are
    (``signal`` per base, or ``counts`` per interval); ``chrom_sizes``: the chrom.sizes file
    giving their chromosomes' lengths (None: one beside each file, else the data's extent)."""

    bedgraph: str = "signal"
    chrom_sizes: Path | None = None

    def __post_init__(self):
        if self.bedgraph not in BEDGRAPH_VALUES:
            raise ValueError(f"bedgraph must be one of {BEDGRAPH_VALUES}, not {self.bedgraph!r}")


class Track(ABC):
    """An open track: ``chroms()`` ``{chrom: length}``, ``bins(chrom, bin_size, stat)``
    ``(n_bins,) float32`` (``mean`` over the bin's bases or ``sum``; bases without data are
    0), ``missing(chrom, bin_size)`` ``(n_bins,) bool`` (bins holding NaN), ``grid()`` (bp,
    the grid of the data; None: no data; 1: counts, which spread over any grid). Use as a
    context manager."""

    path: Path

    @abstractmethod
    def chroms(self) -> dict[str, int]:
        """See the class docstring."""

    @abstractmethod
    def bins(self, chrom: str, bin_size: int, stat: str = "mean") -> np.ndarray:
        """See the class docstring."""

    @abstractmethod
    def missing(self, chrom: str, bin_size: int) -> np.ndarray:
        """See the class docstring."""

    @abstractmethod
    def grid(self) -> int | None:
        """See the class docstring."""

    def close(self) -> None:  # noqa: B027 - a track held in memory has nothing to close
        """Release the file (nothing to do for a track held in memory)."""

    def __enter__(self) -> Track:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class BigWigTrack(Track):
    """A bigWig through pyBigWig, its bin sums through pybigtools where it can."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.handle = open_bigwig(path)
        self.sums = open_sums(path)

    def chroms(self) -> dict[str, int]:
        return dict(self.handle.chroms())

    def bins(self, chrom: str, bin_size: int, stat: str = "mean") -> np.ndarray:
        return read_bins(self.handle, chrom, bin_size, stat, sums_reader=self.sums)

    def missing(self, chrom: str, bin_size: int) -> np.ndarray:
        return missing_bins(self.handle, chrom, bin_size)

    def grid(self) -> int | None:
        return bigwig_grid(self.handle)

    def close(self) -> None:
        self.handle.close()
        if self.sums is not None:
            self.sums.close()
            self.sums = None


class BedGraphTrack(Track):
    """A bedGraph read whole (it is cached while unchanged); ``values`` as in
    :class:`TrackFormat`. A ``counts`` bin holds the sum of the counts in it whatever
    ``stat`` asks: the counts are already totals."""

    def __init__(self, path: Path, fmt: TrackFormat):
        self.path = Path(path)
        self.data = read_bedgraph(path)
        self.values = fmt.bedgraph
        self.sizes = bedgraph_sizes(self.data, fmt.chrom_sizes)

    def chroms(self) -> dict[str, int]:
        return dict(self.sizes)

    def bins(self, chrom: str, bin_size: int, stat: str = "mean") -> np.ndarray:
        if chrom not in self.sizes:
            raise GraphregError(f"{chrom} is not in {self.path.name}")
        length = self.sizes[chrom]
        sums = self.data.bin_sums(chrom, length, bin_size, self.values)
        if stat == "sum" or self.values == "counts":
            return sums.astype(np.float32)
        widths = np.full(len(sums), bin_size, dtype=np.float64)
        widths[-1] = length - (len(sums) - 1) * bin_size
        return (sums / widths).astype(np.float32)

    def missing(self, chrom: str, bin_size: int) -> np.ndarray:
        length = self.sizes[chrom]
        out = np.zeros(n_bins(length, bin_size), bool)
        if chrom in self.data.intervals:
            start, end, value = self.data.intervals[chrom]
            nan = np.isnan(value)
            for s, e in zip(start[nan], end[nan]):
                out[s // bin_size : (e - 1) // bin_size + 1] = True
        return out

    def grid(self) -> int | None:
        return 1 if self.values == "counts" else self.data.grid()


def open_track(path: str | Path, fmt: TrackFormat | None = None) -> Track:
    """The track at ``path``: a bedGraph by its name, else a bigWig (an InputError naming
    the file when it is neither)."""
    path = Path(path)
    if is_bedgraph(path):
        return BedGraphTrack(path, fmt or TrackFormat())
    return BigWigTrack(path)


def track_chroms(path: str | Path, fmt: TrackFormat | None = None) -> dict[str, int]:
    """``{chrom: length}`` of a track, in its order."""
    with open_track(path, fmt) as track:
        return track.chroms()
