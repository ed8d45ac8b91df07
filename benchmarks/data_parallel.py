"""Single-process against data-parallel training at the same global batch, and bf16.

Epi-GraphReg on the study's enhancers-only dataset (20 train, 5 val, 5 test chromosomes),
graphreg's defaults otherwise, one run per configuration and seed:

- ``1x4``: one process, ``--batch-size 4`` (the default);
- ``2x2``: ``--devices 2 --batch-size 2``: two Gloo processes on the CPU, 2 chromosomes
  each per step, so the same global batch of 4;
- ``1x4-bf16``: one process, ``--precision bf16`` (bfloat16 autocast on the CPU);
- ``1x4-t1``: one process on one thread (``torch.set_num_threads(1)``), as each of the two
  ``2x2`` processes runs: on a busy machine a 2-thread process waits for its descheduled
  second thread, and this row tells that apart from the effect of two processes.

Wall time is the whole ``train()`` call (reading files and, for ``2x2``, starting the
workers included); test MSE is the study's, for the model selected on validation.
On 2 cores, two processes show that the result is right, not that it is faster.

    python benchmarks/data_parallel.py --seeds 0,1,2 --json data_parallel.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.train import TrainOptions, train

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/seed-data/enhancers_only"
CONFIGS = {
    "1x4": {"devices": 1, "batch_size": 4},
    "2x2": {"devices": 2, "batch_size": 2},
    "1x4-bf16": {"devices": 1, "batch_size": 4, "precision": "bf16"},
    "1x4-t1": {"devices": 1, "batch_size": 4},
}
THREADS = {"1x4-t1": 1}


def one_run(data: Path, name: str, seed: int, out: Path) -> dict:
    inputs = Inputs(
        [data / "dnase.bw"], data / "contacts.bedpe", data / "cage.bw", data / "genes.bed", 5000
    )
    options = TrainOptions(seed=seed, device="cpu", **CONFIGS[name])
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS.get(name, threads))
    start = time.perf_counter()
    run = train(inputs, out, ModelConfig(name="gat"), options)
    seconds = time.perf_counter() - start
    torch.set_num_threads(threads)
    mse = run.evaluate("test", device="cpu").metrics["mse"]
    epochs, loop = run.result["epochs_run"], run.result["seconds"]
    return {
        "config": name,
        "seed": seed,
        "seconds": seconds,
        "epochs": epochs,
        "epoch_s": loop / epochs,
        "test_mse": mse,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--configs", default="1x4,2x2,1x4-bf16")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load {os.getloadavg()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in [int(s) for s in args.seeds.split(",")]:
            for name in args.configs.split(","):
                row = one_run(args.data, name, seed, Path(tmp) / f"{name}_{seed}")
                print(
                    f"{name} seed {seed}: {row['seconds']:.1f} s, {row['epochs']} epochs, "
                    f"test MSE {row['test_mse']:.4f}",
                    flush=True,
                )
                rows.append(row)
    print(f"load after: {os.getloadavg()}")
    print("| configuration | seed | wall time (s) | epochs | s per epoch | test MSE |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['config']} | {r['seed']} | {r['seconds']:.1f} | {r['epochs']} | "
            f"{r['epoch_s']:.2f} | {r['test_mse']:.4f} |"
        )
    for name in args.configs.split(","):
        mine = [r for r in rows if r["config"] == name]
        print(
            f"{name}: median {statistics.median(r['seconds'] for r in mine):.1f} s, "
            f"median test MSE {statistics.median(r['test_mse'] for r in mine):.4f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":  # workers of --devices import this module again
    main()
