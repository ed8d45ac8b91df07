"""A gene table as the target: expression per gene (RNA-seq TPM, counts, a log value) put on
the genes' TSS bins, every other bin left unknown (masked from the loss and the metrics).

- Genes are matched to the annotation (``--genes``) by name, or by Ensembl id with the
  version suffix ignored (``ENSG00000141510.17`` = ``ENSG00000141510``); the table's id
  column is the one that matches the most genes.
- The value column: ``column`` if given, else the table's only numeric column.
- Several genes in one bin are combined on the linear scale (:data:`TARGET_SCALES`: a
  column already on a log scale is turned back, summed, and turned again); each gene counts
  once per bin.
- ``transform`` ``log1p`` then takes ``log(1 + x)`` of the binned values (for raw TPM).

What was matched, left out or combined is said in notes on the ``graphreg_cli`` logger.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import NAME_ONLY, InputError, SettingError, preview
from graphreg_cli.io.bigwig import n_bins
from graphreg_cli.io.genetable import GeneTable, read_gene_table

logger = logging.getLogger(__name__)

# name -> (to linear, from linear)
TARGET_SCALES = {
    "linear": (lambda v: v, lambda v: v),
    "log1p": (np.expm1, np.log1p),
    "log2p1": (lambda v: np.exp2(v) - 1.0, lambda v: np.log2(v + 1.0)),
    "log10p1": (lambda v: np.power(10.0, v) - 1.0, lambda v: np.log10(v + 1.0)),
}
TARGET_TRANSFORMS = ("none", "log1p")
ENSEMBL = re.compile(r"^(ENS[A-Z]*G\d+)(\.\d+)?(_PAR_Y)?$")


def gene_key(name: str) -> str:
    """A gene identifier as matched: an Ensembl gene id without its version, else the name."""
    text = str(name).strip()
    found = ENSEMBL.match(text)
    return found.group(1) + (found.group(3) or "") if found else text


@dataclass
class TargetSettings:
    """How a gene table becomes the target: ``column`` (None: the only numeric one),
    ``scale`` of that column (:data:`TARGET_SCALES`), ``transform`` after binning."""

    column: str | None = None
    scale: str = "linear"
    transform: str = "none"

    def check(self) -> None:
        if self.scale not in TARGET_SCALES:
            raise SettingError(
                f"{{target_scale}}: choose {', '.join(TARGET_SCALES)}", target_scale=self.scale
            )
        if self.transform not in TARGET_TRANSFORMS:
            raise SettingError(
                f"{{target_transform}}: choose {' or '.join(TARGET_TRANSFORMS)}",
                target_transform=self.transform,
            )
        if self.scale != "linear" and self.transform != "none":
            raise SettingError(
                "{target_transform} log1p is for a linear column (raw TPM); the column is "
                "already on a log scale ({target_scale})",
                target_transform=self.transform,
                target_scale=self.scale,
            )

    def units(self, column: str) -> str:
        """What the targets (and predictions) are: ``log1p(TPM)``, ``TPM``, ..."""
        return f"log1p({column})" if self.transform == "log1p" else column


@dataclass
class GeneTargets:
    """A gene table on the bins: ``bins[chrom] = (y (n_bins,) float32, known (n_bins,)
    bool)``; ``column``: the value column used; ``units``: what ``y`` is; ``genes``:
    one row per matched gene (``gene, chrom, tss, value``)."""

    bins: dict[str, tuple[np.ndarray, np.ndarray]]
    column: str
    units: str
    genes: pd.DataFrame


def value_column(table: GeneTable, column: str | None) -> str:
    """The value column: ``column`` (checked to exist), else the only numeric one."""
    names = list(table.frame.columns)
    if column is not None:
        if column not in names:
            raise InputError(
                f"has no column '{column}' (it has {preview(names, 6)}); check {{target_column}}",
                table.path,
                target_column=column,
            )
        return column
    numeric = table.numeric_columns()
    if len(numeric) == 1:
        return numeric[0]
    if not numeric:
        raise InputError(
            f"has no numeric column (columns {preview(names, 6)}); a gene table needs a value "
            "per gene",
            table.path,
        )
    raise SettingError(
        f"{table.path.name} has {len(numeric)} numeric columns ({preview(numeric, 4)}); "
        "choose one with {target_column}",
        target_column=NAME_ONLY,
    )


def target_column(path: Path, column: str | None) -> str:
    """The value column a gene table's target is read from: ``column`` (checked), else
    the table's only numeric one."""
    return value_column(read_gene_table(path), column)


def id_column(table: GeneTable, genes: pd.DataFrame, value: str) -> tuple[str, int]:
    """``(column, genes matched)``: the text column matching the most annotated genes by
    name or version-less Ensembl id; an error when none matches any."""
    wanted = set(_annotation_keys(genes))
    best, hits = None, 0
    for column in table.frame.columns:
        if column == value:
            continue
        keys = {gene_key(v) for v in table.frame[column]}
        found = len(wanted & keys)
        if found > hits:
            best, hits = column, found
    if best is None:
        first = next((c for c in table.frame.columns if c != value), value)
        theirs = preview(table.frame[first].head(3).tolist())
        ours = preview(genes["gene"].head(3).tolist())
        raise InputError(
            f"no gene matches the annotation's by name or Ensembl id (table: {theirs}; "
            f"genes: {ours}); is it for another annotation or species?",
            table.path,
        )
    return best, hits


