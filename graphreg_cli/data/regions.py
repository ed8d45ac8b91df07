"""Splits inside chromosomes, for data with one or a few of them: regions of the genome held
out for validation and testing.

A :class:`RegionSplit` names validation and test regions. Every bin overlapping a test region
is a test bin (and the genes whose TSS it holds are test genes), likewise for validation;
all other bins train. Chromosomes are not split: each graph is read whole, and the loss and
every metric take the bins of their part only (:func:`restrict`), so a held-out gene's
inputs and contacts are seen in training but never its target.

:func:`block_split` makes the regions of ``graphreg cv --blocks K``: the genes' TSS bins in
genome order cut into K contiguous blocks of (nearly) equal size; fold k tests on block k
and validates on the next block.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

from graphreg_cli.data.naming import reconcile_names
from graphreg_cli.errors import NAME_ONLY, InputError, SettingError, preview
from graphreg_cli.io.bed import read_bed

PART_CODES = {"train": 0, "val": 1, "test": 2}
Region = tuple[str, int, int]


@dataclass
class RegionSplit:
    """Validation and test regions, ``(chrom, start, end)`` each (0-based, half-open, under
    the tracks' chromosome names)."""

    val: list[Region] = field(default_factory=list)
    test: list[Region] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"val": [list(r) for r in self.val], "test": [list(r) for r in self.test]}

    @classmethod
    def from_json(cls, data: dict) -> RegionSplit:
        def regions(part):
            return [(str(c), int(s), int(e)) for c, s, e in data.get(part, [])]

        return cls(regions("val"), regions("test"))

    def chromosomes(self, part: str) -> list[str]:
        """Chromosomes holding regions of ``part`` (``val`` or ``test``), in first-seen order."""
        return list(dict.fromkeys(c for c, _, _ in getattr(self, part)))

    def node_parts(self, chrom: str, n: int, bin_size: int) -> np.ndarray:
        """``(n,) int8``: each bin's part code (:data:`PART_CODES`); a bin overlapping both
        a validation and a test region is a test bin."""
        parts = np.zeros(n, np.int8)
        for part in ("val", "test"):
            code = PART_CODES[part]
            for c, start, end in getattr(self, part):
                if c == chrom and end > start:
                    first, last = start // bin_size, min((end - 1) // bin_size, n - 1)
                    parts[first : last + 1] = code
        return parts


def read_regions(val: Path | None, test: Path | None, sizes: dict[str, int]) -> RegionSplit | None:
    """The split of ``--val-regions`` / ``--test-regions`` BEDs (None when neither is given),
    on the tracks' chromosomes ``sizes``: names matched (``1`` = ``chr1``), regions off
    them dropped with an error when none is left, and a test region that overlaps a
    validation one refused."""
    if val is None and test is None:
        return None
    split = RegionSplit(
        _regions(val, sizes, "val_regions") if val else [],
        _regions(test, sizes, "test_regions") if test else [],
    )
    both = _overlap(split.val, split.test)
    if both is not None:
        c, s, e = both
        raise SettingError(
            f"{{test_regions}} overlaps {{val_regions}} ({c}:{s}-{e} is in both); a region "
            "belongs to one part only",
            test_regions=str(test),
            val_regions=str(val),
        )
    return split


def _regions(path: Path, sizes: dict[str, int], flag: str) -> list[Region]:
    frame = read_bed(path)
    if frame.empty:
        raise InputError("holds no regions", path)
    mapping = reconcile_names(frame["chrom"], sizes, Path(path).name)
    frame["chrom"] = frame["chrom"].replace(mapping)
    on = frame["chrom"].isin(list(sizes))
    if not on.any():
        raise InputError(
            f"no region lies on the tracks' chromosomes (regions on {frame['chrom'].iat[0]}, "
            f"tracks on {preview(sizes)}); check {{{flag}}}",
            path,
            **{flag: NAME_ONLY},
        )
    frame = frame[on]
    limits = frame["chrom"].map(sizes).to_numpy()
    over = frame["end"].to_numpy() > limits
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(
            f"End coordinate {frame['end'].iat[i]} bigger than {frame['chrom'].iat[i]} size "
            f"of {limits[i]}; is this file for another assembly?",
            path,
            int(frame["line"].iat[i]),
        )
    return [(str(c), int(s), int(e)) for c, s, e in zip(frame.chrom, frame.start, frame.end)]


def _overlap(a: list[Region], b: list[Region]) -> Region | None:
    """A stretch lying in a region of ``a`` and one of ``b``, or None."""
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for c, s, e in a:
        by_chrom.setdefault(c, []).append((s, e))
    for c, s, e in b:
        for s2, e2 in by_chrom.get(c, []):
            if max(s, s2) < min(e, e2):
                return c, max(s, s2), min(e, e2)
    return None


def attach_parts(graphs: list[Data], regions: RegionSplit, bin_size: int) -> None:
    """Give each graph ``node_part: (n_bins,) int8`` (:data:`PART_CODES`)."""
    for g in graphs:
        g.node_part = torch.from_numpy(regions.node_parts(g.chrom, g.num_nodes, bin_size))


def restrict(g: Data, part: str) -> Data:
    """``g`` with ``y_known`` kept on the bins of ``part`` only (a shallow copy: the
    tracks are shared); ``g`` itself when it has no parts."""
    if "node_part" not in g:
        return g
    out = copy.copy(g)
    known = g.y_known if "y_known" in g else torch.ones(g.num_nodes, dtype=torch.bool)
    out.y_known = known & (g.node_part == PART_CODES[part])
    out.split = part
    return out


def block_split(tss: pd.DataFrame, sizes: dict[str, int], bin_size: int, k: int, fold: int):
    """Fold ``fold`` (1..k) of ``cv --blocks k``: the genes' TSS bins (``tss``: ``chrom,
    tss``), in genome order, cut into ``k`` contiguous blocks of (nearly) equal numbers of
    bins; the fold tests on block ``fold`` and validates on the next (the first after the
    last). Returns the :class:`RegionSplit`, each block as one region per chromosome it
    spans, on bin boundaries."""
    if k < 2:
        raise SettingError(
            "{blocks} must be at least 2 (one block to test, one to train)", blocks=k
        )
    order = {c: i for i, c in enumerate(sizes)}
    bins = (
        pd.DataFrame({"chrom": tss["chrom"], "bin": tss["tss"].to_numpy() // bin_size})
        .drop_duplicates()
        .assign(rank=lambda f: f["chrom"].map(order))
        .dropna(subset=["rank"])
        .sort_values(["rank", "bin"])
    )
    if len(bins) < k:
        raise SettingError(f"{{blocks}}: {len(bins)} gene bin(s) cannot make {k} blocks", blocks=k)
    block = np.arange(len(bins)) * k // len(bins)
    test, val = fold - 1, fold % k

    def regions(which: int) -> list[Region]:
        rows = bins[block == which]
        out = []
        for chrom, part in rows.groupby("chrom", sort=False):
            first, last = int(part["bin"].min()), int(part["bin"].max())
            end = min((last + 1) * bin_size, sizes[chrom])
            out.append((str(chrom), first * bin_size, end))
        return out

    return RegionSplit(regions(val), regions(test))
