"""Contacts → graph edges: loop calls or matrix pixels mapped to bin pairs per chromosome."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.data.naming import did_you_mean, reconcile_names
from graphreg_cli.errors import InputError
from graphreg_cli.io.bigwig import n_bins

logger = logging.getLogger(__name__)

EMPTY = (np.zeros((0, 2), np.int64), np.zeros(0, np.float32))


@dataclass
class ContactOptions:
    """How contacts are read and filtered (``graphreg train --contacts-format ...``).

    ``fmt``: a name from ``graphreg_cli.io.contacts.CONTACT_FORMATS`` (``auto`` sniffs the
    header); ``max_fdr`` / ``min_score``: drop calls above that FDR (q-value) or below that
    score (counts for matrices); ``top_k``: for ``.cool``/``.hic`` matrices, the strongest
    contacts kept per bin.
    """

    fmt: str = "auto"
    max_fdr: float | None = None
    min_score: float | None = None
    top_k: int | None = None

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in ("fmt", "max_fdr", "min_score", "top_k")}


@dataclass
class ContactStats:
    """What happened to the contacts."""

    total: int = 0
    kept: int = 0
    inter_chromosomal: int = 0
    off_genome: int = 0  # on chromosomes the tracks lack
    past_end: int = 0  # on the tracks' chromosomes, but ending past the chromosome's end
    self_loops: int = 0
    fmt: str = "bedpe"
    unknown: list[str] = field(default_factory=list)  # contact chromosomes off the tracks
    per_chrom: dict[str, int] = field(default_factory=dict)
    first_past_end: str = ""  # "line 12: chr1:990000-1005000, chr1 is 1000000 bp"
    first_trans: str = ""  # "line 3: chr1-chr2"


def contact_edges(
    path: Path,
    sizes: dict[str, int],
    bin_size: int,
    options: ContactOptions | None = None,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], ContactStats]:
    """Map contacts to bin pairs per chromosome.

    An anchor covering several bins (or not aligned to the bins) maps to every bin it
    overlaps, so a contact gives the cross product of its anchors' bins. Contacts between
    chromosomes or off ``sizes`` are dropped and counted. Returns
    ``{chrom: (pairs (E, 2) int64, weight (E,) float32)}``: both directions, no self-loops,
    duplicates merged keeping the largest weight. Weights are log-scaled scores
    (``log1p(score)``) divided by their maximum, so they lie in (0, 1] and files whose scores
    are all equal give weight 1.
    """
    from graphreg_cli.io.contacts import edge_weight, read_contacts

    options = options or ContactOptions()
    frame, fmt = read_contacts(
        path,
        options.fmt,
        max_fdr=options.max_fdr,
        min_score=options.min_score,
        bin_size=bin_size,
        chroms=sizes,
        top_k=options.top_k,
    )
    mapping = reconcile_names(pd.concat([frame["chrom1"], frame["chrom2"]]), sizes, "contacts")
    if mapping:
        frame["chrom1"] = frame["chrom1"].replace(mapping)
        frame["chrom2"] = frame["chrom2"].replace(mapping)
    stats = ContactStats(total=len(frame), fmt=fmt)
    weight = edge_weight(frame["score"].to_numpy(dtype=np.float64, na_value=1.0))
    top = float(weight.max()) if len(weight) else 1.0
    frame["weight"] = weight / top if top > 0 else np.ones(len(weight), np.float32)
    same = (frame["chrom1"] == frame["chrom2"]).to_numpy()
    stats.inter_chromosomal = int((~same).sum())
    limits = frame["chrom1"].map(sizes).to_numpy(dtype=float, na_value=np.nan)
    known = same & ~np.isnan(limits)
    inside = (
        known
        & (frame["end1"].to_numpy() <= np.nan_to_num(limits))
        & (frame["end2"].to_numpy() <= np.nan_to_num(limits))
    )
    stats.off_genome = int((same & np.isnan(limits)).sum())
    past = known & ~inside
    stats.past_end = int(past.sum())
    if stats.past_end:
        stats.first_past_end = _past_end_text(frame[past].iloc[0], sizes)
    if stats.inter_chromosomal:
        row = frame[~same].iloc[0]
        stats.first_trans = f"{_line(row)}{row['chrom1']}-{row['chrom2']}"
    stats.unknown = [str(c) for c in frame["chrom1"][same & ~known].unique()[:5]]
    edges: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for chrom, rows in frame[inside].groupby("chrom1", sort=False):
        a = _anchor_bins(rows["start1"].to_numpy(), rows["end1"].to_numpy(), bin_size)
        b = _anchor_bins(rows["start2"].to_numpy(), rows["end2"].to_numpy(), bin_size)
        src, dst, which = _cross(a, b)
        weight = rows["weight"].to_numpy()[which]
        loop = src == dst
        stats.self_loops += int(loop.sum())
        src, dst, weight = src[~loop], dst[~loop], weight[~loop]
        pairs = np.concatenate([np.stack([src, dst], 1), np.stack([dst, src], 1)])
        weight = np.concatenate([weight, weight])
        edges[str(chrom)] = _merge(pairs, weight, n_bins(sizes[str(chrom)], bin_size))
        stats.per_chrom[str(chrom)] = len(rows)
    stats.kept = sum(stats.per_chrom.values())
    return edges, stats


def report_contacts(stats: ContactStats, sizes: dict[str, int], path: Path) -> None:
    """Say what happened to the contacts: notes for those dropped, a warning for those past
    their chromosome's end, and an InputError when none is left, saying why."""
    if stats.total == 0:
        raise InputError(
            "holds no contacts (the file is empty, or --max-fdr/--min-score kept none)", path
        )
    if stats.inter_chromosomal == stats.total:
        raise InputError(
            f"all {stats.total} contacts are between chromosomes (first: {stats.first_trans}); "
            "graphreg needs contacts within a chromosome",
            path,
        )
    if stats.inter_chromosomal or stats.off_genome:
        logger.info(
            f"contacts: {stats.inter_chromosomal} between chromosomes and {stats.off_genome} "
            f"on chromosomes the tracks lack were dropped ({stats.kept} of {stats.total} kept)"
        )
    assembly = "are the contacts for another assembly than the tracks?"
    if stats.kept == 0 and stats.past_end and not stats.off_genome:
        raise InputError(
            f"all {stats.past_end} contacts on the tracks' chromosomes end past the "
            f"chromosome's end (first: {stats.first_past_end}); {assembly}",
            path,
        )
    if stats.past_end:
        logger.warning(
            f"{path.name}: {stats.past_end} contact(s) ending past their chromosome's end were "
            f"dropped (first: {stats.first_past_end}); {assembly}"
        )
    if stats.kept == 0:
        theirs = stats.unknown[0] if stats.unknown else "none"
        raise InputError(
            f"no contact lies on the tracks' chromosomes (contacts on {theirs}, tracks on "
            f"{', '.join(list(sizes)[:3])}, ...){did_you_mean(theirs, sizes)}; "
            "check the chromosome names (e.g. 'chr1' vs '1')",
            path,
        )


