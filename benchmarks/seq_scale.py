"""Seq-GraphReg on CPU: epoch time and peak memory per Mb of DNA, over three genome sizes, and
the variant-scoring rate (docs/benchmarks.md, docs/sequence.md).

Each size runs in a fresh process (so its peak RSS is its own): simulate --sequence with N
chromosomes of 400 kb, then train seq-gat for --epochs epochs (batch size 1) and score the
simulated SNVs. Reports the median epoch time (from train_log.tsv), peak RSS, and SNVs/s.

    flock /tmp/graphreg-cpu.lock python benchmarks/seq_scale.py --sizes 4,8,16 --epochs 3
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LENGTH = 400_000


def one_size(chromosomes: int, epochs: int, folder: Path) -> dict:
    import numpy as np
    import pandas as pd

    import graphreg_cli as gr
    from graphreg_cli.simulation.sequence import SequenceParams, simulate_sequence
    from graphreg_cli.tasks.variants import score_variants

    split = (chromosomes - 2, 1, 1)
    params = SequenceParams(chromosomes=chromosomes, length=LENGTH, split=split)
    simulate_sequence(params).write(folder / "data")
    inputs = gr.Inputs.from_folder(folder / "data")
    clock = time.perf_counter()
    run = gr.train(
        inputs, model="seq-gat", out=folder / "run", epochs=epochs, min_epochs=epochs,
        batch_size=1, device="cpu",
    )  # fmt: skip
    total = time.perf_counter() - clock
    log = pd.read_csv(folder / "run" / "train_log.tsv", sep="\t")
    epoch_seconds = np.diff(np.concatenate([[0.0], log["seconds"].to_numpy()]))
    effects = score_variants(run, folder / "data" / "variants.vcf", device="cpu")
    train_mb = chromosomes * LENGTH / 1e6 * split[0] / chromosomes
    return {
        "chromosomes": chromosomes,
        "genome_mb": chromosomes * LENGTH / 1e6,
        "train_mb": train_mb,
        "epoch_seconds_median": float(np.median(epoch_seconds)),
        "seconds_per_train_mb": float(np.median(epoch_seconds)) / train_mb,
        "train_seconds": total,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "snvs": len(effects.variants),
        "snvs_per_second": effects.per_second,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4,8,16", help="chromosomes of 400 kb per run")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(one_size(args.one, args.epochs, Path(tmp))))
        return
    rows = []
    for n in map(int, args.sizes.split(",")):
        child = [sys.executable, __file__, "--one", str(n), "--epochs", str(args.epochs)]
        out = subprocess.run(child, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        r = rows[-1]
        print(
            f"{r['genome_mb']:.1f} Mb ({r['train_mb']:.1f} Mb trained): epoch "
            f"{r['epoch_seconds_median']:.1f} s ({r['seconds_per_train_mb']:.2f} s/Mb), peak "
            f"RSS {r['peak_rss_mb']:.0f} MB, {r['snvs']} SNVs at {r['snvs_per_second']:.0f}/s",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
