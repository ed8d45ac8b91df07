"""Reproduce Tables I and II of the study: Epi-CNN vs Epi-GraphReg (and GCN, linear).

Simulates both datasets with ``graphreg simulate``'s defaults (and, when present, also runs on
the study's own files in ../shared/seed-data), trains each model, scores the test
chromosomes and prints one Markdown table beside the study's numbers.

    python examples/reproduce_tables.py                 # full run (~25 min on 2 cores)
    python examples/reproduce_tables.py --quick         # a smoke run (tiny epochs)
    python examples/reproduce_tables.py --json out.json # also keep every number

Rows: "cnn (DNase only)" is the study's Epi-CNN, which never learns where genes are; the
other rows get the gene bins as an input channel (graphreg's default), so "cnn + genes" vs
"gat" isolates what the contact graph adds.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.models import ModelConfig
from graphreg_cli.simulation.generator import SimulationParams, simulate
from graphreg_cli.simulation.writer import write_dataset
from graphreg_cli.tasks.train import TrainOptions, train

SEED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "seed-data"
STUDY = {  # test MSE / ROI MSE, Tables I and II
    "enhancers_only": {"cnn": (1.105, 0.373), "gat": (0.199, 0.045)},
    "enhancers_and_silencers": {"cnn": (0.524, 0.189), "gat": (0.140, 0.062)},
}
ROWS = [  # label, model, gene channel, settings other than graphreg train's defaults
    ("cnn (DNase only, as the study)", "cnn", False, {}),
    ("cnn + genes", "cnn", True, {}),
    ("gat (Epi-GraphReg)", "gat", True, {}),
    ("gcn", "gcn", True, {}),
    ("linear", "linear", True, {"lr": 1e-2}),
    ("additive", "additive", True, {"dropout": 0.3, "min_epochs": 600, "epochs": 1200}),
]


def datasets(workdir: Path, include_seed: bool):
    for variant, silencers in (("enhancers_only", 0), ("enhancers_and_silencers", 10)):
        folder = workdir / f"simulated_{variant}"
        write_dataset(simulate(SimulationParams(silencers=silencers, seed=0)), folder)
        yield variant, "graphreg simulate", folder
        if include_seed and (SEED_DATA / variant).exists():
            yield variant, "study's files", SEED_DATA / variant


def run_one(
    folder: Path, model: str, gene_input: bool, settings: dict, out: Path, quick: bool
) -> dict:
    inputs = Inputs(
        [folder / "dnase.bw"],
        folder / "contacts.bedpe",
        folder / "cage.bw",
        folder / "genes.bed",
        5000,
    )
    config = ModelConfig(name=model, dropout=settings.get("dropout", ModelConfig.dropout))
    options = TrainOptions(
        gene_input=gene_input,
        lr=settings.get("lr", TrainOptions.lr),
        epochs=3 if quick else settings.get("epochs", TrainOptions.epochs),
        min_epochs=0 if quick else settings.get("min_epochs", TrainOptions.min_epochs),
    )
    start = time.perf_counter()
    run = train(inputs, out, config, options)
    seconds = time.perf_counter() - start
    result, metrics = run.result, dict(run.evaluate("test", device="cpu").metrics)
    metrics["seconds"] = round(seconds, 1)
    metrics["best_epoch"] = result["best_epoch"]
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 epochs per model (smoke run)")
    parser.add_argument("--no-seed-data", action="store_true", help="skip ../shared/seed-data")
    parser.add_argument("--json", type=Path, help="write every number to this JSON file")
    parser.add_argument(
        "--models", default=",".join(dict.fromkeys(r[1] for r in ROWS)), help="rows to run"
    )
    args = parser.parse_args()
    rows = [r for r in ROWS if r[1] in args.models.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for variant, source, folder in datasets(work, not args.no_seed_data):
            for label, model, genes, settings in rows:
                out = work / "runs" / f"{variant}_{source[:5]}_{model}_{genes}"
                m = run_one(folder, model, genes, settings, out, args.quick)
                results.append({"dataset": variant, "source": source, "row": label, **m})
                print(
                    f"{variant:24s} {source:18s} {label:32s} test MSE {m['mse']:.3f}  "
                    f"ROI {m['roi_mse']:.3f}  {m['seconds']:.0f} s",
                    flush=True,
                )
    print()
    print(
        "| dataset | data | model | test MSE | ROI MSE | Pearson r (genes) | seconds |"
        " study test MSE / ROI |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        study = ""
        if r["row"].startswith("cnn (DNase"):
            study = "{:.3f} / {:.3f}".format(*STUDY[r["dataset"]]["cnn"])
        elif r["row"].startswith("gat"):
            study = "{:.3f} / {:.3f}".format(*STUDY[r["dataset"]]["gat"])
        print(
            f"| {r['dataset']} | {r['source']} | {r['row']} | {r['mse']:.3f} | "
            f"{r['roi_mse']:.3f} | {r['pearson_log1p']:.3f} | {r['seconds']:.0f} | {study} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
