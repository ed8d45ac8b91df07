"""In-silico perturbation: scale a region's input signal, predict the change in expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from graphreg_cli.errors import SettingError

_REGION = re.compile(r"^([^:\s]+):([\d,]+)-([\d,]+)$")


@dataclass
class Region:
    chrom: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.chrom}:{self.start:,}-{self.end:,}"


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
    if chrom not in sizes:
        raise SettingError(
            f"{{region}}: {chrom} is not among the model's chromosomes "
            f"({', '.join(list(sizes)[:4])}, ...)",
            region=text,
        )
    if start < 1 or end < start or end > sizes[chrom]:
        raise SettingError(
            f"{{region}}: must lie within {chrom}:1-{sizes[chrom]:,} with START <= END",
            region=text,
        )
    return Region(chrom, start - 1, end)


def perturb_run(run_dir, region_text: str, scale: float = 0.0, device: str = "auto"):
    """Predicted change in expression when the region's input tracks are multiplied by
    ``scale`` (0 = knock-down). Returns ``(sizes, {chrom: delta (n_bins,)}, bin size, region,
    genes table)``; the genes table lists gene bins by absolute change, largest first.
    """
    import pandas as pd

    from graphreg_cli.data.graphs import load_graphs
    from graphreg_cli.io.bigwig import bigwig_chroms
    from graphreg_cli.tasks.runs import open_run
    from graphreg_cli.tasks.train import pick_device, predict_graphs

    run = open_run(run_dir)
    inputs = run.inputs
    sizes = bigwig_chroms(inputs.tracks[0])
    region = parse_region(region_text, sizes)
    dev = pick_device(device)
    (graph,) = load_graphs(inputs, split=run.split, only=[region.chrom])
    model = run.model(dev)
    spec = run.features
    changed = graph.clone()
    changed.x = graph.x.clone()
    flat = changed.x.view(-1, changed.x.shape[-1])  # input bins in order, fine or not
    flat[region.start // inputs.fine : -(-region.end // inputs.fine)] *= scale
    outs = predict_graphs(model, [spec.apply(graph), spec.apply(changed)], dev, run.tiling)
    delta = (outs[1] - outs[0]).astype(np.float32)
    genes = np.flatnonzero(graph.gene_mask.numpy())
    table = pd.DataFrame(
        {
            "chrom": region.chrom,
            "gene_bin": genes,
            "start": genes * inputs.bin_size,
            "before": outs[0][genes],
            "after": outs[1][genes],
            "delta": delta[genes],
        }
    )
    table = table.iloc[np.argsort(-np.abs(table["delta"].to_numpy()), kind="stable")]
    return sizes, {region.chrom: delta}, inputs.bin_size, region, table
