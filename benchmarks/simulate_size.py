"""What ``graphreg simulate`` needs, against what it estimates before drawing anything.

For each size, one ``graphreg simulate`` process is run; its peak memory (``ru_maxrss``) and
the bytes it wrote are compared with :func:`graphreg_cli.simulation.resources.estimate`
(which refuses requests that cannot fit). The estimate leaves out the ~0.4 GB the Python
process holds before simulating (torch imported), already in use when it is checked. The growth
per bin between the smallest and the largest run gives the rates ``resources.py`` rounds up.

    flock /tmp/graphreg-cpu.lock python benchmarks/simulate_size.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from graphreg_cli.simulation.generator import SimulationParams
from graphreg_cli.simulation.resources import estimate

SIZES = [(30, 1000, None), (30, 20000, None), (30, 60000, None), (30, 10000, 100)]


def run(chromosomes: int, bins: int, fine: int | None, folder: Path) -> dict:
    out = folder / f"sim_{chromosomes}_{bins}_{fine}"
    args = ["simulate", "-o", str(out), "--chromosomes", str(chromosomes), "--bins", str(bins)]
    args += ["--input-bin-size", str(fine)] if fine else []
    script = "import sys, resource; from graphreg_cli.cli import main; sys.argv[0] = 'graphreg'\n"
    script += "try:\n    main()\nfinally:\n"
    script += "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    written = sum(p.stat().st_size for p in out.iterdir())
    params = SimulationParams(chromosomes=chromosomes, bins=bins, input_bin_size=fine)
    guess = estimate(params)
    return {
        "bins": chromosomes * bins,
        "fine": fine,
        "peak_mb": peak_kb / 1000,
        "written_mb": written / 1e6,
        "estimate_disk_mb": guess.disk / 1e6,
        "estimate_memory_mb": guess.memory / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    print(
        f"{'bins':>10} {'fine':>5} {'peak MB':>8} {'written MB':>11} {'est. disk':>10} "
        f"{'est. memory':>12}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run(c, b, f, Path(tmp)) for c, b, f in SIZES]
    for r in rows:
        print(
            f"{r['bins']:>10,} {r['fine'] or '-':>5} {r['peak_mb']:>8.0f} "
            f"{r['written_mb']:>11.1f} {r['estimate_disk_mb']:>10.1f} "
            f"{r['estimate_memory_mb']:>12.1f}"
        )
    small, large = rows[0], rows[2]
    per_bin = (large["peak_mb"] - small["peak_mb"]) * 1e6 / (large["bins"] - small["bins"])
    disk = (large["written_mb"] - small["written_mb"]) * 1e6 / (large["bins"] - small["bins"])
    print(f"growth per bin: memory {per_bin:.1f} bytes, disk {disk:.1f} bytes")


if __name__ == "__main__":
    main()
