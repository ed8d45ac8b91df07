"""Synthetic data whose regulation is written in the DNA (``graphreg simulate --sequence``).

Per chromosome of ``length`` bp (graph bins of ``bin_size``):

1. **Background.** Bases drawn independently, GC content varying by 20 kb segment around
   ``gc`` (sd 0.03), as isochores; random sequence holds the occasional motif hit.
2. **Elements.** ``genes``, ``enhancers`` and ``silencers`` sit on distinct random bins, each
   around a centre 1.5-3.5 kb into its bin: a promoter is one TATA-like motif and 0-3
   activator motifs, an enhancer 1-8 activator motifs, a silencer 1-5 repressor motifs
   (:data:`~graphreg_cli.simulation.motifs.MOTIFS`), within ±200 bp of the centre, random
   strands.
3. **Epigenome from motifs.** Every binding site of the final sequence (planted or not; a
   window's occupancy, :func:`~graphreg_cli.simulation.motifs.binding_sites`) adds its
   motif's weight times its occupancy at its centre; DNase at ``input_bin_size`` is that
   impulse train smoothed by a Gaussian (sd 150 bp) plus a 0.05 background, times Gamma
   noise (coefficient of variation ``dnase_noise``). With ``histone``: H3K27ac (activator
   and promoter sites, sd 600 bp), H3K4me3 (promoter sites, sd 800 bp) and H3K27me3
   (repressor sites, sd 600 bp) likewise.
4. **Links and CAGE.** Each gene is linked to ``enhancers_per_gene`` enhancers and
   ``silencers_per_gene`` silencers of its chromosome. A bin's *activity* is the summed
   weight of the binding sites centred in it; a gene's CAGE is ``max(0, activity of its
   promoter + sum over linked enhancers - sum over linked silencers)`` times Gamma noise
   (``cage_noise``), and a ``noise_fraction`` of all bins get ``U(0, 0.2)`` added.
5. **Contacts.** One per link, plus ``decoy_contacts`` per chromosome that regulate nothing.

The same ``seed`` gives the same sequence and files.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from graphreg_cli.errors import SettingError
from graphreg_cli.simulation.generator import Chromosome, Dataset, _decoys
from graphreg_cli.simulation.motifs import MOTIFS, Hits, binding_sites, find_hits, motifs_of

SEGMENT_BP = 20_000  # GC content is drawn per segment
GC_SD = 0.03
ELEMENT_SPAN = 200  # motifs of an element lie within ±200 bp of its centre
SLOT_BP = 16  # one motif per 16 bp slot, so instances never overlap
BACKGROUND = {"dnase": 0.05, "h3k27ac": 0.03, "h3k4me3": 0.02, "h3k27me3": 0.03}
SMOOTH_BP = {"dnase": 150.0, "h3k27ac": 600.0, "h3k4me3": 800.0, "h3k27me3": 600.0}
TRACK_ROLES = {  # which hits make each track, and with what gain
    "dnase": {"activator": 1.0, "promoter": 1.0, "repressor": 1.0},
    "h3k27ac": {"activator": 0.6, "promoter": 0.6},
    "h3k4me3": {"promoter": 1.5},
    "h3k27me3": {"repressor": 0.6},
}
ELEMENT_MOTIFS = {  # kind -> (role, fewest, most) per role
    "promoter": (("promoter", 1, 1), ("activator", 0, 3)),
    "enhancer": (("activator", 1, 8),),
    "silencer": (("repressor", 1, 5),),
}
CAGE_FLOOR_NOISE = 0.2


@dataclass(frozen=True)
class SequenceParams:
    """Every number of the sequence simulation; defaults keep CPU training practical."""

    chromosomes: int = 24
    length: int = 400_000
    bin_size: int = 5000
    input_bin_size: int = 100
    genes: int = 24
    enhancers: int = 30
    silencers: int = 8
    enhancers_per_gene: int = 2
    silencers_per_gene: int = 1
    decoy_contacts: int = 0
    split: tuple[int, int, int] = (16, 4, 4)
    histone: bool = False
    variants: int = 20
    gc: float = 0.41
    dnase_noise: float = 0.25
    cage_noise: float = 0.1
    noise_fraction: float = 0.05
    seed: int = 0
    val_chroms: tuple[str, ...] = ()
    test_chroms: tuple[str, ...] = ()
    genome: str = ""

    @property
    def dnase_bin_size(self) -> int:
        return self.input_bin_size

    @property
    def tracks(self) -> tuple[str, ...]:
        """The epigenome tracks written: DNase, and the histone marks with ``histone``."""
        return ("dnase", "h3k27ac", "h3k4me3", "h3k27me3") if self.histone else ("dnase",)

    def check(self) -> None:
        """Raise SettingError for requests that cannot be met, before anything is drawn."""
        for name in ("chromosomes", "length", "bin_size", "input_bin_size"):
            if getattr(self, name) < 1:
                raise SettingError(f"{{{name}}} must be at least 1", **{name: getattr(self, name)})
        for name in ("genes", "enhancers", "silencers", "decoy_contacts", "variants"):
            if getattr(self, name) < 0:
                raise SettingError(f"{{{name}}} cannot be negative", **{name: getattr(self, name)})
        if self.bin_size % self.input_bin_size:
            raise SettingError(
                "{input_bin_size} must divide {bin_size}",
                input_bin_size=self.input_bin_size,
                bin_size=self.bin_size,
            )
        if self.bin_size < 2 * (ELEMENT_SPAN + 1500):
            raise SettingError(
                "{bin_size} must be at least 3400 bp to hold an element", bin_size=self.bin_size
            )
        bins = math.ceil(self.length / self.bin_size)
        if self.genes + self.enhancers + self.silencers > bins:
            raise SettingError(
                f"{{genes}} + {{enhancers}} + {{silencers}} do not fit on {bins} bins of "
                "{length}; each needs a bin of its own",
                genes=self.genes,
                enhancers=self.enhancers,
                silencers=self.silencers,
                length=self.length,
            )
        if self.genes and self.enhancers_per_gene > self.enhancers:
            raise SettingError(
                "{enhancers_per_gene} is more than {enhancers}",
                enhancers_per_gene=self.enhancers_per_gene,
                enhancers=self.enhancers,
            )
        if self.genes and self.silencers_per_gene > self.silencers:
            raise SettingError(
                "{silencers_per_gene} is more than {silencers}",
                silencers_per_gene=self.silencers_per_gene,
                silencers=self.silencers,
            )
        if len(self.split) != 3 or min(self.split) < 0 or sum(self.split) != self.chromosomes:
            raise SettingError(
                "{split} must be three counts (train,val,test) adding up to {chromosomes}",
                split=list(self.split),
                chromosomes=self.chromosomes,
            )
        if not 0.2 <= self.gc <= 0.8:
            raise SettingError("{gc} must be between 0.2 and 0.8", gc=self.gc)

    def chromosome_sizes(self) -> dict[str, int]:
        return {f"chr{i + 1}": self.length for i in range(self.chromosomes)}

    def to_json(self) -> dict:
        data = asdict(self)
        data["split"] = list(self.split)
        data["val_chroms"], data["test_chroms"] = list(self.val_chroms), list(self.test_chroms)
        data["motifs"] = [asdict(m) for m in MOTIFS]
        return data


@dataclass
class Instance:
    """A planted motif: ``start`` (0-based), ``strand`` (+1/-1), ``motif`` (index into
    MOTIFS), the ``kind`` of element and its ``bin``."""

    start: int
    strand: int
    motif: int
    kind: str
    bin: int


@dataclass
class SequenceChromosome(Chromosome):
    """A :class:`Chromosome` with its DNA and what the DNA makes.

    ``sequence: (length,) uint8`` codes; ``hits``: every exact motif hit; ``sites``: every
    binding site (occupancy at least 0.01), what the epigenome comes from; ``instances``: the
    planted motifs; ``tracks``: ``{name: (ceil(length / input_bin_size),) float32}``
    epigenome tracks (observed, with noise); ``activity: (bins,) float64`` summed site
    weights per bin;
    ``cage_clean: (bins,)`` CAGE without noise.
    """

    sequence: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    hits: Hits | None = None
    sites: Hits | None = None
    instances: list[Instance] = field(default_factory=list)
    tracks: dict[str, np.ndarray] = field(default_factory=dict)
    activity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cage_clean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    promoters: dict[int, int] = field(default_factory=dict)  # gene bin -> TSS (bp)


@dataclass
class SequenceDataset(Dataset):
    """A simulated genome: :class:`SequenceChromosome` objects and the variants drawn on them
    (``variants``: see :func:`graphreg_cli.simulation.variants.draw_variants`)."""

    variants: list = field(default_factory=list)

    def write(self, folder, step=None):
        from graphreg_cli.simulation.seq_writer import write_sequence_dataset

        return write_sequence_dataset(self, folder, step)


def background(rng: np.random.Generator, length: int, gc: float) -> np.ndarray:
    """``(length,) uint8`` random bases, GC content drawn per :data:`SEGMENT_BP` segment."""
    segments = math.ceil(length / SEGMENT_BP)
    share = np.clip(rng.normal(gc, GC_SD, segments), 0.25, 0.75)
    per_base = np.repeat(share, SEGMENT_BP)[:length]
    strong = rng.random(length) < per_base
    pick = rng.random(length) < 0.5
    return np.where(strong, np.where(pick, 1, 2), np.where(pick, 0, 3)).astype(np.uint8)


def plant(rng, sequence: np.ndarray, kind: str, bin_: int, bin_size: int) -> tuple[int, list]:
    """Write one element's motifs into ``sequence`` in place; ``(centre bp, instances)``."""
    centre = bin_ * bin_size + int(rng.integers(1500, bin_size - 1500))
    wanted = []
    for role, fewest, most in ELEMENT_MOTIFS[kind]:
        family = motifs_of(role)
        for _ in range(int(rng.integers(fewest, most + 1))):
            wanted.append(MOTIFS.index(family[int(rng.integers(len(family)))]))
    slots = rng.choice(2 * ELEMENT_SPAN // SLOT_BP, size=len(wanted), replace=False)
    instances = []
    for motif_index, slot in zip(wanted, slots):
        motif = MOTIFS[motif_index]
        codes = motif.sample(rng)
        strand = 1 if rng.random() < 0.5 else -1
        if strand < 0:
            codes = (3 - codes[::-1]).astype(np.uint8)
        start = centre - ELEMENT_SPAN + int(slot) * SLOT_BP
        sequence[start : start + len(codes)] = codes
        instances.append(Instance(start, strand, motif_index, kind, bin_))
    return centre, instances


def gaussian_kernel(sd_bp: float, fine: int) -> np.ndarray:
    """A Gaussian over ``fine``-bp bins with peak 1 (so one hit adds its weight at its bin)."""
    sd = sd_bp / fine
    half = max(1, int(math.ceil(4 * sd)))
    x = np.arange(-half, half + 1)
    return np.exp(-0.5 * (x / sd) ** 2)


def epigenome(hits: Hits, length: int, fine: int, track: str) -> np.ndarray:
    """Noise-free track ``(ceil(length / fine),) float64`` from the motif hits."""
    roles = TRACK_ROLES[track]
    gains = np.array([roles.get(m.role, 0.0) for m in MOTIFS])
    n = math.ceil(length / fine)
    impulses = np.bincount(hits.centre // fine, hits.weight * gains[hits.motif], minlength=n)
    smooth = np.convolve(impulses[:n], gaussian_kernel(SMOOTH_BP[track], fine), mode="same")
    return smooth + BACKGROUND[track]


def activity(hits: Hits, n_bins: int, bin_size: int) -> np.ndarray:
    """Summed hit weights per graph bin, ``(n_bins,) float64``."""
    return np.bincount(hits.centre // bin_size, hits.weight, minlength=n_bins)[:n_bins]


def cage_from(activity_: np.ndarray, genes: np.ndarray, links: np.ndarray) -> np.ndarray:
    """Noise-free CAGE per bin: at each gene bin its promoter's activity plus its linked
    enhancers' minus its silencers', clipped at 0; 0 elsewhere."""
    cage = np.zeros(len(activity_))
    cage[genes] = activity_[genes]
    if len(links):
        np.add.at(cage, links[:, 1], links[:, 2] * activity_[links[:, 0]])
    return np.clip(cage, 0, None)


def gamma_noise(rng, values: np.ndarray, cv: float) -> np.ndarray:
    """``values`` times Gamma noise of mean 1 and coefficient of variation ``cv``."""
    if cv <= 0:
        return values.copy()
    shape = 1 / cv**2
    return values * rng.gamma(shape, 1 / shape, len(values))


def draw_links(rng, p: SequenceParams, genes, enhancers, silencers) -> np.ndarray:
    """``(n_links, 3)`` rows of (regulator bin, gene bin, sign)."""
    links = []
    for gene in genes:
        for reg in rng.choice(enhancers, size=p.enhancers_per_gene, replace=False):
            links.append((reg, gene, 1))
        if p.silencers_per_gene and len(silencers):
            for reg in rng.choice(silencers, size=p.silencers_per_gene, replace=False):
                links.append((reg, gene, -1))
    return np.asarray(links, dtype=np.int64).reshape(-1, 3)


def simulate_sequence_chromosome(p: SequenceParams, rng, name: str) -> SequenceChromosome:
    """One chromosome: DNA, motif hits, epigenome tracks, links, CAGE and contacts."""
    n = math.ceil(p.length / p.bin_size)
    sequence = background(rng, p.length, p.gc)
    spots = rng.choice(n, size=p.genes + p.enhancers + p.silencers, replace=False)
    genes = np.sort(spots[: p.genes])
    enhancers = np.sort(spots[p.genes : p.genes + p.enhancers])
    silencers = np.sort(spots[p.genes + p.enhancers :])
    instances, promoters = [], {}
    for kind, bins in (("promoter", genes), ("enhancer", enhancers), ("silencer", silencers)):
        for b in bins.tolist():
            centre, planted = plant(rng, sequence, kind, b, p.bin_size)
            instances += planted
            if kind == "promoter":
                promoters[b] = centre
    hits, sites = find_hits(sequence), binding_sites(sequence)
    tracks = {
        t: gamma_noise(rng, epigenome(sites, p.length, p.input_bin_size, t), p.dnase_noise)
        for t in p.tracks
    }
    links = draw_links(rng, p, genes, enhancers, silencers)
    act = activity(sites, n, p.bin_size)
    clean = cage_from(act, genes, links)
    cage = gamma_noise(rng, clean, p.cage_noise)
    noisy = rng.random(n) < p.noise_fraction
    cage[noisy] += CAGE_FLOOR_NOISE * rng.random(int(noisy.sum()))
    pairs = {tuple(sorted((int(r), int(g)))) for r, g, _ in links}
    regulators = np.concatenate([enhancers, silencers])
    decoys = _decoys(rng, p.decoy_contacts, n, genes, regulators, links, pairs)
    dnase = tracks["dnase"]
    per_bin = p.bin_size // p.input_bin_size
    padded = np.zeros(n * per_bin)
    padded[: len(dnase)] = dnase
    return SequenceChromosome(
        name=name,
        dnase=padded.reshape(n, per_bin).mean(1).astype(np.float32),
        cage=cage.astype(np.float32),
        gene_bins=genes,
        enhancer_bins=enhancers,
        silencer_bins=silencers,
        links=links,
        contacts=np.asarray(sorted(pairs) + decoys, dtype=np.int64).reshape(-1, 2),
        n_decoys=len(decoys),
        length=p.length,
        sequence=sequence,
        hits=hits,
        sites=sites,
        instances=instances,
        tracks={t: v.astype(np.float32) for t, v in tracks.items()},
        activity=act,
        cage_clean=clean,
        promoters=promoters,
    )


def simulate_sequence(params: SequenceParams, progress=None) -> SequenceDataset:
    """Simulate ``params.chromosomes`` chromosomes and their variants (same seed, same data).

    ``progress(done, total)`` is called after each chromosome.
    """
    from graphreg_cli.simulation.variants import draw_variants

    params.check()
    rng = np.random.default_rng([params.seed, 2])
    data = SequenceDataset(params)
    sizes = params.chromosome_sizes()
    for i, name in enumerate(sizes):
        data.chromosomes.append(simulate_sequence_chromosome(params, rng, name))
        if progress:
            progress(i + 1, len(sizes))
    variant_rng = np.random.default_rng([params.seed, 3])
    data.variants = [v for c in data.chromosomes for v in draw_variants(variant_rng, c, params)]
    return data
