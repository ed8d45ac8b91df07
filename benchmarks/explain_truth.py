"""Do explanations find the true enhancers and silencers, with the right sign?

Simulates ``--silencers 10`` (each gene: 3 enhancers, 2 silencers) without decoys and with
as many decoy contacts as true links (``--decoy-contacts 100``, scored weaker but
overlapping: ``--decoy-score-ratio``), trains Epi-GraphReg with each ``--norm`` and scores
every explanation method on the test chromosomes against ``links.bedpe``. Prints one
Markdown table per dataset and writes every number to JSON.

    python benchmarks/explain_truth.py --json explain.json
    python benchmarks/explain_truth.py --norms batch --decoys 100 --backgrounds zero,median
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from graphreg_cli.api import simulate, train
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.io.links import read_truth
from graphreg_cli.tasks.explain import ExplainOptions
from graphreg_cli.tasks.ranking import truth_metrics

COLUMNS = ("auprc", "enhancer_sign", "silencer_sign", "enhancer_auprc", "silencer_auprc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--norms", default="instance,batch,layer")
    parser.add_argument("--model", default="gat")
    parser.add_argument("--attention", default="softmax", help="gat: softmax or sigmoid")
    parser.add_argument("--decoys", default="0,100")
    parser.add_argument("--ratio", type=float, default=0.5, help="--decoy-score-ratio")
    parser.add_argument("--backgrounds", default="zero", help="deletion backgrounds to try")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for decoys in map(int, args.decoys.split(",")):
            data = Path(tmp) / f"decoys_{decoys}"
            simulate(
                silencers=10, decoy_contacts=decoys, decoy_score_ratio=args.ratio, seed=args.seed
            ).write(data)
            truth = read_truth(data / "links.bedpe", 5000)
            for norm in args.norms.split(","):
                extra = {"attention": args.attention} if args.model == "gat" else {}
                run = train(
                    Inputs.from_folder(data),
                    model=args.model,
                    out=data / f"run_{norm}",
                    norm=norm,
                    device="cpu",
                    **extra,
                )
                mse = run.evaluate("test", device="cpu").metrics["mse"]
                for background in args.backgrounds.split(","):
                    clock = time.perf_counter()
                    options = ExplainOptions(background=background)
                    scores = run.explain("test", device="cpu", options=options)
                    seconds = time.perf_counter() - clock
                    for m in truth_metrics(scores, truth).to_dict("records"):
                        row = {"decoys": decoys, "norm": norm, "background": background}
                        rows.append(row | {"test_mse": mse, "explain_seconds": seconds, **m})
                        print(json.dumps(rows[-1]), flush=True)
                if args.json:
                    args.json.write_text(json.dumps(rows, indent=2) + "\n")
    for decoys in dict.fromkeys(r["decoys"] for r in rows):
        print(f"\n{decoys} decoy contacts per chromosome")
        print("| norm | background | method | " + " | ".join(COLUMNS) + " |")
        print("| --- | --- | --- |" + " ---: |" * len(COLUMNS))
        for r in (r for r in rows if r["decoys"] == decoys):
            cells = " | ".join(f"{r[c]:.3f}" for c in COLUMNS)
            print(f"| {r['norm']} | {r['background']} | {r['method']} | {cells} |")


if __name__ == "__main__":
    main()
