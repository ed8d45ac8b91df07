"""The study's synthetic data (Section III.C): DNase peaks, regulator→gene links, CAGE.

Generation follows the study's code (see ``docs/simulation.md``): per chromosome, genes and
regulators sit on distinct random bins; genes and enhancers get a DNase peak (centre +1 and
``a*u_k`` on the ``peak_width`` bins around it, ``a = (2U)^2``), silencers a weaker one
(``a = U^2``, no +1) unless ``silencer_signal`` is ``"same"`` (drawn as enhancers') or
``"visible"`` (``a = U^2`` on the +1); the track is smoothed by a moving
average and noise added to a share of bins; each gene is linked to random enhancers (and
silencers) and its CAGE is the sum, over links and offsets ``-w..w``, of the regulator's DNase
(silencers subtract), clipped at 0, plus noise.

Chromosomes are ``chr1..chrN`` of ``bins`` bins each, or real ones (``sizes``: a chrom.sizes
table or a built-in genome) with ``ceil(length / bin_size)`` bins each and genes, regulators
and decoys per 1000 bins. With ``input_bin_size`` below ``bin_size``, DNase is also drawn at
that finer resolution (:mod:`graphreg_cli.simulation.fine_dnase`), each bin's mean its
graph-bin value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graphreg_cli.errors import GraphregError
from graphreg_cli.simulation.fine_dnase import fine_dnase
from graphreg_cli.simulation.params import SimulationParams


@dataclass
class Chromosome:
    """One simulated chromosome. Arrays are per bin: ``dnase, cage: (bins,) float32``.

    ``links``: ``(n_links, 3)`` int64 rows of (regulator bin, gene bin, sign ±1);
    ``contacts``: ``(n_contacts, 2)`` int64 bin pairs, lower bin first, links then decoys;
    ``contact_scores``: ``(n_contacts,) float32`` loop-caller-like counts when there are
    decoys (see :func:`contact_scores`), else None (every contact scores 1);
    ``length``: bp; ``dnase_fine``: ``(ceil(length / input_bin_size),) float32`` when DNase
    is finer than the graph bins, else None. With ``histone``: ``marks`` ``{h3k27ac,
    h3k27me3: (bins,) float32}`` and, DNase being finer, ``marks_fine`` like ``dnase_fine``;
    with ``decoy_partners="inactive"``: ``inactive_bins``, the decoys' inactive elements
    (:mod:`graphreg_cli.simulation.histone`).
    """

    name: str
    dnase: np.ndarray
    cage: np.ndarray
    gene_bins: np.ndarray
    enhancer_bins: np.ndarray
    silencer_bins: np.ndarray
    links: np.ndarray
    contacts: np.ndarray
    n_decoys: int = 0
    length: int = 0
    dnase_fine: np.ndarray | None = None
    contact_scores: np.ndarray | None = None
    inactive_bins: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    marks: dict[str, np.ndarray] = field(default_factory=dict)
    marks_fine: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class Dataset:
    params: SimulationParams
    chromosomes: list[Chromosome] = field(default_factory=list)

    @property
    def sizes(self) -> dict[str, int]:
        return {c.name: c.length for c in self.chromosomes}

    def write(self, folder: str | Path, step=None) -> list[Path]:
        """Write the dataset as files (bigWig, BEDPE, BED, ``dataset.json``, an IGV session)
        into ``folder``; ``step(file name)`` is called per file. Returns the paths."""
        from graphreg_cli.simulation.writer import write_dataset

        return write_dataset(self, folder, step)

    def split_of(self) -> dict[str, str]:
        """``{chrom: train|val|test}``: the named val/test chromosomes when the parameters
        have them, else ``split`` counts in chromosome order."""
        names = [c.name for c in self.chromosomes]
        p = self.params
        if p.val_chroms or p.test_chroms:
            return {
                n: "val" if n in p.val_chroms else "test" if n in p.test_chroms else "train"
                for n in names
            }
        train, val, _ = p.split
        return {
            name: "train" if i < train else "val" if i < train + val else "test"
            for i, name in enumerate(names)
        }


def _peaks(
    rng, raw: np.ndarray, centres: np.ndarray, strong: bool, half: int, summit: bool | None = None
) -> None:
    """Add one peak per centre bin in place: ``+1`` at the centre (``summit``: strong ones
    unless told), ``a*u_k`` on bins ``-half..half`` with ``a = (2U)^2`` (strong) or ``U^2``
    (weak)."""
    n = len(raw)
    summit = strong if summit is None else summit
    for centre in centres:
        a = (2 * rng.random()) ** 2 if strong else rng.random() ** 2
        if summit:
            raw[centre] += 1.0
        offsets = np.arange(-half, half + 1) + centre
        draws = a * rng.random(len(offsets))
        keep = (offsets >= 0) & (offsets < n)
        raw[offsets[keep]] += draws[keep]


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of ``width`` bins (zeros beyond the chromosome ends)."""
    kernel = np.ones(width) / width
    if width <= len(values):
        return np.convolve(values, kernel, mode="same")
    start = (width - 1) // 2  # a chromosome shorter than the window: 'same' would be too long
    return np.convolve(values, kernel, mode="full")[start : start + len(values)]


