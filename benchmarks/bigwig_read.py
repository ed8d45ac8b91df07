"""Reading a binned bigWig: graphreg's interval-based binning against per-base values.

Both read every chromosome of a bigWig into per-bin means (missing data = 0): ``read_bigwig``
(sums each bin from the file's intervals when the track is binned) and the per-base route
(``values(numpy=True)`` + reshape). Median of ``--repeats`` timings each, side by side.

    python benchmarks/bigwig_read.py [--bigwig FILE] [--bin-size 5000] [--repeats 5]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bigwig", type=Path, default=DEFAULT)
    parser.add_argument("--bin-size", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    timings = {"intervals (read_bigwig)": [], "per-base values + reshape": []}
    for _ in range(args.repeats):
        for label, fn in (
            ("intervals (read_bigwig)", read_bigwig),
            ("per-base values + reshape", per_base),
        ):
            start = time.perf_counter()
            result = fn(args.bigwig, args.bin_size)
            timings[label].append(time.perf_counter() - start)
        ours, ref = read_bigwig(args.bigwig, args.bin_size), per_base(args.bigwig, args.bin_size)
        assert all(np.allclose(ours[c], ref[c], rtol=1e-5, atol=1e-6) for c in ref), "mismatch"
    print(f"{args.bigwig} ({len(result)} chromosomes, {args.bin_size} bp bins)")
    print("| method | median seconds |\n| --- | ---: |")
    for label, values in timings.items():
        print(f"| {label} | {statistics.median(values):.3f} |")
    a, b = (statistics.median(v) for v in timings.values())
    print(f"ratio: {b / a:.0f}x")


if __name__ == "__main__":
    main()
