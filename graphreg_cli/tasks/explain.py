"""Which elements drive each gene: model attributions, baselines, and a check against truth.

For every gene bin ``g`` the candidates are the bins in contact with it and, with ``window``,
the bins within ``window`` bins of it (at least ``min_distance`` away). Each method scores
every (gene, candidate) pair:

- ``saliency``: gradient x input of the gene's prediction, summed over the candidate's
  ``width`` bins and the input tracks (GraphReg's saliency);
- ``deletion``: the gene's prediction minus its prediction with the candidate's ``width`` bins
  set to background (0) in every track: positive = the element raises expression (enhancer),
  negative = it lowers it (silencer);
- ``abc``: activity x contact, normalised per gene (the ABC model): activity = mean input
  signal over the candidate's bins, contact = the contact's score, or ``1 / distance`` (in
  bins) for window candidates without a contact;
- ``distance``: ``1 / distance``;
- ``attention`` (GAT models only; NaN otherwise): the attention the gene's bin pays the
  element's bin, averaged over heads and graph layers — an attention weight, not an
  attribution: it says where the model looks, not what the element does (no sign). A gene's
  attention over its contacts and itself sums to 1; window candidates without a contact get 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Batch, Data

METHODS = {  # method -> score column
    "saliency": "saliency",
    "deletion": "deletion",
    "abc": "abc",
    "distance": "inverse_distance",
    "attention": "attention",
}
SIGNED = ("saliency", "deletion")  # methods whose sign says enhancer (+) or silencer (-)


@dataclass
class ExplainOptions:
    window: int = 0
    min_distance: int = 3
    width: int = 5
    batch_size: int = 64


def candidates(g: Data, window: int, min_distance: int) -> dict[int, dict[int, float]]:
    """``{gene bin: {candidate bin: contact score (0 when only in the window)}}``."""
    genes = torch.nonzero(g.gene_mask).flatten().tolist()
    src, dst = g.edge_index.tolist()
    weight = g.edge_weight.tolist()
    contacted: dict[int, dict[int, float]] = {gene: {} for gene in genes}
    for s, d, w in zip(src, dst, weight):
        if d in contacted and s != d:
            contacted[d][s] = max(w, contacted[d].get(s, 0.0))
    n = g.num_nodes
    for gene in genes:
        for b in range(max(0, gene - window), min(n, gene + window + 1)):
            if abs(b - gene) >= min_distance:
                contacted[gene].setdefault(b, 0.0)
    return contacted


def _span(b: int, width: int, n: int) -> slice:
    half = width // 2
    return slice(max(0, b - half), min(n, b + half + 1))


def explain_graph(
    model, g: Data, prepared: Data, n_tracks: int, options: ExplainOptions, device="cpu"
) -> pd.DataFrame:
    """Score every (gene, candidate) pair of one chromosome by every method.

    ``g``: the raw graph (``x: (n, n_tracks)`` raw signal for ABC); ``prepared``: the model's
    input (``x: (n, F)``, tracks first). Returns one row per pair: ``chrom, gene_bin,
    element_bin, distance, contact, saliency, deletion, abc``.
    """
    model.eval()
    n = g.num_nodes
    pairs = candidates(g, options.window, options.min_distance)
    rows = [(gene, b, w) for gene, cands in pairs.items() for b, w in sorted(cands.items())]
    if not rows:
        return _no_scores()
    gene_bins = np.array([r[0] for r in rows])
    element_bins = np.array([r[1] for r in rows])
    contact = np.array([r[2] for r in rows], dtype=np.float64)
    x = prepared.x.to(device)
    edge_index = prepared.edge_index.to(device)
    edge_weight = prepared.edge_weight.to(device)

    # saliency: one backward pass per gene
    saliency = np.zeros(len(rows))
    x_grad = x.clone().requires_grad_(True)
    out = model(x_grad, edge_index, edge_weight, None)
    for gene in pairs:
        (grad,) = torch.autograd.grad(out[gene], x_grad, retain_graph=True)
        per_bin = (grad * x_grad)[..., :n_tracks].reshape(n, -1).sum(1).detach().cpu().numpy()
        for i in np.flatnonzero(gene_bins == gene):
            saliency[i] = per_bin[_span(int(element_bins[i]), options.width, n)].sum()

    # deletion: one perturbed copy per candidate element, batched
    with torch.no_grad():
        base = model(x, edge_index, edge_weight, None).cpu().numpy()
    elements = sorted(set(element_bins.tolist()))
    deleted: dict[int, np.ndarray] = {}
    for start in range(0, len(elements), options.batch_size):
        chunk = elements[start : start + options.batch_size]
        copies = []
        for b in chunk:
            xd = x.clone()
            xd[_span(b, options.width, n), ..., :n_tracks] = 0.0
            copies.append(Data(x=xd, edge_index=edge_index, edge_weight=edge_weight, num_nodes=n))
        batch = Batch.from_data_list(copies)
        with torch.no_grad():
            pred = model(batch.x, batch.edge_index, batch.edge_weight, batch.batch)
        for b, p in zip(chunk, pred.reshape(len(chunk), n).cpu().numpy()):
            deleted[b] = p
    deletion = np.array([base[gg] - deleted[int(e)][gg] for gg, e in zip(gene_bins, element_bins)])

    attention = _attention(model, x, edge_index, gene_bins, element_bins)

    # ABC and distance
    raw = g.x.numpy().astype(np.float64)
    activity = np.array([raw[_span(int(e), options.width, n)].mean() for e in element_bins])
    distance = np.abs(element_bins - gene_bins).astype(np.float64)
    power = 1.0 / np.maximum(distance, 1.0)
    abc_raw = activity * np.where(contact > 0, contact, power)
    abc = np.zeros(len(rows))
    for gene in pairs:
        idx = gene_bins == gene
        total = abc_raw[idx].sum()
        abc[idx] = abc_raw[idx] / total if total > 0 else 0.0
    return pd.DataFrame(
        {
            "chrom": g.chrom,
            "gene_bin": gene_bins,
            "element_bin": element_bins,
            "distance": distance.astype(np.int64),
            "contact": contact,
            "saliency": saliency,
            "deletion": deletion,
            "abc": abc,
            "inverse_distance": power,
            "attention": attention,
        }
    )


def _attention(model, x, edge_index, gene_bins: np.ndarray, element_bins: np.ndarray):
    """``(n_pairs,)`` attention of each gene on each element, averaged over heads and layers
    (0 without a contact); all NaN for models without attention."""
    if not getattr(model, "attends", False):
        return np.full(len(gene_bins), np.nan)
    layers: list = []
    with torch.no_grad():
        model(x, edge_index, None, None, attention=layers)
    index = layers[0][0].cpu().numpy()  # (2, E'): source j -> target i, self-loops added
    alpha = torch.stack([a.mean(1) for _, a in layers]).mean(0).cpu().numpy()
    lookup = {(int(i), int(j)): float(a) for j, i, a in zip(index[0], index[1], alpha)}
    return np.array([lookup.get((int(g), int(e)), 0.0) for g, e in zip(gene_bins, element_bins)])


def average_precision(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision), higher score = positive."""
    if not label.any():
        return float("nan")
    order = np.argsort(-score, kind="stable")
    hits = label[order].astype(np.float64)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def auroc(score: np.ndarray, label: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    from graphreg_cli.tasks.metrics import _rank

    pos, neg = int(label.sum()), int((~label).sum())
    if not pos or not neg:
        return float("nan")
    ranks = _rank(score) + 1
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def precision_recall(score: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every threshold (scores sorted high to low)."""
    order = np.argsort(-score, kind="stable")
    hits = label[order].astype(np.float64)
    tp = np.cumsum(hits)
    return tp / np.arange(1, len(hits) + 1), tp / max(hits.sum(), 1)


def explain_windows(
    model, g: Data, prepared: Data, n_tracks: int, options: ExplainOptions, tiling, device="cpu"
) -> pd.DataFrame:
    """:func:`explain_graph` window by window, as the model was trained (``tiling``, a
    :class:`graphreg_cli.data.tiles.Tiling`): each gene is explained in the window that owns it,
    from what that window holds — elements beyond it are not candidates, as the model never
    saw them — and bins are mapped back to the chromosome. Memory stays that of one window."""
    from graphreg_cli.data.tiles import tile

    frames = []
    for raw, ready in zip(tile(g, tiling), tile(prepared, tiling)):
        raw.gene_mask = raw.gene_mask & raw.own
        scores = explain_graph(model, raw, ready, n_tracks, options, device)
        if len(scores):
            scores["chrom"] = g.chrom
            scores["gene_bin"] += raw.start
            scores["element_bin"] += raw.start
            frames.append(scores)
    return pd.concat(frames, ignore_index=True) if frames else _no_scores()


def _no_scores() -> pd.DataFrame:
    """The columns of :func:`explain_graph`, no rows."""
    return pd.DataFrame(
        columns=["chrom", "gene_bin", "element_bin", "distance", "contact", *METHODS.values()]
    )


def truth_metrics(scores: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per method: AUPRC, AUROC, and the share of true links whose effect sign is right.

    ``scores``: :func:`explain_graph` rows; ``truth``: ``chrom, gene_bin, element_bin, sign``.
    Saliency and deletion rank by their absolute value (a silencer is a regulator too) and
    give the sign; ABC, distance and attention are unsigned and call every link an
    enhancer. Methods with no scores (attention of a non-GAT model) are left out.
    """
    key = ["chrom", "gene_bin", "element_bin"]
    merged = scores.merge(truth[key + ["sign"]], on=key, how="left")
    label = merged["sign"].notna().to_numpy()
    rows = []
    for method, column in METHODS.items():
        if column not in merged or merged[column].isna().all():
            continue  # attention of a model without it
        value = merged[column].to_numpy(dtype=np.float64)
        rank = np.abs(value) if method in SIGNED else value
        sign = np.sign(value) if method in SIGNED else np.ones(len(value))
        true_sign = merged["sign"].to_numpy(dtype=np.float64)
        rows.append(
            {
                "method": method,
                "auprc": average_precision(rank, label),
                "auroc": auroc(rank, label),
                "sign_accuracy": float((sign[label] == true_sign[label]).mean())
                if label.any()
                else float("nan"),
                "pairs": int(len(label)),
                "true_links": int(label.sum()),
            }
        )
    return pd.DataFrame(rows)


def read_truth(path, bin_size: int) -> pd.DataFrame:
    """True links from a BEDPE with the regulator anchor first and the gene anchor second
    (as ``graphreg simulate`` writes ``links.bedpe``); a score of -1 marks a silencer."""
    from graphreg_cli.io.bedpe import read_bedpe

    frame = read_bedpe(path)
    sign = np.ones(len(frame))
    if "score" in frame:
        sign = np.where(pd.to_numeric(frame["score"], errors="coerce").fillna(1) < 0, -1.0, 1.0)
    return pd.DataFrame(
        {
            "chrom": frame["chrom2"],
            "gene_bin": frame["start2"] // bin_size,
            "element_bin": frame["start1"] // bin_size,
            "sign": sign,
        }
    )


def explain_run(
    run_dir,
    split: str = "all",
    options: ExplainOptions | None = None,
    genes=None,
    device: str = "auto",
    progress=None,
) -> pd.DataFrame:
    """Scores of every (gene, candidate) pair on the run's chromosomes of ``split``.

    Adds ``gene_name``; ``progress(done, total)`` is called per chromosome.
    """
    from graphreg_cli.data.genes import gene_names
    from graphreg_cli.data.graphs import load_graphs
    from graphreg_cli.errors import NAME_ONLY, SettingError
    from graphreg_cli.io.bigwig import bigwig_chroms
    from graphreg_cli.tasks.runs import open_run
    from graphreg_cli.tasks.train import pick_device

    options = options or ExplainOptions()
    run = open_run(run_dir)
    recorded = run.inputs
    genes = genes or recorded.genes
    if genes is None:
        raise SettingError("explaining needs gene bins: give {genes}", genes=NAME_ONLY)
    inputs = replace(recorded, genes=genes)
    dev = pick_device(device)
    wanted = run.chromosomes(split)
    if not wanted:
        raise SettingError(f"{{split}}: the run has no {split} chromosome", split=split)
    graphs = load_graphs(inputs, split=run.split, only=wanted)
    model = run.model(dev)
    spec = run.features
    frames = []
    for i, g in enumerate(graphs):
        ready = spec.apply(g)
        frames.append(
            explain_windows(model, g, ready, len(recorded.tracks), options, run.tiling, dev)
        )
        if progress:
            progress(i + 1, len(graphs))
    scores = pd.concat(frames, ignore_index=True)
    sizes = bigwig_chroms(recorded.tracks[0])
    names = gene_names(genes, sizes, recorded.bin_size, recorded.gene_types, recorded.tss)
    scores.insert(
        1,
        "gene_name",
        [names.get((c, int(b)), f"{c}:{b}") for c, b in zip(scores["chrom"], scores["gene_bin"])],
    )
    return scores


def _scaled(magnitude: np.ndarray) -> np.ndarray:
    """Scores as integers 1-1000, largest = 1000 (the BED convention). IGV's BEDPE reader
    failed to load files with scores down to 1e-6 (IGV 2.16, "Index -36 out of bounds")."""
    top = magnitude.max() if len(magnitude) else 0.0
    if top <= 0:
        return np.ones(len(magnitude), dtype=np.int64)
    return np.maximum(1, np.round(1000 * magnitude / top)).astype(np.int64)


def write_links(scores: pd.DataFrame, method: str, bin_size: int, path) -> None:
    """BEDPE for IGV: gene anchor, element anchor, gene name, |score| scaled to 1-1000 (arc
    height; raw values are in the TSV), then effect sign (+1/-1) and method in extra columns."""
    from graphreg_cli.io.bedpe import write_bedpe

    value = scores[METHODS[method]].to_numpy(dtype=np.float64)
    frame = pd.DataFrame(
        {
            "chrom1": scores["chrom"],
            "start1": scores["gene_bin"] * bin_size,
            "end1": (scores["gene_bin"] + 1) * bin_size,
            "chrom2": scores["chrom"],
            "start2": scores["element_bin"] * bin_size,
            "end2": (scores["element_bin"] + 1) * bin_size,
            "name": scores["gene_name"],
            "score": _scaled(np.abs(value)),
            "strand1": ".",
            "strand2": ".",
            "extra1": np.where(value < 0, -1, 1),
            "extra2": method,
        }
    )
    write_bedpe(frame, path)


def plot_pr(scores: pd.DataFrame, truth: pd.DataFrame, path) -> None:
    """Precision-recall curves of every method against the true links."""
    from graphreg_cli.tasks.plots import _pyplot, save_figure

    plt = _pyplot()
    key = ["chrom", "gene_bin", "element_bin"]
    merged = scores.merge(truth[key + ["sign"]], on=key, how="left")
    label = merged["sign"].notna().to_numpy()
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for method, column in METHODS.items():
        if column not in merged or merged[column].isna().all():
            continue  # attention of a model without it
        value = merged[column].to_numpy(dtype=np.float64)
        rank = np.abs(value) if method in SIGNED else value
        precision, recall = precision_recall(rank, label)
        ax.plot(recall, precision, label=f"{method} (AUPRC {average_precision(rank, label):.2f})")
    ax.axhline(label.mean(), color="grey", ls="--", lw=1, label="chance")
    ax.set_xlabel("recall (true regulator-gene links)")
    ax.set_ylabel("precision")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    save_figure(fig, Path(path))