def _noise(rng, values: np.ndarray, share: float, level: float) -> None:
    """Add ``level * U`` to a random ``share`` of bins, in place."""
    hit = rng.random(len(values)) < share
    values[hit] += level * rng.random(int(hit.sum()))


def simulate_chromosome(
    p: SimulationParams, rng: np.random.Generator, name: str, length: int | None = None
) -> Chromosome:
    """Simulate one chromosome of ``length`` bp (default ``p.bins * p.bin_size``)."""
    length = p.bins * p.bin_size if length is None else length
    n = math.ceil(length / p.bin_size)
    n_genes, n_enhancers, n_silencers, n_decoys = p.layout(n)
    spots = rng.choice(n, size=n_genes + n_enhancers + n_silencers, replace=False)
    genes = np.sort(spots[:n_genes])
    enhancers = np.sort(spots[n_genes : n_genes + n_enhancers])
    silencers = np.sort(spots[n_genes + n_enhancers :])

    half = p.peak_width // 2
    raw = np.zeros(n)
    _peaks(rng, raw, genes, True, half)
    _peaks(rng, raw, enhancers, True, half)
    signal = p.silencer_signal  # visible: the study's weaker peaks on an enhancer's summit
    _peaks(rng, raw, silencers, signal == "same", half, summit=signal != "weaker")
    dnase = _smooth(raw, p.smooth_width)
    _noise(rng, dnase, p.noise_fraction, p.dnase_noise)

    reach = p.max_link_distance // p.bin_size  # in bins; 0: anywhere
    links = []
    for gene in genes:
        near = _within(enhancers, gene, reach, p.enhancers_per_gene)
        for reg in rng.choice(near, size=p.enhancers_per_gene, replace=False):
            links.append((reg, gene, 1))
        if len(silencers):
            near = _within(silencers, gene, reach, p.silencers_per_gene)
            for reg in rng.choice(near, size=p.silencers_per_gene, replace=False):
                links.append((reg, gene, -1))
    links = np.asarray(links, dtype=np.int64).reshape(-1, 3)

    cage = np.zeros(n)
    offsets = np.arange(-p.cage_window, p.cage_window + 1)
    for reg, gene, sign in links:
        src, dst = reg + offsets, gene + offsets
        keep = (src >= 0) & (src < n) & (dst >= 0) & (dst < n)
        np.add.at(cage, dst[keep], sign * dnase[src[keep]])
    np.clip(cage, 0, None, out=cage)
    _noise(rng, cage, p.noise_fraction, p.cage_noise * float(cage.max(initial=0.0)))

    pairs = {tuple(sorted((int(r), int(g)))) for r, g, _ in links}
    contacts = sorted(pairs)
    regulators = np.concatenate([enhancers, silencers])
    decoys = _decoys(rng, n_decoys, n, genes, regulators, links, pairs, reach)
    return Chromosome(
        name=name,
        dnase=dnase.astype(np.float32),
        cage=cage.astype(np.float32),
        gene_bins=genes,
        enhancer_bins=enhancers,
        silencer_bins=silencers,
        links=links,
        contacts=np.asarray(contacts + decoys, dtype=np.int64).reshape(-1, 2),
        n_decoys=len(decoys),
        length=length,
    )


