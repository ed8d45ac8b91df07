"""The study's synthetic data (Section III.C): DNase peaks, regulator→gene links, CAGE.

Generation follows the study's code (see ``docs/simulation.md``): per chromosome, genes and
regulators sit on distinct random bins; genes and enhancers get a DNase peak (centre +1 and
``a*u_k`` on the ``peak_width`` bins around it, ``a = (2U)^2``), silencers a weaker one
(``a = U^2``, no +1) unless ``silencer_signal="same"``; the track is smoothed by a moving
average and noise added to a share of bins; each gene is linked to random enhancers (and
silencers) and its CAGE is the sum, over links and offsets ``-w..w``, of the regulator's DNase
(silencers subtract), clipped at 0, plus noise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from graphreg_cli.errors import GraphregError


@dataclass(frozen=True)
class SimulationParams:
    """Every number of the simulation; defaults are the study's."""

    chromosomes: int = 30
    bins: int = 1000
    bin_size: int = 5000
    genes: int = 20
    regulators: int = 20
    silencers: int = 0
    enhancers_per_gene: int = 3
    silencers_per_gene: int = 2
    split: tuple[int, int, int] = (20, 5, 5)
    peak_width: int = 5
    smooth_width: int = 5
    noise_fraction: float = 0.1
    dnase_noise: float = 0.5
    cage_window: int = 5
    cage_noise: float = 0.15
    silencer_signal: str = "weaker"
    decoy_contacts: int = 0
    seed: int = 0

    @property
    def enhancers(self) -> int:
        return self.regulators - self.silencers

    def check(self) -> None:
        """Raise GraphregError for requests that cannot be met, before anything is written."""
        positive = ("chromosomes", "bins", "bin_size", "peak_width", "smooth_width")
        for name in positive:
            if getattr(self, name) < 1:
                raise GraphregError(f"--{name.replace('_', '-')} must be at least 1")
        for name in (
            "genes",
            "regulators",
            "silencers",
            "enhancers_per_gene",
            "silencers_per_gene",
            "cage_window",
            "decoy_contacts",
        ):
            if getattr(self, name) < 0:
                raise GraphregError(f"--{name.replace('_', '-')} cannot be negative")
        for name in ("noise_fraction",):
            if not 0 <= getattr(self, name) <= 1:
                raise GraphregError(f"--{name.replace('_', '-')} must be between 0 and 1")
        if self.dnase_noise < 0 or self.cage_noise < 0:
            raise GraphregError("noise levels cannot be negative")
        if self.silencers > self.regulators:
            raise GraphregError(
                f"--silencers {self.silencers} is more than --regulators {self.regulators}; "
                "silencers are a share of the regulators"
            )
        if self.genes + self.regulators > self.bins:
            raise GraphregError(
                f"{self.genes} genes + {self.regulators} regulators do not fit on "
                f"{self.bins} bins; each needs a bin of its own"
            )
        if self.genes and self.enhancers_per_gene > self.enhancers:
            raise GraphregError(
                f"--enhancers-per-gene {self.enhancers_per_gene} but only {self.enhancers} "
                "enhancers per chromosome (regulators - silencers)"
            )
        if self.genes and self.silencers and self.silencers_per_gene > self.silencers:
            raise GraphregError(
                f"--silencers-per-gene {self.silencers_per_gene} but only {self.silencers} "
                "silencers per chromosome"
            )
        for name in ("peak_width", "smooth_width"):
            if getattr(self, name) > self.bins:
                raise GraphregError(
                    f"--{name.replace('_', '-')} {getattr(self, name)} is wider than the "
                    f"chromosome ({self.bins} bins)"
                )
        if 2 * self.cage_window + 1 > self.bins:
            raise GraphregError(f"--cage-window {self.cage_window} is wider than the chromosome")
        if len(self.split) != 3 or min(self.split) < 0 or sum(self.split) != self.chromosomes:
            raise GraphregError(
                f"--split {','.join(map(str, self.split))} must be three counts "
                f"(train,val,test) adding up to --chromosomes {self.chromosomes}"
            )
        if self.split[0] < 1:
            raise GraphregError("--split needs at least one training chromosome")
        if self.silencer_signal not in ("weaker", "same"):
            raise GraphregError("--silencer-signal must be 'weaker' or 'same'")

    def to_json(self) -> dict:
        data = asdict(self)
        data["split"] = list(self.split)
        return data


