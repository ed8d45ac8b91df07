"""Time and memory of ``graphreg prepare contacts`` on a human-sized chr1 at 5 kb.

Simulates chr1 of hg38 (248,956,422 bp: 49,792 bins of 5 kb) with pixels up to 2 Mb (about
20 M tested pixels) as a .cool (:mod:`graphreg_cli.simulation.matrix`, ``--depth`` expected
reads of adjacent bins, falling as 1/distance), then runs the command in a fresh process and
reports its wall time, the seconds spent on chr1 (reading, model, tests) and the process's
peak memory (max RSS).

    python benchmarks/contacts_chr1.py [--depth 200] [--workdir /tmp/contacts_bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from graphreg_cli.simulation.genomes import HG38
from graphreg_cli.simulation.matrix import MatrixParams, simulate_matrix, write_cool

RES = 5_000

RUN = """
import json, resource, sys, time
from graphreg_cli.io.bedpe import write_bedpe
from graphreg_cli.io.schemas import CALL_COLUMNS
from graphreg_cli.prepare.contacts import CallOptions, call_contacts
clock = time.perf_counter()
calls, summary = call_contacts(sys.argv[1], CallOptions(resolution=5000, fdr=0.1))
write_bedpe(calls, sys.argv[2], extras=CALL_COLUMNS, header=True)
row = summary.iloc[0].to_dict()
row.update(calls=len(calls), wall=time.perf_counter() - clock,
           max_rss_gb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6)
print(json.dumps(row, default=float))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=float, default=200.0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/contacts_bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    length = HG38["chr1"]
    path = args.workdir / f"chr1_depth{args.depth:g}.cool"
    if not path.exists():
        clock = time.perf_counter()
        params = MatrixParams(
            bins=-(-length // RES), max_distance=400, depth=args.depth, loops=2000
        )
        pixels, _ = simulate_matrix(params)
        write_cool(path, {"chr1": length}, RES, {"chr1": pixels})
        seconds = time.perf_counter() - clock
        print(f"wrote {path}: {len(pixels):,} pixels with reads in {seconds:.0f} s")
    clock = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", RUN, str(path), str(args.workdir / "calls.bedpe")],
        check=True,
        capture_output=True,
        text=True,
    )
    row = json.loads(out.stdout.strip().splitlines()[-1])
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    print(
        f"chr1 at 5 kb: {int(row['tests']):,} pixels tested, {int(row['with_reads']):,} with "
        f"reads, {int(row['calls']):,} calls; chr1 {row['seconds']:.1f} s, call_contacts "
        f"{row['wall']:.1f} s, process {time.perf_counter() - clock:.1f} s (imports included); "
        f"peak memory {child:.2f} GB; fitted dispersion {row['alpha']:.3f}"
    )


if __name__ == "__main__":
    main()
