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
from graphreg_cli.data.naming import check_resolutions, chromosomes_of
from graphreg_cli.io.bigwig import missing_bins, n_bins, open_bigwig, read_bins

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
    ``split: str``. Notes on dropped contacts and chromosomes go to the ``graphreg_cli`` logger.
    """
    check_resolutions(inputs.tracks, inputs.target, inputs.bin_size, inputs.fine)
    sizes, names = chromosomes_of(inputs.tracks, inputs.target)
    edges, stats = contact_edges(inputs.contacts, sizes, inputs.bin_size, inputs.contact_options)
    report_contacts(stats, sizes, inputs.contacts)
    without = [c for c in sizes if c not in edges]
    if without:
        logger.info(
            f"{len(without)} chromosome(s) without contacts (kept as graphs without edges): "
            f"{', '.join(without[:5])}{', ...' if len(without) > 5 else ''}"
        )
    chroms = [c for c in sizes if only is None or c in only]
    split = split or find_split(inputs, val, test, chroms)
    genes = gene_bins(inputs.genes, sizes, inputs.bin_size) if inputs.genes else {}
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
    return graphs


def known(g: Data) -> torch.Tensor:
    """Bins whose target is known, ``(n_bins,) bool`` (``y_known``; every bin of graphs
    without it)."""
    mask = getattr(g, "y_known", None)
    return torch.ones(g.num_nodes, dtype=torch.bool) if mask is None else mask


class _Reader:
    """The open bigWigs of a run's tracks and target, read chromosome by chromosome; counts
    what deserves a note (tracks without data, target bins without data)."""

    def __init__(self, inputs: Inputs, names: dict[Path, dict[str, str]]):
        self.inputs, self.names = inputs, names
        self.paths = [*inputs.tracks, *([inputs.target] if inputs.target else [])]
        self.handles: dict = {}
        self.empty: dict[str, list[str]] = {}
        self.missing = 0

    def __enter__(self) -> _Reader:
        self.handles = {p: open_bigwig(p) for p in self.paths}
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles.values():
            handle.close()

    def tracks(self, chrom: str, count: int) -> np.ndarray:
        """``(count, n_tracks)`` or ``(count, pool, n_tracks)`` float32 (see load_graphs)."""
        inputs, columns = self.inputs, []
        for path in inputs.tracks:
            values = read_bins(self.handles[path], self.names[path][chrom], inputs.fine)
            if not values.any():
                self.empty.setdefault(path.name, []).append(chrom)
            columns.append(_fit(values, count * inputs.pool))
        x = np.stack(columns, axis=1)
        return x.reshape(count, inputs.pool, len(columns)) if inputs.pool > 1 else x

    def target(self, chrom: str, count: int) -> tuple[np.ndarray, np.ndarray]:
        """``(y, known)``: the target ``(count,) float32`` (0 where unknown) and which bins
        hold data, ``(count,) bool`` (False for bins with NaN: no data, left out of the
        loss and the metrics); zeros and all known without a target."""
        target = self.inputs.target
        if target is None:
            return np.zeros(count, np.float32), np.ones(count, bool)
        handle, name = self.handles[target], self.names[target][chrom]
        y = read_bins(handle, name, self.inputs.bin_size)
        missing = missing_bins(handle, name, self.inputs.bin_size)
        self.missing += int(missing.sum())
        y[missing] = 0.0
        return y, ~missing

    def report(self) -> None:
        for name, chroms in self.empty.items():
            logger.warning(
                f"{name} has no data on {len(chroms)} chromosome(s) "
                f"({', '.join(chroms[:5])}{', ...' if len(chroms) > 5 else ''}); "
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
