"""Per-bin sums of a bigWig through pybigtools (a Rust reader), the fast path of
:func:`graphreg_cli.io.bigwig.read_bins`.

pyBigWig hands intervals to Python one tuple at a time; pybigtools sums bins in Rust and
returns an array: reading the human-sized benchmark's three 100 bp tracks took 6.0 s this way
against 21.3 s (docs/benchmarks.md). Two of its conventions differ from graphreg's and are
handled here:

- ``values(bins=n)`` spreads ``n`` bins evenly over the range, so the whole bins and the
  chromosome's partial last bin are read apart (bins of exactly ``bin_size``);
- a NaN or infinite value stored in the file makes its bin's sum NaN (``fillna=0`` would
  then hide it by zeroing the whole bin), where graphreg reads the value as 0: such a
  chromosome returns None and is read by pyBigWig instead.

Bases without data count as 0 (``uncovered=0``), as in graphreg's own reader; the sums agree
with it to float rounding (``tests/test_io.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def open_sums(path: str | Path):
    """A pybigtools reader of ``path``, or None where pybigtools is missing or cannot read
    the file (the caller then reads through pyBigWig)."""
    try:
        import pybigtools
    except ImportError:
        return None
    try:
        return pybigtools.open(str(path))
    except Exception:  # noqa: BLE001 - any failure here means: use the pyBigWig path
        return None


def bin_sums(reader, chrom: str, length: int, bin_size: int) -> np.ndarray | None:
    """Per-bin sums of ``chrom`` (``length`` bp), ``(ceil(length / bin_size),) float64``;
    None when a stored value is not finite or pybigtools fails on the chromosome."""
    full = length // bin_size
    sums = np.zeros(-(-length // bin_size))
    try:
        if full:
            sums[:full] = _sums(reader, chrom, 0, full * bin_size, full)
        if full * bin_size < length:
            sums[full] = _sums(reader, chrom, full * bin_size, length, 1)[0]
    except Exception:  # noqa: BLE001
        return None
    return sums if np.isfinite(sums).all() else None


def _sums(reader, chrom: str, start: int, end: int, bins: int) -> np.ndarray:
    return reader.values(
        chrom, start, end, bins=bins, summary="sum", exact=True, uncovered=0.0, fillna=None
    )
