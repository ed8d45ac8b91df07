"""Reading a base-resolution bigWig of a human-sized chr1 (variable spans), per chromosome.

ENCODE's signal bigWigs (fold change, p-values; CAGE and RNA strands) hold one interval per
run of equal values: spans of 1 to tens of bp, tens of millions of intervals on chr1. This
writes such a chr1 (248,956,422 bp; spans 1-19 bp, a fifth of them left out as gaps, values
that change at every interval; ``--intervals`` sets how many) and times, in fresh processes,
``read_bigwig`` at 100 bp and at 5 kb (per-base values read 10 Mb at a time) against reading
the whole chromosome's values at once, with each process's peak memory.

    python benchmarks/bigwig_base_resolution.py [--workdir /tmp/bw_bench] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyBigWig

from graphreg_cli.simulation.genomes import HG38

LENGTH = HG38["chr1"]

READ = """
import json, resource, sys, time
import numpy as np, pyBigWig
from graphreg_cli.io.bigwig import read_bigwig
path, size, how = sys.argv[1], int(sys.argv[2]), sys.argv[3]
clock = time.perf_counter()
if how == "graphreg":
    total = float(read_bigwig(path, size)["chr1"].sum())
else:
    with pyBigWig.open(path) as handle:
        length = handle.chroms("chr1")
        values = np.nan_to_num(handle.values("chr1", 0, length, numpy=True))
        count = -(-length // size)
        padded = np.zeros(count * size)
        padded[:length] = values
        total = float((padded.reshape(count, size).sum(axis=1) / size).sum())
print(json.dumps({"seconds": time.perf_counter() - clock, "total": total,
                  "max_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}))
"""


def write(path: Path, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    spans = rng.integers(1, 20, LENGTH // 10 + 1_000_000)
    ends = np.cumsum(spans)
    ends = np.r_[ends[ends < LENGTH], LENGTH]
    starts = np.r_[0, ends[:-1]]
    keep = rng.random(len(ends)) > 0.2
    starts, ends = starts[keep], ends[keep]
    values = rng.gamma(0.5, 2.0, len(ends))
    with pyBigWig.open(str(path), "w") as handle:
        handle.addHeader([("chr1", LENGTH)], maxZooms=10)
        step = 5_000_000
        for i in range(0, len(starts), step):
            part = slice(i, i + step)
            handle.addEntries(
                ["chr1"] * len(starts[part]),
                starts[part].tolist(),
                ends=ends[part].tolist(),
                values=values[part].tolist(),
            )
    return len(starts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bw_bench"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = args.workdir / "chr1_base_resolution.bw"
    if not path.exists():
        clock = time.perf_counter()
        n = write(path)
        print(f"wrote {path}: {n:,} intervals in {time.perf_counter() - clock:.0f} s")
    with pyBigWig.open(str(path)) as handle:
        print(f"{path.name}: {handle.header()['nBasesCovered']:,} bases covered")
    print("| read | bin size | median seconds | peak memory (GB) |\n| --- | ---: | ---: | ---: |")
    totals = {}
    for size in (100, 5000):
        for how in ("graphreg", "whole"):
            runs = []
            for _ in range(args.repeats):
                out = subprocess.run(
                    [sys.executable, "-c", READ, str(path), str(size), how],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                runs.append(json.loads(out.stdout))
            totals[(size, how)] = runs[0]["total"]
            label = "read_bigwig (10 Mb slices)" if how == "graphreg" else "whole chromosome values"
            seconds = statistics.median(r["seconds"] for r in runs)
            memory = max(r["max_rss_gb"] for r in runs)
            print(f"| {label} | {size} | {seconds:.1f} | {memory:.2f} |")
        a, b = totals[(size, "graphreg")], totals[(size, "whole")]
        assert abs(a - b) <= 1e-4 * abs(b), f"{size} bp: {a} != {b}"


if __name__ == "__main__":
    main()
