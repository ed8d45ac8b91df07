"""What a simulation will need, estimated from its parameters before anything is drawn:
memory, disk, and bigWig's limit on chromosome length. Impossible requests are refused up
front instead of allocating gigabytes.

The rates round up what ``benchmarks/simulate_size.py`` measured (docs/reliability.md): on
30 chromosomes of 1000 to 60,000 bins, peak memory grew 28.5 bytes per bin and the files 23.8
bytes per 5 kb bin (mostly the N genome: bytes per kb); 100 bp DNase added about 5 bytes of
memory and 1 byte of file per fine value.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from graphreg_cli.errors import SettingError

logger = logging.getLogger(__name__)

MEMORY_PER_BIN = 40
MEMORY_PER_FINE_VALUE = 8
MEMORY_PER_ELEMENT = 600  # genes, regulators, links, contacts: rows of tables in memory
DISK_PER_BIN = 8
DISK_PER_KB = 4  # genome.fa.gz and its indexes
DISK_PER_FINE_VALUE = 1.5
DISK_PER_ELEMENT = 250  # a line in genes.bed, regulators.bed, contacts.bedpe, links.bedpe
MAX_CHROMOSOME_BP = 2**32 - 1  # bigWig stores chromosome lengths as 32-bit integers
# simulate --sequence, per base of genome (4 x 80 and 4 x 800 bins of 5 kb: 14.3 bytes of
# memory and 1.07 bytes of files per base, rounded up)
SEQUENCE_MEMORY_PER_BP = 16
SEQUENCE_DISK_PER_BP = 1.2


@dataclass(frozen=True)
class Estimate:
    """Bins, fine DNase values and elements a simulation makes; memory and disk in bytes."""

    bins: int
    fine_values: int
    elements: int
    genome_bp: int

    @property
    def memory(self) -> int:
        return (
            MEMORY_PER_BIN * self.bins
            + MEMORY_PER_FINE_VALUE * self.fine_values
            + MEMORY_PER_ELEMENT * self.elements
        )

    @property
    def disk(self) -> int:
        return int(
            DISK_PER_BIN * self.bins
            + DISK_PER_KB * self.genome_bp / 1000
            + DISK_PER_FINE_VALUE * self.fine_values
            + DISK_PER_ELEMENT * self.elements
        )


def estimate(p) -> Estimate:
    """The :class:`Estimate` of :class:`SimulationParams` ``p`` (without building its
    chromosomes: ``chromosomes`` x ``bins`` is multiplied, not listed)."""
    per_gene = 1 + p.enhancers_per_gene + (p.silencers_per_gene if p.silencers else 0)
    per_chromosome = p.genes * per_gene + p.regulators + p.decoy_contacts
    fine = p.input_bin_size or p.bin_size
    if p.sizes:
        lengths = [n for _, n in p.sizes]
        bins = sum(-(-n // p.bin_size) for n in lengths)
        genome = sum(lengths)
        elements = round(per_chromosome * bins / 1000)
    else:
        bins, genome = p.chromosomes * p.bins, p.chromosomes * p.bins * p.bin_size
        elements = p.chromosomes * per_chromosome
    tracks = len(p.tracks)  # DNase, and the histone marks at the same resolution
    fine_values = tracks * (genome // fine) if fine < p.bin_size else 0
    return Estimate(bins, fine_values, elements, genome)


def check_memory(p) -> Estimate:
    """SettingError when a chromosome is too long for a bigWig or the simulation would need
    more memory than is available; logs the estimate."""
    longest = max((n for _, n in p.sizes), default=p.bins * p.bin_size)
    if longest > MAX_CHROMOSOME_BP:
        raise SettingError(
            f"chromosomes of {longest:,} bp ({{bins}} x {{bin_size}}) exceed bigWig's limit of "
            f"{MAX_CHROMOSOME_BP:,} bp; use fewer bins",
            bins=p.bins,
            bin_size=p.bin_size,
        )
    need = estimate(p)
    free = available_memory()
    if free is not None and need.memory > free:
        raise SettingError(
            f"{{chromosomes}} x {{bins}} ({need.bins:,} bins) would need about "
            f"{_size(need.memory)} of memory but {_size(free)} is available; simulate fewer "
            "or shorter chromosomes",
            chromosomes=p.chromosomes,
            bins=p.bins,
        )
    return need


def check_sequence(p, out: Path | None = None) -> None:
    """SettingError, before anything is drawn, when ``simulate --sequence`` (``p``: its
    SequenceParams) would exceed bigWig's chromosome length, the memory available or the
    disk of ``out``."""
    genome_bp = p.chromosomes * p.length
    bins = dict(chromosomes=p.chromosomes, bins=-(-p.length // p.bin_size))
    if p.length > MAX_CHROMOSOME_BP:
        raise SettingError(
            f"chromosomes of {p.length:,} bp exceed bigWig's limit of {MAX_CHROMOSOME_BP:,} bp; "
            "use fewer {bins}",
            bins=bins["bins"],
        )
    free = available_memory()
    need = SEQUENCE_MEMORY_PER_BP * genome_bp
    if free is not None and need > free:
        raise SettingError(
            f"{{chromosomes}} x {{bins}} ({genome_bp:,} bp of DNA) would need about "
            f"{_size(need)} of memory but {_size(free)} is available; simulate fewer or "
            "shorter chromosomes",
            **bins,
        )
    if out is None:
        return
    folder = Path(out)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        space = shutil.disk_usage(folder).free
    except OSError:
        return
    if SEQUENCE_DISK_PER_BP * genome_bp > space:
        raise SettingError(
            f"the dataset would take about {_size(SEQUENCE_DISK_PER_BP * genome_bp)} but "
            f"{folder} has {_size(space)} free; free some space, choose another {{out}} or "
            "simulate less",
            out=out,
        )


def check_disk(p, out: Path) -> Estimate:
    """SettingError when the files would not fit on the disk of ``out``."""
    need = estimate(p)
    folder = Path(out)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return need
    if need.disk > free:
        raise SettingError(
            f"the dataset would take about {_size(need.disk)} but {folder} has {_size(free)} "
            "free; free some space, choose another {out} or simulate less",
            out=out,
        )
    logger.info(
        f"simulating {need.bins:,} bins: about {_size(need.disk)} on disk, "
        f"{_size(need.memory)} of memory"
    )
    return need


def available_memory() -> int | None:
    """Bytes of memory available now (``MemAvailable`` on Linux), or None when unknown."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"
