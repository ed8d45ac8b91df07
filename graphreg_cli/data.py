"""Genomic files → one PyG graph per chromosome.

Nodes are bins of ``bin_size`` bp; node features are the epigenomic tracks, the target is CAGE,
and edges are chromatin contacts mapped to bins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

from graphreg_cli.errors import GraphregError, InputError
from graphreg_cli.io.bedpe import read_bedpe
from graphreg_cli.io.bigwig import bigwig_chroms, n_bins, open_bigwig, read_bins
from graphreg_cli.io.gtf import read_genes
from graphreg_cli.io.text import check_in_genome

SPLITS = ("train", "val", "test")


@dataclass
class Inputs:
    """The files a run reads; paths are absolute once resolved."""

    tracks: list[Path]
    contacts: Path
    target: Path | None = None
    genes: Path | None = None
    bin_size: int = 5000

    def resolved(self) -> Inputs:
        def res(p):
            return None if p is None else Path(p).resolve()

        return Inputs(
            [res(t) for t in self.tracks],
            res(self.contacts),
            res(self.target),
            res(self.genes),
            self.bin_size,
        )

    def to_json(self) -> dict:
        return {
            "tracks": [str(t) for t in self.tracks],
            "contacts": str(self.contacts),
            "target": None if self.target is None else str(self.target),
            "genes": None if self.genes is None else str(self.genes),
            "bin_size": self.bin_size,
        }

    @classmethod
    def from_json(cls, data: dict) -> Inputs:
        opt = {k: None if data.get(k) is None else Path(data[k]) for k in ("target", "genes")}
        return cls(
            [Path(t) for t in data["tracks"]],
            Path(data["contacts"]),
            bin_size=int(data["bin_size"]),
            **opt,
        )


@dataclass
class ContactStats:
    """What happened to the BEDPE's contacts."""

    total: int = 0
    kept: int = 0
    inter_chromosomal: int = 0
    off_genome: int = 0
    self_loops: int = 0
    per_chrom: dict[str, int] = field(default_factory=dict)


def find_split(
    inputs: Inputs, val: list[str] | None, test: list[str] | None, chroms: list[str]
) -> dict[str, str]:
    """``{chrom: train|val|test}``.

    Order of precedence: ``--val-chroms``/``--test-chroms``; else ``dataset.json`` (from
    ``graphreg simulate``) or ``split.tsv`` (chrom<TAB>split) beside the contacts or the first
    track; else the default: the last 1/6 of chromosomes (in file order) test, the 1/6
    before them val, at least one of each when there are 3 or more.
    """
    if val is not None or test is not None:
        val, test = val or [], test or []
        for name in val + test:
            if name not in chroms:
                raise GraphregError(
                    f"--val-chroms/--test-chroms: {name} is not among the input chromosomes "
                    f"({', '.join(chroms[:5])}{', ...' if len(chroms) > 5 else ''})"
                )
        return {c: "val" if c in val else "test" if c in test else "train" for c in chroms}
    for folder in dict.fromkeys([inputs.contacts.parent, inputs.tracks[0].parent]):
        manifest = folder / "dataset.json"
        if manifest.exists():
            split = json.loads(manifest.read_text()).get("split", {})
            found = {c: part for part in SPLITS for c in split.get(part, [])}
            return {c: found.get(c, "train") for c in chroms}
        table = folder / "split.tsv"
        if table.exists():
            found = {}
            for number, line in enumerate(table.read_text().splitlines(), 1):
                fields = line.split("\t")
                if len(fields) < 2 or fields[1] not in SPLITS:
                    raise InputError("expecting 'chrom<TAB>train|val|test'", table, number)
                found[fields[0]] = fields[1]
            return {c: found.get(c, "train") for c in chroms}
    n = len(chroms)
    k = max(1, round(n / 6)) if n >= 3 else 0
    return {
        c: "test" if i >= n - k else "val" if i >= n - 2 * k else "train"
        for i, c in enumerate(chroms)
    }


def _alias(name: str) -> str:
    """A chromosome name without its 'chr' prefix, mitochondria as 'M'."""
    bare = name[3:] if name.lower().startswith("chr") else name
    return "M" if bare.upper() in ("M", "MT") else bare


