"""Variant effects: each SNV of a VCF through a sequence model, reference against alternate.

For every SNV: the change in ``log2(1 + CAGE)`` at each gene it can reach — genes in its own
graph bin and in the bins its bin contacts, within its window — and the change of each
epigenome track at its input bin. SNVs of one window share its forward pass
(:mod:`graphreg_cli.tasks.mutagenesis`), so thousands cost little more than their local
re-encoding. With the simulated VCF's INFO (``SIGN``, ``GENE``) as truth, AUPRC of
true-effect over neutral SNVs and the share of signs right.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.data.dna import encode
from graphreg_cli.data.naming import did_you_mean, reconcile_names
from graphreg_cli.data.tiles import tile
from graphreg_cli.errors import NAME_ONLY, InputError, SettingError
from graphreg_cli.io.schemas import VARIANT_EFFECT_COLUMNS
from graphreg_cli.simulation.variants import log2_change
from graphreg_cli.tasks.inference import pick_device
from graphreg_cli.tasks.mutagenesis import window_effects
from graphreg_cli.tasks.ranking import auroc, average_precision

logger = logging.getLogger(__name__)

SAME_BIN = "same-bin"
CONTACT = "contact"


def require_sequence_model(run, command: str) -> None:
    """A SettingError unless the run's model reads DNA."""
    from graphreg_cli.models import SEQUENCE_MODELS

    name = run.model_config.name
    if name not in SEQUENCE_MODELS:
        raise SettingError(
            f"{{model}}: {command} needs a sequence model ({', '.join(SEQUENCE_MODELS)}), but "
            f"this run was trained as {name} on tracks; train one with graphreg train --model "
            "seq-gat GENOME.fa CONTACTS",
            model=str(run.folder),
        )


def locate(frame: pd.DataFrame, sizes: dict[str, int], path: Path) -> pd.DataFrame:
    """VCF rows with chromosomes in the run's naming; unknown chromosomes and positions off
    a chromosome are errors naming the line."""
    mapping = reconcile_names(frame["chrom"], sizes, Path(path).name)
    frame = frame.assign(chrom=frame["chrom"].replace(mapping))
    for row in frame.itertuples(index=False):
        if row.chrom not in sizes:
            raise InputError(
                f"chromosome {row.chrom} is not in the model's genome ("
                f"{', '.join(list(sizes)[:3])}, ...){did_you_mean(row.chrom, sizes)}; is the "
                "VCF for another assembly? Drop the record or use a matching VCF",
                path,
                row.line,
            )
        if row.pos >= sizes[row.chrom]:
            raise InputError(
                f"POS {row.pos + 1} is past the end of {row.chrom} ({sizes[row.chrom]:,} bp)",
                path,
                row.line,
            )
    return frame


def check_ref(frame: pd.DataFrame, flat: np.ndarray, path: Path) -> None:
    """The VCF's REF against the genome's base at each SNV (``flat``: the chromosome's codes)."""
    genome = flat[frame["pos"].to_numpy()]
    wrong = np.flatnonzero(genome != encode("".join(frame["ref"])))
    if len(wrong):
        row = frame.iloc[int(wrong[0])]
        base = "ACGTN"[int(genome[wrong[0]])]
        raise InputError(
            f"REF {row['ref']} but the genome has {base} at {row['chrom']}:{row['pos'] + 1} "
            f"({len(wrong)} such record(s)); is the VCF for another assembly, or 0-based? "
            "POS must be 1-based on the model's genome",
            path,
            int(row["line"]),
        )


