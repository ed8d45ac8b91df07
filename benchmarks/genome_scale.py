"""Human-genome scale: load, one training epoch and genome-wide predict — time and memory.

Builds (once, in ``--workdir``) a human-sized dataset without downloads: ``graphreg simulate
--genome hg38 --input-bin-size 100`` (24 chromosomes, 3.1 Gb, CAGE at 5 kb), two more 100 bp
tracks derived from its DNase (other depths, other noise), and BEDPE files of random
intra-chromosomal contacts (5 kb anchors, distances drawn from a 1/d law up to 2 Mb) with
250k, 500k and 1M contacts. Then runs each measurement in a fresh Python process (so peak
memory is that step's alone) and prints a Markdown table:

- ``load``: ``load_graphs`` — every track binned at 100 bp, CAGE at 5 kb, contacts → edges;
- ``epoch``: ``train`` for one epoch (windows of 6 Mb, 2 Mb stride; the load included in the
  wall time, the epoch alone reported too);
- ``predict``: ``Run.predict`` + ``write_prediction``, genome-wide bigWig (load included,
  and reported apart);
- ``contacts``: the contacts alone (parse → edges), memory above the process after imports.

over three genome sizes (the first chromosomes of hg38 making up ~1/4, ~1/2 and all of it)
and, for loading, three contact counts. Peak memory is the process's maximum RSS.

    python benchmarks/genome_scale.py --workdir /tmp/graphreg_scale [--json out.json]

``--compare-predict`` measures only genome-wide predict, old path against new, side by side
in one run: a model with the study's InstanceNorm (every window of 6 Mb every 2 Mb through
the whole model, the trunk reading each bin three times) against a local one (BatchNorm:
the trunk once per chromosome, graph layers and decoder per window). Both models are
trained for one epoch on chr21 only (prediction time does not depend on the weights);
``--repeats`` runs each predict that many times, alternating, and reports medians with the
load average before and after.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CONTACTS = (250_000, 500_000, 1_000_000)
FRACTIONS = (0.25, 0.5, 1.0)
TRACKS = ("dnase.bw", "h3k27ac.bw", "h3k4me3.bw")


def prepare(work: Path) -> None:
    """The dataset, once: simulate hg38 at 100 bp, two derived tracks, contact files."""
    import pyBigWig

    data_dir = work / "data"
    if not (data_dir / "dataset.json").exists():
        print("simulating hg38 at 100 bp ...", file=sys.stderr)
        command = [sys.executable, "-m", "graphreg_cli", "simulate", "--genome", "hg38"]
        command += ["--input-bin-size", "100", "--out", str(data_dir)]
        subprocess.run(command, check=True, capture_output=True)
    rng = np.random.default_rng(0)
    source = pyBigWig.open(str(data_dir / "dnase.bw"))
    sizes = dict(source.chroms())
    for name, depth in (("h3k27ac.bw", 40.0), ("h3k4me3.bw", 7.0)):
        path = data_dir / name
        if path.exists():
            continue
        print(f"writing {name} ...", file=sys.stderr)
        out = pyBigWig.open(str(path), "w")
        out.addHeader(list(sizes.items()))
        for chrom in sizes:
            table = np.asarray(source.intervals(chrom), dtype=np.float64).reshape(-1, 3)
            noise = rng.gamma(2.0, 0.5, len(table))
            out.addEntries(
                [chrom] * len(table),
                table[:, 0].astype(np.int64).tolist(),
                ends=table[:, 1].astype(np.int64).tolist(),
                values=(table[:, 2] * depth * noise).tolist(),
            )
        out.close()
    source.close()
    for count in CONTACTS:
        path = work / f"contacts_{count // 1000}k.bedpe"
        if path.exists():
            continue
        print(f"writing {count:,} contacts ...", file=sys.stderr)
        write_contacts(path, sizes, count, rng)


def write_contacts(path: Path, sizes: dict[str, int], count: int, rng) -> None:
    """``count`` contacts spread over chromosomes by length; 5 kb anchors; distance ~ 1/d
    between 10 kb and 2 Mb; score = a count drawn from a Poisson."""
    names = list(sizes)
    lengths = np.array([sizes[c] for c in names], dtype=np.float64)
    chrom = rng.choice(len(names), size=count, p=lengths / lengths.sum())
    distance = np.exp(rng.uniform(np.log(10_000), np.log(2_000_000), count)).astype(np.int64)
    limit = lengths[chrom].astype(np.int64)
    start1 = (rng.random(count) * np.maximum(limit - distance - 5000, 1)).astype(np.int64)
    start1 -= start1 % 5000
    start2 = start1 + distance - (distance % 5000)
    keep = start2 + 5000 <= limit
    score = rng.poisson(20, count) + 1
    with open(path, "w") as handle:
        handle.write("#chrom1\tstart1\tend1\tchrom2\tstart2\tend2\tname\tscore\n")
        for c, a, b, s in zip(chrom[keep], start1[keep], start2[keep], score[keep]):
            name = names[c]
            handle.write(f"{name}\t{a}\t{a + 5000}\t{name}\t{b}\t{b + 5000}\t.\t{s}\n")


def chromosomes_for(fraction: float, sizes: dict[str, int]) -> list[str]:
    """The first chromosomes whose lengths add up to at least ``fraction`` of the genome."""
    total, chosen, running = sum(sizes.values()), [], 0
    for chrom, length in sizes.items():
        chosen.append(chrom)
        running += length
        if running >= fraction * total:
            break
    return chosen


def measure(step: str, work: Path, contacts: str, chroms: list[str]) -> dict:
    """One measurement, in this process (called through a subprocess by ``main``)."""
    from graphreg_cli.data.graphs import load_graphs
    from graphreg_cli.data.inputs import Inputs
    from graphreg_cli.models import ModelConfig

    data_dir = work / "data"
    inputs = Inputs(
        [data_dir / t for t in TRACKS],
        work / contacts,
        data_dir / "cage.bw",
        data_dir / "genes.bed",
        5000,
        100,
    )
    baseline = _rss_gb()
    start = time.perf_counter()
    result: dict = {}
    if step == "contacts":
        from graphreg_cli.data.edges import contact_edges
        from graphreg_cli.io.bigwig import bigwig_chroms

        sizes = bigwig_chroms(data_dir / "dnase.bw")
        edges, stats = contact_edges(work / contacts, sizes, 5000)
        result["edges"] = sum(len(pairs) for pairs, _ in edges.values()) // 2
        result["above_baseline_gb"] = round(_rss_gb() - baseline, 3)
    elif step == "load":
        graphs = load_graphs(inputs, split={}, only=chroms)
        result["nodes"] = sum(g.num_nodes for g in graphs)
        result["edges"] = sum(g.edge_index.shape[1] for g in graphs) // 2
        result["input_bins"] = sum(g.x.shape[0] * g.x.shape[1] for g in graphs)
    elif step == "epoch":
        import graphreg_cli.tasks.train as train_module
        from graphreg_cli.tasks.train import TrainOptions, train

        split = {c: "train" for c in chroms}
        val = chroms[-1] if len(chroms) > 1 else chroms[0]
        split[val] = "val"
        _only(train_module, chroms)
        out = work / "run"
        run = train(
            inputs,
            out,
            ModelConfig(name="gat"),
            TrainOptions(epochs=1, min_epochs=1, device="cpu"),
            val=[val],
            test=[],
        )
        result["epoch_seconds"] = run.result["seconds"]
    elif step.startswith("fit-"):  # a model to predict with: one epoch on one chromosome
        import graphreg_cli.tasks.train as train_module
        from graphreg_cli.tasks.train import TrainOptions, train

        _only(train_module, chroms)
        norm = step.removeprefix("fit-")
        options = TrainOptions(epochs=1, min_epochs=1, device="cpu")
        train(inputs, work / f"run_{norm}", ModelConfig(name="gat", norm=norm), options, val=[])
    elif step.startswith("predict-"):  # genome-wide, every chromosome
        import graphreg_cli.tasks.runs as runs_module
        from graphreg_cli.tasks.predict import write_prediction
        from graphreg_cli.tasks.runs import Run

        loading = _only(runs_module, list(inputs.sizes()))
        run = Run.open(work / f"run_{step.removeprefix('predict-')}")
        preds = run.predict(device="cpu")
        write_prediction(work / "predicted.bw", inputs.sizes(), preds, inputs.bin_size)
        result["predicted_chromosomes"] = len(preds)
        result["load_seconds"] = round(loading[0], 1)
    elif step == "predict":
        import graphreg_cli.tasks.runs as runs_module
        from graphreg_cli.tasks.predict import write_prediction
        from graphreg_cli.tasks.runs import Run

        loading = _only(runs_module, chroms)
        run = Run.open(work / "run")
        preds = run.predict(device="cpu")
        write_prediction(work / "predicted.bw", inputs.sizes(), preds, inputs.bin_size)
        result["predicted_chromosomes"] = len(preds)
        result["load_seconds"] = round(loading[0], 1)
    result["seconds"] = round(time.perf_counter() - start, 1)
    result["peak_gb"] = round(_rss_gb(), 2)
    return result


def compare_predict(work: Path, repeats: int) -> None:
    """Genome-wide predict, the old path (InstanceNorm, windows) against the new one (a
    local model, trunk once per chromosome), alternating, medians of ``repeats``."""
    import os
    import statistics

    for norm in ("instance", "batch"):
        if not (work / f"run_{norm}" / "model.pt").exists():
            run_child(f"fit-{norm}", work, "contacts_1000k.bedpe", ["chr21"])
    load_before = os.getloadavg()
    times: dict[str, list[dict]] = {"instance": [], "batch": []}
    for _ in range(repeats):
        for norm in times:
            times[norm].append(run_child(f"predict-{norm}", work, "contacts_1000k.bedpe", ["-"]))
    load_after = os.getloadavg()
    print(f"load average before {load_before}, after {load_after}")
    print("| path | genome-wide predict (s), median | load (s) | model + bigWig (s) | runs |")
    print("| --- | ---: | ---: | ---: | --- |")
    label = {"instance": "old: InstanceNorm, windowed", "batch": "new: local, trunk once"}
    for norm, rows in times.items():
        total = statistics.median(r["seconds"] for r in rows)
        load = statistics.median(r["load_seconds"] for r in rows)
        each = ", ".join(f"{r['seconds']:.1f}" for r in rows)
        print(f"| {label[norm]} | {total:.1f} | {load:.1f} | {total - load:.1f} | {each} |")


def _only(module, chroms: list[str]) -> list[float]:
    """Make ``module`` load ``chroms`` alone (``load_graphs(only=...)``): a genome subset.
    Returns a list that receives the seconds spent loading."""
    original, spent = module.load_graphs, [0.0]

    def only(*args, **kwargs):
        start = time.perf_counter()
        graphs = original(*args, **{**kwargs, "only": chroms})
        spent[0] += time.perf_counter() - start
        return graphs

    module.load_graphs = only
    return spent


def _rss_gb() -> float:
    """Peak resident memory of this process so far, GB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def dense_table(sizes: dict[str, int], rows: list[dict]) -> str:
    """GraphReg's dense N x N adjacency per chromosome against graphreg's edge lists."""
    edges = next(r["edges"] for r in rows if r["step"] == "load" and r["gb"] > 3)
    bins = {c: -(-n // 5000) for c, n in sizes.items()}
    total = sum(bins.values())
    lines = [
        "| chromosome(s) | bins at 5 kb | dense N×N float64 | dense float32 | graphreg edges "
        "(int64 pairs + float32 weight, both directions) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    share = {c: edges * b / total for c, b in bins.items()}  # contacts spread by length
    for chrom in ("chr1", "chr21"):
        n = bins[chrom]
        lines.append(
            f"| {chrom} | {n:,} | {n * n * 8 / 1e9:.1f} GB | {n * n * 4 / 1e9:.1f} GB | "
            f"{share[chrom] * 2 * 20 / 1e6:.1f} MB |"
        )
    dense = sum(n * n for n in bins.values())
    lines.append(
        f"| all 24 (one at a time: largest) | {total:,} | {dense * 8 / 1e9:.0f} GB "
        f"(chr1 alone {bins['chr1'] ** 2 * 8 / 1e9:.1f} GB) | {dense * 4 / 1e9:.0f} GB | "
        f"{edges * 2 * 20 / 1e6:.0f} MB |"
    )
    return "\n".join(lines)


def run_child(step: str, work: Path, contacts: str, chroms: list[str]) -> dict:
    command = [
        sys.executable,
        __file__,
        "--workdir",
        str(work),
        "--child",
        step,
        "--contacts",
        contacts,
        "--chroms",
        ",".join(chroms),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/graphreg_scale"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--contacts", default="contacts_1000k.bedpe", help=argparse.SUPPRESS)
    parser.add_argument("--chroms", help=argparse.SUPPRESS)
    parser.add_argument("--compare-predict", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.workdir, args.contacts, args.chroms.split(","))))
        return
    import torch

    args.workdir.mkdir(parents=True, exist_ok=True)
    prepare(args.workdir)
    if args.compare_predict:
        compare_predict(args.workdir, args.repeats)
        return
    from graphreg_cli.io.bigwig import bigwig_chroms

    sizes = bigwig_chroms(args.workdir / "data" / "dnase.bw")
    rows = []
    for fraction in FRACTIONS:
        chroms = chromosomes_for(fraction, sizes)
        gb = sum(sizes[c] for c in chroms) / 1e9
        for step in ("load", "epoch", "predict"):
            print(f"{step}: {len(chroms)} chromosomes, {gb:.2f} Gb ...", file=sys.stderr)
            result = run_child(step, args.workdir, "contacts_1000k.bedpe", chroms)
            rows.append({"step": step, "chromosomes": len(chroms), "gb": gb, **result})
    chroms = list(sizes)
    for count in CONTACTS[:-1]:
        name = f"contacts_{count // 1000}k.bedpe"
        print(f"load: all chromosomes, {name} ...", file=sys.stderr)
        result = run_child("load", args.workdir, name, chroms)
        rows.append({"step": "load", "chromosomes": len(chroms), "gb": 3.09, **result})
    for count in CONTACTS:
        name = f"contacts_{count // 1000}k.bedpe"
        print(f"contacts alone: {name} ...", file=sys.stderr)
        result = run_child("contacts", args.workdir, name, chroms)
        rows.append({"step": "contacts", "chromosomes": len(chroms), "gb": 3.09, **result})
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("| step | chromosomes | genome (Gb) | graph edges | wall time (s) | peak memory (GB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        extra = f" (epoch alone {r['epoch_seconds']:.0f} s)" if "epoch_seconds" in r else ""
        if "load_seconds" in r:
            rest = r["seconds"] - r["load_seconds"]
            extra = f" (load {r['load_seconds']:.0f} s, model + bigWig {rest:.0f} s)"
        if "above_baseline_gb" in r:
            extra = f" (+{r['above_baseline_gb']:.2f} GB over the process after imports)"
        print(
            f"| {r['step']} | {r['chromosomes']} | {r['gb']:.2f} | {r.get('edges', '')} | "
            f"{r['seconds']:.1f}{extra} | {r['peak_gb']:.2f} |"
        )
    print()
    print(dense_table(sizes, rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
