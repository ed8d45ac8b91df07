"""Regulator–gene links as BEDPE: true links to check explanations against, and explained
links for IGV (arcs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import InputError
from graphreg_cli.io.bedpe import read_bedpe, write_bedpe


def read_truth(path: str | Path, bin_size: int) -> pd.DataFrame:
    """True links from a BEDPE with the regulator anchor first and the gene anchor second
    (as ``graphreg simulate`` writes ``links.bedpe``); a score of -1 marks a silencer.
    Returns ``chrom, gene_bin, element_bin, sign (+1/-1)``."""
    frame = read_bedpe(path)
    if frame.empty:
        raise InputError("holds no links (the file is empty); give one link per line", path)
    sign = np.ones(len(frame))
    if "score" in frame:
        sign = np.where(pd.to_numeric(frame["score"], errors="coerce").fillna(1) < 0, -1.0, 1.0)
    return pd.DataFrame(
        {
            "chrom": frame["chrom2"],
            "gene_bin": frame["start2"] // bin_size,
            "element_bin": frame["start1"] // bin_size,
            "sign": sign,
        }
    )


def scaled_scores(magnitude: np.ndarray) -> np.ndarray:
    """Scores as integers 1-1000, largest = 1000 (the BED convention). IGV's BEDPE reader
    failed to load files with scores down to 1e-6 (IGV 2.16, "Index -36 out of bounds")."""
    top = magnitude.max() if len(magnitude) else 0.0
    if top <= 0:
        return np.ones(len(magnitude), dtype=np.int64)
    return np.maximum(1, np.round(1000 * magnitude / top)).astype(np.int64)


def write_links(scores: pd.DataFrame, column: str, label: str, bin_size: int, path) -> None:
    """BEDPE for IGV from an explanation table: gene anchor, element anchor, gene name,
    |score| of ``column`` scaled to 1-1000 (arc height; raw values belong in a TSV), then the
    effect sign (+1/-1) and the method's ``label`` in extra columns."""
    value = scores[column].to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {
            "chrom1": scores["chrom"],
            "start1": scores["gene_bin"] * bin_size,
            "end1": (scores["gene_bin"] + 1) * bin_size,
            "chrom2": scores["chrom"],
            "start2": scores["element_bin"] * bin_size,
            "end2": (scores["element_bin"] + 1) * bin_size,
            "name": scores["gene_name"],
            "score": scaled_scores(np.abs(value)),
            "strand1": ".",
            "strand2": ".",
            "extra1": np.where(value < 0, -1, 1),
            "extra2": label,
        }
    )
    write_bedpe(frame, path)


def write_variant_effects(effects, tsv, bedpe=None) -> None:
    """A :class:`~graphreg_cli.tasks.variants.VariantEffects` as the TSV of every (SNV, gene)
    row and (unless ``bedpe`` is None) a BEDPE of SNV → gene arcs for IGV (SNV base first,
    gene TSS second, name ``SNV->gene``, |delta_log2| scaled to 1-1000, then the sign and the
    raw delta_log2)."""
    from graphreg_cli.io.atomic import atomic_text

    with atomic_text(tsv) as handle:
        effects.effects.to_csv(handle, sep="\t", index=False, float_format="%.6g")
    if bedpe is None:
        return
    rows = effects.effects[effects.effects["gene"] != "."]
    delta = rows["delta_log2"].to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {
            "chrom1": rows["chrom"],
            "start1": rows["pos"] - 1,
            "end1": rows["pos"],
            "chrom2": rows["chrom"],
            "start2": rows["tss"] - 1,
            "end2": rows["tss"],
            "name": rows["variant"] + "->" + rows["gene"],
            "score": scaled_scores(np.abs(delta)),
            "strand1": ".",
            "strand2": ".",
            "extra1": np.where(delta < 0, -1, 1),
            "extra2": [f"{d:.4g}" for d in delta],
        }
    )
    write_bedpe(frame, bedpe)