def _line(row) -> str:
    return f"line {int(row['line'])}: " if int(row.get("line", 0) or 0) else ""


def _past_end_text(row, sizes: dict[str, int]) -> str:
    """Where a contact ends past its chromosome: ``line 12: chr1:990000-1005000 (chr1 is
    1000000 bp)``."""
    chrom = row["chrom1"]
    end1, end2 = int(row["end1"]), int(row["end2"])
    start, end = (row["start1"], end1) if end1 > sizes[chrom] else (row["start2"], end2)
    return f"{_line(row)}{chrom}:{int(start)}-{end} ({chrom} is {sizes[chrom]} bp)"


def _anchor_bins(start: np.ndarray, end: np.ndarray, bin_size: int):
    first = start // bin_size
    last = np.maximum(end - 1, start) // bin_size
    return first, last


def _cross(a, b):
    """All (bin in anchor a) x (bin in anchor b) pairs; ``which`` maps each to its contact."""
    (a0, a1), (b0, b1) = a, b
    na, nb = a1 - a0 + 1, b1 - b0 + 1
    count = na * nb
    which = np.repeat(np.arange(len(a0)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    src = a0[which] + k // nb[which]
    dst = b0[which] + k % nb[which]
    return src, dst, which


def _merge(pairs: np.ndarray, weight: np.ndarray, n: int):
    """Merge duplicate (src, dst) pairs keeping the largest weight."""
    if not len(pairs):
        return np.zeros((0, 2), np.int64), np.zeros(0, np.float32)
    key = pairs[:, 0] * n + pairs[:, 1]
    order = np.lexsort((-weight, key))
    key, pairs, weight = key[order], pairs[order], weight[order]
    first = np.ones(len(key), bool)
    first[1:] = key[1:] != key[:-1]
    return pairs[first].astype(np.int64), weight[first].astype(np.float32)
