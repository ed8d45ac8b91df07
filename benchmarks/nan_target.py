"""NaN in the target: "no data" (left out of the loss) or 0? Measured on simulated data.

Some pipelines write NaN into a CAGE bigWig where there is no data (unmappable or blacklisted
regions). graphreg 0.1 read those bins as 0, so the model learnt zero expression there. This
script simulates a dataset, hides blocks of the CAGE target (``--fraction`` of every
chromosome, in blocks of ``--block`` bins, as unmappable regions come) and trains Epi-GraphReg
twice per seed on the same data:

- ``nan as 0``: the hidden bins written as 0 (what graphreg 0.1 did with NaN);
- ``nan masked``: the hidden bins written as NaN (graphreg now leaves them out of the loss).

Each model is scored on the test chromosomes against the *true* CAGE (nothing hidden):
MSE over all bins, MSE over the hidden bins, and Pearson r of log1p CAGE at gene bins.

    flock /tmp/graphreg-cpu.lock python benchmarks/nan_target.py --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import numpy as np
import pyBigWig

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.io.bigwig import read_bigwig
from graphreg_cli.models import ModelConfig
from graphreg_cli.simulation.generator import SimulationParams, simulate
from graphreg_cli.simulation.writer import write_dataset
from graphreg_cli.tasks.train import TrainOptions, train


def hidden_bins(n: int, fraction: float, block: int, rng) -> np.ndarray:
    """``(n,) bool``: random blocks of ``block`` bins covering about ``fraction`` of ``n``."""
    hidden = np.zeros(n, bool)
    for start in rng.choice(n // block, round(fraction * n / block), replace=False):
        hidden[start * block : (start + 1) * block] = True
    return hidden


def write_target(path: Path, sizes: dict, values: dict, bin_size: int) -> None:
    """A bigWig that may hold NaN (graphreg's own writer refuses NaN, as it should)."""
    with pyBigWig.open(str(path), "w") as handle:
        handle.addHeader(list(sizes.items()))
        for chrom, v in values.items():
            handle.addEntries(chrom, 0, values=v.astype(np.float64), span=bin_size, step=bin_size)


def score(run, truth: dict, hidden: dict, genes: dict) -> dict:
    test = run.chromosomes("test")
    preds = run.predict(test, device="cpu")
    err = {c: (preds[c] - truth[c]) ** 2 for c in test}
    gene_p = np.concatenate([preds[c][genes[c]] for c in test])
    gene_t = np.concatenate([truth[c][genes[c]] for c in test])
    return {
        "mse_all": float(np.mean([err[c].mean() for c in test])),
        "mse_hidden": float(np.mean([err[c][hidden[c]].mean() for c in test])),
        "pearson_genes": float(np.corrcoef(np.log1p(gene_p), np.log1p(gene_t))[0, 1]),
    }


def one_seed(seed: int, args, folder: Path) -> dict:
    params = SimulationParams(
        chromosomes=12, bins=1000, split=(8, 2, 2), seed=seed, noise_fraction=0.1
    )
    data = folder / f"data{seed}"
    dataset = simulate(params)
    write_dataset(dataset, data)
    truth = {c.name: c.cage for c in dataset.chromosomes}
    genes = {c.name: c.gene_bins for c in dataset.chromosomes}
    rng = np.random.default_rng(1000 + seed)
    hidden = {c: hidden_bins(len(v), args.fraction, args.block, rng) for c, v in truth.items()}
    sizes = dataset.sizes
    results = {}
    for label, fill in (("nan as 0", 0.0), ("nan masked", np.nan)):
        target = data / f"cage_{'zero' if fill == 0 else 'nan'}.bw"
        write_target(
            target, sizes, {c: np.where(hidden[c], fill, v) for c, v in truth.items()}, 5000
        )
        inputs = Inputs.from_folder(data, target=target)
        options = TrainOptions(epochs=args.epochs, seed=seed, device="cpu")
        run = train(inputs, folder / f"run_{seed}_{fill}", ModelConfig(name="gat"), options)
        results[label] = score(run, truth, hidden, genes) | {"epochs": run.result["epochs_run"]}
    read_bigwig(data / "cage_nan.bw", 5000)  # the NaN file reads (as 0 where NaN)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--fraction", type=float, default=0.2)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        runs = {seed: one_seed(seed, args, Path(tmp)) for seed in seeds}
    for label in ("nan as 0", "nan masked"):
        rows = [runs[s][label] for s in seeds]
        medians = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(
            f"{label:11s} median over seeds {seeds}: test MSE {medians['mse_all']:.3f}, "
            f"MSE on hidden bins {medians['mse_hidden']:.3f}, Pearson r at genes "
            f"{medians['pearson_genes']:.3f}, epochs {medians['epochs']:.0f}"
        )
    if args.json:
        args.json.write_text(json.dumps({str(s): r for s, r in runs.items()}, indent=2))


if __name__ == "__main__":
    main()
