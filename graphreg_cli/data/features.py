"""From loaded graphs to model inputs: track scaling, the gene channel, edge direction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch_geometric.data import Data

EDGE_MODES = ("both", "to-genes")
TRANSFORMS = ("scale", "log1p")


@dataclass
class FeatureSpec:
    """How raw graphs become model inputs; stored in the run's config.

    ``track_scale``: each track is divided by its mean over training bins (so tracks of
    different sequencing depth combine); ``transform``: ``scale`` (only that) or ``log1p``
    (``log(1 + x / mean)``, for real tracks whose peaks span orders of magnitude);
    ``gene_input``: append the gene mask as an input channel (over every input bin of a gene
    node); ``edges``: ``both`` directions, or ``to-genes`` (only edges into gene bins, as the
    study's regulator→gene graph).
    """

    track_scale: list[float] = field(default_factory=list)
    gene_input: bool = True
    edges: str = "both"
    transform: str = "scale"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def fit(
        cls, graphs: list[Data], gene_input: bool, edges: str, transform: str = "scale"
    ) -> FeatureSpec:
        if transform not in TRANSFORMS:
            raise ValueError(f"unknown transform {transform!r}; choose {', '.join(TRANSFORMS)}")
        train = [g for g in graphs if g.split == "train"] or graphs
        width = train[0].x.shape[-1]
        total = sum(g.x.reshape(-1, width).double().sum(0) for g in train)
        count = sum(g.x.reshape(-1, width).shape[0] for g in train)
        scale = (total / count).float().clamp_min(1e-8)
        return cls(scale.tolist(), gene_input, edges, transform)

    @property
    def in_features(self) -> int:
        return len(self.track_scale) + int(self.gene_input)

    def unscale(self, values: np.ndarray) -> np.ndarray:
        """Model-scale track values ``(..., n_tracks)`` (a sequence model's epigenome) back
        in the tracks' own units: the inverse of the scaling :meth:`apply` makes."""
        values = np.expm1(values) if self.transform == "log1p" else values
        return (values * np.asarray(self.track_scale, np.float32)).astype(np.float32)

    def apply(self, g: Data) -> Data:
        """A copy of ``g`` with ``x: (n_bins, in_features)`` — or ``(n_bins, pool,
        in_features)`` for fine inputs — and edges as specified."""
        x = g.x / torch.tensor(self.track_scale, dtype=g.x.dtype)
        if self.transform == "log1p":
            x = torch.log1p(x.clamp_min(0))
        if self.gene_input:
            mask = g.gene_mask.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))
            x = torch.cat([x, mask.expand(*x.shape[:-1], 1)], -1)
        edge_index, edge_weight = g.edge_index, g.edge_weight
        if self.edges == "to-genes":
            keep = g.gene_mask[edge_index[1]]
            edge_index, edge_weight = edge_index[:, keep], edge_weight[keep]
        out = g.clone()
        out.x, out.edge_index, out.edge_weight = x, edge_index, edge_weight
        return out