@dataclass
class Chromosome:
    """One simulated chromosome. Arrays are per bin: ``dnase, cage: (bins,) float32``.

    ``links``: ``(n_links, 3)`` int64 rows of (regulator bin, gene bin, sign ±1);
    ``contacts``: ``(n_contacts, 2)`` int64 bin pairs, lower bin first, links then decoys.
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


@dataclass
class Dataset:
    params: SimulationParams
    chromosomes: list[Chromosome] = field(default_factory=list)

    @property
    def sizes(self) -> dict[str, int]:
        length = self.params.bins * self.params.bin_size
        return {c.name: length for c in self.chromosomes}

    def split_of(self) -> dict[str, str]:
        train, val, _ = self.params.split
        names = [c.name for c in self.chromosomes]
        return {
            name: "train" if i < train else "val" if i < train + val else "test"
            for i, name in enumerate(names)
        }


def _peaks(rng, raw: np.ndarray, centres: np.ndarray, strong: bool, half: int) -> None:
    """Add one peak per centre bin in place: ``+1`` at the centre (strong only), ``a*u_k``
    on bins ``-half..half`` with ``a = (2U)^2`` (strong) or ``U^2`` (weak)."""
    n = len(raw)
    for centre in centres:
        a = (2 * rng.random()) ** 2 if strong else rng.random() ** 2
        if strong:
            raw[centre] += 1.0
        offsets = np.arange(-half, half + 1) + centre
        draws = a * rng.random(len(offsets))
        keep = (offsets >= 0) & (offsets < n)
        raw[offsets[keep]] += draws[keep]


def _smooth(values: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of ``width`` bins (zeros beyond the chromosome ends)."""
    return np.convolve(values, np.ones(width) / width, mode="same")


def _noise(rng, values: np.ndarray, share: float, level: float) -> None:
    """Add ``level * U`` to a random ``share`` of bins, in place."""
    hit = rng.random(len(values)) < share
    values[hit] += level * rng.random(int(hit.sum()))


def simulate_chromosome(p: SimulationParams, rng: np.random.Generator, name: str) -> Chromosome:
    """Simulate one chromosome of ``p.bins`` bins."""
    n = p.bins
    spots = rng.choice(n, size=p.genes + p.regulators, replace=False)
    genes = np.sort(spots[: p.genes])
    enhancers = np.sort(spots[p.genes : p.genes + p.enhancers])
    silencers = np.sort(spots[p.genes + p.enhancers :])

    half = p.peak_width // 2
    raw = np.zeros(n)
    _peaks(rng, raw, genes, True, half)
    _peaks(rng, raw, enhancers, True, half)
    _peaks(rng, raw, silencers, p.silencer_signal == "same", half)
    dnase = _smooth(raw, p.smooth_width)
    _noise(rng, dnase, p.noise_fraction, p.dnase_noise)

    links = []
    for gene in genes:
        for reg in rng.choice(enhancers, size=p.enhancers_per_gene, replace=False):
            links.append((reg, gene, 1))
        if len(silencers):
            for reg in rng.choice(silencers, size=p.silencers_per_gene, replace=False):
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
    decoys = _decoys(rng, p, genes, np.concatenate([enhancers, silencers]), links, pairs)
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
    )


def _decoys(rng, p, genes, regulators, links, taken: set) -> list[tuple[int, int]]:
    """Contacts that regulate nothing: a random gene joined to a regulator it is not linked
    to (any other bin when it is linked to all), never repeating a contact."""
    decoys: list[tuple[int, int]] = []
    if not p.decoy_contacts or not len(genes):
        return decoys
    attempts = 0
    while len(decoys) < p.decoy_contacts:
        attempts += 1
        if attempts > 100 * p.decoy_contacts + 1000:
            raise GraphregError(
                f"cannot place {p.decoy_contacts} distinct decoy contacts on {p.bins} bins; "
                "lower --decoy-contacts"
            )
        gene = int(rng.choice(genes))
        linked = set(links[links[:, 1] == gene, 0].tolist())
        free = [int(r) for r in regulators if int(r) not in linked]
        other = int(rng.choice(free)) if free else int(rng.integers(p.bins))
        pair = tuple(sorted((gene, other)))
        if other == gene or pair in taken:
            continue
        taken.add(pair)
        decoys.append(pair)
    return decoys


def simulate(params: SimulationParams, progress=None) -> Dataset:
    """Simulate ``params.chromosomes`` chromosomes named chr1, chr2, ... .

    ``progress(done, total)`` is called after each chromosome when given. The same
    ``params.seed`` gives identical arrays.
    """
    params.check()
    rng = np.random.default_rng(params.seed)
    data = Dataset(params)
    for i in range(params.chromosomes):
        data.chromosomes.append(simulate_chromosome(params, rng, f"chr{i + 1}"))
        if progress:
            progress(i + 1, params.chromosomes)
    return data
