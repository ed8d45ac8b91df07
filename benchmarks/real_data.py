"""graphreg on real data nobody on the team made: K562 chr22 (ABC's test set) and GM12878
(GC-MERGE's example set), from ``../shared/real-data``, as docs/real-data.md reports them.

Every model is trained and scored by the ``graphreg`` commands a user would type (printed
before each runs), with ``/usr/bin/time`` giving each step's wall time and peak memory.

- ``k562``: ``graphreg cv --blocks 5`` (five contiguous blocks of chr22's genes) for each
  model, against three baselines that need no training, on the same genes: promoter DNase
  alone, promoter H3K27ac alone (each the signal in the gene's TSS bin) and the ABC sum
  (sum over candidate regions within 5 Mb of sqrt(DNase x H3K27ac) x contact, the contact
  ABC's power law of distance). Pearson r of log1p TPM (the baselines: of log1p of the
  signal) and Spearman r, over every gene bin of known TPM, each held out once.
- ``k562-graphs``: a graph model (``gat`` unless ``--models``) on each graph of
  ``benchmarks/k562_contacts.py`` and on the distance graph (``--no-contacts``). (The dump's
  own top-10 graph is ``raw_top10``: the same contacts, ``tests/test_real_inputs.py``.)
- ``gm12878``: GraphReg's 10-fold cross-validation by chromosome (``graphreg cv``), 5 marks
  at 10 kb, ``--no-contacts``; and one random 70/15/15 split of genes (GC-MERGE's protocol)
  through ``--val-regions``/``--test-regions``.

    python benchmarks/real_data.py k562 --work /tmp/real --json k562.json
    python benchmarks/real_data.py gm12878 --work /tmp/real --models cnn,linear
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import pearsonr, spearmanr

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "real-data"
K562, GM = REAL / "k562_chr22_hg38", REAL / "gm12878_hg19"
MARKS = ("H3K4me1", "H3K4me3", "H3K27me3", "H3K36me3", "H3K9me3")
RES = 5000


def timed(args: list[str], log: Path) -> dict:
    """Run a command under /usr/bin/time: ``{"seconds", "peak_gb"}``; its output to ``log``."""
    print("$ " + " ".join(args), file=sys.stderr, flush=True)
    with open(log, "w") as out:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "TIME %e %M", *args], stdout=out, stderr=subprocess.STDOUT
        )
    last = [line for line in log.read_text().splitlines() if line.startswith("TIME ")][-1]
    if done.returncode:
        raise SystemExit(f"failed ({done.returncode}); see {log}")
    seconds, kb = last.split()[1:]
    return {"seconds": float(seconds), "peak_gb": int(kb) / 1e6}


def pooled(table: Path) -> dict:
    row = pd.read_csv(table, sep="\t").iloc[-1]
    return {
        "pearson": float(row["pearson"]),
        "spearman": float(row["spearman"]),
        "genes": int(row["tss_bins"]),
    }


# K562 -----------------------------------------------------------------------------------------


def k562_args(contacts: list[str], model: str, out: Path, extra=()) -> list[str]:
    return [
        "graphreg", "cv", "--blocks", "5", "--model", model,
        str(K562 / "dnase.bedGraph"), str(K562 / "h3k27ac.bedGraph"), *contacts,
        "--target", str(K562 / "expression.tsv"), "--genes", str(K562 / "genes.bed"),
        "--bedgraph", "counts", "--target-transform", "log1p", "--transform", "log1p",
        "--out", str(out), *extra,
    ]  # fmt: skip


def spread(path: Path, n: int) -> np.ndarray:
    """Counts per region spread over 5 kb bins (as ``--bedgraph counts`` reads them)."""
    frame = pd.read_csv(path, sep="\t", header=None, names=["c", "s", "e", "v"])
    out = np.zeros(n)
    for s, e, v in zip(frame.s, frame.e, frame.v / (frame.e - frame.s)):
        for k in range(s // RES, (e - 1) // RES + 1):
            out[k] += v * (min(e, (k + 1) * RES) - max(s, k * RES))
    return out


def k562_baselines() -> dict:
    """The single-feature baselines over the gene bins cv scores (TPM summed per bin)."""
    genes = pd.read_csv(K562 / "genes.bed", sep="\t", header=None)
    tss = np.where(genes[5] == "-", genes[2] - 1, genes[1])
    expr = pd.read_csv(K562 / "expression.tsv", sep="\t").drop_duplicates("gene")
    frame = pd.DataFrame({"gene": genes[3], "bin": tss // RES}).merge(expr, on="gene")
    per_bin = frame.groupby("bin")["TPM"].sum()
    y = np.log1p(per_bin.to_numpy())
    bins = per_bin.index.to_numpy()
    n = 50_818_468 // RES + 1
    dnase, acetyl = spread(K562 / "dnase.bedGraph", n), spread(K562 / "h3k27ac.bedGraph", n)
    regions = pd.read_csv(K562 / "dnase.bedGraph", sep="\t", header=None)
    centre = (regions[1] + regions[2]).to_numpy() // 2
    counts_a = pd.read_csv(K562 / "h3k27ac.bedGraph", sep="\t", header=None)[3].to_numpy()
    activity = np.sqrt(regions[3].to_numpy() * counts_a)
    abc = []
    for b in bins:
        d = np.abs(centre - (b * RES + RES // 2))
        near = d <= 5_000_000
        contact = np.exp(5.318 - 0.87 * np.log(np.maximum(d[near], 5000) + 1))
        abc.append(float((activity[near] * contact).sum()))
    out = {}
    for name, values in (
        ("promoter DNase", dnase[bins]),
        ("promoter H3K27ac", acetyl[bins]),
        ("ABC sum (power law)", np.array(abc)),
    ):
        out[name] = {
            "pearson": float(pearsonr(np.log1p(values), y)[0]),
            "spearman": float(spearmanr(values, y)[0]),
            "genes": len(y),
        }
    return out


def k562(work: Path, models: list[str], contacts: list[str], options: list[str]) -> dict:
    results = {"baselines": k562_baselines(), "models": {}}
    for model in models:
        out = work / f"k562_{model}"
        args = k562_args(contacts, model, out, ["--overwrite", *options])
        cost = timed(args, work / f"k562_{model}.log")
        results["models"][model] = {**pooled(out / "cv.tsv"), **cost}
    return results


def k562_graphs(work: Path, model: str, graphs: Path, options: list[str]) -> dict:
    results = {}
    choices = {name: [str(graphs / f"{name}.bedpe")] for name in
               ("raw_top10", "oe_top10", "balanced_top10", "fdr0.1")}  # fmt: skip
    choices["distance_500kb"] = ["--no-contacts"]
    for name, contacts in choices.items():
        out = work / f"k562_graph_{name}"
        args = k562_args(contacts, model, out, ["--overwrite", *options])
        cost = timed(args, work / f"{out.name}.log")
        results[name] = {**pooled(out / "cv.tsv"), **cost}
    return results


# GM12878 --------------------------------------------------------------------------------------


def gm_args(command: list[str], model: str, out: Path, extra=()) -> list[str]:
    return [
        "graphreg", *command, "--model", model,
        *(str(GM / f"{mark}.bedGraph.gz") for mark in MARKS), "--no-contacts",
        "--target", str(GM / "expression.tsv"), "--target-column", "expression_log10_plus1",
        "--target-scale", "log10p1", "--genes", str(GM / "genes.bed"),
        "--bin-size", "10000", "--transform", "log1p", "--out", str(out), *extra,
    ]  # fmt: skip


def random_split(work: Path, seed: int = 0) -> tuple[Path, Path]:
    """GC-MERGE's protocol, by gene bin: the genes' 10 kb bins shuffled, 70% train, 15%
    validation, 15% test (a bin shared by two genes goes to one part, so the parts never
    overlap)."""
    genes = pd.read_csv(GM / "genes.bed", sep="\t", header=None, usecols=[0, 1, 2])
    bins = genes.drop_duplicates().reset_index(drop=True)
    order = np.random.default_rng(seed).permutation(len(bins))
    n_train, n_val = int(0.7 * len(bins)), int(0.15 * len(bins))
    paths = []
    for name, rows in (
        ("val", order[n_train : n_train + n_val]),
        ("test", order[n_train + n_val :]),
    ):
        path = work / f"gm12878_random_{name}.bed"
        part = bins.iloc[rows].sort_values([0, 1])
        part.to_csv(path, sep="\t", header=False, index=False)
        paths.append(path)
    return paths[0], paths[1]


def gm12878(work: Path, models: list[str], epochs: list[str]) -> dict:
    results = {"chromosomes": {}, "random_genes": {}}
    val, test = random_split(work)
    for model in models:
        out = work / f"gm12878_cv_{model}"
        cost = timed(
            gm_args(["cv"], model, out, ["--overwrite", *epochs]), work / f"{out.name}.log"
        )
        results["chromosomes"][model] = {**pooled(out / "cv.tsv"), **cost}
        out = work / f"gm12878_random_{model}"
        args = gm_args(["train"], model, out, ["--overwrite", "--val-regions", str(val),
                                               "--test-regions", str(test), *epochs])  # fmt: skip
        cost = timed(args, work / f"{out.name}.log")
        timed(["graphreg", "evaluate", "--model", str(out)], work / f"{out.name}.eval.log")
        metrics = json.loads((out / "metrics.json").read_text())["test"]
        results["random_genes"][model] = {
            "pearson": metrics["pearson"], "spearman": metrics["spearman"],
            "genes": metrics["gene_bins"], **cost,
        }  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=("k562", "k562-graphs", "gm12878"))
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--models", default=None, help="comma list")
    parser.add_argument(
        "--graphs", type=Path, help="k562-graphs: benchmarks/k562_contacts.py --out"
    )
    parser.add_argument("--contacts", default=str(K562 / "chr22_5kb.RAWobserved.gz"),
                        help="k562: the contacts (a file, or --no-contacts)")  # fmt: skip
    parser.add_argument("--options", default="", help="model options for every run")
    parser.add_argument("--epochs", default="", help="gm12878: e.g. '--epochs 60 --patience 10'")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    clock = time.perf_counter()
    if args.dataset == "k562":
        models = (args.models or "gat,additive,cnn,linear").split(",")
        results = k562(args.work, models, [args.contacts], args.options.split())
    elif args.dataset == "k562-graphs":
        results = k562_graphs(args.work, args.models or "gat", args.graphs, args.options.split())
    else:
        models = (args.models or "cnn,gat,linear").split(",")
        results = gm12878(args.work, models, [*args.epochs.split(), *args.options.split()])
    results["seconds"] = round(time.perf_counter() - clock, 1)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
