"""BAMs → binned coverage, as deepTools ``bamCoverage`` computes it.

Each read (or fragment) adds 1 to every bin it overlaps; bins are then scaled by the
normalisation. What counts as a read's extent:

- paired-end reads in a proper pair: the fragment, from the leftmost mate's start over the
  template length (``TLEN``), counted once through the first mate;
- other reads: their aligned blocks (split at ``N``, introns; deletions covered), or with
  ``extend`` the ``extend`` bp from the read's 5' end in its direction;
- ``five_prime``: only the read's 5' end (the first mate's in a pair): CAGE TSS counts.

Reads are skipped when unmapped, secondary, supplementary, QC-failed, duplicates (unless
``keep_duplicates``), below ``min_mapq``, on the other strand (``strand``), or overlapping a
blacklisted region. Normalisation: ``cpm`` multiplies by 10^6 / reads counted; ``rpgc`` by
effective genome size / (reads counted × mean fragment length) (1x coverage, deepTools'
RPGC); ``none`` leaves counts. Chromosomes are counted in parallel threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graphreg_cli.data.naming import did_you_mean
from graphreg_cli.errors import NAME_ONLY, InputError, SettingError
from graphreg_cli.io import bam as bamio

logger = logging.getLogger(__name__)

NORMALIZATIONS = ("none", "cpm", "rpgc")
STRANDS = ("both", "+", "-")
# Effective (mappable) genome sizes, deepTools' table for 50 bp reads.
EFFECTIVE_GENOME_SIZES = {"hg38": 2_701_495_761, "hg19": 2_685_511_504, "mm10": 2_308_125_349}

Progress = Callable[[int, int], None] | None


@dataclass
class CoverageOptions:
    """Settings of :func:`bam_coverage` (the ``graphreg prepare coverage`` options)."""

    bin_size: int = 100
    normalize: str = "none"
    effective_genome_size: int | None = None
    min_mapq: int = 0
    extend: int | None = None
    five_prime: bool = False
    strand: str = "both"
    keep_duplicates: bool = False
    chroms: list[str] | None = None
    threads: int = 2


@dataclass
class Coverage:
    """``values``: ``{chrom: (n_bins,) float64}`` (scaled), ``sizes`` ``{chrom: length}``,
    ``reads``: reads or fragments counted, ``scale``: the factor applied to the counts."""

    sizes: dict[str, int]
    values: dict[str, np.ndarray]
    bin_size: int
    reads: int
    scale: float


def read_regions(path: Path) -> dict[str, np.ndarray]:
    """A BED of regions (a blacklist) as ``{chrom: (k, 2) int64}``, sorted and merged."""
    from graphreg_cli.io.bed import read_bed

    frame = read_bed(path)
    regions = {}
    for chrom, rows in frame.groupby("chrom", sort=False):
        pairs = rows[["start", "end"]].to_numpy(np.int64)
        pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
        reach = np.maximum.accumulate(pairs[:, 1])
        new = np.r_[True, pairs[1:, 0] > reach[:-1]]  # starts a new merged region
        group = np.cumsum(new) - 1
        ends = np.zeros(group[-1] + 1, np.int64)
        np.maximum.at(ends, group, pairs[:, 1])
        regions[str(chrom)] = np.stack([pairs[new, 0], ends], axis=1)
    return regions


def check_options(options: CoverageOptions) -> None:
    """SettingErrors for settings that cannot work together."""
    if options.bin_size < 1:
        raise SettingError("{bin_size} must be at least 1", bin_size=options.bin_size)
    if options.min_mapq < 0 or options.min_mapq > 255:
        raise SettingError("{min_mapq} must be 0 to 255", min_mapq=options.min_mapq)
    if options.extend is not None and options.extend < 1:
        raise SettingError(
            "{extend} must be a fragment length of 1 bp or more", extend=options.extend
        )
    if options.normalize not in NORMALIZATIONS:
        raise SettingError(
            f"{{normalize}}: choose {', '.join(NORMALIZATIONS)}", normalize=options.normalize
        )
    if options.strand not in STRANDS:
        raise SettingError("{strand}: choose +, - or both", strand=options.strand)
    if options.threads < 1:
        raise SettingError("{threads} must be at least 1", threads=options.threads)
    if options.normalize == "rpgc":
        if not options.effective_genome_size:
            raise SettingError(
                "{normalize} needs {effective_genome_size} (hg38, hg19, mm10 or a number of bp)",
                normalize="rpgc",
                effective_genome_size=NAME_ONLY,
            )
        if options.five_prime:
            raise SettingError(
                "{normalize} scales whole fragments to 1x coverage; with {five_prime} use cpm",
                normalize="rpgc",
                five_prime=NAME_ONLY,
            )
    if options.extend is not None and options.five_prime:
        raise SettingError(
            "{extend} and {five_prime} exclude each other (5' ends are single bases)",
            extend=options.extend,
            five_prime=NAME_ONLY,
        )


def effective_genome_size(text: str) -> int:
    """``hg38``/``hg19``/``mm10`` or a number of bp."""
    if text.lower() in EFFECTIVE_GENOME_SIZES:
        return EFFECTIVE_GENOME_SIZES[text.lower()]
    try:
        value = int(float(text))
    except ValueError:
        value = 0
    if value <= 0:
        raise SettingError(
            f"{{effective_genome_size}}: give {', '.join(EFFECTIVE_GENOME_SIZES)} or a positive "
            "number of bp",
            effective_genome_size=text,
        )
    return value


def bam_coverage(
    bams: list[Path],
    options: CoverageOptions,
    blacklist: dict[str, np.ndarray] | None = None,
    progress: Progress = None,
) -> Coverage:
    """Binned coverage of one or more BAMs (replicates, summed) on their chromosomes.

    ``blacklist``: ``{chrom: (k, 2) int64}`` sorted, merged regions whose reads are skipped
    (:func:`read_regions`). ``progress(done, total)`` counts indexed reads. Returns
    :class:`Coverage`; raises InputError for unindexed, unsorted, truncated BAMs, BAMs of
    different assemblies or without reads on the chromosomes.
    """
    check_options(options)
    if not bams:
        raise SettingError("give at least one BAM")
    infos = [bamio.open_bam(path) for path in bams]
    sizes = _chromosomes(infos, options.chroms)
    indexed = sum(info.mapped.get(c, 0) for info in infos for c in sizes)
    if indexed == 0:
        where = [c for c, n in infos[0].mapped.items() if n][:4]
        raise InputError(
            f"no reads on the requested chromosomes ({_preview(sizes)}); its reads are on "
            f"{', '.join(where) or 'no chromosome'}",
            infos[0].path,
        )
    if blacklist and not set(blacklist) & set(sizes):
        logger.warning(
            f"the blacklist names none of the chromosomes counted (it has "
            f"{_preview(blacklist)}); check the naming ('chr1' vs '1')"
        )
    tasks = []
    for info in infos:
        ranges = bamio.reference_ranges(info)
        ids = {name: i for i, name in enumerate(info.references)}
        for chrom, length in sizes.items():
            if ids[chrom] in ranges:
                regions = (blacklist or {}).get(chrom, np.zeros((0, 2), np.int64))
                task = (info.path, ids[chrom], length, ranges[ids[chrom]], options, regions)
                tasks.append((chrom, info.mapped.get(chrom, 0), task))
    counts = {c: np.zeros(-(-n // options.bin_size), np.float64) for c, n in sizes.items()}
    reads, bases, done = 0, 0, 0
    for (chrom, weight, _), (bins, n, length_sum) in zip(tasks, _run(tasks, options.threads)):
        counts[chrom] += bins
        reads, bases, done = reads + n, bases + length_sum, done + weight
        if progress:
            progress(done, indexed)
    if reads == 0:
        raise InputError(
            f"no read passed the filters on {_preview(sizes)} (min_mapq={options.min_mapq}, "
            f"strand {options.strand}, duplicates and secondary reads skipped)",
            infos[0].path,
        )
    scale = _scale(options, reads, bases)
    logger.info(
        f"coverage: {reads:,} {'fragments/reads' if not options.five_prime else '5′ ends'} "
        f"counted on {len(sizes)} chromosome(s); scale {scale:.6g} ({options.normalize})"
    )
    values = {c: v * scale for c, v in counts.items()}
    return Coverage(sizes, values, options.bin_size, reads, scale)


def _scale(options: CoverageOptions, reads: int, bases: int) -> float:
    if options.normalize == "cpm":
        return 1e6 / reads
    if options.normalize == "rpgc":
        return options.effective_genome_size / bases
    return 1.0


def _preview(names) -> str:
    names = list(names)
    return ", ".join(names[:3]) + (f", ... ({len(names)} in all)" if len(names) > 3 else "")


def _chromosomes(infos: list[bamio.BamInfo], wanted: list[str] | None) -> dict[str, int]:
    """The requested chromosomes with their lengths, the same in every BAM."""
    first = infos[0]
    names = list(first.references) if wanted is None else wanted
    for name in names:
        if name not in first.references:
            raise SettingError(
                f"{{chroms}}: {name} is not in {first.path.name} (it has "
                f"{_preview(first.references)}){did_you_mean(name, first.references)}",
                chroms=NAME_ONLY,
            )
    sizes = {name: first.references[name] for name in names}
    for other in infos[1:]:
        for name, length in sizes.items():
            theirs = other.references.get(name)
            if theirs != length:
                said = "has no " + name if theirs is None else f"{name} is {theirs:,} bp"
                raise InputError(
                    f"{said} but {first.path.name} has {name} of {length:,} bp; the BAMs "
                    "must be aligned to the same assembly",
                    other.path,
                )
    return sizes


def _run(tasks, threads: int):
    """Count each task, in ``threads`` threads, in task order. The work that dominates,
    inflating BGZF blocks (zlib) and numpy's bulk decoding, runs without the GIL; threads
    need no forking (unsafe beside other threads) nor a fresh interpreter per worker."""
    jobs = [task for _, _, task in tasks]
    if threads == 1 or len(jobs) == 1:
        yield from (count_chromosome(*job) for job in jobs)
        return
    with ThreadPoolExecutor(min(threads, len(jobs))) as pool:
        yield from pool.map(count_chromosome, *zip(*jobs))


def count_chromosome(
    path: Path,
    ref_id: int,
    length: int,
    voffsets: tuple[int, int],
    options: CoverageOptions,
    blacklist: np.ndarray,
) -> tuple[np.ndarray, int, int]:
    """One chromosome of one BAM: ``(counts (n_bins,) float64, reads counted, bases
    covered by them)``."""
    bin_size = options.bin_size
    n = -(-length // bin_size)
    diff = np.zeros(n + 2, np.int64)
    reads = bases = 0
    last_pos = -1
    for records in bamio.read_records(path, *voffsets):
        pos = records.pos[records.ref == ref_id]
        if len(pos):
            if pos[0] < last_pos or (np.diff(pos) < 0).any():
                raise InputError(
                    "is not sorted by coordinate (a read starts before the one above it); "
                    f"sort and index it: {bamio.index_command(path)}",
                    path,
                )
            last_pos = int(pos[-1])
        start, end, spliced = fragments(records, ref_id, length, options)
        if len(blacklist):
            keep = ~_overlaps(start, end, blacklist)
            start, end = start[keep], end[keep]
            spliced = [b for b in spliced if not _overlaps(*_extent(b), blacklist)[0]]
        reads += len(start) + len(spliced)
        bases += int((end - start).sum()) + sum(b - a for blocks in spliced for a, b in blocks)
        diff += np.bincount(start // bin_size, minlength=n + 2)
        diff -= np.bincount((end - 1) // bin_size + 1, minlength=n + 2)
        for blocks in spliced:
            for a, b in _block_bins(blocks, bin_size):
                diff[a] += 1
                diff[b + 1] -= 1
    return np.cumsum(diff[:n]).astype(np.float64), reads, bases


def _extent(blocks: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([blocks[0][0]]), np.array([blocks[-1][1]])


def fragments(records: bamio.Records, ref_id: int, length: int, options: CoverageOptions):
    """``(start, end, spliced)``: the extents counted, ``(k,) int64`` each, half-open, clipped
    to the chromosome, and the aligned blocks ``[[(start, end), ...], ...]`` of spliced reads
    (CIGAR ``N``; counted block by block, each bin once)."""
    flag = records.flag.astype(np.int64)
    skip = bamio.UNMAPPED | bamio.SECONDARY | bamio.QCFAIL | bamio.SUPPLEMENTARY
    if not options.keep_duplicates:
        skip |= bamio.DUPLICATE
    keep = ((flag & skip) == 0) & (records.ref == ref_id) & (records.mapq >= options.min_mapq)
    paired = (flag & bamio.PAIRED) != 0
    pair = (
        paired
        & ((flag & bamio.PROPER) != 0)
        & ((flag & bamio.MATE_UNMAPPED) == 0)
        & (records.next_ref == records.ref)
        & (records.tlen != 0)
    )
    second = (flag & bamio.READ2) != 0
    keep &= ~((pair | (paired & options.five_prime)) & second)  # a pair counts once
    minus = (flag & bamio.REVERSE) != 0
    if options.strand != "both":
        keep &= minus if options.strand == "-" else ~minus
    pos, end = records.pos, records.end
    spliced = np.zeros(len(pos), bool)
    if options.five_prime:
        start = np.where(minus, end - 1, pos)
        stop = start + 1
    else:
        start, stop = pos, end
        if options.extend is not None:
            start = np.where(minus, end - options.extend, pos)
            stop = np.where(minus, end, pos + options.extend)
        else:
            spliced = records.spliced & ~pair
        left = np.minimum(pos, records.next_pos)
        start = np.where(pair, left, start)
        stop = np.where(pair, left + np.abs(records.tlen), stop)
    start, stop = np.clip(start, 0, length), np.clip(stop, 0, length)
    keep &= stop > start
    blocks = [
        clipped
        for i in np.flatnonzero(keep & spliced)
        if (clipped := [(a, min(b, length)) for a, b in records.blocks[int(i)] if a < length])
    ]
    plain = keep & ~spliced
    return start[plain], stop[plain], blocks


def _overlaps(start: np.ndarray, end: np.ndarray, regions: np.ndarray) -> np.ndarray:
    """Whether each ``[start, end)`` overlaps one of the sorted, merged ``regions``."""
    at = np.searchsorted(regions[:, 0], end, side="left") - 1
    return (at >= 0) & (regions[np.clip(at, 0, None), 1] > start)


def _block_bins(blocks: list[tuple[int, int]], bin_size: int) -> list[tuple[int, int]]:
    """Bin ranges ``(first, last)`` the blocks overlap, each bin once."""
    out: list[tuple[int, int]] = []
    for a, b in blocks:
        if b <= a:
            continue
        first, last = a // bin_size, (b - 1) // bin_size
        if out and first <= out[-1][1]:
            first = out[-1][1] + 1
        if first <= last:
            out.append((first, last))
    return out