def reconcile_names(names, reference, what: str, log) -> dict[str, str]:
    """Map the chromosome names of a file onto the tracks' names ('1' → 'chr1', 'MT' →
    'chrM'). Returns ``{name in file: track name}`` for names that differ; logs one note."""
    reference = list(reference)
    by_alias = {_alias(r): r for r in reference}
    mapping = {}
    for name in dict.fromkeys(names):
        if name not in reference and _alias(name) in by_alias:
            mapping[name] = by_alias[_alias(name)]
    if mapping:
        first = next(iter(mapping.items()))
        log(
            f"{what}: {len(mapping)} chromosome name(s) matched to the tracks' naming "
            f"({first[0]} → {first[1]})"
        )
    return mapping


def contact_edges(
    path: Path, sizes: dict[str, int], bin_size: int, log=None
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], ContactStats]:
    """Map BEDPE contacts to bin pairs per chromosome.

    An anchor covering several bins maps to every bin it overlaps, so a contact gives the
    cross product of its anchors' bins. Contacts between chromosomes or off ``sizes`` are
    dropped and counted. Returns ``{chrom: (pairs (E, 2) int64, weight (E,) float32)}``:
    both directions, no self-loops, duplicates merged keeping the largest score. The score
    column (7th) gives the weight when numeric, else 1.
    """
    frame = read_bedpe(path)
    mapping = reconcile_names(
        pd.concat([frame["chrom1"], frame["chrom2"]]), sizes, "contacts", log or (lambda m: None)
    )
    if mapping:
        frame["chrom1"] = frame["chrom1"].replace(mapping)
        frame["chrom2"] = frame["chrom2"].replace(mapping)
    stats = ContactStats(total=len(frame))
    score = frame["score"] if "score" in frame else pd.Series(1.0, index=frame.index)
    frame["weight"] = pd.to_numeric(score, errors="coerce").fillna(1.0)
    same = (frame["chrom1"] == frame["chrom2"]).to_numpy()
    stats.inter_chromosomal = int((~same).sum())
    limits = frame["chrom1"].map(sizes).to_numpy(dtype=float, na_value=np.nan)
    known = same & ~np.isnan(limits)
    inside = (
        known
        & (frame["end1"].to_numpy() <= np.nan_to_num(limits))
        & (frame["end2"].to_numpy() <= np.nan_to_num(limits))
    )
    stats.off_genome = int((same & ~inside).sum())
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


