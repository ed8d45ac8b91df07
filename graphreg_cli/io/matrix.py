""".cool / .mcool / .hic contact matrices through hictkpy (the optional ``graphreg[hic]``
extra): raw counts of intra-chromosomal pixels above the diagonal at the graph resolution,
streamed in row blocks per chromosome, kept by a minimum count and/or the ``top_k`` strongest
per bin. Returned as the contact table of :mod:`graphreg_cli.io.contacts`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from graphreg_cli.errors import GraphregError, InputError
from graphreg_cli.io.chromsizes import alias
from graphreg_cli.io.dump import DumpMatrix, open_dump
from graphreg_cli.io.schemas import CONTACT_COLUMNS

logger = logging.getLogger(__name__)

MATRIX_SUFFIXES = (".cool", ".mcool", ".hic")
DEFAULT_TOP_K = 10
BLOCK_PIXELS = 1 << 22  # rows per fetch = BLOCK_PIXELS // bins in the chromosome


def read_matrix(
    path, bin_size, chroms, min_score, top_k, dump: bool = False, dump_chrom: str | None = None
) -> pd.DataFrame:
    """Intra-chromosomal pixels above the diagonal, raw counts, one chromosome at a time;
    ``dump``: ``path`` is a Juicer dump of one chromosome (``dump_chrom``, default the one
    its file name names; :mod:`graphreg_cli.io.dump`)."""
    if not chroms:
        raise GraphregError(f"reading {path.name} needs the chromosome sizes")
    if min_score is None and top_k is None:
        top_k = DEFAULT_TOP_K
        logger.info(f"contacts: no minimum score or top k; keeping the {top_k} strongest per bin")
    if dump:
        handle = open_dump(path, bin_size, chroms, dump_chrom)
        sizes = handle.chromosomes()
    else:
        handle, sizes = open_matrix(path, bin_size)
    offsets = np.cumsum([0] + [-(-n // bin_size) for n in sizes.values()])
    offset = dict(zip(sizes, offsets[:-1].tolist()))
    matched = match_chromosomes(chroms, sizes)
    if not matched:
        names = ", ".join(list(sizes)[:5]) + (", ..." if len(sizes) > 5 else "")
        raise InputError(f"has none of the genome's chromosomes (it has {names})", path)
    frames, total = [], 0
    for name, file_name in matched.items():
        length = sizes[file_name]
        i, j, count, seen = _chromosome_pixels(
            handle, file_name, length, bin_size, offset[file_name], min_score, top_k
        )
        total += seen
        ends1, ends2 = (np.minimum((bins + 1) * bin_size, length) for bins in (i, j))
        columns = [name, i * bin_size, ends1, name, j * bin_size, ends2, count, np.nan, 0]
        frames.append(pd.DataFrame(dict(zip(CONTACT_COLUMNS, columns))))
    out = pd.concat(frames, ignore_index=True)
    log_kept(len(out), total, [("score ≥ {:g}", min_score), ("top {} per bin", top_k)])
    return out


def open_matrix(path, bin_size):
    """``(hictkpy.File at bin_size, {chrom: length})``; InputError for a missing file, an
    absent resolution (naming those present) or an unreadable one."""
    try:
        import hictkpy
        import pyarrow  # noqa: F401  (hictkpy needs it to return pixels as tables)
    except ImportError:
        raise GraphregError(
            "reading .cool/.mcool/.hic needs hictkpy: pip install 'graphreg[hic]'"
        ) from None
    if not path.exists():
        raise InputError("file not found; check the path", path)
    if bin_size is None:
        raise GraphregError(f"reading {path.name} needs a bin size (the resolution to read)")
    try:
        if hictkpy.is_cooler(str(path)):
            resolutions = [hictkpy.File(str(path)).resolution()]
        else:
            resolutions = list(hictkpy.MultiResFile(str(path)).resolutions())
        if int(bin_size) not in resolutions:
            listed = ", ".join(f"{r:,}" for r in sorted(resolutions))
            raise InputError(f"has no {bin_size:,} bp resolution; it has {listed} bp", path)
        handle = hictkpy.File(str(path), int(bin_size))
        return handle, dict(handle.chromosomes())
    except (RuntimeError, OSError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"cannot be read as a contact matrix ({first})", path) from None


def match_chromosomes(wanted: dict[str, int], in_file: dict[str, int]) -> dict[str, str]:
    """Our name -> the file's, exact or by :func:`alias`; unknown ones left out."""
    by_alias = {alias(name): name for name in in_file}
    matched = {}
    for name in wanted:
        if name in in_file:
            matched[name] = name
        elif alias(name) in by_alias:
            matched[name] = by_alias[alias(name)]
    return matched