def _annotation_keys(genes: pd.DataFrame) -> list[str]:
    keys = [gene_key(g) for g in genes["gene"]]
    if "gene_id" in genes:
        keys += [gene_key(g) for g in genes["gene_id"] if isinstance(g, str)]
    return keys


def gene_targets(
    path: Path,
    genes: pd.DataFrame,
    sizes: dict[str, int],
    bin_size: int,
    settings: TargetSettings | None = None,
) -> GeneTargets:
    """Put a gene table's values on the TSS bins of ``genes`` (``gene, chrom, tss``[,
    ``gene_id``], from :func:`graphreg_cli.data.genes.gene_tss`) of the chromosomes
    ``sizes``; see the module docstring. Notes say how many genes matched, how many did not
    (with examples), duplicates, and bins holding several genes."""
    settings = settings or TargetSettings()
    settings.check()
    table = read_gene_table(path)
    column = value_column(table, settings.column)
    ids, _ = id_column(table, genes, column)
    values, parsed = table.numeric(column)
    keys = np.array([gene_key(v) for v in table.frame[ids]], dtype=object)
    first = ~pd.Series(keys).duplicated().to_numpy()
    lookup = dict(zip(keys[first], np.flatnonzero(first)))
    row = np.array([_row_of(g, lookup) for g in genes.itertuples(index=False)], dtype=np.int64)
    matched = row >= 0
    twice = set(keys[~first])
    duplicated = [k for k in dict.fromkeys(keys[row[matched]]) if k in twice]
    if not matched.any():
        raise InputError("no gene matches the annotation", path)
    _check_values(table, column, values, parsed, row[matched], settings.scale)
    linear = TARGET_SCALES[settings.scale][0](values)
    found = genes[matched].assign(value=linear[row[matched]]).reset_index(drop=True)
    bins, shared = _on_bins(found, sizes, bin_size, settings)
    _report(path, genes, matched, duplicated, ids, column, shared, settings)
    return GeneTargets(bins, column, settings.units(column), found)


def _row_of(gene, lookup: dict) -> int:
    for name in (gene.gene, getattr(gene, "gene_id", None)):
        if isinstance(name, str) and gene_key(name) in lookup:
            return int(lookup[gene_key(name)])
    return -1


def _check_values(table, column, values, parsed, rows, scale) -> None:
    """Errors naming the line of a matched gene whose value is missing, not a number or,
    on the linear scale, negative."""
    for k in rows:
        if not parsed[k]:
            raise InputError(
                f"{column} '{table.frame[column].iat[k]}' is not a number; give every "
                "matched gene a value, or drop its row",
                table.path,
                int(table.lines[k]),
            )
    back = TARGET_SCALES[scale][0](values[rows])
    negative = np.flatnonzero(back < -1e-9)
    if len(negative):
        k = int(rows[negative[0]])
        hint = (
            "; is it on a log scale? declare it with {target_scale} (log1p, log2p1, log10p1)"
            if scale == "linear"
            else "; below the scale's zero"
        )
        raise InputError(
            f"{column} {table.frame[column].iat[k]} is negative{hint}",
            table.path,
            int(table.lines[k]),
            **({"target_scale": NAME_ONLY} if scale == "linear" else {}),
        )


def _on_bins(found: pd.DataFrame, sizes, bin_size, settings):
    """``({chrom: (y, known)}, bins holding several genes)``: genes summed per bin on the
    linear scale (each gene once per bin), turned back to the column's scale, transformed."""
    forward = TARGET_SCALES[settings.scale][1]
    bins, shared = {}, 0
    frame = found.assign(bin=found["tss"].to_numpy() // bin_size)
    frame = frame.drop_duplicates(["chrom", "bin", "gene"])
    for chrom, rows in frame.groupby("chrom", sort=False):
        count = n_bins(sizes[chrom], bin_size)
        where = rows["bin"].to_numpy(np.int64)
        total = np.bincount(where, rows["value"].to_numpy(np.float64), count)
        genes_in = np.bincount(where, minlength=count)
        shared += int((genes_in > 1).sum())
        y = forward(np.maximum(total, 0.0))
        if settings.transform == "log1p":
            y = np.log1p(y)
        known = genes_in > 0
        bins[str(chrom)] = (np.where(known, y, 0.0).astype(np.float32), known)
    return bins, shared


def _report(path, genes, matched, duplicated, ids, column, shared, settings) -> None:
    name = Path(path).name
    missing = genes["gene"][~matched].astype(str).unique()
    left_out = f"; {len(missing)} without a value ({preview(missing, 4)}) left out"
    logger.info(
        f"{name}: {int(matched.sum())} of {len(genes)} genes matched by '{ids}', values "
        f"'{column}' ({settings.units(column)})" + (left_out if len(missing) else "")
    )
    if len(duplicated):
        logger.info(
            f"{name}: {len(duplicated)} gene(s) listed more than once ({preview(duplicated, 3)}); "
            "the first row of each is used"
        )
    if shared:
        how = "summed"
        if settings.scale != "linear":
            how += f" on the linear scale ({settings.scale})"
        logger.info(f"{name}: {shared} bin(s) hold more than one gene; their values are {how}")
