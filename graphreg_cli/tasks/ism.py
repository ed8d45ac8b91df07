"""In-silico mutagenesis: every base of a region changed to each other base, as GraphReg's ISM.

The score of a base is ``-sum over the 3 other bases of the change`` (GraphReg's
``-np.sum(ISM_scores, axis=2)``): positive where the reference base supports the output.
The output is the predicted ``log2(1 + CAGE)`` of ``gene``, or, without a gene, the first
epigenome track (DNase) at the changed base's own input bin. All SNVs of the region share one
forward pass of its window (:mod:`graphreg_cli.tasks.mutagenesis`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphreg_cli.data.naming import did_you_mean
from graphreg_cli.data.tiles import tile
from graphreg_cli.errors import SettingError
from graphreg_cli.simulation.variants import log2_change
from graphreg_cli.tasks.inference import pick_device
from graphreg_cli.tasks.mutagenesis import window_effects
from graphreg_cli.tasks.perturb import Region, parse_region
from graphreg_cli.tasks.variants import require_sequence_model

MAX_ISM_BP = 100_000  # 3 SNVs a base


@dataclass
class Mutagenesis:
    """``scores: (region length,) float32`` per base; ``output``: what changes (the gene's
    log2(1 + CAGE), or the first epigenome track); ``seconds`` for the SNVs."""

    region: Region
    scores: np.ndarray
    output: str
    seconds: float


def find_gene(run, name: str, chrom: str) -> int:
    """The graph bin of gene ``name`` (its TSS) on ``chrom``."""
    from graphreg_cli.data.genes import gene_tss

    inputs = run.inputs
    if inputs.genes is None:
        raise SettingError("{gene}: the run has no gene annotation", gene=name)
    table = gene_tss(inputs.genes, inputs.sizes())
    hit = table[table["gene"] == name]
    if hit.empty:
        raise SettingError(
            f"{{gene}} is not in {inputs.genes.name}{did_you_mean(name, table['gene'])}", gene=name
        )
    if hit["chrom"].iat[0] != chrom:
        raise SettingError(
            f"{{gene}} lies on {hit['chrom'].iat[0]}, not on the region's {chrom}", gene=name
        )
    return int(hit["tss"].iat[0]) // inputs.bin_size


def ism(run, region: str, gene: str | None = None, device: str = "auto", progress=None):
    """Per-base ISM scores over ``region`` (``chr1:1,200,001-1,201,000``); see module."""
    import time

    require_sequence_model(run, "ism")
    inputs = run.inputs
    where = parse_region(region, inputs.sizes())
    length = where.end - where.start
    window_bp = run.tiling.window * inputs.bin_size
    if window_bp and length > window_bp:
        raise SettingError(
            f"{{region}} is {length:,} bp, longer than the model's {window_bp:,} bp window; "
            "split it into regions of one window",
            region=region,
        )
    if length > MAX_ISM_BP:
        raise SettingError(
            f"{{region}} is {length:,} bp; ISM scores 3 SNVs a base, at most {MAX_ISM_BP:,} bp "
            "a run",
            region=region,
        )
    target = find_gene(run, gene, where.chrom) if gene else None
    (_,), (ready,) = run.load([where.chrom])
    window = _window_for(ready, run.tiling, where, inputs.bin_size)
    positions = np.arange(where.start, where.end)
    flat = ready.seq.reshape(-1).numpy()
    ref = flat[positions].astype(np.int64)
    alts = np.stack([(ref + k) % 4 for k in (1, 2, 3)], axis=1).reshape(-1)
    offsets = np.repeat(positions, 3) - window.start * inputs.bin_size
    clock = time.perf_counter()
    effects = window_effects(
        run.model(pick_device(device)), window, offsets, alts, pick_device(device), progress
    )
    seconds = time.perf_counter() - clock
    if target is not None:
        local = target - window.start
        if not 0 <= local < window.num_nodes:
            raise SettingError("{gene} lies outside the region's window", gene=gene)
        delta = log2_change(effects.cage_ref[local], effects.cage_alt[:, local])
        output = f"log2(1 + CAGE) of {gene}"
    else:
        spec = run.features
        delta = (spec.unscale(effects.epigenome_alt) - spec.unscale(effects.epigenome_ref))[:, 0]
        output = "first epigenome track at the base's input bin"
    scores = -delta.reshape(-1, 3).sum(axis=1)
    return Mutagenesis(where, scores.astype(np.float32), output, seconds)


def _window_for(graph, tiling, where: Region, bin_size: int):
    """The window that owns the region's first bin; the region must lie inside it."""
    first, last = where.start // bin_size, (where.end - 1) // bin_size
    for window in tile(graph, tiling):
        if window.start <= first and last < window.start + window.num_nodes:
            own = window.own.numpy()
            if own[first - window.start] or own[last - window.start]:
                return window
    raise SettingError(
        "{region} straddles two of the model's windows; move or shorten it", region=str(where)
    )
