"""Which graph to build from the real K562 chr22 Hi-C matrix: raw or balanced counts, top-k
or significance calls, or genomic distance alone.

Reads ``../shared/real-data/k562_chr22_hg38/chr22_5kb.RAWobserved.gz`` (the same matrix as
``chr22_5kb.cool``) and writes, into ``--out``, one contacts BEDPE per graph:

- ``raw_top10``: each bin's 10 strongest raw counts (``graphreg train``'s default for a matrix);
- ``oe_top10``: each bin's 10 strongest by observed / expected (the mean count at the same
  distance), so that contacts stand out from the distance decay, as loops do;
- ``balanced_top10``: the top 10 after ICE balancing (computed here as ``cooler balance`` does
  by default: the two nearest diagonals ignored, bins with fewer than 10 pixels or a coverage
  below 5 MADs of the median dropped, iterated until the row sums vary by less than 1e-5);
- ``fdr0.1`` and ``fdr0.01``: ``graphreg prepare contacts --fdr`` on the ``.cool``.

For each it prints the contacts, their median distance, the gene bins (``genes.bed``) with at
least one contact and the contacts per gene bin, as a Markdown table; ``--json`` keeps them.
Which graph predicts held-out genes best is measured by training on each
(``benchmarks/real_data.py --graphs``).

    python benchmarks/k562_contacts.py --out /tmp/k562_graphs --json graphs.json
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

from graphreg_cli.io.dump import open_dump
from graphreg_cli.io.matrix import _top_k_mask

K562 = Path(__file__).resolve().parent.parent.parent / "shared" / "real-data" / "k562_chr22_hg38"
CHROM, LENGTH, RES = "chr22", 50_818_468, 5000


def ice_weights(i, j, count, n, ignore_diags=2, min_nnz=10, mad_max=5, tol=1e-5, max_iter=200):
    """ICE bias vector of a symmetric matrix given by its upper triangle ``(i, j, count)``,
    ``(n,)`` float64, NaN for bins left out (as cooler's default balancing)."""
    keep = (j - i) >= ignore_diags
    i, j, c = i[keep], j[keep], count[keep].astype(np.float64)
    nnz = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    good = nnz >= min_nnz
    marg = np.bincount(i, c, n) + np.bincount(j, c, n)
    logm = np.log(marg[good & (marg > 0)])
    med = np.median(logm)
    mad = np.median(np.abs(logm - med))
    good &= marg > 0
    good[good] &= np.log(marg[good]) >= med - mad_max * mad
    use = good[i] & good[j]
    i, j, c = i[use], j[use], c[use]
    bias = np.ones(n)
    for _ in range(max_iter):
        value = c * bias[i] * bias[j]
        rows = np.bincount(i, value, n) + np.bincount(j, value, n)
        s = rows[good]
        s = s / s.mean()
        bias[good] /= s
        if s.var() < tol:
            break
    bias[~good] = np.nan
    return bias


def write_bedpe(path: Path, i, j, score) -> None:
    frame = pd.DataFrame(
        {
            "c1": CHROM,
            "s1": i * RES,
            "e1": np.minimum((i + 1) * RES, LENGTH),
            "c2": CHROM,
            "s2": j * RES,
            "e2": np.minimum((j + 1) * RES, LENGTH),
            "name": ".",
            "score": score,
        }
    )
    frame.to_csv(path, sep="\t", header=False, index=False, float_format="%.6g")


def describe(name: str, path: Path, gene_bins: np.ndarray) -> dict:
    frame = pd.read_csv(path, sep="\t", header=None, comment="#")
    a, b = frame[1].to_numpy() // RES, frame[4].to_numpy() // RES
    both = np.concatenate([a, b])
    per_bin = np.bincount(both, minlength=LENGTH // RES + 1)
    genes = per_bin[gene_bins]
    return {
        "graph": name,
        "contacts": len(frame),
        "median_distance_kb": float(np.median(np.abs(b - a)) * RES / 1000),
        "gene_bins_with_contact": float((genes > 0).mean()),
        "contacts_per_gene_bin": float(genes.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    dump = open_dump(K562 / "chr22_5kb.RAWobserved.gz", RES, {CHROM: LENGTH})
    i, j, count = dump.i, dump.j, dump.count
    off = i < j
    i, j, count = i[off], j[off], count[off]
    n = LENGTH // RES + 1
    bias = ice_weights(i, j, count, n)
    balanced = count * bias[i] * bias[j]
    kept = np.isfinite(balanced)
    print(f"ICE: {int(np.isfinite(bias).sum())} of {n} bins balanced", file=sys.stderr)
    d = j - i
    expected = np.bincount(d, count) / np.maximum(np.bincount(d), 1)  # mean over pixels with reads
    oe = count / expected[d]
    for name, value, mask in (
        ("raw_top10", count, np.ones(len(count), bool)),
        ("oe_top10", oe, count >= 2),  # single reads far away would top any o/e ranking
        ("balanced_top10", balanced, kept),
    ):
        a, b, v = i[mask], j[mask], value[mask]
        strong = _top_k_mask(a, b, v, args.top_k)
        write_bedpe(args.out / f"{name}.bedpe", a[strong], b[strong], v[strong])
    for fdr in ("0.1", "0.01"):
        clock = time.perf_counter()
        subprocess.run(
            [
                "graphreg",
                "prepare",
                "contacts",
                str(K562 / "chr22_5kb.cool"),
                "--resolution",
                str(RES),
                "--fdr",
                fdr,
                "-o",
                str(args.out / f"fdr{fdr}.bedpe"),
            ],
            check=True,
        )
        print(f"prepare contacts --fdr {fdr}: {time.perf_counter() - clock:.1f} s", file=sys.stderr)
    genes = pd.read_csv(K562 / "genes.bed", sep="\t", header=None)
    tss = np.where(genes[5] == "-", genes[2] - 1, genes[1])
    gene_bins = np.unique(tss // RES)
    rows = [
        describe(name, args.out / f"{name}.bedpe", gene_bins)
        for name in ("raw_top10", "oe_top10", "balanced_top10", "fdr0.1", "fdr0.01")
    ]
    print("| graph | contacts | median distance (kb) | gene bins with a contact | per gene bin |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['graph']} | {r['contacts']:,} | {r['median_distance_kb']:.0f} | "
            f"{r['gene_bins_with_contact']:.0%} | {r['contacts_per_gene_bin']:.1f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
