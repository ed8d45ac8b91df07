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

from graphreg_cli.data.edges import EMPTY, contact_edges, report_contacts
from graphreg_cli.data.genes import gene_bins
from graphreg_cli.data.inputs import Inputs, find_split
from graphreg_cli.data.naming import chromosomes_of
from graphreg_cli.data.resolution import check_resolutions
from graphreg_cli.errors import preview
from graphreg_cli.io.bigwig import missing_bins, n_bins, open_bigwig, read_bins
from graphreg_cli.io.bigwig_sums import open_sums

logger = logging.getLogger(__name__)


def load_graphs(
    inputs: Inputs,
    split: dict[str, str] | None = None,
    val: list[str] | None = None,
    test: list[str] | None = None,
    only: list[str] | None = None,
) -> list[Data]:
    """One ``Data`` per chromosome of the tracks (those without contacts have no edges);
    with ``only``, just those chromosomes (tracks are read for them alone).

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
    check_resolutions(inputs.tracks, inputs.target, inputs.bin_size, inputs.fine)
    for extra in inputs.extra_targets:
        check_resolutions([], extra, inputs.bin_size, inputs.fine)
    sizes, names = chromosomes_of([*inputs.tracks, *inputs.extra_targets], inputs.target)
    edges = graph_edges(inputs, sizes)
    chroms = [c for c in sizes if only is None or c in only]
    split = split or find_split(inputs, val, test, chroms)
    genes = {}
    if inputs.genes:
        genes = gene_bins(inputs.genes, sizes, inputs.bin_size, inputs.gene_types, inputs.tss)
    graphs = []
    with _Reader(inputs, names) as reader:
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
    if inputs.genome is not None:
        from graphreg_cli.data.genome import attach_sequence

        attach_sequence(graphs, inputs.genome, sizes, inputs.bin_size, inputs.tracks[0].name)
    return graphs


def graph_edges(inputs: Inputs, sizes: dict[str, int]) -> dict[str, tuple]:
    """The contacts as ``{chrom: (pairs (E, 2) int64, weight (E,) float32)}`` on the tracks'
    chromosomes ``sizes``, with notes on what was dropped; none at all is an error."""
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
    """The open bigWigs of a run's tracks and targets, read chromosome by chromosome; counts
    what deserves a note (tracks without data, target bins without data, negative strands)."""

    def __init__(self, inputs: Inputs, names: dict[Path, dict[str, str]]):
        self.inputs, self.names = inputs, names
        self.paths = list(dict.fromkeys([*inputs.tracks, *inputs.targets]))
        self.handles: dict = {}
        self.sums: dict = {}  # the same files opened by pybigtools (None where it cannot)
        self.empty: dict[str, list[str]] = {}
        self.missing = 0
        self.negative: set[str] = set()

    def __enter__(self) -> _Reader:
        self.handles = {p: open_bigwig(p) for p in self.paths}
        self.sums = {p: open_sums(p) for p in self.paths}
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles.values():
            handle.close()
        for reader in self.sums.values():
            if reader is not None:
                reader.close()

    def tracks(self, chrom: str, count: int) -> np.ndarray:
        """``(count, n_tracks)`` or ``(count, pool, n_tracks)`` float32 (see load_graphs)."""
        inputs, columns = self.inputs, []
        for path in inputs.tracks:
            name = self.names[path][chrom]
            values = read_bins(self.handles[path], name, inputs.fine, sums_reader=self.sums[path])
            if not values.any():
                self.empty.setdefault(path.name, []).append(chrom)
            columns.append(_fit(values, count * inputs.pool))
        x = np.stack(columns, axis=1)
        return x.reshape(count, inputs.pool, len(columns)) if inputs.pool > 1 else x

    def target(self, chrom: str, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``(y, known)``: the target ``(count,) float32`` — the targets (strands) summed as
        absolute values, 0 where unknown — and which bins hold data, ``(count,) bool`` (False
        for bins with NaN in any target: no data, left out of the loss and the metrics);
        zeros and all known without a target."""
        y, missing = np.zeros(count, np.float32), np.zeros(count, bool)
        for path in self.inputs.targets:  # minus strands may be written negative
            handle, name = self.handles[path], self.names[path][chrom]
            values = read_bins(handle, name, self.inputs.bin_size, sums_reader=self.sums[path])
            if (values < 0).any():
                self.negative.add(path.name)
            y += np.abs(values)
            missing |= missing_bins(handle, name, self.inputs.bin_size)
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