@dataclass
class VariantEffects:
    """``variants``: one row per SNV (``variant, chrom, pos`` 1-based, ``ref, alt, genes``
    reachable, ``gene`` and ``delta_log2`` where the change is largest, ``score`` = its
    absolute value, ``delta_<track>`` per epigenome track, and ``info``); ``effects``: one row
    per (SNV, gene it reaches), :data:`VARIANT_EFFECT_COLUMNS` + ``delta_<track>``, largest
    ``|delta_log2|`` first; ``seconds``: scoring time."""

    variants: pd.DataFrame
    effects: pd.DataFrame
    tracks: list[str]
    seconds: float

    @property
    def per_second(self) -> float:
        return len(self.variants) / self.seconds if self.seconds > 0 else float("nan")

    def truth_metrics(self) -> dict:
        """AUPRC/AUROC of ``score`` for true-effect (INFO ``SIGN`` ≠ 0) over neutral SNVs, and
        the share of true-effect SNVs whose predicted sign (at INFO ``GENE`` when it is
        reachable, else at the most changed gene) is right."""
        info = self.variants["info"]
        if not len(info) or not all("SIGN" in i for i in info):
            raise SettingError(
                "{truth} needs INFO SIGN on every record (as graphreg simulate --sequence writes)",
                truth=NAME_ONLY,
            )
        sign = np.array([int(i["SIGN"]) for i in info])
        label = sign != 0
        score = self.variants["score"].to_numpy(dtype=np.float64)
        predicted = self._sign_at_true_gene()
        right = predicted[label] == sign[label]
        return {
            "variants": int(len(sign)),
            "true_effect": int(label.sum()),
            "neutral": int((~label).sum()),
            "auprc": average_precision(score, label),
            "auroc": auroc(score, label),
            "sign_accuracy": float(right.mean()) if label.any() else float("nan"),
        }

    def _sign_at_true_gene(self) -> np.ndarray:
        by_pair = {
            (v, g): d
            for v, g, d in zip(
                self.effects["variant"], self.effects["gene"], self.effects["delta_log2"]
            )
        }
        out = []
        for row in self.variants.itertuples(index=False):
            delta = by_pair.get((row.variant, row.info.get("GENE")), row.delta_log2)
            out.append(int(np.sign(delta)))
        return np.array(out)


def check_truth(frame: pd.DataFrame, path: Path) -> None:
    """Before any work: every record of ``frame`` (:func:`~graphreg_cli.io.vcf.read_vcf`)
    carries INFO ``SIGN`` of -1, 0 or 1, as ``graphreg simulate --sequence`` writes."""
    for row in frame.itertuples(index=False):
        sign = row.info.get("SIGN")
        if sign is None:
            raise InputError(
                "has no INFO SIGN, which --truth needs on every record (-1, 0 or 1, as "
                "graphreg simulate --sequence writes); drop --truth to score without it",
                path,
                row.line,
            )
        if sign.strip() not in ("-1", "0", "1", "+1"):
            raise InputError(
                f"INFO SIGN={sign} is not -1, 0 or 1 (the true sign of the effect)",
                path,
                row.line,
            )


def score_variants(
    run,
    vcf: str | Path,
    split: str = "all",
    device: str = "auto",
    progress=None,
    truth: bool = False,
):
    """Effects of every SNV of ``vcf`` on chromosomes of ``split``; see :class:`VariantEffects`.
    ``progress(done, total)`` is called as SNVs are scored; ``truth``: check, before any work,
    that every record has the INFO ``SIGN`` that :meth:`VariantEffects.truth_metrics` reads."""
    from graphreg_cli.io.vcf import read_vcf
    from graphreg_cli.tasks.evaluate import track_name

    require_sequence_model(run, "variants")
    inputs, path = run.inputs, Path(vcf)
    frame = locate(read_vcf(path), inputs.sizes(), path)
    if truth:
        check_truth(frame, path)
    wanted = set(run.chromosomes(split))
    outside = ~frame["chrom"].isin(wanted)
    if outside.any():
        logger.info(f"{int(outside.sum())} SNV(s) on chromosomes outside {split} left out")
        frame = frame[~outside]
    if frame.empty:
        raise SettingError(
            f"{{split}}: no SNV of {path.name} lies on {split} chromosomes", split=split
        )
    tracks = [track_name(t) for t in inputs.tracks]
    scorer = _Scorer(run, pick_device(device), tracks, progress, len(frame))
    order = {c: k for k, c in enumerate(inputs.sizes())}  # any record order: genome order
    frame = frame.assign(_order=frame["chrom"].map(order))
    frame = frame.sort_values(["_order", "pos"], kind="stable").drop(columns="_order")
    _, ready = run.load(list(dict.fromkeys(frame["chrom"])))
    graphs = {graph.chrom: graph for graph in ready}
    for chrom, part in frame.groupby("chrom", sort=False):
        check_ref(part, graphs[chrom].seq.reshape(-1).numpy(), path)
    clock = time.perf_counter()
    variants, effects = scorer.score(frame, graphs)
    seconds = time.perf_counter() - clock
    order = np.argsort(-np.abs(effects["delta_log2"].to_numpy()), kind="stable")
    return VariantEffects(variants, effects.iloc[order].reset_index(drop=True), tracks, seconds)