def gene_bins(path: Path, sizes: dict[str, int], bin_size: int, log=None) -> dict[str, np.ndarray]:
    """TSS bin of each gene (strand-aware: ``+``/``.`` → start, ``-`` → end - 1).

    Genes come from a BED or a GTF/GFF (``gene`` rows); several TSSs in one bin count once.
    Genes on chromosomes the tracks lack are skipped with a note."""
    frame = read_genes(path)
    log = log or (lambda m: None)
    mapping = reconcile_names(frame["chrom"], sizes, "genes", log)
    frame["chrom"] = frame["chrom"].replace(mapping)
    elsewhere = ~frame["chrom"].isin(list(sizes))
    if elsewhere.all():
        raise InputError(
            f"no gene lies on the tracks' chromosomes (genes on {frame['chrom'].iat[0]}, "
            f"tracks on {', '.join(list(sizes)[:3])}); check the chromosome names",
            path,
        )
    if elsewhere.any():
        log(f"genes: {int(elsewhere.sum())} on chromosomes without tracks skipped")
        frame = frame[~elsewhere]
    check_in_genome(frame, sizes, path, "chrom", "end")
    if "strand" in frame:
        tss = np.where(frame["strand"].to_numpy() == "-", frame["end"] - 1, frame["start"])
    else:
        tss = frame["start"].to_numpy()
    out: dict[str, np.ndarray] = {}
    for chrom, idx in frame.groupby("chrom", sort=False).indices.items():
        out[str(chrom)] = np.unique(np.asarray(tss)[idx] // bin_size)
    return out


def check_resolution(path: Path, bin_size: int) -> None:
    """Refuse a bigWig whose intervals are laid on a grid that does not divide ``bin_size``.

    The grid is the greatest common divisor of the interval boundaries seen on the first
    chromosome with data (chromosome ends excepted): a track at 2 kb cannot be binned at 5 kb
    without splitting its intervals; base-resolution tracks (grid 1) always pass.
    """
    import math

    with open_bigwig(path) as handle:
        for chrom, size in handle.chroms().items():
            intervals = handle.intervals(chrom, 0, size) or []
            bounds = [x for s, e, _ in intervals[:2000] for x in (s, e) if x != size]
            if not bounds:
                continue
            grid = math.gcd(*bounds)
            if grid and bin_size % grid:
                raise InputError(
                    f"data lie on a {grid} bp grid, which does not divide --bin-size "
                    f"{bin_size}; use a bin size that is a multiple of {grid}",
                    path,
                )
            return


def chromosomes_of(inputs: Inputs) -> dict[str, int]:
    """Chromosomes present in every track (and the target), in the first track's order."""
    sizes = bigwig_chroms(inputs.tracks[0])
    others = list(inputs.tracks[1:]) + ([inputs.target] if inputs.target else [])
    for other in others:
        theirs = bigwig_chroms(other)
        common = {c: n for c, n in sizes.items() if c in theirs}
        if not common:
            raise InputError(
                f"shares no chromosome with {inputs.tracks[0]} (it has "
                f"{', '.join(list(theirs)[:3])}; the other has {', '.join(list(sizes)[:3])}); "
                "are the chromosome names from the same assembly?",
                other,
            )
        for c, n in common.items():
            if theirs[c] != n:
                raise InputError(
                    f"{c} is {theirs[c]} bp here but {n} bp in {inputs.tracks[0]}; "
                    "are these files from the same assembly?",
                    other,
                )
        sizes = common
    return sizes


def load_graphs(
    inputs: Inputs,
    split: dict[str, str] | None = None,
    val: list[str] | None = None,
    test: list[str] | None = None,
    log=None,
    only: list[str] | None = None,
) -> list[Data]:
    """One ``Data`` per chromosome of the tracks (those without contacts have no edges);
    with ``only``, just those chromosomes (tracks are read for them alone).

    Each graph has ``x: (n_bins, n_tracks) float32`` (raw track means per bin),
    ``y: (n_bins,) float32`` (target, zeros when there is none), ``edge_index: (2, E) int64``,
    ``edge_weight: (E,) float32``, ``gene_mask: (n_bins,) bool``, ``chrom: str`` and
    ``split: str``. ``log(message)`` receives notes on dropped contacts and chromosomes.
    """
    log = log or (lambda message: None)
    for track in [*inputs.tracks, *([inputs.target] if inputs.target else [])]:
        check_resolution(track, inputs.bin_size)
    sizes = chromosomes_of(inputs)
    edges, stats = contact_edges(inputs.contacts, sizes, inputs.bin_size, log)
    dropped = stats.inter_chromosomal + stats.off_genome
    if dropped:
        log(
            f"contacts: {stats.inter_chromosomal} between chromosomes and {stats.off_genome} "
            f"off the tracks' chromosomes were dropped ({stats.kept} of {stats.total} kept)"
        )
    if not edges:
        raise InputError(
            f"no contact lies on the tracks' chromosomes ({', '.join(list(sizes)[:3])}, ...); "
            "check the chromosome names (e.g. 'chr1' vs '1')",
            inputs.contacts,
        )
    without = [c for c in sizes if c not in edges]
    if without:
        log(
            f"{len(without)} chromosome(s) without contacts (kept as graphs without edges): "
            f"{', '.join(without[:5])}{', ...' if len(without) > 5 else ''}"
        )
    chroms = [c for c in sizes if only is None or c in only]
    split = split or find_split(inputs, val, test, chroms)
    genes = gene_bins(inputs.genes, sizes, inputs.bin_size, log) if inputs.genes else {}
    handles = [open_bigwig(t) for t in inputs.tracks]
    target = open_bigwig(inputs.target) if inputs.target else None
    graphs = []
    try:
        for chrom in chroms:
            count = n_bins(sizes[chrom], inputs.bin_size)
            x = np.stack([read_bins(h, chrom, inputs.bin_size) for h in handles], axis=1)
            y = read_bins(target, chrom, inputs.bin_size) if target else np.zeros(count, np.float32)
            mask = np.zeros(count, bool)
            mask[genes.get(chrom, np.zeros(0, np.int64))] = True
            pairs, weight = edges.get(chrom, (np.zeros((0, 2), np.int64), np.zeros(0, np.float32)))
            graphs.append(
                Data(
                    x=torch.from_numpy(x),
                    y=torch.from_numpy(y),
                    edge_index=torch.from_numpy(pairs.T.copy()),
                    edge_weight=torch.from_numpy(weight),
                    gene_mask=torch.from_numpy(mask),
                    chrom=chrom,
                    split=split.get(chrom, "train"),
                    num_nodes=count,
                )
            )
    finally:
        for h in handles + ([target] if target else []):
            h.close()
    return graphs
