"""Predictions for many single-base changes of one window, sharing its forward pass.

A sequence model's node embedding depends only on DNA within ``model.reach`` graph bins
(BatchNorm at eval, no window-wide normalisation), so a base change alters the embeddings of
at most ``2 * reach + 1`` bins, and the output of its base-resolution tower (nearly all of
the cost) only in the input bins next to it. :func:`window_effects` runs the window once,
keeping its tower output; then, batched over SNVs, it recomputes the tower on a few hundred
bases around each SNV, splices that into the ``4 * reach + 1`` bins around it, runs the rest
of the trunk on those bins (enough for the ``2 * reach + 1`` embeddings to be exact), splices
the embeddings into the window's, and runs the graph part. The result equals a full forward
pass of the changed window (tests check it) at a small share of its cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.data import Batch, Data

SNVS_PER_PASS = 64


@dataclass
class WindowEffects:
    """One window's reference and changed predictions.

    ``cage_ref: (n,)``, ``cage_alt: (P, n)`` (one row per SNV) in the model's units;
    ``epigenome_ref: (P, tracks)`` and ``epigenome_alt: (P, tracks)``: the epigenome at each
    SNV's input bin before and after.
    """

    cage_ref: np.ndarray
    cage_alt: np.ndarray
    epigenome_ref: np.ndarray
    epigenome_alt: np.ndarray


@torch.no_grad()
def window_effects(
    model, window: Data, offsets: np.ndarray, alts: np.ndarray, device, progress=None
) -> WindowEffects:
    """Predictions of ``window`` (``seq: (n, bin_size)``, ``edge_index``) with each SNV
    applied alone: base ``offsets[k]`` (0-based from the window's first base) set to code
    ``alts[k]``. ``progress(done)`` is called with the SNVs done so far."""
    model.eval()
    window = window.to(device)
    n, bases = window.seq.shape
    towers = model.towers(window)
    nodes_ref, epigenome = model.from_towers(towers, window)
    cage_ref = model.cage(nodes_ref, window)
    per_node = epigenome.shape[1]
    fine = bases // per_node
    cage_alt, epi_alt = [], []
    copies: Batch | None = None
    for start in range(0, len(offsets), SNVS_PER_PASS):
        chunk = range(start, min(start + SNVS_PER_PASS, len(offsets)))
        if copies is None or copies.num_graphs != len(chunk):
            copies = _copies(window, len(chunk))
        h, local_epi = _spliced(model, window, towers, nodes_ref, offsets[chunk], alts[chunk])
        cage_alt.append(model.cage(h, copies).reshape(len(chunk), n).cpu())
        epi_alt.append(local_epi.cpu())
        if progress:
            progress(chunk.stop)
    node, inner = offsets // bases, (offsets % bases) // fine
    flat_epi = epigenome.reshape(n * per_node, -1).cpu()
    return WindowEffects(
        cage_ref.cpu().numpy(),
        torch.cat(cage_alt).numpy() if cage_alt else np.zeros((0, n), np.float32),
        flat_epi[node * per_node + inner].numpy(),
        torch.cat(epi_alt).numpy() if epi_alt else np.zeros((0, flat_epi.shape[1]), np.float32),
    )


def _copies(window: Data, k: int) -> Batch:
    """``k`` copies of the window's graph (edges only), batched."""
    graph = Data(edge_index=window.edge_index, num_nodes=window.num_nodes)
    return Batch.from_data_list([graph] * k)


def _span(centre: int, half: int, total: int) -> tuple[int, int]:
    """``[a, b)`` of ``2 * half + 1`` positions around ``centre``, moved inside ``[0, total)``
    at the edges (so that every span has one length and a batch of them runs as one tensor);
    the positions within ``half / 2`` of ``centre`` keep ``half / 2`` of context or the edge."""
    width = min(total, 2 * half + 1)
    a = min(max(0, centre - half), total - width)
    return a, a + width


def _changed_towers(model, window, offsets, alts, fine: int):
    """The tower output around each SNV: ``(rows, spans)``, rows ``(sum of spans, C)`` for
    input bins ``[fa, fb)`` per SNV, recomputed from the changed DNA with enough context that
    bins ``[f - t, f + t]`` (``f`` the SNV's input bin, ``t`` the tower's reach) are exact."""
    flat = window.seq.reshape(-1)
    total = flat.numel() // fine
    t = model.tower_reach
    pieces, spans = [], []
    for offset, alt in zip(offsets.tolist(), alts.tolist()):
        f = offset // fine
        fa, fb = _span(f, 2 * t, total)
        seq = flat[fa * fine : fb * fine].clone()
        seq[offset - fa * fine] = int(alt)
        pieces.append(Data(seq=seq.view(fb - fa, fine), num_nodes=fb - fa))
        spans.append((fa, fb, f))
    return model.towers(Batch.from_data_list(pieces)), spans


def _spliced(model, window, towers, nodes_ref, offsets, alts):
    """``(h (K * n, C), epigenome at each SNV (K, tracks))``: the window's embeddings with
    the bins around each SNV recomputed from its changed DNA."""
    n, bases = window.seq.shape
    per_node = towers.shape[0] // n
    fine, reach, t = bases // per_node, model.reach, model.tower_reach
    rows, tower_spans = _changed_towers(model, window, offsets, alts, fine)
    pieces, graphs, node_spans, cursor = [], [], [], 0
    for offset, (fa, fb, f) in zip(offsets.tolist(), tower_spans):
        node = offset // bases
        a, b = _span(node, 2 * reach, n)
        local = towers[a * per_node : b * per_node].clone()
        lo, hi = max(fa, f - t, a * per_node), min(fb, f + t + 1, b * per_node)
        local[lo - a * per_node : hi - a * per_node] = rows[cursor + lo - fa : cursor + hi - fa]
        cursor += fb - fa
        pieces.append(local)
        graphs.append(Data(num_nodes=b - a))
        node_spans.append((a, b, node, f))
    local_nodes, local_epi = model.from_towers(torch.cat(pieces), Batch.from_data_list(graphs))
    local_epi = local_epi.reshape(-1, local_epi.shape[-1])
    h = nodes_ref.repeat(len(pieces), 1)
    at_snv, cursor = [], 0
    for k, (a, b, node, f) in enumerate(node_spans):
        lo, hi = max(a, node - reach), min(b, node + reach + 1)
        h[k * n + lo : k * n + hi] = local_nodes[cursor + lo - a : cursor + hi - a]
        at_snv.append(local_epi[(cursor - a) * per_node + f])
        cursor += b - a
    return h, torch.stack(at_snv)
