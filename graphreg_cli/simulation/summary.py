"""Rich summary tables printed at the end of commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.table import Table

from graphreg_cli.simulation.generator import Dataset


def dataset_table(data: Dataset, out: Path) -> Table:
    """What ``graphreg simulate`` wrote: split, elements, links and track statistics."""
    chroms = data.chromosomes
    dnase = np.concatenate([c.dnase for c in chroms])
    cage = np.concatenate([c.cage for c in chroms])
    train, val, test = data.params.split
    n_genes = sum(len(c.gene_bins) for c in chroms)
    links = sum(len(c.links) for c in chroms)
    decoys = sum(c.n_decoys for c in chroms)
    table = Table(title=f"Simulated dataset in {out}/", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("chromosomes", f"{len(chroms)} (train {train}, val {val}, test {test})")
    counts = {len(c.dnase) for c in chroms}
    size = data.params.bin_size
    if len(counts) == 1:
        table.add_row("bins", f"{counts.pop()} x {size} bp per chromosome")
    else:
        total = sum(len(c.dnase) for c in chroms)
        genome = sum(data.sizes.values()) / 1e6
        table.add_row("bins", f"{total:,} x {size} bp ({genome:,.1f} Mb, real chromosome sizes)")
    table.add_row("genes", str(n_genes))
    enhancers = sum(len(c.enhancer_bins) for c in chroms)
    silencers = sum(len(c.silencer_bins) for c in chroms)
    table.add_row("enhancers / silencers", f"{enhancers} / {silencers}")
    table.add_row("contacts", f"{links} true links + {decoys} decoys")
    table.add_row("contacts per gene", f"{(links + decoys) / max(n_genes, 1):.2f}")
    table.add_row("mean DNase / CAGE", f"{dnase.mean():.3f} / {cage.mean():.3f}")
    table.add_row("non-zero CAGE bins", f"{(cage > 0).mean():.1%}")
    if hasattr(data, "variants"):  # simulate --sequence
        hits = sum(len(c.hits) for c in chroms)
        planted = sum(len(c.instances) for c in chroms)
        table.add_row("motif hits", f"{hits} ({planted} planted, {hits - planted} background)")
        effect = sum(v.sign != 0 for v in data.variants)
        table.add_row(
            "SNVs (variants.vcf)",
            f"{effect} with an effect + {len(data.variants) - effect} neutral",
        )
    table.add_row("open in IGV", str(out / "igv_session.xml"))
    return table
