"""Reading a bigWig into per-bin means: graphreg's readers against per-base values.

Every chromosome of a bigWig into per-bin means (missing data = 0), three ways, median of
``--repeats`` timings each, side by side, with the load average before and after:

- ``read_bigwig``: pybigtools sums each bin in Rust (graphreg's default reader);
- ``read_bigwig`` without pybigtools: pyBigWig's intervals and a running integral (binned
  tracks), or per-base values a slice at a time (base-resolution ones);
- per-base ``values(numpy=True)`` + reshape (``--per-base``; a whole chromosome in memory:
  skip it on genome-sized files).

All must agree (relative 1e-5).

    python benchmarks/bigwig_read.py [--bigwig FILE] [--bin-size 5000] [--repeats 5] [--per-base]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pyBigWig

from graphreg_cli.io.bigwig import read_bigwig

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared/seed-data/enhancers_only/dnase.bw"


def per_base(path: Path, bin_size: int) -> dict[str, np.ndarray]:
    out = {}
    with pyBigWig.open(str(path)) as handle:
        for chrom, length in handle.chroms().items():
            values = np.nan_to_num(handle.values(chrom, 0, length, numpy=True))
            count = -(-length // bin_size)
            padded = np.zeros(count * bin_size)
            padded[:length] = values
            out[chrom] = padded.reshape(count, bin_size).mean(axis=1)
    return out


def without_pybigtools(path: Path, bin_size: int) -> dict[str, np.ndarray]:
    from graphreg_cli.io import bigwig

    original, bigwig.open_sums = bigwig.open_sums, lambda path: None
    try:
        return read_bigwig(path, bin_size)
    finally:
        bigwig.open_sums = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bigwig", type=Path, default=DEFAULT)
    parser.add_argument("--bin-size", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--per-base", action="store_true", help="also time per-base values")
    args = parser.parse_args()
    methods = {
        "read_bigwig (pybigtools sums)": read_bigwig,
        "read_bigwig without pybigtools (pyBigWig)": without_pybigtools,
    }
    if args.per_base:
        methods["per-base values + reshape"] = per_base
    timings: dict[str, list[float]] = {label: [] for label in methods}
    print(f"load average before: {os.getloadavg()}")
    results = {}
    for _ in range(args.repeats):
        for label, fn in methods.items():
            start = time.perf_counter()
            results[label] = fn(args.bigwig, args.bin_size)
            timings[label].append(time.perf_counter() - start)
    reference = next(iter(results.values()))
    for label, result in results.items():
        assert all(np.allclose(result[c], reference[c], rtol=1e-5, atol=1e-6) for c in reference), (
            f"{label} disagrees"
        )
    print(f"load average after: {os.getloadavg()}")
    print(f"{args.bigwig} ({len(reference)} chromosomes, {args.bin_size} bp bins)")
    print("| method | median seconds | runs |\n| --- | ---: | --- |")
    for label, values in timings.items():
        runs = ", ".join(f"{v:.3f}" for v in values)
        print(f"| {label} | {statistics.median(values):.3f} | {runs} |")
    fast = statistics.median(timings["read_bigwig (pybigtools sums)"])
    for label, values in list(timings.items())[1:]:
        print(f"{label}: {statistics.median(values) / fast:.1f}x the pybigtools time")


if __name__ == "__main__":
    main()
