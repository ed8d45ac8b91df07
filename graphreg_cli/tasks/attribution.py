"""The attribution methods of ``graphreg explain``, one function each.

Every method scores candidate (gene bin, element bin) pairs of one chromosome (or window):
``genes, elements: (n_pairs,) int`` bin indices; it returns ``(n_pairs,) float64``.
``ready`` is the model's input graph (``x: (n, F)`` or ``(n, pool, F)``, the first
``n_tracks`` features the tracks; a local model's window also carries ``x_before`` /
``x_after``, its trunk's context); ``width`` bins centred on an element make the element.

Deleting an element sets its tracks to *background*: ``zero`` (no signal), ``median`` (each
track's median over the window) or ``shuffle`` (the signal of another stretch of the same
window, drawn with a fixed seed).
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Batch, Data

BACKGROUNDS = ("zero", "median", "shuffle")


def span(b: int, width: int, n: int) -> slice:
    """The ``width`` bins centred on bin ``b``, clipped to ``[0, n)``."""
    half = width // 2
    return slice(max(0, b - half), min(n, b + half + 1))


def _with_x(ready: Data, x: torch.Tensor, **extra) -> Data:
    """``ready``'s graph (and trunk context) with inputs ``x``."""
    keep = ("edge_index", "edge_weight", "x_before", "x_after")
    fields = {k: ready[k] for k in keep if k in ready}
    return Data(x=x, num_nodes=ready.num_nodes, **{**fields, **extra})


def _cage(model, x, ready: Data) -> torch.Tensor:
    """The model's CAGE output for ``ready``'s graph with inputs ``x``: ``(n,)``."""
    return model(_with_x(ready, x))["cage"]


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


def background(ready: Data, n_tracks: int, kind: str) -> torch.Tensor:
    """``(n, ..., n_tracks)``: the inputs an element is set to when deleted (see module)."""
    tracks = ready.x[..., :n_tracks]
    if kind == "zero":
        return torch.zeros_like(tracks)
    if kind == "median":
        flat = tracks.reshape(-1, n_tracks)
        return flat.median(0).values.expand_as(tracks).clone()
    if kind == "shuffle":
        generator = torch.Generator().manual_seed(0)
        order = torch.randperm(len(tracks), generator=generator)
        return tracks[order.to(tracks.device)]
    from graphreg_cli.errors import SettingError

    raise SettingError(f"{{background}}: choose {', '.join(BACKGROUNDS)}", background=kind)


@torch.no_grad()
def deletion(
    model,
    ready: Data,
    genes,
    elements,
    n_tracks: int,
    width: int,
    batch_size: int = 64,
    kind: str = "zero",
) -> np.ndarray:
    """The gene's prediction minus its prediction with the element's bins set to
    ``background``: positive = the element raises expression (enhancer), negative = it
    lowers it (silencer). A local model recomputes only the trunk near each element."""
    n = ready.num_nodes
    fill = background(ready, n_tracks, kind)
    unique = sorted(set(np.asarray(elements).tolist()))
    if getattr(model, "margin", 0):
        base, deleted = _deleted_local(model, ready, unique, n_tracks, width, fill, batch_size)
    else:
        base = _cage(model, ready.x, ready).cpu().numpy()
        deleted = {}
        for start in range(0, len(unique), batch_size):
            chunk = unique[start : start + batch_size]
            copies = []
            for b in chunk:
                x = ready.x.clone()
                x[span(b, width, n), ..., :n_tracks] = fill[span(b, width, n)]
                copies.append(_with_x(ready, x))
            pred = model(Batch.from_data_list(copies))["cage"]
            deleted |= dict(zip(chunk, pred.reshape(len(chunk), n).cpu().numpy()))
    return np.array([base[g] - deleted[int(e)][g] for g, e in zip(genes, elements)])


def _deleted_local(model, ready, elements, n_tracks, width, fill, batch_size):
    """``(base (n,), {element: (n,)})`` for a local model: the trunk once for the window,
    then, per element, only the trunk nodes whose inputs reach the element recomputed and
    spliced in before the graph layers and decoder run."""
    n, m = ready.num_nodes, model.margin
    h = model.encode(ready)
    base = model.propagate(h, ready)["cage"].cpu().numpy()
    none = ready.x.new_zeros(m, *ready.x.shape[1:])  # a whole chromosome: nothing beyond
    before, after = ready.get("x_before", none), ready.get("x_after", none)
    wide = torch.cat([before, ready.x, after])  # the window's inputs with their context
    deleted = {}
    for start in range(0, len(elements), batch_size):
        chunk = elements[start : start + batch_size]
        states = []
        for b in chunk:
            where = span(b, width, n)
            lo, hi = max(0, where.start - m), min(n, where.stop + m)  # trunk nodes it reaches
            local = wide[lo : hi + 2 * m].clone()
            local[where.start - lo + m : where.stop - lo + m, ..., :n_tracks] = fill[where]
            piece = Data(x=local[m:-m], x_before=local[:m], x_after=local[-m:], num_nodes=hi - lo)
            changed = h.clone()
            changed[lo:hi] = model.encode(piece)
            graph = {k: ready[k] for k in ("edge_index", "edge_weight") if k in ready}
            states.append(Data(h=changed, num_nodes=n, **graph))
        batch = Batch.from_data_list(states)
        pred = model.propagate(batch.h, batch)["cage"]
        deleted |= dict(zip(chunk, pred.reshape(len(chunk), n).cpu().numpy()))
    return base, deleted


def integrated_gradients(
    model, ready: Data, genes, elements, n_tracks: int, width: int, steps: int = 8
) -> np.ndarray:
    """Integrated gradients of each gene's prediction from a zero-signal baseline: the
    average gradient along ``steps`` points of the path from the baseline to the input,
    times (input - baseline), summed over the element's bins and the tracks. Unlike
    gradient x input it does not saturate, and its scores add up to the prediction's change
    from the baseline."""
    n = ready.num_nodes
    alphas = (torch.arange(steps, dtype=ready.x.dtype) + 0.5) / steps

    def scaled(x: torch.Tensor, a: float) -> torch.Tensor:
        x = x.clone()
        x[..., :n_tracks] *= a  # the tracks go to the baseline, the gene channel stays
        return x

    copies = []
    for a in alphas:
        context = {k: scaled(ready[k], a) for k in ("x_before", "x_after") if k in ready}
        copies.append(_with_x(ready, scaled(ready.x, a), **context))
    batch = Batch.from_data_list(copies)
    batch.x = batch.x.detach().requires_grad_(True)
    out = model(batch)["cage"].reshape(steps, n)
    scores = np.zeros(len(genes))
    for gene in np.unique(genes):
        (grad,) = torch.autograd.grad(out[:, gene].sum(), batch.x, retain_graph=True)
        mean = grad.reshape(steps, *ready.x.shape).mean(0)
        per_bin = (mean * ready.x)[..., :n_tracks].reshape(n, -1).sum(1).detach().cpu().numpy()
        for i in np.flatnonzero(genes == gene):
            scores[i] = per_bin[span(int(elements[i]), width, n)].sum()
    return scores


@torch.no_grad()
def attention(model, ready: Data, genes, elements) -> np.ndarray:
    """The attention each gene's bin pays the element's bin, averaged over heads and graph
    layers (0 without a contact); all NaN for models without attention."""
    if not getattr(model, "attends", False):
        return np.full(len(genes), np.nan)
    layers: list = []
    model(ready, attention=layers)
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
