"""SNVs with a known effect on a simulated genome (``variants.vcf`` of ``simulate --sequence``).

*Effect* SNVs change a fixed base of a planted motif in a promoter, or in an enhancer or
silencer linked to a gene, so that the exact hit disappears and no other appears; their true
effect is computed from the simulation's own rule (:func:`~graphreg_cli.simulation.sequence.
cage_from` on the activities the changed binding sites give): ``effect`` = the largest change in
``log2(1 + CAGE)`` over the genes, ``gene`` where it is, ``sign`` its sign. Only SNVs with
``|effect| >= MIN_EFFECT`` are kept. *Neutral* SNVs lie at least ``NEUTRAL_MARGIN`` bp from
every motif hit and create none: no epigenome or CAGE change at all (``sign`` 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphreg_cli.simulation.motifs import MOTIFS, binding_sites, find_hits

MIN_EFFECT = 0.1  # |Δ log2(1 + CAGE)| of a kept effect SNV
NEUTRAL_MARGIN = 1000  # bp between a neutral SNV and any motif hit
PSEUDOCOUNT = 1.0  # log2(CAGE + 1): the same as graphreg variants uses


@dataclass
class Variant:
    """One SNV: ``pos`` 0-based; ``ref``/``alt`` codes; ``kind`` promoter, enhancer, silencer
    or neutral; ``motif`` the broken motif's name ('' for neutral); ``sign``, ``effect`` and
    ``gene`` the truth (see module)."""

    chrom: str
    pos: int
    ref: int
    alt: int
    kind: str
    motif: str
    sign: int
    effect: float
    gene: str


def log2_change(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """``log2((after + 1) / (before + 1))``, the effect measure of variants."""
    return np.log2((after + PSEUDOCOUNT) / (before + PSEUDOCOUNT))


def new_hits_near(sequence: np.ndarray, pos: int, alt: int) -> tuple[int, int]:
    """``(hits before, hits after)`` changing ``pos`` to ``alt``, in the windows that can see
    ``pos``."""
    longest = max(len(m.consensus) for m in MOTIFS)
    lo, hi = max(0, pos - longest + 1), min(len(sequence), pos + longest)
    window = sequence[lo:hi].copy()
    before = len(find_hits(window))
    window[pos - lo] = alt
    return before, len(find_hits(window))


def activity_change(sequence: np.ndarray, pos: int, alt: int, bin_size: int, n: int):
    """``(n,)`` change of each bin's activity when ``pos`` becomes ``alt``."""
    longest = max(len(m.consensus) for m in MOTIFS)
    lo, hi = max(0, pos - longest + 1), min(len(sequence), pos + longest)
    window = sequence[lo:hi].copy()
    before = binding_sites(window)
    window[pos - lo] = alt
    after = binding_sites(window)
    delta = np.zeros(n)
    np.add.at(delta, (lo + after.centre) // bin_size, after.weight)
    np.subtract.at(delta, (lo + before.centre) // bin_size, before.weight)
    return delta


def effect_variant(rng, chrom, instance, gene_names) -> Variant | None:
    """An SNV breaking ``instance``, or None when its effect is below :data:`MIN_EFFECT` or
    the change would make another hit."""
    from graphreg_cli.simulation.sequence import cage_from

    motif = MOTIFS[instance.motif]
    fixed = motif.fixed
    offset = int(fixed[rng.integers(len(fixed))])
    k = len(motif.consensus)
    pos = instance.start + (offset if instance.strand > 0 else k - 1 - offset)
    ref = int(chrom.sequence[pos])
    alt = int(rng.choice([b for b in range(4) if b != ref]))
    before, after = new_hits_near(chrom.sequence, pos, alt)
    if after != before - 1:
        return None
    n = len(chrom.activity)
    bin_size = -(-chrom.length // n)
    changed = chrom.activity + activity_change(chrom.sequence, pos, alt, bin_size, n)
    genes = chrom.gene_bins
    delta = log2_change(chrom.cage_clean[genes], cage_from(changed, genes, chrom.links)[genes])
    best = int(np.argmax(np.abs(delta)))
    if abs(delta[best]) < MIN_EFFECT:
        return None
    name = gene_names(chrom.name, int(genes[best]))
    sign = int(np.sign(delta[best]))
    return Variant(
        chrom.name, pos, ref, alt, instance.kind, motif.name, sign, float(delta[best]), name
    )


def neutral_variant(rng, chrom) -> Variant | None:
    """An SNV far from every motif hit that creates none, or None for a bad draw."""
    pos = int(rng.integers(chrom.length))
    centres = chrom.hits.centre
    if len(centres) and np.abs(centres - pos).min() < NEUTRAL_MARGIN:
        return None
    ref = int(chrom.sequence[pos])
    alt = int(rng.choice([b for b in range(4) if b != ref]))
    before, after = new_hits_near(chrom.sequence, pos, alt)
    n = len(chrom.activity)
    bin_size = -(-chrom.length // n)
    if after != before or activity_change(chrom.sequence, pos, alt, bin_size, n).any():
        return None
    return Variant(chrom.name, pos, ref, alt, "neutral", "", 0, 0.0, "")


def draw_variants(rng, chrom, params) -> list[Variant]:
    """Up to ``params.variants`` effect SNVs on ``chrom`` (one per motif instance of a
    promoter or a linked enhancer or silencer, in random order) and as many neutral ones,
    sorted by position."""
    from graphreg_cli.simulation.writer import gene_name

    linked = set(chrom.links[:, 0].tolist())
    usable = [i for i in chrom.instances if i.kind == "promoter" or i.bin in linked]
    effects: list[Variant] = []
    for index in rng.permutation(len(usable)):
        if len(effects) >= params.variants:
            break
        variant = effect_variant(rng, chrom, usable[int(index)], gene_name)
        if variant is not None and variant.pos not in {v.pos for v in effects}:
            effects.append(variant)
    neutral: list[Variant] = []
    for _ in range(100 * max(len(effects), 1)):
        if len(neutral) >= len(effects):
            break
        variant = neutral_variant(rng, chrom)
        if variant is not None and variant.pos not in {v.pos for v in neutral}:
            neutral.append(variant)
    return sorted(effects + neutral, key=lambda v: v.pos)