def _within(candidates: np.ndarray, gene: int, reach: int, least: int) -> np.ndarray:
    """The ``candidates`` (bins) within ``reach`` bins of ``gene`` — all of them when
    ``reach`` is 0 — or, when fewer than ``least`` are, the ``least`` nearest."""
    if not reach:
        return candidates
    distance = np.abs(candidates - gene)
    near = candidates[distance <= reach]
    return near if len(near) >= least else candidates[np.argsort(distance, kind="stable")[:least]]


def _decoys(
    rng, count, n, genes, regulators, links, taken: set, reach: int = 0
) -> list[tuple[int, int]]:
    """``count`` contacts that regulate nothing on ``n`` bins: a random gene joined to a
    regulator it is not linked to (any other bin when it is linked to all), within ``reach``
    bins when one is free there (``reach`` 0: anywhere), never repeating a contact."""
    decoys: list[tuple[int, int]] = []
    if not count or not len(genes):
        return decoys
    attempts = 0
    while len(decoys) < count:
        attempts += 1
        if attempts > 100 * count + 1000:
            raise GraphregError(
                f"cannot place {count} distinct decoy contacts on {n} bins; lower "
                "{decoy_contacts}",
                decoy_contacts=count,
            )
        gene = int(rng.choice(genes))
        linked = set(links[links[:, 1] == gene, 0].tolist())
        free = [int(r) for r in regulators if int(r) not in linked]
        if reach and any(abs(r - gene) <= reach for r in free):
            free = [r for r in free if abs(r - gene) <= reach]
        other = int(rng.choice(free)) if free else int(rng.integers(n))
        pair = tuple(sorted((gene, other)))
        if other == gene or pair in taken:
            continue
        taken.add(pair)
        decoys.append(pair)
    return decoys


TRUE_LINK_SCORE = 30.0  # median count of a true link's contact
SCORE_SPREAD = 0.6  # sd of log counts: the two distributions overlap


def contact_scores(rng, links: int, decoys: int, params: SimulationParams) -> np.ndarray:
    """Contact counts as a loop caller reports them: log-normal, median ``TRUE_LINK_SCORE``
    for the ``links`` true links and ``decoy_score_ratio`` times that for the ``decoys``
    (weaker and noisy, overlapping the true links' counts), at least 1. ``(links + decoys,)
    float32``, links first."""
    medians = np.r_[np.full(links, TRUE_LINK_SCORE), np.full(decoys, TRUE_LINK_SCORE)]
    medians[links:] *= params.decoy_score_ratio
    counts = np.round(medians * np.exp(SCORE_SPREAD * rng.standard_normal(links + decoys)))
    return np.maximum(counts, 1).astype(np.float32)


def simulate(params: SimulationParams, progress=None) -> Dataset:
    """Simulate the chromosomes of ``params.chromosome_sizes()`` (chr1, chr2, ... by default).

    ``progress(done, total)`` is called after each chromosome when given. The same
    ``params.seed`` gives identical arrays. Fine DNase (``input_bin_size < bin_size``), the
    histone marks and inactive decoy partners come from random streams of their own, so every
    other array is the same with or without them.
    """
    from graphreg_cli.simulation import histone

    params.check()
    rng = np.random.default_rng(params.seed)
    fine_rng = np.random.default_rng([params.seed, 1])
    score_rng = np.random.default_rng([params.seed, 2])
    mark_rng = np.random.default_rng([params.seed, histone.HISTONE_STREAM])
    inactive_rng = np.random.default_rng([params.seed, histone.INACTIVE_STREAM])
    fine = params.dnase_bin_size
    data = Dataset(params)
    sizes = params.chromosome_sizes()
    for i, (name, length) in enumerate(sizes.items()):
        chrom = simulate_chromosome(params, rng, name, length)
        if params.histone:  # marks as strong as their elements' DNase, drawn before
            histone.add_marks(params, mark_rng, chrom)  # inactive peaks join it
        if params.decoy_partners == "inactive":  # the regulator decoys drawn are replaced
            histone.inactive_decoys(params, inactive_rng, chrom)
        if fine < params.bin_size:
            chrom.dnase_fine = fine_dnase(chrom.dnase, length, params.bin_size, fine, fine_rng)
        if chrom.n_decoys:
            chrom.contact_scores = contact_scores(
                score_rng, len(chrom.contacts) - chrom.n_decoys, chrom.n_decoys, params
            )
        data.chromosomes.append(chrom)
        if progress:
            progress(i + 1, len(sizes))
    return data
