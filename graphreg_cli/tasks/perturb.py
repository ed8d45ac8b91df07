"""In-silico perturbation: scale a region's input signal, predict the change in expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from graphreg_cli.data.naming import reconcile_names
from graphreg_cli.errors import SettingError, preview
from graphreg_cli.tasks.inference import pick_device, predict_graphs

_REGION = re.compile(r"^([^:\s]+):([\d,]+)-([\d,]+)$")


@dataclass
class Region:
    chrom: str
    start: int
    end: int

    def __str__(self) -> str:
        """1-based inclusive, as the region was given (IGV's and UCSC's form)."""
        return f"{self.chrom}:{self.start + 1:,}-{self.end:,}"


def parse_region(text: str, sizes: dict[str, int]) -> Region:
    """``chr1:1,200,000-1,210,000`` (1-based inclusive, as IGV and UCSC show) → 0-based."""
    match = _REGION.match(text.strip())
    if not match:
        raise SettingError(
            "{region}: expected CHROM:START-END such as chr1:1,200,001-1,210,000", region=text
        )
    chrom, start, end = (
        match.group(1),
        int(match.group(2).replace(",", "")),
        int(match.group(3).replace(",", "")),
    )
    chrom = reconcile_names([chrom], sizes, "--region").get(chrom, chrom)  # 1 = chr1
    if chrom not in sizes:
        raise SettingError(
            f"{{region}}: {chrom} is not among the model's chromosomes ({preview(sizes, 4)})",
            region=text,
        )
    if start < 1 or end < start or end > sizes[chrom]:
        raise SettingError(
            f"{{region}}: must lie within {chrom}:1-{sizes[chrom]:,} with START <= END",
            region=text,
        )
    return Region(chrom, start - 1, end)


@dataclass
class Perturbation:
    """The predicted change in expression when ``region``'s inputs are scaled by ``scale``.

    ``delta``: ``{chrom: (n_bins,) float32}`` (after - before) on the region's chromosome;
    ``genes``: one row per gene bin of that chromosome (``chrom, gene_bin, start, before,
    after, delta``), the largest absolute change first.
    """

    region: Region
    scale: float
    delta: dict[str, np.ndarray]
    genes: pd.DataFrame


def perturb(run, region: str, scale: float = 0.0, device: str = "auto") -> Perturbation:
    """Predicted change in expression when the region's input tracks are multiplied by
    ``scale`` (0 = knock-down)."""
    if not scale >= 0:
        raise SettingError("{scale} must be 0 or more (0 knocks the region down)", scale=scale)
    inputs = run.inputs
    where = parse_region(region, inputs.sizes())
    dev = pick_device(device)
    model = run.model(dev)  # a damaged run fails before the inputs are read
    (graph,), (ready,) = run.load([where.chrom])
    changed = graph.clone()
    changed.x = graph.x.clone()
    flat = changed.x.view(-1, changed.x.shape[-1])  # input bins in order, fine or not
    flat[where.start // inputs.fine : -(-where.end // inputs.fine)] *= scale
    before, after = predict_graphs(model, [ready, run.features.apply(changed)], dev, run.tiling)
    delta = (after - before).astype(np.float32)
    genes = np.flatnonzero(graph.gene_mask.numpy())
    table = pd.DataFrame(
        {
            "chrom": where.chrom,
            "gene_bin": genes,
            "start": genes * inputs.bin_size,
            "before": before[genes],
            "after": after[genes],
            "delta": delta[genes],
        }
    )
    table = table.iloc[np.argsort(-np.abs(table["delta"].to_numpy()), kind="stable")]
    return Perturbation(where, scale, {where.chrom: delta}, table.reset_index(drop=True))
