"""How should the gene annotation reach the model? Measure it.

DNase looks alike at promoters and enhancers and a BEDPE contact has no direction, so without
help a model cannot tell which bins express CAGE. Two ways in: the gene bins as an input
channel (``--gene-input``) and contact edges kept only towards gene bins (``--edges
to-genes``, the study's regulator→gene graph). Trains each combination on the study's
enhancers-only files, seeds 0-2, and prints median test MSE.

    python examples/gene_annotation.py [--data DIR] [--seeds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.train import TrainOptions, train

DATA = Path(__file__).resolve().parent.parent.parent / "shared/seed-data/enhancers_only"
SETTINGS = [  # model, gene channel, edges
    ("cnn", False, "both"),
    ("cnn", True, "both"),
    ("gat", False, "both"),
    ("gat", False, "to-genes"),
    ("gat", True, "both"),
    ("gat", True, "to-genes"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    d = args.data
    inputs = Inputs([d / "dnase.bw"], d / "contacts.bedpe", d / "cage.bw", d / "genes.bed", 5000)
    print("| model | gene channel | edges | median test MSE | runs |")
    print("| --- | --- | --- | ---: | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for model, gene_input, edges in SETTINGS:
            mse = []
            for seed in range(args.seeds):
                out = Path(tmp) / f"{model}_{gene_input}_{edges}_{seed}"
                options = TrainOptions(gene_input=gene_input, edges=edges, seed=seed)
                run = train(inputs, out, ModelConfig(name=model), options)
                metrics = run.evaluate("test", device="cpu").metrics
                mse.append(metrics["mse"])
            runs = ", ".join(f"{m:.3f}" for m in mse)
            print(
                f"| {model} | {'yes' if gene_input else 'no'} | {edges} | "
                f"{statistics.median(mse):.3f} | {runs} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
