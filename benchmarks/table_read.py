"""BED/BEDPE reading: pandas' C parser (the fast path) against the line-by-line reader.

Writes a BEDPE of ``--lines`` random contacts (8 columns, a ``#`` header), reads it with both
readers of ``graphreg_cli.io.text`` side by side ``--repeats`` times, checks they give the same
frame and prints median seconds and the ratio.

    python benchmarks/table_read.py [--lines 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.io.schemas import BEDPE_COLUMNS, BEDPE_REQUIRED, INT_COLUMNS
from graphreg_cli.io.text import _read_fast, _read_lines


def write_bedpe(path: Path, lines: int) -> None:
    rng = np.random.default_rng(0)
    chrom = np.array([f"chr{i}" for i in range(1, 23)])[rng.integers(0, 22, lines)]
    start1 = rng.integers(0, 100_000_000, lines) // 5000 * 5000
    start2 = start1 + rng.integers(2, 400, lines) * 5000
    frame = pd.DataFrame(
        {
            "c1": chrom,
            "s1": start1,
            "e1": start1 + 5000,
            "c2": chrom,
            "s2": start2,
            "e2": start2 + 5000,
            "name": ".",
            "score": rng.poisson(20, lines) + 1,
        }
    )
    with open(path, "w") as handle:
        handle.write("#chrom1\tstart1\tend1\tchrom2\tstart2\tend2\tname\tscore\n")
        frame.to_csv(handle, sep="\t", header=False, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.bedpe"
        write_bedpe(path, args.lines)
        spec = (BEDPE_COLUMNS, BEDPE_REQUIRED, INT_COLUMNS)
        times: dict[str, list[float]] = {"fast": [], "lines": []}
        for _ in range(args.repeats):
            for name, reader in (("fast", _read_fast), ("lines", _read_lines)):
                start = time.perf_counter()
                result = reader(path, *spec)
                times[name].append(time.perf_counter() - start)
                if name == "fast":
                    fast = result
                else:
                    pd.testing.assert_frame_equal(fast[0], result[0])
                    np.testing.assert_array_equal(fast[1], result[1])
    fast, lines = (statistics.median(times[k]) for k in ("fast", "lines"))
    print(f"{args.lines:,}-line BEDPE, median of {args.repeats} (same frames):")
    print("| reader | median seconds |\n| --- | ---: |")
    print(f"| pandas C parser (fast path) | {fast:.2f} |\n| line by line | {lines:.2f} |")
    print(f"ratio: {lines / fast:.1f}x")


if __name__ == "__main__":
    main()
