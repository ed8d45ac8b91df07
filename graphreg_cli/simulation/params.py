"""Every number of the study's simulation, with the study's values as defaults, and the
checks that refuse requests that cannot be met before anything is simulated."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from graphreg_cli.errors import NAME_ONLY, SettingError, check_range

SILENCER_SIGNALS = ("weaker", "same", "visible")
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
    decoy_score_ratio: float = 0.5  # median decoy contact score / median true link score
    decoy_partners: str = "regulators"  # or "inactive": each decoy to a new inactive element
    decoy_spacing: int = 0  # bins an inactive element keeps from every gene and regulator
    histone: bool = False  # H3K27ac (genes, enhancers) and H3K27me3 (silencers) tracks
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

    @property
    def tracks(self) -> tuple[str, ...]:
        """The input tracks, written at ``dnase_bin_size``: DNase, and the histone marks
        with ``histone`` (names as :data:`~graphreg_cli.simulation.histone.MARKS`)."""
        return ("dnase", "h3k27ac", "h3k27me3") if self.histone else ("dnase",)

    @property
    def inactive(self) -> int:
        """Inactive elements per chromosome (per 1000 bins with ``sizes``): one per decoy
        with ``decoy_partners="inactive"``, else none."""
        return self.decoy_contacts if self.decoy_partners == "inactive" else 0

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
            "decoy_spacing",
            "max_link_distance",
            "dnase_noise",
            "cage_noise",
        ):
            if not getattr(self, name) >= 0:  # NaN fails too
                raise SettingError(f"{{{name}}} cannot be negative", **{name: getattr(self, name)})
        check_range("seed", self.seed, low=0)
        if not 0 < self.decoy_score_ratio <= 1:
            raise SettingError(
                "{decoy_score_ratio} must be in (0, 1]: decoys' median contact score as a "
                "share of true links'",
                decoy_score_ratio=self.decoy_score_ratio,
            )
        if not 0 <= self.noise_fraction <= 1:
            raise SettingError(
                "{noise_fraction} must be between 0 and 1", noise_fraction=self.noise_fraction
            )
        if self.silencer_signal not in SILENCER_SIGNALS:
            raise SettingError(
                f"{{silencer_signal}}: choose {', '.join(SILENCER_SIGNALS)}",
                silencer_signal=self.silencer_signal,
            )
        if self.decoy_partners not in ("regulators", "inactive"):
            raise SettingError(
                "{decoy_partners}: choose regulators or inactive",
                decoy_partners=self.decoy_partners,
            )
        if self.decoy_partners == "inactive" and not self.decoy_contacts:
            raise SettingError(
                "{decoy_partners} joins each decoy contact to an inactive element, but "
                "{decoy_contacts} asks for none; give a positive count (e.g. 20)",
                decoy_partners=self.decoy_partners,
                decoy_contacts=self.decoy_contacts,
            )
        if self.decoy_spacing and self.decoy_partners != "inactive":
            raise SettingError(
                "{decoy_spacing} keeps inactive decoy partners away from genes and regulators, "
                "but {decoy_partners} joins decoys to regulators; add --decoy-partners inactive",
                decoy_spacing=self.decoy_spacing,
                decoy_partners=self.decoy_partners,
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

    def _check_inactive_fit(self, bins: int, where: str) -> None:
        if self.inactive and self.genes + self.regulators + self.inactive > bins:
            raise SettingError(
                "{genes} + {regulators} + {decoy_contacts} do not fit on " + where + " with "
                "{decoy_partners}: each decoy's inactive element needs a bin of its own; "
                "lower {decoy_contacts}",
                genes=self.genes,
                regulators=self.regulators,
                decoy_contacts=self.decoy_contacts,
                decoy_partners=self.decoy_partners,
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
        self._check_inactive_fit(self.bins, f"{self.bins} bins")
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
        if fine < self.bin_size and values * len(self.tracks) > MAX_FINE_VALUES:
            raise SettingError(
                f"{{input_bin_size}} with {{histone}} makes {values * len(self.tracks):,} values "
                f"over DNase and the 2 histone tracks (at most {MAX_FINE_VALUES:,}); use a "
                "larger one or drop {histone}",
                input_bin_size=fine,
                histone=NAME_ONLY,
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
        self._check_inactive_fit(1000, "1000 bins (all per 1000 bins)")
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
        # recorded only when used, so that a dataset without them is the file it always was
        if not self.histone:
            del data["histone"]
        if self.decoy_partners == "regulators":
            del data["decoy_partners"]
        if not self.decoy_spacing:
            del data["decoy_spacing"]
        return data


def _divisor_below(n: int, limit: int) -> int:
    """The largest divisor of ``n`` that is at most ``limit`` (at least 1)."""
    return max(d for d in range(1, max(limit, 1) + 1) if n % d == 0)
