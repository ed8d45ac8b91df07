"""Contacts → graph edges: loop calls or matrix pixels mapped to bin pairs per chromosome."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.data.naming import did_you_mean, reconcile_names
from graphreg_cli.errors import InputError, SettingError
from graphreg_cli.io.bigwig import n_bins

logger = logging.getLogger(__name__)

EMPTY = (np.zeros((0, 2), np.int64), np.zeros(0, np.float32))
# ABC's power law of contact by genomic distance, without Hi-C (its "reference" fit):
# contact = exp(scale - gamma * log(max(d, 5 kb) + 1)), d in bp
POWERLAW_GAMMA = 0.87
POWERLAW_SCALE = -4.80 + 11.63 * POWERLAW_GAMMA
POWERLAW_MIN_BP = 5000
DISTANCE_BP = 500_000  # --no-contacts: bins this close are connected (docs/real-data.md)


@dataclass
class ContactOptions:
    """How contacts are read and filtered (``graphreg train --contacts-format ...``).

    ``fmt``: a name from ``graphreg_cli.io.contacts.CONTACT_FORMATS`` (``auto`` sniffs the
    header); ``max_fdr`` / ``min_score``: drop calls above that FDR (q-value) or below that
    score (counts for matrices); ``top_k``: for ``.cool``/``.hic`` matrices, the strongest
    contacts kept per bin; ``dump_chrom``: the chromosome of a Juicer dump (None: from its
    file name); ``distance_bp``: without a contacts file, bins this close are connected
    (:func:`distance_edges`).
    """

    fmt: str = "auto"
    max_fdr: float | None = None
    min_score: float | None = None
    top_k: int | None = None
    dump_chrom: str | None = None
    distance_bp: int = DISTANCE_BP

    def to_json(self) -> dict:
        """As stored in config.json (the newer settings only when not their defaults)."""
        data = {k: getattr(self, k) for k in ("fmt", "max_fdr", "min_score", "top_k")}
        if self.dump_chrom is not None:
            data["dump_chrom"] = self.dump_chrom
        if self.distance_bp != DISTANCE_BP:
            data["distance_bp"] = self.distance_bp
        return data


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
        dump_chrom=options.dump_chrom,
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


def powerlaw_contact(distance_bp: np.ndarray) -> np.ndarray:
    """ABC's expected contact at a genomic distance without Hi-C (its reference power law,
    gamma 0.87, distances under 5 kb taken as 5 kb), ``(k,) float64``."""
    d = np.maximum(np.asarray(distance_bp, np.float64), POWERLAW_MIN_BP)
    return np.exp(POWERLAW_SCALE - POWERLAW_GAMMA * np.log(d + 1))


def distance_edges(
    sizes: dict[str, int], bin_size: int, distance_bp: int = DISTANCE_BP
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A graph of genomic distance, as ABC uses when it has no Hi-C: every bin is joined to
    every bin within ``distance_bp`` (``2 * distance_bp // bin_size`` edges per bin, fewer
    near the ends), weighted by ABC's power law (:func:`powerlaw_contact`) relative to one
    bin's distance, so weights lie in (0, 1]. Returns ``{chrom: (pairs (E, 2) int64, weight
    (E,) float32)}``, both directions."""
    reach = int(distance_bp) // int(bin_size)
    if reach < 1:
        raise SettingError(
            f"{{distance_bp}} must be at least one bin ({bin_size} bp) to join any bins",
            distance_bp=distance_bp,
        )
    offsets = np.arange(1, reach + 1, dtype=np.int64)
    weights = powerlaw_contact(offsets * bin_size) / powerlaw_contact(np.array([bin_size]))
    edges = {}
    for chrom, length in sizes.items():
        n = n_bins(length, bin_size)
        src, dst, weight = [], [], []
        for offset, w in zip(offsets[offsets < n], weights[offsets < n]):
            a = np.arange(n - offset, dtype=np.int64)
            src += [a, a + offset]
            dst += [a + offset, a]
            weight.append(np.full(2 * len(a), w, np.float32))
        if not src:
            continue
        pairs = np.stack([np.concatenate(src), np.concatenate(dst)], 1)
        edges[chrom] = _merge(pairs, np.concatenate(weight), n)  # sorted as contacts are
    per_bin = 2 * reach
    logger.info(
        f"contacts: none given; bins within {distance_bp:,} bp joined ({per_bin} edges per "
        "bin), weighted by ABC's power law of distance"
    )
    return edges


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
