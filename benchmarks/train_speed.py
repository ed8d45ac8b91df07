"""Wall time to quality: graphreg's training defaults against the study's protocol.

The study's code trains 1000 epochs, one chromosome per step, Adam lr 1e-4; on this team's
2-core CPU it needs 334 s (Epi-GraphReg) and 186 s (Epi-CNN) on the enhancers-only dataset
for test MSE 0.199 / 1.105. This script times, on the same data and machine, in one run:

- ``defaults``: ``graphreg train``'s defaults (all training chromosomes in one step, early
  stopping on validation MSE), repeated ``--repeats`` times with different seeds (median);
- ``study protocol`` (``--study-protocol``): the same models trained with the study's
  settings (1000 epochs, batch of one chromosome, lr 1e-4, no early stopping), once.

Wall time covers the whole ``train()`` call (loading files included); test MSE is the study's
(mean over the 5 test chromosomes of the per-chromosome MSE) for the model selected on
validation chromosomes.

    python benchmarks/train_speed.py --repeats 3 --study-protocol --json results.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.train import TrainOptions, train

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/seed-data/enhancers_only"
STUDY_SECONDS = {"gat": 334.0, "cnn": 186.0}


def timed_run(
    data: Path, model: str, options: TrainOptions, config: ModelConfig, out: Path
) -> dict:
    inputs = Inputs(
        [data / "dnase.bw"], data / "contacts.bedpe", data / "cage.bw", data / "genes.bed", 5000
    )
    start = time.perf_counter()
    run = train(inputs, out, config, options)
    seconds = time.perf_counter() - start
    result, metrics = run.result, run.evaluate("test", device="cpu").metrics
    return {
        "seconds": seconds,
        "test_mse": metrics["mse"],
        "roi_mse": metrics["roi_mse"],
        "epochs": result["epochs_run"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--models", default="gat,cnn")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--study-protocol", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, data {args.data}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            config = ModelConfig(name=model)
            runs = [
                timed_run(
                    args.data, model, TrainOptions(seed=s), config, Path(tmp) / f"{model}_{s}"
                )
                for s in range(args.repeats)
            ]
            for r in runs:
                print(
                    f"{model} defaults: {r['seconds']:.1f} s, test MSE {r['test_mse']:.3f}, "
                    f"{r['epochs']} epochs",
                    flush=True,
                )
            rows.append(
                {
                    "model": model,
                    "protocol": "graphreg defaults",
                    "runs": runs,
                    "median_seconds": statistics.median(r["seconds"] for r in runs),
                    "median_test_mse": statistics.median(r["test_mse"] for r in runs),
                }
            )
            if args.study_protocol:
                study = TrainOptions(
                    epochs=1000, lr=1e-4, batch_size=1, patience=1000, lr_patience=0
                )
                config_study = ModelConfig(name=model, channels=64, dropout=0.0)  # the study's
                r = timed_run(args.data, model, study, config_study, Path(tmp) / f"{model}_s")
                print(
                    f"{model} study protocol: {r['seconds']:.1f} s, test MSE {r['test_mse']:.3f}",
                    flush=True,
                )
                rows.append(
                    {
                        "model": model,
                        "protocol": "study protocol",
                        "runs": [r],
                        "median_seconds": r["seconds"],
                        "median_test_mse": r["test_mse"],
                    }
                )
    print()
    print(
        "| model | protocol | runs | median wall time (s) | median test MSE | "
        "speed-up vs study's code |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        ratio = STUDY_SECONDS[row["model"]] / row["median_seconds"]
        print(
            f"| {row['model']} | {row['protocol']} | {len(row['runs'])} | "
            f"{row['median_seconds']:.1f} | {row['median_test_mse']:.3f} | {ratio:.1f}x |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
