"""Which normalisation makes a good local model: test MSE per norm over seeds and datasets.

For each dataset and ``--norm`` (instance = the study's InstanceNorm; batch, layer, none are
local), trains Epi-GraphReg (``gat``, graphreg's other defaults) with several seeds and
scores the test chromosomes. Prints a Markdown table of medians (and every seed) and writes
every number to JSON.

    python benchmarks/norm_choice.py --json norms.json            # all datasets, 3 seeds
    python benchmarks/norm_choice.py --datasets seed_enhancers --seeds 1   # a quick look

Datasets: the study's own files (../shared/seed-data, both variants) and a
``graphreg simulate --input-bin-size 100`` dataset (DNase at 100 bp, as the demo).
Measures accuracy, not speed: the load of the machine does not change the numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import torch

from graphreg_cli.api import simulate, train
from graphreg_cli.data.inputs import Inputs

SEED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "seed-data"
NORMS = ("instance", "batch", "layer", "none")


def dataset(name: str, work: Path) -> Inputs:
    if name == "seed_enhancers":
        folder = SEED_DATA / "enhancers_only"
    elif name == "seed_silencers":
        folder = SEED_DATA / "enhancers_and_silencers"
    elif name == "simulated_100bp":
        folder = work / name
        if not (folder / "dataset.json").exists():
            simulate(input_bin_size=100, seed=0).write(folder)
        return Inputs.from_folder(folder)
    else:
        raise SystemExit(f"unknown dataset {name}")
    return Inputs(
        [folder / "dnase.bw"], folder / "contacts.bedpe", folder / "cage.bw", folder / "genes.bed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", default="seed_enhancers,seed_silencers,simulated_100bp", help="comma list"
    )
    parser.add_argument("--norms", default=",".join(NORMS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--model", default="gat")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.datasets.split(","):
            inputs = dataset(name, work)
            for norm in args.norms.split(","):
                for seed in range(args.seeds):
                    out = work / f"{name}_{norm}_{seed}"
                    run = train(
                        inputs, model=args.model, out=out, norm=norm, seed=seed, device="cpu"
                    )
                    m = run.evaluate("test", device="cpu").metrics
                    row = {"dataset": name, "norm": norm, "seed": seed, "model": args.model}
                    row |= {k: m[k] for k in ("mse", "roi_mse", "pearson_log1p")}
                    row |= {"epochs": run.result["epochs_run"], "seconds": run.result["seconds"]}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                    if args.json:
                        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    print(table(rows))


def table(rows: list[dict]) -> str:
    lines = [
        "| dataset | norm | median test MSE | median ROI MSE | median Pearson r "
        "| test MSE per seed |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    keys = dict.fromkeys((r["dataset"], r["norm"]) for r in rows)
    for name, norm in keys:
        runs = [r for r in rows if r["dataset"] == name and r["norm"] == norm]
        med = {
            k: statistics.median(r[k] for r in runs) for k in ("mse", "roi_mse", "pearson_log1p")
        }
        each = ", ".join(f"{r['mse']:.3f}" for r in runs)
        lines.append(
            f"| {name} | {norm} | {med['mse']:.3f} | {med['roi_mse']:.3f} | "
            f"{med['pearson_log1p']:.3f} | {each} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
