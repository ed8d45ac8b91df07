"""Genomic files → one PyG graph per chromosome.

Nodes are bins of ``bin_size`` bp (the graph resolution, where CAGE is predicted); node
features are the epigenomic tracks read at ``input_bin_size`` (finer, e.g. 100 bp, pooled
into nodes by the model's trunk), the target is CAGE, edges are chromatin contacts.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from graphreg_cli.data.edges import EMPTY, ContactOptions, contact_edges
from graphreg_cli.data.genes import gene_bins
from graphreg_cli.data.naming import check_resolutions, chromosomes_of, did_you_mean
from graphreg_cli.errors import NAME_ONLY, InputError, SettingError
from graphreg_cli.io.bigwig import n_bins, open_bigwig, read_bins

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


@dataclass
class Inputs:
    """The files a run reads and their resolutions; paths are absolute once resolved.

    ``bin_size``: graph nodes and CAGE (bp); ``input_bin_size``: the tracks (bp, divides
    ``bin_size``; None = ``bin_size``); ``contact_options``: format and filters of the contacts.
    ``extra_targets``: more CAGE bigWigs summed with ``target`` (plus and minus strands);
    ``gene_types`` / ``tss``: which GTF genes mark TSS bins (None: all types; ``gene`` or
    ``transcript``: one TSS per gene or every transcript's).
    """

    tracks: list[Path]
    contacts: Path
    target: Path | None = None
    genes: Path | None = None
    bin_size: int = 5000
    input_bin_size: int | None = None
    contact_options: ContactOptions = field(default_factory=ContactOptions)
    extra_targets: list[Path] = field(default_factory=list)
    gene_types: list[str] | None = None
    tss: str = "gene"

    @property
    def targets(self) -> list[Path]:
        """The CAGE bigWigs summed into the target (none without ``target``)."""
        return [] if self.target is None else [self.target, *self.extra_targets]

    @property
    def fine(self) -> int:
        """The tracks' resolution in bp."""
        return self.input_bin_size or self.bin_size

    @property
    def pool(self) -> int:
        """Input bins per graph node."""
        return self.bin_size // self.fine

    def resolved(self) -> Inputs:
        def res(p):
            return None if p is None else Path(p).resolve()

        return replace(
            self,
            tracks=[res(t) for t in self.tracks],
            contacts=res(self.contacts),
            target=res(self.target),
            genes=res(self.genes),
            extra_targets=[res(t) for t in self.extra_targets],
        )

    def to_json(self) -> dict:
        """As stored in a run's config.json; ``target`` is a list when several are summed,
        ``gene_types``/``tss`` appear only when not the defaults."""
        targets = [str(t) for t in self.targets]
        data = {
            "tracks": [str(t) for t in self.tracks],
            "contacts": str(self.contacts),
            "target": (targets or [None])[0] if len(targets) < 2 else targets,
            "genes": None if self.genes is None else str(self.genes),
            "bin_size": self.bin_size,
            "input_bin_size": self.fine,
            "contact_options": self.contact_options.to_json(),
        }
        if self.gene_types is not None:
            data["gene_types"] = list(self.gene_types)
        if self.tss != "gene":
            data["tss"] = self.tss
        return data

    @classmethod
    def from_json(cls, data: dict) -> Inputs:
        target = data.get("target")
        targets = [Path(t) for t in ([target] if isinstance(target, str) else target or [])]
        return cls(
            [Path(t) for t in data["tracks"]],
            Path(data["contacts"]),
            targets[0] if targets else None,
            None if data.get("genes") is None else Path(data["genes"]),
            bin_size=int(data["bin_size"]),
            input_bin_size=data.get("input_bin_size"),
            contact_options=ContactOptions(**data.get("contact_options", {})),
            extra_targets=targets[1:],
            gene_types=data.get("gene_types"),
            tss=data.get("tss", "gene"),
        )


def find_split(
    inputs: Inputs, val: list[str] | None, test: list[str] | None, chroms: list[str]
) -> dict[str, str]:
    """``{chrom: train|val|test}``.

    Order of precedence: ``--val-chroms``/``--test-chroms``; else ``dataset.json`` (from
    ``graphreg simulate``) or ``split.tsv`` (chrom<TAB>split) beside the contacts or the first
    track; else the default: the last 1/6 of chromosomes (in file order) test, the 1/6
    before them val, at least one of each when there are 3 or more.
    """
    if val is not None or test is not None:
        val, test = val or [], test or []
        for name in val + test:
            if name not in chroms:
                where = "val_chroms" if name in val else "test_chroms"
                raise SettingError(
                    f"{{{where}}}: {name} is not among the input chromosomes "
                    f"({', '.join(chroms[:5])}{', ...' if len(chroms) > 5 else ''})",
                    **{where: NAME_ONLY},
                )
        return {c: "val" if c in val else "test" if c in test else "train" for c in chroms}
    for folder in dict.fromkeys([inputs.contacts.parent, inputs.tracks[0].parent]):
        manifest = folder / "dataset.json"
        if manifest.exists():
            split = json.loads(manifest.read_text()).get("split", {})
            found = {c: part for part in SPLITS for c in split.get(part, [])}
            return {c: found.get(c, "train") for c in chroms}
        table = folder / "split.tsv"
        if table.exists():
            found = {}
            for number, line in enumerate(table.read_text().splitlines(), 1):
                fields = line.split("\t")
                if len(fields) < 2 or fields[1] not in SPLITS:
                    raise InputError("expecting 'chrom<TAB>train|val|test'", table, number)
                found[fields[0]] = fields[1]
            return {c: found.get(c, "train") for c in chroms}
    n = len(chroms)
    k = max(1, round(n / 6)) if n >= 3 else 0
    return {
        c: "test" if i >= n - k else "val" if i >= n - 2 * k else "train"
        for i, c in enumerate(chroms)
    }


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
    ``split: str``. Notes on dropped contacts and chromosomes go to the ``graphreg_cli`` logger.
    """
    check_resolutions(inputs.tracks, inputs.target, inputs.bin_size, inputs.fine)
    for extra in inputs.extra_targets:
        check_resolutions([], extra, inputs.bin_size, inputs.fine)
    sizes, names = chromosomes_of([*inputs.tracks, *inputs.extra_targets], inputs.target)
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
    genes = {}
    if inputs.genes:
        genes = gene_bins(inputs.genes, sizes, inputs.bin_size, inputs.gene_types, inputs.tss)
    paths = list(dict.fromkeys([*inputs.tracks, *inputs.targets]))
    negative: set[str] = set()
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
            y = np.zeros(count, np.float32)
            for path in inputs.targets:  # strands summed; minus strands may be negative
                values = read_bins(handles[path], names[path][chrom], inputs.bin_size)
                if (values < 0).any():
                    negative.add(path.name)
                y += np.abs(values)
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
    for name in sorted(negative):
        logger.info(
            f"{name} has negative values (ENCODE writes minus-strand signal below zero); "
            "their absolute values are used"
        )
    for name, chroms_without in empty.items():
        logger.warning(
            f"{name} has no data on {len(chroms_without)} chromosome(s) "
            f"({', '.join(chroms_without[:5])}{', ...' if len(chroms_without) > 5 else ''}); "
            "their inputs are all zero"
        )
    return graphs


def _fit(values: np.ndarray, length: int) -> np.ndarray:
    """Pad (the partial last graph bin) or cut ``values`` to ``length``."""
    if len(values) >= length:
        return values[:length]
    return np.concatenate([values, np.zeros(length - len(values), values.dtype)])
