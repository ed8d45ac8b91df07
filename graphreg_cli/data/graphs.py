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

from graphreg_cli.data.edges import EMPTY, contact_edges
from graphreg_cli.data.genes import gene_bins
from graphreg_cli.data.inputs import Inputs, find_split
from graphreg_cli.data.naming import chromosomes_of, did_you_mean
from graphreg_cli.data.resolution import check_resolutions
from graphreg_cli.errors import InputError, preview
from graphreg_cli.io.bigwig import n_bins, open_bigwig, read_bins

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
    ``y: (n_bins,) float32`` (target, zeros when there is none), ``edge_index: (2, E) int64``,
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
    with _Tracks(inputs, names) as tracks:
        for chrom in chroms:
            count = n_bins(sizes[chrom], inputs.bin_size)
            mask = np.zeros(count, bool)
            mask[genes.get(chrom, np.zeros(0, np.int64))] = True
            pairs, weight = edges.get(chrom, EMPTY)
            graphs.append(
                Data(
                    x=torch.from_numpy(tracks.inputs(chrom, count)),
                    y=torch.from_numpy(tracks.target(chrom, count)),
                    edge_index=torch.from_numpy(pairs.T.copy()),
                    edge_weight=torch.from_numpy(weight),
                    gene_mask=torch.from_numpy(mask),
                    chrom=chrom,
                    split=split.get(chrom, "train"),
                    num_nodes=count,
                )
            )
    if inputs.genome is not None:
        from graphreg_cli.data.genome import attach_sequence

        attach_sequence(graphs, inputs.genome, sizes, inputs.bin_size, inputs.tracks[0].name)
    return graphs


def graph_edges(inputs: Inputs, sizes: dict[str, int]) -> dict[str, tuple]:
    """The contacts as ``{chrom: (pairs (E, 2) int64, weight (E,) float32)}`` on the tracks'
    chromosomes ``sizes``, with notes on what was dropped; none at all is an error."""
    edges, stats = contact_edges(inputs.contacts, sizes, inputs.bin_size, inputs.contact_options)
    if stats.inter_chromosomal + stats.off_genome:
        logger.info(
            f"contacts: {stats.inter_chromosomal} between chromosomes and {stats.off_genome} "
            f"off the tracks' chromosomes were dropped ({stats.kept} of {stats.total} kept)"
        )
    if not edges:
        theirs = stats.unknown[0] if stats.unknown else "none"
        raise InputError(
            f"no contact lies on the tracks' chromosomes (contacts on {theirs}, tracks on "
            f"{preview(sizes)}){did_you_mean(theirs, sizes)}; "
            "check the chromosome names (e.g. 'chr1' vs '1')",
            inputs.contacts,
        )
    without = [c for c in sizes if c not in edges]
    if without:
        logger.info(
            f"{len(without)} chromosome(s) without contacts (kept as graphs without edges): "
            f"{preview(without, 5)}"
        )
    return edges


class _Tracks:
    """The input tracks and the target of ``inputs``, open for reading chromosome by
    chromosome (``names[path][chrom]``: the name each file uses); on closing, warns about
    tracks that had no data on some chromosomes."""

    def __init__(self, inputs: Inputs, names: dict[Path, dict[str, str]]):
        self.spec, self.names = inputs, names
        paths = list(dict.fromkeys([*inputs.tracks, *inputs.targets]))
        self.handles = {p: open_bigwig(p) for p in paths}
        self.empty: dict[str, list[str]] = {}
        self.negative: set[str] = set()

    def __enter__(self) -> _Tracks:
        return self

    def __exit__(self, *exc) -> None:
        for handle in self.handles.values():
            handle.close()
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

    def inputs(self, chrom: str, count: int) -> np.ndarray:
        """``(count, n_tracks)`` or, with finer tracks, ``(count, pool, n_tracks)`` float32."""
        spec, columns = self.spec, []
        for path in spec.tracks:
            values = read_bins(self.handles[path], self.names[path][chrom], spec.fine)
            if not values.any():
                self.empty.setdefault(path.name, []).append(chrom)
            columns.append(_fit(values, count * spec.pool))
        x = np.stack(columns, axis=1)
        return x.reshape(count, spec.pool, len(columns)) if spec.pool > 1 else x

    def target(self, chrom: str, count: int) -> np.ndarray:
        """``(count,) float32`` target per graph bin: the targets (strands) summed, as
        absolute values; zeros without a target."""
        y = np.zeros(count, np.float32)
        for path in self.spec.targets:  # minus strands may be written negative
            values = read_bins(self.handles[path], self.names[path][chrom], self.spec.bin_size)
            if (values < 0).any():
                self.negative.add(path.name)
            y += np.abs(values)
        return y


def _fit(values: np.ndarray, length: int) -> np.ndarray:
    """Pad (the partial last graph bin) or cut ``values`` to ``length``."""
    if len(values) >= length:
        return values[:length]
    return np.concatenate([values, np.zeros(length - len(values), values.dtype)])
