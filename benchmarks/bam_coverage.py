"""``graphreg prepare coverage`` against a plain pysam counting loop: reads per second.

Writes a coordinate-sorted, indexed BAM of ``--reads`` single-end reads (100 bp, half on the
minus strand, 5% duplicates, MAPQ 0-60) on ``--chromosomes`` chromosomes of ``--length`` bp,
then counts it into 100 bp bins three ways and checks all three agree bin for bin:

- a plain pysam loop: ``for read in bam.fetch(chrom)``, flag and MAPQ checks, +1 per bin;
- ``bam_coverage(threads=1)``: graphreg's bulk decoder in one process;
- ``bam_coverage(threads=N)``: chromosomes in N worker threads.

    python benchmarks/bam_coverage.py [--reads 4000000] [--threads 2] [--workdir /tmp/bam_bench]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pysam

from graphreg_cli.prepare.coverage import CoverageOptions, bam_coverage

READ_LENGTH = 100


def write_bam(path: Path, reads: int, chromosomes: int, length: int, seed: int = 0) -> None:
    """A sorted, indexed BAM of random single-end reads (sorted as they are written)."""
    rng = np.random.default_rng(seed)
    names = [f"chr{i + 1}" for i in range(chromosomes)]
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": n, "LN": length} for n in names],
    }
    quality = pysam.qualitystring_to_array("I" * READ_LENGTH)
    pool = ["".join(rng.choice(list("ACGT"), READ_LENGTH)) for _ in range(1000)]
    per = reads // chromosomes
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for ref in range(chromosomes):
            starts = np.sort(rng.integers(0, length - READ_LENGTH, per))
            flags = np.where(rng.random(per) < 0.5, 16, 0) | np.where(
                rng.random(per) < 0.05, 1024, 0
            )
            mapq = rng.integers(0, 61, per)
            for k in range(per):
                read = pysam.AlignedSegment(out.header)
                read.query_name = f"r{ref}_{k}"
                read.reference_id = ref
                read.reference_start = int(starts[k])
                read.cigartuples = [(0, READ_LENGTH)]
                read.query_sequence = pool[k % len(pool)]
                read.query_qualities = quality
                read.flag = int(flags[k])
                read.mapping_quality = int(mapq[k])
                out.write(read)
    pysam.index(str(path))


def pysam_loop(path: Path, bin_size: int, min_mapq: int) -> dict[str, np.ndarray]:
    """The baseline: one Python iteration per read over pysam's AlignedSegment objects."""
    out = {}
    with pysam.AlignmentFile(str(path)) as bam:
        for chrom, length in zip(bam.references, bam.lengths):
            counts = np.zeros(-(-length // bin_size))
            for read in bam.fetch(chrom):
                if read.flag & 0xF04 or read.mapping_quality < min_mapq:
                    continue
                for b in range(
                    read.reference_start // bin_size, (read.reference_end - 1) // bin_size + 1
                ):
                    counts[b] += 1
            out[chrom] = counts
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=4_000_000)
    parser.add_argument("--chromosomes", type=int, default=8)
    parser.add_argument("--length", type=int, default=20_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bam_bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / f"reads_{args.reads}.bam"
    if not path.exists():
        start = time.perf_counter()
        write_bam(path, args.reads, args.chromosomes, args.length)
        size = os.path.getsize(path) / 1e6
        print(f"wrote {path} ({size:.0f} MB) in {time.perf_counter() - start:.0f} s")
    timings, results = {}, {}
    runs = [
        ("plain pysam loop", lambda: pysam_loop(path, 100, 10)),
        (
            "graphreg, 1 thread",
            lambda: bam_coverage([path], CoverageOptions(min_mapq=10, threads=1)).values,
        ),
        (
            f"graphreg, {args.threads} threads",
            lambda: bam_coverage([path], CoverageOptions(min_mapq=10, threads=args.threads)).values,
        ),
    ]
    for label, run in runs:
        start = time.perf_counter()
        results[label] = run()
        timings[label] = time.perf_counter() - start
    reference = results["plain pysam loop"]
    for label, values in results.items():
        assert all(np.array_equal(values[c], reference[c]) for c in reference), f"{label} differs"
    print(f"{args.reads:,} reads, {args.chromosomes} chromosomes; all three agree bin for bin")
    print("| method | seconds | reads per second | vs pysam loop |\n| --- | ---: | ---: | ---: |")
    base = timings["plain pysam loop"]
    for label, seconds in timings.items():
        print(f"| {label} | {seconds:.1f} | {args.reads / seconds:,.0f} | {base / seconds:.1f}x |")


if __name__ == "__main__":
    main()
