"""Do explanations find the true enhancers and silencers, with the right sign?

Simulates ``--silencers 10`` (each gene: 3 enhancers, 2 silencers) without decoys and with
as many decoy contacts as true links (``--decoy-contacts 100``, scored weaker but
overlapping: ``--decoy-score-ratio``), trains Epi-GraphReg with each ``--norm`` and scores
every explanation method on the test chromosomes against ``links.bedpe``. Prints one
Markdown table per dataset and writes every number to JSON. With ``--histone`` the signs are
also scored on the *visible* links only (``*_visible``): those whose element shows more
signal than 90% of stretches holding no element (``explain_bounds.py``); a link whose
element is buried in the noise barely moves CAGE, so a model trained on CAGE can sign it
only by carrying over what it learned from the others.

    python benchmarks/explain_truth.py --json explain.json
    python benchmarks/explain_truth.py --norms batch --decoys 100 --backgrounds zero,median
    python benchmarks/explain_truth.py --separability   # only the bound below
    python benchmarks/explain_truth.py --histone --decoys 0 --norms batch --attention sigmoid \
        --transform log1p --loss poisson --silencer-signal visible --chromosomes 110
    python benchmarks/explain_truth.py --histone --decoys 0 --norms batch --model additive \
        --dropout 0.3 --min-epochs 600
    python benchmarks/explain_truth.py --histone --partners inactive --decoys 100 --spacing 4 \
        --norms batch --model additive --dropout 0.3 --min-epochs 600 --widths 1,5

``benchmarks/explain_bounds.py`` measures what the simulation itself allows.

``--separability`` prints how well *any* method could tell an enhancer from a silencer by the
DNase around it — the only input that differs between them (contacts carry no sign): the
best balanced accuracy of a threshold on the element's DNase (its bin, or summed over 5 or
9 bins). A model that sees DNase and contacts can give the right sign to both kinds of link
no more often than that.
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
VISIBLE = ("enhancer_sign", "silencer_sign")  # also scored on the links one can see


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--norms", default="instance,batch,layer")
    parser.add_argument("--model", default="gat")
    parser.add_argument("--attention", default="softmax", help="gat: softmax or sigmoid")
    parser.add_argument("--decoys", default="0,100")
    parser.add_argument("--ratio", type=float, default=0.5, help="--decoy-score-ratio")
    parser.add_argument("--backgrounds", default="zero", help="deletion backgrounds to try")
    parser.add_argument("--widths", default="5", help="element widths (bins) to try")
    parser.add_argument(
        "--histone", action="store_true", help="simulate --histone: H3K27ac, H3K27me3 inputs"
    )
    parser.add_argument("--partners", default="regulators", help="--decoy-partners")
    parser.add_argument("--spacing", type=int, default=0, help="--decoy-spacing (inactive)")
    parser.add_argument(
        "--silencer-signal", default="weaker", help="weaker (the study), visible or same"
    )
    parser.add_argument("--transform", default="scale", help="train --transform: scale or log1p")
    parser.add_argument("--loss", default="auto", help="train --loss: auto (mse) or poisson")
    parser.add_argument("--dropout", type=float, default=0.1, help="train --dropout")
    parser.add_argument("--min-epochs", type=int, default=100, help="train --min-epochs")
    parser.add_argument(
        "--chromosomes", type=int, default=30, help="simulated chromosomes; all but 10 train"
    )
    parser.add_argument("--seed", type=int, default=0, help="simulate --seed: the dataset")
    parser.add_argument("--train-seed", type=int, default=0, help="train --seed: the model")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--separability", action="store_true")
    args = parser.parse_args()
    if args.separability:
        separability(args.seed)
        return
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for decoys in map(int, args.decoys.split(",")):
            data = Path(tmp) / f"decoys_{decoys}"
            chromosomes = args.chromosomes
            dataset = simulate(
                chromosomes=chromosomes,
                split=(chromosomes - 10, 5, 5),
                silencers=10,
                decoy_contacts=decoys,
                decoy_score_ratio=args.ratio,
                decoy_partners=args.partners if decoys else "regulators",
                decoy_spacing=args.spacing if decoys and args.partners == "inactive" else 0,
                histone=args.histone,
                silencer_signal=args.silencer_signal,
                seed=args.seed,
            )
            dataset.write(data)
            truth = read_truth(data / "links.bedpe", 5000)
            seen = visible_links(dataset, truth) if args.histone else None
            for norm in args.norms.split(","):
                extra = {"attention": args.attention} if args.model == "gat" else {}
                run = train(
                    Inputs.from_folder(data),
                    model=args.model,
                    out=data / f"run_{norm}",
                    norm=norm,
                    device="cpu",
                    transform=args.transform,
                    loss=args.loss,
                    dropout=args.dropout,
                    min_epochs=args.min_epochs,
                    epochs=max(400, 2 * args.min_epochs),
                    seed=args.train_seed,
                    **extra,
                )
                mse = run.evaluate("test", device="cpu").metrics["mse"]
                settings = [
                    (b, int(w)) for b in args.backgrounds.split(",") for w in args.widths.split(",")
                ]
                for background, width in settings:
                    clock = time.perf_counter()
                    options = ExplainOptions(background=background, width=width)
                    scores = run.explain("test", device="cpu", options=options)
                    seconds = time.perf_counter() - clock
                    shown = None if seen is None else truth_metrics(scores, seen)
                    for m in truth_metrics(scores, truth).to_dict("records"):
                        m |= visible_columns(shown, m["method"])
                        row = {"decoys": decoys, "norm": norm, "background": background}
                        row |= {"width": width, "test_mse": mse, "explain_seconds": seconds}
                        rows.append(row | m)
                        print(json.dumps(rows[-1]), flush=True)
                if args.json:
                    args.json.write_text(json.dumps(rows, indent=2) + "\n")
    columns = COLUMNS + tuple(f"{c}_visible" for c in VISIBLE)
    for decoys in dict.fromkeys(r["decoys"] for r in rows):
        print(f"\n{decoys} decoy contacts per chromosome")
        print("| norm | background | width | method | " + " | ".join(columns) + " |")
        print("| --- | --- | ---: | --- |" + " ---: |" * len(columns))
        for r in (r for r in rows if r["decoys"] == decoys):
            cells = " | ".join(f"{r[c]:.3f}" for c in columns)
            print(f"| {r['norm']} | {r['background']} | {r['width']} | {r['method']} | {cells} |")


def visible_links(dataset, truth):
    """The rows of ``truth`` whose element one can see: its signal over 9 bins (every
    track) above 90% of stretches holding no element (``explain_bounds.py``'s measure)."""
    from explain_bounds import element_signal, empty_cuts

    (cut,) = empty_cuts(dataset, (0.9,))
    seen = {
        (c.name, int(b))
        for c in dataset.chromosomes
        for b in (element_signal(c) > cut).nonzero()[0]
    }
    keep = [(c, int(e)) in seen for c, e in zip(truth["chrom"], truth["element_bin"])]
    return truth[keep]


def visible_columns(shown, method: str) -> dict:
    """``{column_visible: value}`` of ``method`` in ``shown`` (NaN without ``--histone``)."""
    if shown is None:
        return {f"{c}_visible": float("nan") for c in VISIBLE}
    row = shown.set_index("method").loc[method]
    return {f"{c}_visible": float(row[c]) for c in VISIBLE}


def separability(seed: int) -> None:
    """Best balanced accuracy of a DNase threshold telling enhancers from silencers."""
    import numpy as np

    data = simulate(silencers=10, seed=seed)

    def around(kind: str, half: int) -> np.ndarray:
        return np.concatenate(
            [
                [c.dnase[max(0, b - half) : b + half + 1].sum() for b in getattr(c, kind)]
                for c in data.chromosomes
            ]
        )

    print("| DNase feature | best balanced accuracy, enhancer vs silencer |")
    print("| --- | ---: |")
    for half, label in ((0, "element bin"), (2, "5 bins"), (4, "9 bins")):
        e, s = around("enhancer_bins", half), around("silencer_bins", half)
        cuts = np.quantile(np.r_[e, s], np.linspace(0, 1, 401))
        best = max(((e > t).mean() + (s <= t).mean()) / 2 for t in cuts)
        print(f"| {label} | {best:.3f} |")


if __name__ == "__main__":
    main()
