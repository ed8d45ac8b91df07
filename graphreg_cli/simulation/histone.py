"""Histone marks and inactive decoy partners for the Epi simulation (``graphreg simulate``
without ``--sequence``).

* ``histone``: two more input tracks at DNase's resolution. H3K27ac, an active mark, has a peak
  at every gene (promoter) and enhancer bin; H3K27me3, a repressive mark, a peak at every
  silencer bin. A mark is as strong as its element — its height is the element's DNase
  times log-normal noise (sd 0.3 in log), as H3K27ac scales with enhancer activity — and
  spread over one bin more on each side than DNase's peaks; the track is then smoothed and
  noised as DNase is. (Real H3K27me3 covers broad domains; here it
  is one peak per silencer.) Finer than the graph bins, each bin's value is spread like
  DNase's (:func:`~graphreg_cli.simulation.fine_dnase.fine_dnase`) with broader peaks.
* ``decoy_partners="inactive"``: each decoy contact joins a gene to a bin of its own holding
  an accessible but inactive element: a DNase peak drawn as an enhancer's, no histone mark,
  no effect on CAGE (added after CAGE is computed). By default it may sit a bin from a
  regulator, where the two peaks share bins and the regulator's accessibility is partly
  the inactive element's; ``decoy_spacing`` keeps it that many bins from every gene and
  regulator (with 4, no inactive peak — 2 bins each side, smoothed over 5 — reaches a gene's
  or regulator's own bin).

Both draw from streams of their own (:data:`HISTONE_STREAM`, :data:`INACTIVE_STREAM`), after
the chromosome is simulated as without them, so every other array is the same for a seed.
"""

from __future__ import annotations

import numpy as np

from graphreg_cli.errors import GraphregError
from graphreg_cli.simulation.fine_dnase import fine_dnase
from graphreg_cli.simulation.generator import Chromosome, _noise, _peaks, _smooth
from graphreg_cli.simulation.params import SimulationParams

MARKS = ("h3k27ac", "h3k27me3")
MARK_FILES = {mark: f"{mark}.bw" for mark in MARKS}
MARK_LABELS = {"h3k27ac": "H3K27ac (active)", "h3k27me3": "H3K27me3 (repressive)"}
MARK_COLORS = {"h3k27ac": "0,150,0", "h3k27me3": "200,0,0"}
MARK_SIGMA_BP = (300.0, 800.0)  # fine peaks: histone marks spread wider than DNase
HISTONE_STREAM = 3  # np.random.default_rng([seed, 3]); 1: fine DNase, 2: contact scores
INACTIVE_STREAM = 4
MARK_NOISE = 0.3  # sd of log(mark height / the element's DNase)


def add_marks(p: SimulationParams, rng: np.random.Generator, chrom: Chromosome) -> None:
    """Draw ``chrom.marks`` (``{mark: (bins,) float32}``) and, when DNase is finer than the
    graph bins, ``chrom.marks_fine``, in place."""
    n = len(chrom.dnase)
    half = p.peak_width // 2 + 1  # 2 bins wider than DNase's peaks
    sites = {
        "h3k27ac": np.sort(np.concatenate([chrom.gene_bins, chrom.enhancer_bins])),
        "h3k27me3": chrom.silencer_bins,
    }
    for mark in MARKS:
        raw = np.zeros(n)
        _marks(rng, raw, sites[mark], chrom.dnase, half)
        track = _smooth(raw, p.smooth_width)
        _noise(rng, track, p.noise_fraction, p.dnase_noise)
        chrom.marks[mark] = track.astype(np.float32)
    fine = p.dnase_bin_size
    if fine < p.bin_size:
        for mark in MARKS:
            chrom.marks_fine[mark] = fine_dnase(
                chrom.marks[mark], chrom.length, p.bin_size, fine, rng, MARK_SIGMA_BP
            )


def _marks(rng, raw: np.ndarray, centres: np.ndarray, dnase: np.ndarray, half: int) -> None:
    """Add one mark peak per centre bin in place, as strong as the element: its height the
    element's DNase times log-normal noise (sd :data:`MARK_NOISE` in log), spread over bins
    ``-half..half`` with triangular weights summing to 1."""
    n = len(raw)
    weights = 1.0 - np.abs(np.arange(-half, half + 1)) / (half + 1)
    weights /= weights.sum()
    for centre in centres:
        height = float(dnase[centre]) * rng.lognormal(0.0, MARK_NOISE)
        offsets = np.arange(-half, half + 1) + centre
        keep = (offsets >= 0) & (offsets < n)
        raw[offsets[keep]] += height * weights[keep]


def inactive_decoys(p: SimulationParams, rng: np.random.Generator, chrom: Chromosome) -> None:
    """Replace ``chrom``'s decoy contacts, in place, by as many joining a random gene to a new
    bin (not a gene, regulator or other such bin, nor within ``decoy_spacing`` bins of a gene
    or regulator; within ``max_link_distance`` when one is free there) holding an inactive
    element: ``chrom.inactive_bins``, each with a DNase peak
    drawn as an enhancer's, smoothed and added to ``chrom.dnase`` (CAGE is left as it is)."""
    count, genes = chrom.n_decoys, chrom.gene_bins
    if not count or not len(genes):
        return
    n = len(chrom.dnase)
    taken = np.zeros(n, dtype=bool)
    for bins in (genes, chrom.enhancer_bins, chrom.silencer_bins):
        for shift in range(-p.decoy_spacing, p.decoy_spacing + 1):
            near = bins + shift
            taken[near[(near >= 0) & (near < n)]] = True
    reach = p.max_link_distance // p.bin_size  # in bins; 0: anywhere
    partners, decoys = [], []
    for _ in range(count):
        gene = int(rng.choice(genes))
        low, high = (max(0, gene - reach), min(n, gene + reach + 1)) if reach else (0, n)
        free = np.flatnonzero(~taken[low:high]) + low
        if not len(free):
            free = np.flatnonzero(~taken)
        if not len(free):
            raise GraphregError(
                f"cannot place {count} inactive decoy partners on {chrom.name}'s {n} bins "
                "beside its genes and regulators; lower {decoy_contacts}"
                + (" or {decoy_spacing}" if p.decoy_spacing else ""),
                decoy_contacts=p.decoy_contacts,
                **({"decoy_spacing": p.decoy_spacing} if p.decoy_spacing else {}),
            )
        other = int(rng.choice(free))
        taken[other] = True
        partners.append(other)
        decoys.append(sorted((gene, other)))
    chrom.inactive_bins = np.sort(np.asarray(partners, dtype=np.int64))
    raw = np.zeros(n)
    _peaks(rng, raw, chrom.inactive_bins, True, p.peak_width // 2)
    chrom.dnase = (chrom.dnase + _smooth(raw, p.smooth_width)).astype(np.float32)
    true = chrom.contacts[: len(chrom.contacts) - count]
    chrom.contacts = np.concatenate([true, np.asarray(decoys, dtype=np.int64).reshape(-1, 2)])
