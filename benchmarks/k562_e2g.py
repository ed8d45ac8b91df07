"""graphreg's enhancer–gene map of K562 chr22 beside ABC's own, pair by pair.

Takes a map written by ``graphreg explain --elements ... --e2g`` on ABC's candidate regions
and ABC's predictions for the same run (``abc_predictions.tsv.gz``: the pairs with ABC.Score
above 0.015, or 0.1 for promoters) and reports, over the genes ABC scores with at least three
elements:

- the rank correlation per gene (Spearman) between graphreg's score (and its ``abc`` column,
  ABC computed by graphreg from the same inputs) and ABC.Score, on the pairs ABC lists;
- the overlap of each gene's top 3 elements: ABC's three best against graphreg's three best
  among every element it scored for the gene.

    python benchmarks/k562_e2g.py graphreg_map.tsv.gz --json e2g.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

K562 = Path(__file__).resolve().parent.parent.parent / "shared" / "real-data" / "k562_chr22_hg38"
KEY = ["chr", "start", "end", "TargetGene"]


def compare(ours: pd.DataFrame, abc: pd.DataFrame, column: str) -> dict:
    merged = abc[KEY + ["ABC.Score"]].merge(ours[KEY + [column]], on=KEY, how="left")
    found = merged[column].notna()
    rhos, overlaps = [], []
    for gene, rows in merged[found].groupby("TargetGene"):
        if len(rows) < 3:
            continue
        if rows[column].nunique() > 1:  # a constant score has no rank correlation
            rhos.append(spearmanr(rows["ABC.Score"], rows[column])[0])
        top_abc = set(map(tuple, rows.nlargest(3, "ABC.Score")[["start", "end"]].values))
        mine = ours[ours["TargetGene"] == gene].nlargest(3, column)
        overlaps.append(len(top_abc & set(map(tuple, mine[["start", "end"]].values))) / 3)
    return {
        "column": column,
        "abc_pairs": len(abc),
        "abc_pairs_scored": int(found.sum()),
        "genes": len(overlaps),
        "median_spearman": float(np.median(rhos)) if rhos else float("nan"),
        "mean_top3_overlap": float(np.mean(overlaps)) if overlaps else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("map", type=Path, help="graphreg explain --e2g output")
    parser.add_argument("--abc", type=Path, default=K562 / "abc_predictions.tsv.gz")
    parser.add_argument("--columns", default="Score,abc", help="graphreg columns to compare")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    ours = pd.read_csv(args.map, sep="\t")
    abc = pd.read_csv(args.abc, sep="\t")
    rows = [compare(ours, abc, c) for c in args.columns.split(",")]
    print(
        "| graphreg column | ABC pairs scored | genes | median Spearman per gene | top-3 overlap |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['column']} | {r['abc_pairs_scored']:,} of {r['abc_pairs']:,} | {r['genes']} "
            f"| {r['median_spearman']:.2f} | {r['mean_top3_overlap']:.0%} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
