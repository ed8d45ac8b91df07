"""Raw files for the offline worked example: a DNase BAM, a CAGE BAM and a Hi-C .cool.

Reads a ``graphreg simulate`` folder and writes what a lab would have before any
preprocessing, so that ``graphreg prepare`` has something real to chew on:

- ``dnase.bam``: 50 bp single-end reads, Poisson around 20 x the simulated DNase of each
  5 kb bin, random strands, 3% marked duplicates (pysam; sorted and indexed);
- ``cage.bam``: 30 bp CAGE reads whose 5' ends sit in each bin, Poisson around 10 x the
  simulated CAGE, on the gene's strand in gene bins (random elsewhere);
- ``contacts.cool``: a Hi-C matrix at 5 kb, negative binomial around a 1/distance decay with
  bin biases, the simulated enhancer-gene contacts ten times stronger (hictkpy).

    python examples/raw_files.py SIMULATE_FOLDER OUT_FOLDER
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pysam

from graphreg_cli.io.bed import read_bed
from graphreg_cli.io.bedpe import read_bedpe
from graphreg_cli.io.bigwig import bigwig_chroms, read_bigwig
from graphreg_cli.simulation.matrix import MatrixParams, simulate_matrix, write_cool

BIN = 5_000
BASES = np.array(list("ACGT"))


def write_bam(path: Path, sizes: dict[str, int], reads: list[tuple]) -> None:
    """``reads``: ``(chrom, start, length, reverse, duplicate)``; written sorted, indexed."""
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": c, "LN": n} for c, n in sizes.items()],
    }
    order = {c: i for i, c in enumerate(sizes)}
    reads = sorted(reads, key=lambda r: (order[r[0]], r[1]))
    rng = np.random.default_rng(0)
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for k, (chrom, start, length, reverse, duplicate) in enumerate(reads):
            read = pysam.AlignedSegment(out.header)
            read.query_name = f"read{k}"
            read.reference_name = chrom
            read.reference_start = int(start)
            read.cigarstring = f"{length}M"
            read.query_sequence = "".join(rng.choice(BASES, length))
            read.query_qualities = pysam.qualitystring_to_array("I" * length)
            read.flag = (16 if reverse else 0) | (1024 if duplicate else 0)
            read.mapping_quality = 60
            out.write(read)
    pysam.index(str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("simulated", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    sizes = bigwig_chroms(args.simulated / "dnase.bw")
    dnase = read_bigwig(args.simulated / "dnase.bw", BIN)
    cage = read_bigwig(args.simulated / "cage.bw", BIN)
    genes = read_bed(args.simulated / "genes.bed")
    strand = {
        (c, s // BIN): st for c, s, st in zip(genes["chrom"], genes["start"], genes["strand"])
    }
    dnase_reads, cage_reads = [], []
    for chrom, length in sizes.items():
        for b, n in enumerate(rng.poisson(20 * np.clip(dnase[chrom], 0, None))):
            for start in rng.integers(b * BIN, min((b + 1) * BIN, length) - 50, n):
                dnase_reads.append((chrom, start, 50, rng.random() < 0.5, rng.random() < 0.03))
        for b, n in enumerate(rng.poisson(10 * np.clip(cage[chrom], 0, None))):
            for five in rng.integers(b * BIN + 30, min((b + 1) * BIN, length) - 30, n):
                minus = strand.get((chrom, b), "+-"[rng.integers(2)]) == "-"
                cage_reads.append((chrom, five - 29 if minus else five, 30, minus, False))
    write_bam(args.out / "dnase.bam", sizes, dnase_reads)
    write_bam(args.out / "cage.bam", sizes, cage_reads)
    links = read_bedpe(args.simulated / "contacts.bedpe")
    pixels = {}
    for seed, (chrom, length) in enumerate(sizes.items()):
        rows = links[links["chrom1"] == chrom]
        loops = np.stack([rows["start1"] // BIN, rows["start2"] // BIN], axis=1)
        params = MatrixParams(
            bins=-(-length // BIN), max_distance=400, depth=200, loop_fold=10, seed=seed
        )
        pixels[chrom], _ = simulate_matrix(params, loops)
    write_cool(args.out / "contacts.cool", sizes, BIN, pixels)
    print(
        f"wrote {args.out}: dnase.bam ({len(dnase_reads):,} reads), cage.bam "
        f"({len(cage_reads):,} reads), contacts.cool ({sum(map(len, pixels.values())):,} pixels, "
        f"{len(links):,} contacts planted)"
    )


if __name__ == "__main__":
    main()
