"""The study's synthetic data (Section III.C): DNase peaks, regulator→gene links, CAGE.

Generation follows the study's code (see ``docs/simulation.md``): per chromosome, genes and
regulators sit on distinct random bins; genes and enhancers get a DNase peak (centre +1 and
``a*u_k`` on the ``peak_width`` bins around it, ``a = (2U)^2``), silencers a weaker one
(``a = U^2``, no +1) unless ``silencer_signal="same"``; the track is smoothed by a moving
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from graphreg_cli.errors import GraphregError, SettingError, check_range
from graphreg_cli.simulation.fine_dnase import fine_dnase

MAX_FINE_VALUES = 200_000_000  # fine DNase values in memory: 800 MB of float32


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
    max_link_distance: int = 0
    seed: int = 0
    input_bin_size: int | None = None
    sizes: tuple[tuple[str, int], ...] = ()
    genome: str = ""
    val_chroms: tuple[str, ...] = ()
    test_chroms: tuple[str, ...] = ()

    @property
    def enhancers(self) -> int:
        return self.regulators - self.silencers

    @property
    def dnase_bin_size(self) -> int:
        """Resolution of ``dnase.bw`` in bp: ``input_bin_size``, else ``bin_size``."""
        return self.bin_size if self.input_bin_size is None else self.input_bin_size

    def chromosome_sizes(self) -> dict[str, int]:
        """``{chrom: length in bp}``: ``sizes``, else chr1..chrN of ``bins * bin_size``."""
        if self.sizes:
            return dict(self.sizes)
        return {f"chr{i + 1}": self.bins * self.bin_size for i in range(self.chromosomes)}

    def layout(self, n: int) -> tuple[int, int, int, int]:
        """``(genes, enhancers, silencers, decoys)`` on a chromosome of ``n`` bins.

        Without ``sizes`` the counts are per chromosome. With ``sizes`` they are per 1000 bins,
        rounded; a chromosome too short to give a gene its enhancers (and silencers) gets none.
        """
        if not self.sizes:
            return self.genes, self.enhancers, self.silencers, self.decoy_contacts
        scale = n / 1000
        genes = round(self.genes * scale)
        regulators = min(round(self.regulators * scale), n - genes)
        silencers = min(round(self.silencers * scale), regulators)
        enhancers = regulators - silencers
        short = silencers and silencers < self.silencers_per_gene
        if enhancers < self.enhancers_per_gene or short:
            genes = 0
        return genes, enhancers, silencers, round(self.decoy_contacts * scale)

    def check(self) -> None:
        """Raise SettingError for requests that cannot be met, before anything is written."""
        for name in ("chromosomes", "bins", "bin_size", "peak_width", "smooth_width"):
            if getattr(self, name) < 1:
                raise SettingError(f"{{{name}}} must be at least 1", **{name: getattr(self, name)})
        for name in (
            "genes",
            "regulators",
            "silencers",
            "enhancers_per_gene",
            "silencers_per_gene",
            "cage_window",
            "decoy_contacts",
            "max_link_distance",
            "dnase_noise",
            "cage_noise",
        ):
            if not getattr(self, name) >= 0:  # NaN fails too
                raise SettingError(f"{{{name}}} cannot be negative", **{name: getattr(self, name)})
        check_range("seed", self.seed, low=0)
        if not 0 <= self.noise_fraction <= 1:
            raise SettingError(
                "{noise_fraction} must be between 0 and 1", noise_fraction=self.noise_fraction
            )
        if self.silencer_signal not in ("weaker", "same"):
            raise SettingError(
                "{silencer_signal}: choose weaker or same", silencer_signal=self.silencer_signal
            )
        if self.silencers > self.regulators:
            raise SettingError(
                "{silencers} is more than {regulators}; silencers are a share of the regulators",
                silencers=self.silencers,
                regulators=self.regulators,
            )
        from graphreg_cli.simulation.resources import check_memory

        check_memory(self)  # before anything is listed or drawn
        self._check_resolution()
        if self.sizes:
            self._check_genome()
        else:
            self._check_layout()
        if self.split[0] < 1:
            raise SettingError(
                "{split} needs at least one training chromosome", split=list(self.split)
            )

    def _check_layout(self) -> None:
        """The checks of :meth:`check` for ``chromosomes`` x ``bins``."""
        if self.genes + self.regulators > self.bins:
            raise SettingError(
                "{genes} + {regulators} do not fit on {bins}; each needs a bin of its own",
                genes=self.genes,
                regulators=self.regulators,
                bins=self.bins,
            )
        if self.genes and self.enhancers_per_gene > self.enhancers:
            raise SettingError(
                f"{{enhancers_per_gene}} but only {self.enhancers} enhancers per chromosome "
                "(regulators - silencers)",
                enhancers_per_gene=self.enhancers_per_gene,
            )
        if self.genes and self.silencers and self.silencers_per_gene > self.silencers:
            raise SettingError(
                f"{{silencers_per_gene}} but only {self.silencers} silencers per chromosome",
                silencers_per_gene=self.silencers_per_gene,
            )
        for name in ("peak_width", "smooth_width"):
            if getattr(self, name) > self.bins:
                raise SettingError(
                    f"{{{name}}} is wider than the chromosome ({self.bins} bins)",
                    **{name: getattr(self, name)},
                )
        if 2 * self.cage_window + 1 > self.bins:
            raise SettingError(
                "{cage_window} is wider than the chromosome", cage_window=self.cage_window
            )
        if len(self.split) != 3 or min(self.split) < 0 or sum(self.split) != self.chromosomes:
            raise SettingError(
                "{split} must be three counts (train,val,test) adding up to {chromosomes}",
                split=list(self.split),
                chromosomes=self.chromosomes,
            )

    def _check_resolution(self) -> None:
        fine = self.dnase_bin_size
        if fine < 1:
            raise SettingError("{input_bin_size} must be at least 1", input_bin_size=fine)
        if fine > self.bin_size:
            raise SettingError(
                "{input_bin_size} is larger than {bin_size}; DNase can be finer than the graph "
                "bins, not coarser",
                input_bin_size=fine,
                bin_size=self.bin_size,
            )
        if self.bin_size % fine:
            near = sorted({_divisor_below(self.bin_size, self.bin_size // k) for k in (50, 10)})
            raise SettingError(
                "{input_bin_size} does not divide {bin_size}; pick a divisor such as "
                f"{' or '.join(map(str, near))}",
                input_bin_size=fine,
                bin_size=self.bin_size,
            )
        values = sum(math.ceil(n / fine) for n in self.chromosome_sizes().values())
        if fine < self.bin_size and values > MAX_FINE_VALUES:
            raise SettingError(
                f"{{input_bin_size}} makes {values:,} DNase values (at most "
                f"{MAX_FINE_VALUES:,}); use a larger one",
                input_bin_size=fine,
            )

    def _check_genome(self) -> None:
        """The checks of :meth:`check` for real chromosome sizes (counts per 1000 bins)."""
        if self.chromosomes != len(self.sizes):
            raise SettingError(
                f"{{chromosomes}} asked but {len(self.sizes)} sizes given",
                chromosomes=self.chromosomes,
            )
        if self.genes + self.regulators > 1000:
            raise SettingError(
                "{genes} + {regulators} per 1000 bins do not fit; each needs a bin of its own",
                genes=self.genes,
                regulators=self.regulators,
            )
        if len(self.split) != 3 or min(self.split) < 0 or sum(self.split) != len(self.sizes):
            raise SettingError(
                "{split} must be three counts (train,val,test) adding up to the "
                f"{len(self.sizes)} chromosomes given",
                split=list(self.split),
            )
        names = {name for name, _ in self.sizes}
        for name in self.val_chroms + self.test_chroms:
            if name not in names:
                raise SettingError(f"split chromosome {name} is not among the chromosome sizes")
        if set(self.val_chroms) & set(self.test_chroms):
            raise SettingError("a chromosome cannot be both in val and in test")
        if self.genes and not any(self.layout(n)[0] for n in self.bins_per_chromosome()):
            silencers = f" and {self.silencers_per_gene} silencers" if self.silencers else ""
            raise SettingError(
                f"no chromosome is long enough to give a gene its {self.enhancers_per_gene} "
                f"enhancers{silencers} at {{regulators}} ({{silencers}}) per 1000 bins; raise "
                "the regulators or lower {bin_size}",
                regulators=self.regulators,
                silencers=self.silencers,
                bin_size=self.bin_size,
            )

    def bins_per_chromosome(self) -> list[int]:
        """Graph bins of each chromosome, the last one partial when the length is not a
        multiple of ``bin_size``."""
        return [math.ceil(n / self.bin_size) for n in self.chromosome_sizes().values()]

    def to_json(self) -> dict:
        """The parameters for ``dataset.json`` (``sizes`` go to its ``chromosome_sizes``)."""
        data = asdict(self)
        del data["sizes"]
        data["split"] = list(self.split)
        data["val_chroms"], data["test_chroms"] = list(self.val_chroms), list(self.test_chroms)
        data["input_bin_size"] = self.dnase_bin_size
        return data


def _divisor_below(n: int, limit: int) -> int:
    """The largest divisor of ``n`` that is at most ``limit`` (at least 1)."""
    return max(d for d in range(1, max(limit, 1) + 1) if n % d == 0)


@dataclass
class Chromosome:
    """One simulated chromosome. Arrays are per bin: ``dnase, cage: (bins,) float32``.

    ``links``: ``(n_links, 3)`` int64 rows of (regulator bin, gene bin, sign ±1);
    ``contacts``: ``(n_contacts, 2)`` int64 bin pairs, lower bin first, links then decoys;
    ``length``: bp; ``dnase_fine``: ``(ceil(length / input_bin_size),) float32`` when DNase
    is finer than the graph bins, else None.
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
    _peaks(rng, raw, silencers, p.silencer_signal == "same", half)
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


def simulate(params: SimulationParams, progress=None) -> Dataset:
    """Simulate the chromosomes of ``params.chromosome_sizes()`` (chr1, chr2, ... by default).

    ``progress(done, total)`` is called after each chromosome when given. The same
    ``params.seed`` gives identical arrays. Fine DNase (``input_bin_size < bin_size``) comes
    from its own random stream, so every other array is the same with or without it.
    """
    params.check()
    rng = np.random.default_rng(params.seed)
    fine_rng = np.random.default_rng([params.seed, 1])
    fine = params.dnase_bin_size
    data = Dataset(params)
    sizes = params.chromosome_sizes()
    for i, (name, length) in enumerate(sizes.items()):
        chrom = simulate_chromosome(params, rng, name, length)
        if fine < params.bin_size:
            chrom.dnase_fine = fine_dnase(chrom.dnase, length, params.bin_size, fine, fine_rng)
        data.chromosomes.append(chrom)
        if progress:
            progress(i + 1, len(sizes))
    return data
