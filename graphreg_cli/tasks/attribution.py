"""The attribution methods of ``graphreg explain``, one function each.

Every method scores candidate (gene bin, element bin) pairs of one chromosome (or window):
``genes, elements: (n_pairs,) int`` bin indices; it returns ``(n_pairs,) float64``.
``ready`` is the model's input graph (``x: (n, F)`` or ``(n, pool, F)``, the first
``n_tracks`` features the tracks); ``width`` bins centred on an element make the element.
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Batch, Data


def span(b: int, width: int, n: int) -> slice:
    """The ``width`` bins centred on bin ``b``, clipped to ``[0, n)``."""
    half = width // 2
    return slice(max(0, b - half), min(n, b + half + 1))


def _cage(model, x, ready: Data) -> torch.Tensor:
    """The model's CAGE output for ``ready``'s graph with inputs ``x``: ``(n,)``."""
    return model(Data(x=x, edge_index=ready.edge_index, edge_weight=ready.edge_weight))["cage"]


def saliency(model, ready: Data, genes, elements, n_tracks: int, width: int) -> np.ndarray:
    """Gradient x input of each gene's prediction, summed over the element's bins and the
    input tracks (GraphReg's saliency); one backward pass per gene."""
    n = ready.num_nodes
    x = ready.x.clone().requires_grad_(True)
    out = _cage(model, x, ready)
    scores = np.zeros(len(genes))
    for gene in np.unique(genes):
        (grad,) = torch.autograd.grad(out[gene], x, retain_graph=True)
        per_bin = (grad * x)[..., :n_tracks].reshape(n, -1).sum(1).detach().cpu().numpy()
        for i in np.flatnonzero(genes == gene):
            scores[i] = per_bin[span(int(elements[i]), width, n)].sum()
    return scores


@torch.no_grad()
def deletion(
    model, ready: Data, genes, elements, n_tracks: int, width: int, batch_size: int = 64
) -> np.ndarray:
    """The gene's prediction minus its prediction with the element's bins set to background
    (0) in every track: positive = the element raises expression (enhancer), negative = it
    lowers it (silencer). One perturbed copy per element, ``batch_size`` at a time."""
    n = ready.num_nodes
    base = _cage(model, ready.x, ready).cpu().numpy()
    unique = sorted(set(np.asarray(elements).tolist()))
    deleted: dict[int, np.ndarray] = {}
    for start in range(0, len(unique), batch_size):
        chunk = unique[start : start + batch_size]
        copies = []
        for b in chunk:
            x = ready.x.clone()
            x[span(b, width, n), ..., :n_tracks] = 0.0
            copies.append(
                Data(x=x, edge_index=ready.edge_index, edge_weight=ready.edge_weight, num_nodes=n)
            )
        pred = model(Batch.from_data_list(copies))["cage"]
        for b, p in zip(chunk, pred.reshape(len(chunk), n).cpu().numpy()):
            deleted[b] = p
    return np.array([base[g] - deleted[int(e)][g] for g, e in zip(genes, elements)])


@torch.no_grad()
def attention(model, ready: Data, genes, elements) -> np.ndarray:
    """The attention each gene's bin pays the element's bin, averaged over heads and graph
    layers (0 without a contact); all NaN for models without attention."""
    if not getattr(model, "attends", False):
        return np.full(len(genes), np.nan)
    layers: list = []
    model(Data(x=ready.x, edge_index=ready.edge_index), attention=layers)
    index = layers[0][0].cpu().numpy()  # (2, E'): source j -> target i, self-loops added
    alpha = torch.stack([a.mean(1) for _, a in layers]).mean(0).cpu().numpy()
    lookup = {(int(i), int(j)): float(a) for j, i, a in zip(index[0], index[1], alpha)}
    return np.array([lookup.get((int(g), int(e)), 0.0) for g, e in zip(genes, elements)])


def inverse_distance(genes, elements) -> np.ndarray:
    """``1 / distance`` in bins (at least 1)."""
    return 1.0 / np.maximum(np.abs(np.asarray(elements) - np.asarray(genes)), 1.0)


def abc(raw: np.ndarray, genes, elements, contact: np.ndarray, width: int) -> np.ndarray:
    """Activity x contact, normalised per gene (the ABC model). ``raw: (n, ...)`` the raw
    track signal: activity = its mean over the element's bins; contact = the contact's score,
    or ``1 / distance`` for candidates without a contact."""
    n = len(raw)
    activity = np.array([raw[span(int(e), width, n)].mean() for e in elements])
    raw_score = activity * np.where(contact > 0, contact, inverse_distance(genes, elements))
    scores = np.zeros(len(genes))
    for gene in np.unique(genes):
        idx = genes == gene
        total = raw_score[idx].sum()
        scores[idx] = raw_score[idx] / total if total > 0 else 0.0
    return scores
