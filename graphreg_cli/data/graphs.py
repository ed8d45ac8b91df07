"""Genomic files → one PyG graph per chromosome.

Nodes are bins of ``bin_size`` bp (the graph resolution, where CAGE is predicted); node
features are the epigenomic tracks read at ``input_bin_size`` (finer, e.g. 100 bp, pooled
into nodes by the model's trunk), the target is CAGE, edges are chromatin contacts.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch_geometric.data import Data

from graphreg_cli.data.edges import EMPTY, contact_edges
from graphreg_cli.data.genes import gene_bins
from graphreg_cli.data.inputs import Inputs, find_split
from graphreg_cli.data.naming import check_resolutions, chromosomes_of, did_you_mean
from graphreg_cli.errors import InputError
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
    sizes, names = chromosomes_of(inputs.tracks, inputs.target)
    edges, stats = contact_edges(inputs.contacts, sizes, inputs.bin_size, inputs.contact_options)
    dropped = stats.inter_chromosomal + stats.off_genome
    if dropped:
        logger.info(
            f"contacts: {stats.inter_chromosomal} between chromosomes and {stats.off_genome} "
            f"off the tracks' chromosomes were dropped ({stats.kept} of {stats.total} kept)"
        )
    if not edges:
        theirs = stats.unknown[0] if stats.unknown else "none"
        raise InputError(
            f"no contact lies on the tracks' chromosomes (contacts on {theirs}, tracks on "
            f"{', '.join(list(sizes)[:3])}, ...){did_you_mean(theirs, sizes)}; "
            "check the chromosome names (e.g. 'chr1' vs '1')",
            inputs.contacts,
        )
    without = [c for c in sizes if c not in edges]
    if without:
        logger.info(
            f"{len(without)} chromosome(s) without contacts (kept as graphs without edges): "
            f"{', '.join(without[:5])}{', ...' if len(without) > 5 else ''}"
        )
    chroms = [c for c in sizes if only is None or c in only]
    split = split or find_split(inputs, val, test, chroms)
    genes = gene_bins(inputs.genes, sizes, inputs.bin_size) if inputs.genes else {}
    paths = [*inputs.tracks, *([inputs.target] if inputs.target else [])]
    handles = {p: open_bigwig(p) for p in paths}
    empty: dict[str, list[str]] = {}
    graphs = []
    try:
        for chrom in chroms:
            count = n_bins(sizes[chrom], inputs.bin_size)
            columns = []
            for path in inputs.tracks:
                values = read_bins(handles[path], names[path][chrom], inputs.fine)
                if not values.any():
                    empty.setdefault(path.name, []).append(chrom)
                columns.append(_fit(values, count * inputs.pool))
            x = np.stack(columns, axis=1)
            if inputs.pool > 1:
                x = x.reshape(count, inputs.pool, len(columns))
            if inputs.target:
                y = read_bins(handles[inputs.target], names[inputs.target][chrom], inputs.bin_size)
            else:
                y = np.zeros(count, np.float32)
            mask = np.zeros(count, bool)
            mask[genes.get(chrom, np.zeros(0, np.int64))] = True
            pairs, weight = edges.get(chrom, EMPTY)
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
        for h in handles.values():
            h.close()
    for name, chroms_without in empty.items():
        logger.warning(
            f"{name} has no data on {len(chroms_without)} chromosome(s) "
            f"({', '.join(chroms_without[:5])}{', ...' if len(chroms_without) > 5 else ''}); "
            "their inputs are all zero"
        )
    if inputs.genome is not None:
        from graphreg_cli.data.genome import attach_sequence

        attach_sequence(graphs, inputs.genome, sizes, inputs.bin_size, inputs.tracks[0].name)
    return graphs


def _fit(values: np.ndarray, length: int) -> np.ndarray:
    """Pad (the partial last graph bin) or cut ``values`` to ``length``."""
    if len(values) >= length:
        return values[:length]
    return np.concatenate([values, np.zeros(length - len(values), values.dtype)])
