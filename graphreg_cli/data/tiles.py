"""Long chromosomes as overlapping windows, and predictions stitched back.

GraphReg trains on 6 Mb windows with a 2 Mb stride and scores the central 2 Mb. Here a
chromosome of ``n`` nodes longer than ``window`` becomes windows of exactly ``window`` nodes
(starts ``0, stride, 2*stride, ...``, the last flush with the chromosome end). Each node is
*owned* by exactly one window — the one whose centre is nearest — so loss is taken and
predictions are kept only on owned nodes, far from window edges, and stitching is exact.
Chromosomes no longer than ``window`` are one window owning every node (the study's 5 Mb
chromosomes run whole).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch_geometric.data import Data

from graphreg_cli.errors import SettingError


@dataclass(frozen=True)
class Tiling:
    """Window and stride in graph nodes (bins); ``window = 0``: whole chromosomes."""

    window: int = 0
    stride: int = 0

    @classmethod
    def from_bp(cls, window_bp: int, stride_bp: int, bin_size: int) -> Tiling:
        if window_bp <= 0:
            return cls(0, 0)
        window, stride = window_bp // bin_size, stride_bp // bin_size
        if window < 1 or not 1 <= stride <= window:
            raise SettingError(
                f"{{window}} / {{stride}}: need bin size {bin_size} <= stride <= window",
                window=window_bp,
                stride=stride_bp,
            )
        return cls(window, stride)

    def to_json(self) -> dict:
        return asdict(self)

    def starts(self, n: int) -> list[int]:
        """Window starts for a chromosome of ``n`` nodes."""
        if not self.window or n <= self.window:
            return [0]
        starts = list(range(0, n - self.window, self.stride))
        return [*starts, n - self.window]

    def owned(self, n: int) -> list[tuple[int, int, int]]:
        """``(start, own_from, own_to)`` per window: nodes ``[own_from, own_to)`` belong to
        it; the ranges partition ``[0, n)``."""
        starts = self.starts(n)
        width = min(self.window or n, n)
        centres = [s + width / 2 for s in starts]
        bounds = [0] + [int((a + b) // 2) for a, b in zip(centres, centres[1:])] + [n]
        return [(s, bounds[i], bounds[i + 1]) for i, s in enumerate(starts)]


NODE_KEYS = ("x", "y", "y_known", "gene_mask", "node_part", "h", "seq")


def tile(g: Data, tiling: Tiling, margin: int = 0, keys=NODE_KEYS) -> list[Data]:
    """Windows of graph ``g`` (its per-node tensors ``keys`` sliced, edges kept inside the
    window and renumbered). Each window has ``own: (n_window,) bool``, ``start: int`` and
    ``parent: str`` (the chromosome). With ``margin``, each window also carries the
    ``margin`` input nodes before and after it, ``x_before`` and ``x_after`` (zeros beyond
    the chromosome's ends), for a local model's trunk."""
    n = g.num_nodes
    parts = tiling.owned(n)
    if len(parts) == 1:
        out = g.clone()
        out.own, out.start, out.parent = torch.ones(n, dtype=torch.bool), 0, g.chrom
        _add_margins(out, g, 0, n, margin)
        return [out]
    width = tiling.window
    src, dst = g.edge_index
    out = []
    for start, own_from, own_to in parts:
        end = start + width
        keep = (src >= start) & (src < end) & (dst >= start) & (dst < end)
        own = torch.zeros(width, dtype=torch.bool)
        own[own_from - start : own_to - start] = True
        window = Data(
            edge_index=g.edge_index[:, keep] - start,
            edge_weight=g.edge_weight[keep],
            own=own,
            start=start,
            parent=g.chrom,
            chrom=f"{g.chrom}:{start}",
            split=getattr(g, "split", None),
            num_nodes=width,
        )
        for key in keys:
            if key in g:
                window[key] = g[key][start:end]
        _add_margins(window, g, start, end, margin)
        out.append(window)
    return out


def _add_margins(window: Data, g: Data, start: int, end: int, margin: int) -> None:
    """``window.x_before`` / ``x_after``: ``g.x`` on the ``margin`` nodes each side of
    ``[start, end)``, zeros beyond ``g``'s ends."""
    if margin and "x" in g:
        window.x_before = _rows(g.x, start - margin, start)
        window.x_after = _rows(g.x, end, end + margin)


def _rows(x: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """``x[a:b]`` with zero rows where ``[a, b)`` reaches beyond ``[0, len(x))``."""
    lo, hi = max(a, 0), min(b, len(x))
    part = x[lo:hi] if lo < hi else x[:0]
    if lo - a or b - hi:
        zeros = (
            x.new_zeros(min(lo, b) - a, *x.shape[1:]),
            x.new_zeros(b - max(hi, a), *x.shape[1:]),
        )
        part = torch.cat([zeros[0], part, zeros[1]])
    return part


def tile_all(graphs: list[Data], tiling: Tiling, margin: int = 0) -> list[Data]:
    return [w for g in graphs for w in tile(g, tiling, margin)]
