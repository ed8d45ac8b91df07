"""Genomic files → one PyG graph per chromosome.

Nodes are bins of ``bin_size`` bp (the graph resolution, where CAGE is predicted); node
features are the epigenomic tracks read at ``input_bin_size`` (finer, e.g. 100 bp, pooled
into nodes by the model's trunk), the target is CAGE, edges are chromatin contacts.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from graphreg_cli.data.edges import EMPTY, contact_edges, distance_edges, report_contacts
from graphreg_cli.data.expression import gene_targets
from graphreg_cli.data.genes import gene_tss, tss_bins
from graphreg_cli.data.inputs import Inputs, find_split
from graphreg_cli.data.naming import chromosomes_of
from graphreg_cli.data.regions import RegionSplit, attach_parts
from graphreg_cli.data.resolution import check_resolutions
from graphreg_cli.errors import NAME_ONLY, SettingError, preview
from graphreg_cli.io.bigwig import n_bins
from graphreg_cli.io.tracks import open_track

logger = logging.getLogger(__name__)


def load_graphs(
    inputs: Inputs,
    split: dict[str, str] | None = None,
    val: list[str] | None = None,
    test: list[str] | None = None,
    only: list[str] | None = None,
    regions: RegionSplit | None = None,
) -> list[Data]:
    """One ``Data`` per chromosome of the tracks (those without contacts have no edges);
    with ``only``, just those chromosomes (tracks are read for them alone); with
    ``regions``, each graph also has ``node_part: (n_bins,) int8``, the part of each bin
    (:mod:`graphreg_cli.data.regions`).

    Each graph has ``x: (n_bins, n_tracks) float32`` (raw track means per bin) or, when the
    tracks are finer than the graph (``pool = bin_size / input_bin_size > 1``),
    ``x: (n_bins, pool, n_tracks) float32`` (the input bins of each node, in order);
    ``y: (n_bins,) float32`` (target, zeros when there is none), ``y_known: (n_bins,) bool``
    (False where the target holds NaN: no data), ``edge_index: (2, E) int64``,
    ``edge_weight: (E,) float32``, ``gene_mask: (n_bins,) bool``, ``chrom: str`` and
    ``split: str``; with ``inputs.genome``, ``seq: (n_bins, bin_size) uint8`` DNA codes
    (:mod:`graphreg_cli.data.genome`). Notes on dropped contacts and chromosomes go to the
    ``graphreg_cli`` logger.
    """
    fmt = inputs.track_format
    track_target = inputs.targets[0] if inputs.targets else None
    check_resolutions(inputs.tracks, track_target, inputs.bin_size, inputs.fine, fmt)
    for extra in inputs.targets[1:]:
        check_resolutions([], extra, inputs.bin_size, inputs.fine, fmt)
    sizes, names = chromosomes_of([*inputs.tracks, *inputs.targets[1:]], track_target, fmt)
    edges = graph_edges(inputs, sizes)
    chroms = [c for c in sizes if only is None or c in only]
    if split is None and regions is not None:  # chromosomes are not split
        split = {c: "train" for c in chroms}
    split = split or find_split(inputs, val, test, chroms)
    genes, tss = {}, None
    if inputs.genes:
        tss = gene_tss(inputs.genes, sizes, inputs.gene_types, inputs.tss)
        genes = tss_bins(tss, inputs.bin_size)
    table = table_target(inputs, sizes, tss) if inputs.target_is_table else None
    graphs = []
    with _Reader(inputs, names, table) as reader:
        for chrom in chroms:
            count = n_bins(sizes[chrom], inputs.bin_size)
            y, known = reader.target(chrom, count)
            mask = np.zeros(count, bool)
            mask[genes.get(chrom, np.zeros(0, np.int64))] = True
            pairs, weight = edges.get(chrom, EMPTY)
            graphs.append(
                Data(
                    x=torch.from_numpy(reader.tracks(chrom, count)),
                    y=torch.from_numpy(y),
                    y_known=torch.from_numpy(known),
                    edge_index=torch.from_numpy(pairs.T.copy()),
                    edge_weight=torch.from_numpy(weight),
                    gene_mask=torch.from_numpy(mask),
                    chrom=chrom,
                    split=split.get(chrom, "train"),
                    num_nodes=count,
                )
            )
    reader.report()
    if regions is not None:
        attach_parts(graphs, regions, inputs.bin_size)
    if inputs.genome is not None:
        from graphreg_cli.data.genome import attach_sequence

        attach_sequence(graphs, inputs.genome, sizes, inputs.bin_size, inputs.tracks[0].name)
    return graphs


def table_target(inputs: Inputs, sizes: dict[str, int], genes=None) -> dict[str, tuple]:
    """A gene table put on the gene bins: ``{chrom: (y (n_bins,) float32, known (n_bins,)
    bool)}`` (:func:`graphreg_cli.data.expression.gene_targets`); it needs the genes
    (``genes``: their TSS table when already read)."""
    if inputs.genes is None:
        raise SettingError(
            "a gene table as the target needs the genes it names: give {genes} (BED or GTF)",
            genes=NAME_ONLY,
        )
    if genes is None:
        genes = gene_tss(inputs.genes, sizes, inputs.gene_types, inputs.tss)
    found = gene_targets(inputs.target, genes, sizes, inputs.bin_size, inputs.target_settings)
    return found.bins


def graph_edges(inputs: Inputs, sizes: dict[str, int]) -> dict[str, tuple]:
    """The contacts as ``{chrom: (pairs (E, 2) int64, weight (E,) float32)}`` on the tracks'
    chromosomes ``sizes``, with notes on what was dropped; none at all is an error. Without
    a contacts file, the graph of genomic distance
    (:func:`graphreg_cli.data.edges.distance_edges`)."""
    if inputs.contacts is None:
        return distance_edges(sizes, inputs.bin_size, inputs.contact_options.distance_bp)
    edges, stats = contact_edges(inputs.contacts, sizes, inputs.bin_size, inputs.contact_options)
    report_contacts(stats, sizes, inputs.contacts)
    without = [c for c in sizes if c not in edges]
    if without:
        logger.info(
            f"{len(without)} chromosome(s) without contacts (kept as graphs without edges): "
            f"{preview(without, 5)}"
        )
    return edges


def known(g: Data) -> torch.Tensor:
    """Bins whose target is known, ``(n_bins,) bool`` (``y_known``; every bin of graphs
    without it)."""
    mask = getattr(g, "y_known", None)
    return torch.ones(g.num_nodes, dtype=torch.bool) if mask is None else mask


class _Reader:
    """The open tracks and targets of a run, read chromosome by chromosome; counts what
    deserves a note (tracks without data, target bins without data, negative strands).
    ``table``: a gene table's target on the bins (:func:`table_target`), else None."""

    def __init__(self, inputs: Inputs, names: dict[Path, dict[str, str]], table=None):
        self.inputs, self.names, self.table = inputs, names, table
        self.paths = list(dict.fromkeys([*inputs.tracks, *inputs.targets]))
        self.handles: dict = {}
        self.empty: dict[str, list[str]] = {}
        self.missing = 0
        self.negative: set[str] = set()

    def __enter__(self) -> _Reader:
        fmt = self.inputs.track_format
        try:
            for path in self.paths:
                self.handles[path] = open_track(path, fmt)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles.values():
            handle.close()

    def tracks(self, chrom: str, count: int) -> np.ndarray:
        """``(count, n_tracks)`` or ``(count, pool, n_tracks)`` float32 (see load_graphs)."""
        inputs, columns = self.inputs, []
        for path in inputs.tracks:
            name = self.names[path][chrom]
            values = self.handles[path].bins(name, inputs.fine)
            if not values.any():
                self.empty.setdefault(path.name, []).append(chrom)
            columns.append(_fit(values, count * inputs.pool))
        x = np.stack(columns, axis=1)
        return x.reshape(count, inputs.pool, len(columns)) if inputs.pool > 1 else x

    def target(self, chrom: str, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``(y, known)``: the target ``(count,) float32`` — the targets (strands) summed as
        absolute values, 0 where unknown — and which bins hold data, ``(count,) bool`` (False
        for bins with NaN in any target: no data, left out of the loss and the metrics);
        zeros and all known without a target. A gene table's target is known at the bins of
        the genes it gives a value."""
        if self.table is not None:
            y, known_bins = self.table.get(chrom, (None, None))
            if y is None:
                return np.zeros(count, np.float32), np.zeros(count, bool)
            return _fit(y, count), _fit(known_bins, count)
        y, missing = np.zeros(count, np.float32), np.zeros(count, bool)
        for path in self.inputs.targets:  # minus strands may be written negative
            handle, name = self.handles[path], self.names[path][chrom]
            values = handle.bins(name, self.inputs.bin_size)
            if (values < 0).any():
                self.negative.add(path.name)
            y += np.abs(values)
            missing |= handle.missing(name, self.inputs.bin_size)
        self.missing += int(missing.sum())
        y[missing] = 0.0
        return y, ~missing

    def report(self) -> None:
        for name in sorted(self.negative):
            logger.info(
                f"{name} has negative values (ENCODE writes minus-strand signal below zero); "
                "their absolute values are used"
            )
        for name, chroms in self.empty.items():
            logger.warning(
                f"{name} has no data on {len(chroms)} chromosome(s) ({preview(chroms, 5)}); "
                "their inputs are all zero"
            )
        if self.missing:
            logger.info(
                f"{self.inputs.target.name}: {self.missing} bin(s) hold NaN (no data); they "
                "are left out of the loss and the metrics"
            )


def _fit(values: np.ndarray, length: int) -> np.ndarray:
    """Pad (the partial last graph bin) or cut ``values`` to ``length``."""
    if len(values) >= length:
        return values[:length]
    return np.concatenate([values, np.zeros(length - len(values), values.dtype)])