class _Scorer:
    """Scores SNVs chromosome by chromosome, window by window."""

    def __init__(self, run, device, tracks, progress, total):
        from graphreg_cli.data.genes import gene_tss

        self.run, self.device, self.tracks = run, device, tracks
        self.model = run.model(device)
        self.progress, self.total, self.done = progress, total, 0
        inputs = run.inputs
        self.bin_size = inputs.bin_size
        genes = gene_tss(inputs.genes, inputs.sizes()) if inputs.genes else None
        self.genes = genes

    def score(self, frame: pd.DataFrame, graphs: dict):
        """``(variants, effects)`` tables for the SNVs of ``frame`` on ``graphs`` (model-ready
        chromosome graphs by name)."""
        rows, effects = [], []
        for chrom, part in frame.groupby("chrom", sort=False):
            ready = graphs[chrom]
            genes = self._genes_by_bin(chrom)
            for window in tile(ready, self.run.tiling):
                first, last = window.start, window.start + window.num_nodes
                node = part["pos"].to_numpy() // self.bin_size
                own = np.zeros(len(part), bool)
                inside = (node >= first) & (node < last)
                own[inside] = window.own.numpy()[node[inside] - first]
                if own.any():
                    r, e = self._window(window, part[own], genes)
                    rows += r
                    effects += e
        variants = pd.DataFrame(rows)
        columns = VARIANT_EFFECT_COLUMNS + [f"delta_{t}" for t in self.tracks]
        return variants, pd.DataFrame(effects, columns=columns)

    def _genes_by_bin(self, chrom: str) -> dict[int, list[tuple[str, int]]]:
        out: dict[int, list[tuple[str, int]]] = {}
        if self.genes is None:
            return out
        table = self.genes[self.genes["chrom"] == chrom]
        for name, tss in zip(table["gene"], table["tss"]):
            out.setdefault(int(tss) // self.bin_size, []).append((str(name), int(tss)))
        return out

    def _window(self, window, part: pd.DataFrame, genes):
        """``(variant rows, effect rows)`` for the SNVs of ``part``, all owned by ``window``."""
        offsets = part["pos"].to_numpy() - window.start * self.bin_size
        alts = encode("".join(part["alt"])).astype(np.int64)
        done = self.done

        def step(k):
            if self.progress:
                self.progress(done + k, self.total)

        result = window_effects(self.model, window, offsets, alts, self.device, step)
        self.done += len(part)
        spec = self.run.features
        delta_epi = spec.unscale(result.epigenome_alt) - spec.unscale(result.epigenome_ref)
        contacts = _contacts(window)
        rows, effects = [], []
        for k, row in enumerate(part.itertuples(index=False)):
            node = (row.pos // self.bin_size) - window.start
            reached = _reached(node, contacts, genes, window.start)
            local = [b - window.start for _, _, b, _ in reached]
            delta = log2_change(result.cage_ref[local], result.cage_alt[k, local])
            epi = dict(zip([f"delta_{t}" for t in self.tracks], delta_epi[k].tolist()))
            name = _name(row)
            snv = [name, row.chrom, row.pos + 1, row.ref, row.alt]
            for (gene, tss, _, how), b, d in zip(reached, local, delta.tolist()):
                before, after = result.cage_ref[b], result.cage_alt[k, b]
                effects.append([*snv, gene, tss + 1, tss - row.pos, how, before, after, d])
                effects[-1] += list(epi.values())
            if not reached:
                effects.append([*snv, ".", 0, 0, ".", np.nan, np.nan, 0.0, *epi.values()])
            top = int(np.argmax(np.abs(delta))) if len(delta) else None
            best = (reached[top][0], float(delta[top])) if top is not None else (".", 0.0)
            rows.append(
                dict(zip(["variant", "chrom", "pos", "ref", "alt"], snv))
                | {"genes": len(reached), "gene": best[0], "delta_log2": best[1]}
                | {"score": abs(best[1]), **epi, "info": row.info}
            )
        return rows, effects


def _name(row) -> str:
    """The VCF ID, or ``chrom:pos:ref>alt`` when it has none."""
    if row.id not in ("", "."):
        return row.id
    return f"{row.chrom}:{row.pos + 1}:{row.ref}>{row.alt}"


def _contacts(window) -> dict[int, list[int]]:
    """``{node: [contacted nodes]}`` within the window (window-local numbering)."""
    out: dict[int, list[int]] = {}
    src, dst = window.edge_index.cpu().numpy()
    for a, b in zip(src.tolist(), dst.tolist()):
        out.setdefault(a, []).append(b)
    return out


def _reached(node: int, contacts, genes, start: int) -> list[tuple[str, int, int, str]]:
    """``(gene, tss, bin, how)`` for genes in the SNV's bin and in the bins it contacts."""
    out = [(g, tss, node + start, SAME_BIN) for g, tss in genes.get(node + start, [])]
    for other in sorted(set(contacts.get(node, []))):
        out += [(g, tss, other + start, CONTACT) for g, tss in genes.get(other + start, [])]
    return out
