"""Explaining candidate elements over their own span (``graphreg explain --elements BED``).

An element (an ABC candidate region, a DNase peak) covers part of a few input bins: its
*mask* gives each input bin it touches the share of the bin it covers
(``overlap / input_bin_size``). Every method then works on that share instead of on whole
graph bins (:mod:`graphreg_cli.tasks.attribution`):

- ``saliency`` / ``integrated_gradients``: gradient x input summed over the element's input
  bins, each weighted by its share;
- ``deletion``: the gene's prediction minus its prediction with the element's share of each
  input bin set to background (``x * (1 - share) + background * share``);
- ``abc``: activity = the raw signal in the element's share of its input bins (for counts
  spread over candidate regions, the element's own counts), times the contact between the
  gene's bin and the element's bins (the strongest, else ``1 / distance`` in bins),
  normalised per gene;
- ``distance``: ``1 / distance`` (bins, from the element's centre); ``attention``: the most
  the gene's bin attends to any of the element's bins.

Candidates are the elements on a gene's candidate bins (its contacts and the bins within
``window``), the gene's own bin included (a promoter is an element too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.tasks import attribution


@dataclass
class Mask:
    """An element in a window: input bins ``[first, first + len(share))`` (counted over the
    window's nodes x pool), the ``share`` of each it covers, and its nodes ``[lo, hi)``."""

    first: int
    share: np.ndarray
    lo: int
    hi: int


def element_masks(frame: pd.DataFrame, start_bp: int, n: int, pool: int, fine: int) -> list:
    """:class:`Mask` per element (``frame``: ``start, end`` in bp) of a window whose first
    node starts at ``start_bp`` and holds ``n`` nodes of ``pool`` input bins of ``fine`` bp;
    the parts of an element beyond the window are dropped."""
    masks = []
    limit = n * pool
    for s, e in zip(frame["start"].to_numpy() - start_bp, frame["end"].to_numpy() - start_bp):
        first, last = max(int(s) // fine, 0), min((int(e) - 1) // fine, limit - 1)
        if last < first:
            masks.append(None)
            continue
        bins = np.arange(first, last + 1)
        lo_bp, hi_bp = np.maximum(bins * fine, s), np.minimum((bins + 1) * fine, e)
        share = np.clip(hi_bp - lo_bp, 0, fine) / fine
        masks.append(Mask(first, share.astype(np.float32), first // pool, last // pool + 1))
    return masks


def _flat(x: torch.Tensor) -> torch.Tensor:
    """``(n, [pool,] F)`` → ``(n * pool, F)`` (a view)."""
    return x.reshape(-1, x.shape[-1])


def _weighted(per_input_bin: np.ndarray, masks: list, which) -> np.ndarray:
    out = np.zeros(len(which))
    for k, m in enumerate(which):
        mask = masks[m]
        out[k] = float(per_input_bin[mask.first : mask.first + len(mask.share)] @ mask.share)
    return out


def saliency(model, ready: Data, genes, which, masks, n_tracks: int) -> np.ndarray:
    """Gradient x input of each gene's prediction over each element's share of its bins."""
    x = ready.x.clone().requires_grad_(True)
    out = attribution._cage(model, x, ready)
    scores = np.zeros(len(genes))
    for gene in np.unique(genes):
        (grad,) = torch.autograd.grad(out[gene], x, retain_graph=True)
        per = _flat(grad * x)[:, :n_tracks].sum(1).detach().cpu().numpy()
        rows = np.flatnonzero(genes == gene)
        scores[rows] = _weighted(per, masks, which[rows])
    return scores


def integrated_gradients(model, ready, genes, which, masks, n_tracks, steps=8) -> np.ndarray:
    """Integrated gradients from a zero-signal baseline over each element's share."""
    n = ready.num_nodes
    alphas = (torch.arange(steps, dtype=ready.x.dtype) + 0.5) / steps

    def scaled(x, a):
        x = x.clone()
        x[..., :n_tracks] *= a
        return x

    copies = []
    for a in alphas:
        context = {k: scaled(ready[k], a) for k in ("x_before", "x_after") if k in ready}
        copies.append(attribution._with_x(ready, scaled(ready.x, a), **context))
    batch = Batch.from_data_list(copies)
    batch.x = batch.x.detach().requires_grad_(True)
    out = model(batch)["cage"].reshape(steps, n)
    scores = np.zeros(len(genes))
    for gene in np.unique(genes):
        (grad,) = torch.autograd.grad(out[:, gene].sum(), batch.x, retain_graph=True)
        mean = grad.reshape(steps, *ready.x.shape).mean(0)
        per = _flat(mean * ready.x)[:, :n_tracks].sum(1).detach().cpu().numpy()
        rows = np.flatnonzero(genes == gene)
        scores[rows] = _weighted(per, masks, which[rows])
    return scores


def _delete(x: torch.Tensor, fill: torch.Tensor, mask: Mask, n_tracks: int, offset: int = 0):
    """``x`` (a copy) with the element's share of its input bins set to the background
    ``fill`` (aligned with ``x``); ``offset``: input bins of ``x`` before the window's first."""
    out = x.clone()
    flat, source = _flat(out), _flat(fill)
    a = mask.first + offset
    rows = slice(a, a + len(mask.share))
    share = torch.as_tensor(mask.share, dtype=out.dtype, device=out.device)[:, None]
    flat[rows, :n_tracks] = flat[rows, :n_tracks] * (1 - share) + source[rows] * share
    return out


@torch.no_grad()
def deletion(model, ready, genes, which, masks, n_tracks, batch_size=64, kind="zero"):
    """The gene's prediction minus its prediction with the element's share deleted; a local
    model recomputes only the trunk near each element."""
    n = ready.num_nodes
    fill = attribution.background(ready, n_tracks, kind)
    unique = sorted(set(np.asarray(which).tolist()))
    deleted: dict[int, np.ndarray] = {}
    margin = getattr(model, "margin", 0)
    if margin:
        h = model.encode(ready)
        base = model.propagate(h, ready)["cage"].cpu().numpy()
        pool = ready.x.shape[1] if ready.x.dim() == 3 else 1
        none = ready.x.new_zeros(margin, *ready.x.shape[1:])
        wide = torch.cat([ready.get("x_before", none), ready.x, ready.get("x_after", none)])
        graph = {k: ready[k] for k in ("edge_index", "edge_weight") if k in ready}
    else:
        base = attribution._cage(model, ready.x, ready).cpu().numpy()
    for start in range(0, len(unique), batch_size):
        chunk = unique[start : start + batch_size]
        items = []
        for m in chunk:
            mask = masks[m]
            if not margin:
                items.append(attribution._with_x(ready, _delete(ready.x, fill, mask, n_tracks)))
                continue
            lo, hi = max(0, mask.lo - margin), min(n, mask.hi + margin)
            local = wide[lo : hi + 2 * margin]
            shift = Mask(mask.first - lo * pool, mask.share, mask.lo, mask.hi)
            local = _delete(local, _pad(fill, lo, hi, margin), shift, n_tracks, margin * pool)
            piece = Data(x=local[margin:-margin], x_before=local[:margin],
                         x_after=local[-margin:], num_nodes=hi - lo)  # fmt: skip
            changed = h.clone()
            changed[lo:hi] = model.encode(piece)
            items.append(Data(h=changed, num_nodes=n, **graph))
        batch = Batch.from_data_list(items)
        pred = model.propagate(batch.h, batch)["cage"] if margin else model(batch)["cage"]
        deleted |= dict(zip(chunk, pred.reshape(len(chunk), n).cpu().numpy()))
    return np.array([base[g] - deleted[int(m)][g] for g, m in zip(genes, which)])


def _pad(fill: torch.Tensor, lo: int, hi: int, margin: int) -> torch.Tensor:
    """The background of nodes ``[lo - margin, hi + margin)`` (zeros beyond the window), to
    line up with the trunk's widened input."""
    n = fill.shape[0]
    a, b = lo - margin, hi + margin
    part = fill[max(a, 0) : min(b, n)]
    before = fill.new_zeros(max(0, -a), *fill.shape[1:])
    after = fill.new_zeros(max(0, b - n), *fill.shape[1:])
    return torch.cat([before, part, after])


def abc(raw: np.ndarray, genes, which, masks, contact: np.ndarray, distance: np.ndarray):
    """Activity (the raw signal in the element's share) x contact, normalised per gene."""
    per = raw.reshape(-1).astype(np.float64)
    activity = _weighted(per, masks, which)
    raw_score = activity * np.where(contact > 0, contact, 1.0 / np.maximum(distance, 1.0))
    scores = np.zeros(len(genes))
    for gene in np.unique(genes):
        idx = genes == gene
        total = raw_score[idx].sum()
        scores[idx] = raw_score[idx] / total if total > 0 else 0.0
    return scores


@torch.no_grad()
def attention(model, ready, genes, which, masks) -> np.ndarray:
    """The most attention the gene's bin pays any of the element's bins (NaN without
    attention)."""
    if not getattr(model, "attends", False):
        return np.full(len(genes), np.nan)
    layers: list = []
    model(ready, attention=layers)
    index = layers[0][0].cpu().numpy()
    alpha = torch.stack([a.mean(1) for _, a in layers]).mean(0).cpu().numpy()
    lookup = {(int(i), int(j)): float(a) for j, i, a in zip(index[0], index[1], alpha)}
    return np.array(
        [
            max(lookup.get((int(g), b), 0.0) for b in range(masks[m].lo, masks[m].hi))
            for g, m in zip(genes, which)
        ]
    )


def read_elements(path, sizes: dict[str, int]) -> pd.DataFrame:
    """Candidate elements from a BED (``chrom, start, end`` [, ``name``]) on the tracks'
    chromosomes ``sizes`` (names matched, ``1`` = ``chr1``): ``chrom, start, end, name``
    (``chrom:start-end`` where the BED has no name). Elements on other chromosomes are left
    out with a note; none on them, or one past its chromosome's end, is an error."""
    import logging

    from graphreg_cli.data.naming import did_you_mean, reconcile_names
    from graphreg_cli.errors import InputError, preview
    from graphreg_cli.io.bed import read_bed
    from graphreg_cli.io.text import check_in_genome

    frame = read_bed(path)
    if frame.empty:
        raise InputError("holds no elements; give one per line (chrom, start, end, name)", path)
    frame["chrom"] = frame["chrom"].replace(reconcile_names(frame["chrom"], sizes, "elements"))
    on = frame["chrom"].isin(list(sizes))
    if not on.any():
        theirs = frame["chrom"].iat[0]
        raise InputError(
            f"no element lies on the tracks' chromosomes (elements on {theirs}, tracks on "
            f"{preview(sizes)}){did_you_mean(theirs, sizes)}",
            path,
        )
    if not on.all():
        logging.getLogger(__name__).info(
            f"elements: {int((~on).sum())} on chromosomes without tracks left out"
        )
    frame = frame[on].reset_index(drop=True)
    check_in_genome(frame, sizes, path, "chrom", "end")
    if "name" not in frame:
        frame["name"] = (
            frame["chrom"] + ":" + frame["start"].astype(str) + "-" + frame["end"].astype(str)
        )
    return frame[["chrom", "start", "end", "name"]].copy()


def element_class(frame: pd.DataFrame, genes: pd.DataFrame, promoter_bp: int = 500) -> np.ndarray:
    """ABC's element classes: ``promoter`` (within ``promoter_bp`` of a TSS), ``genic``
    (overlapping a gene body), else ``intergenic``. ``frame``: ``chrom, start, end``;
    ``genes``: ``chrom, start, end, tss``."""
    out = np.full(len(frame), "intergenic", dtype=object)
    for chrom, rows in frame.groupby("chrom", sort=False).indices.items():
        mine = genes[genes["chrom"] == chrom]
        if mine.empty:
            continue
        s, e = frame["start"].to_numpy()[rows], frame["end"].to_numpy()[rows]
        g0, g1 = mine["start"].to_numpy(), mine["end"].to_numpy()
        order = np.argsort(g0)
        g0, g1 = g0[order], np.maximum.accumulate(g1[order])
        k = np.searchsorted(g0, e, side="left") - 1  # the last gene starting before the end
        genic = (k >= 0) & (g1[np.clip(k, 0, None)] > s)
        tss = np.sort(mine["tss"].to_numpy())
        at = np.searchsorted(tss, s - promoter_bp, side="left")
        near = (at < len(tss)) & (tss[np.clip(at, 0, len(tss) - 1)] < e + promoter_bp)
        out[rows] = np.where(near, "promoter", np.where(genic, "genic", "intergenic"))
    return out


def to_e2g(
    scores: pd.DataFrame,
    genes: pd.DataFrame,
    bin_size: int,
    score: str,
    methods: dict[str, str],
    cell_type: str,
) -> pd.DataFrame:
    """An explanation table as an enhancer–gene map (:data:`graphreg_cli.io.e2g.E2G_COLUMNS`,
    ``Score`` = column ``score``, then one column per method of ``methods``, name → column):
    one row per (element, gene), each gene of a TSS bin its own row with its own TSS
    (``genes``: :func:`graphreg_cli.data.genes.gene_tss`). Elements are the ``--elements``
    regions, or the bins explained; classes as ABC's (:func:`element_class`)."""
    if "element_start" in scores:
        start, end = scores["element_start"], scores["element_end"]
        name = scores["element_name"].astype(str)
    else:
        start = scores["element_bin"] * bin_size
        end = start + bin_size
        name = scores["chrom"] + ":" + start.astype(str) + "-" + end.astype(str)
    frame = pd.DataFrame(
        {
            "chrom": scores["chrom"],
            "start": start,
            "end": end,
            "name": name,
            "gene_bin": scores["gene_bin"],
        }  # fmt: skip
    )
    for method, column in methods.items():
        frame[method] = scores[column].to_numpy()
    frame["Score"] = scores[score].to_numpy()
    tss = genes.assign(gene_bin=genes["tss"] // bin_size)
    keep = ["chrom", "gene_bin", "gene", "tss"] + (["gene_id"] if "gene_id" in tss else [])
    merged = frame.merge(tss[keep].drop_duplicates(["chrom", "gene_bin", "gene"]),
                         on=["chrom", "gene_bin"], how="inner")  # fmt: skip
    classes = element_class(merged[["chrom", "start", "end"]], genes)
    out = pd.DataFrame(
        {
            "chr": merged["chrom"],
            "start": merged["start"].astype(np.int64),
            "end": merged["end"].astype(np.int64),
            "name": merged["name"],
            "class": classes,
            "TargetGene": merged["gene"],
            "TargetGeneTSS": merged["tss"].astype(np.int64),
            "CellType": cell_type,
            "Score": merged["Score"],
        }
    )
    if "gene_id" in merged:
        out["GeneEnsemblID"] = merged["gene_id"]
    for method in methods:
        out[method] = merged[method].to_numpy()
    return out.sort_values(["chr", "start", "TargetGene"], kind="stable").reset_index(drop=True)