def fetch_pixels(handle, chrom: str, rows: tuple, columns: tuple, offset: int):
    """Raw counts of the pixels of a hictkpy ``handle`` with rows in ``rows`` and columns in
    ``columns`` (bp ``(start, end)`` on ``chrom``): ``(i, j, count)``, bin indices counted from
    the chromosome's first bin (``offset``: its first bin's genome-wide id), ``(k,)`` each.
    A :class:`graphreg_cli.io.dump.DumpMatrix` answers the same query itself."""
    if isinstance(handle, DumpMatrix):
        return handle.fetch(rows, columns)
    pixels = handle.fetch(
        f"{chrom}\t{rows[0]}\t{rows[1]}",
        f"{chrom}\t{columns[0]}\t{columns[1]}",
        count_type="float",
        query_type="BED",
    ).to_df()
    i = pixels["bin1_id"].to_numpy(np.int64) - offset
    j = pixels["bin2_id"].to_numpy(np.int64) - offset
    return i, j, pixels["count"].to_numpy(np.float64)


def _chromosome_pixels(handle, chrom, length, bin_size, offset, min_score, top_k):
    """Bins ``i < j`` and counts of one chromosome kept, and how many off-diagonal pixels seen.

    Rows are fetched in blocks; with ``top_k`` only the pixels still among the ``top_k``
    strongest of either bin are carried over, so memory stays near ``2 * top_k * bins``.
    """
    n_bins = -(-length // bin_size)
    rows = max(1, BLOCK_PIXELS // max(n_bins, 1))
    keep_i, keep_j, keep_c = (np.empty(0, np.int64),) * 2 + (np.empty(0, np.float64),)
    seen = 0
    for first in range(0, n_bins, rows):
        start, end = first * bin_size, min((first + rows) * bin_size, length)
        i, j, c = fetch_pixels(handle, chrom, (start, end), (start, length), offset)
        off_diagonal = (i < j) & (c > 0)
        seen += int(off_diagonal.sum())
        if min_score is not None:
            off_diagonal &= c >= min_score
        i, j, c = (
            np.concatenate([a, b[off_diagonal]])
            for a, b in zip((keep_i, keep_j, keep_c), (i, j, c))
        )
        if top_k is not None:
            strong = _top_k_mask(i, j, c, top_k)
            i, j, c = i[strong], j[strong], c[strong]
        keep_i, keep_j, keep_c = i, j, c
    order = np.lexsort((keep_j, keep_i))
    return keep_i[order], keep_j[order], keep_c[order], seen


def _top_k_mask(i: np.ndarray, j: np.ndarray, count: np.ndarray, k: int) -> np.ndarray:
    """Pixels among the ``k`` strongest of bin ``i`` or of bin ``j``.

    Ties are broken by the shorter distance, then the lower partner bin, so exactly ``k``
    contacts rank per bin and the choice does not depend on reading order.
    """
    n = len(count)
    bins, partner = np.concatenate([i, j]), np.concatenate([j, i])
    levels, strength = np.unique(count, return_inverse=True)
    tie = 2 * np.abs(partner - bins) + (partner > bins)  # nearer first, then the left partner
    rank_key = (len(levels) - 1 - np.tile(strength.ravel(), 2)) * (int(tie.max(initial=0)) + 1)
    rank_key += tie  # unique within a bin, strongest first
    width = int(rank_key.max(initial=0)) + 1
    if int(bins.max(initial=0)) < np.iinfo(np.int64).max // width:  # one sort, one int64 key
        order = np.argsort(bins * width + rank_key)
    else:
        order = np.lexsort((rank_key, bins))
    ranked = bins[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    rank = np.arange(2 * n) - np.repeat(starts, np.diff(np.r_[starts, 2 * n]))
    top = np.zeros(2 * n, dtype=bool)
    top[order[rank < k]] = True
    return top[:n] | top[n:]


def log_kept(kept: int, total: int, rules: list[tuple[str, float | None]]) -> None:
    """Say how many contacts the rules (``("FDR ≤ {:g}", 0.01)``; None: not applied) kept."""
    if kept < total:
        text = ", ".join(rule.format(value) for rule, value in rules if value is not None)
        logger.info(f"contacts: {kept:,} of {total:,} kept ({text})")
