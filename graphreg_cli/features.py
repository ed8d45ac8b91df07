"""From loaded graphs to model inputs: track scaling, the gene channel, edge direction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch_geometric.data import Data

EDGE_MODES = ("both", "to-genes")


@dataclass
class FeatureSpec:
    """How raw graphs become model inputs; stored in the run's config.

    ``track_scale``: each track is divided by its mean over training bins (so tracks of
    different depth combine); ``gene_input``: append the gene mask as an input channel;
    ``edges``: ``both`` directions, or ``to-genes`` (only edges into gene bins, as the study's
    regulator→gene graph).
    """

    track_scale: list[float] = field(default_factory=list)
    gene_input: bool = True
    edges: str = "both"

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def fit(cls, graphs: list[Data], gene_input: bool, edges: str) -> FeatureSpec:
        train = [g for g in graphs if g.split == "train"] or graphs
        x = torch.cat([g.x for g in train])
        scale = x.mean(0).clamp_min(1e-8)
        return cls(scale.tolist(), gene_input, edges)

    @property
    def in_features(self) -> int:
        return len(self.track_scale) + int(self.gene_input)

    def apply(self, g: Data) -> Data:
        """A copy of ``g`` with ``x: (n_bins, in_features)`` and edges as specified."""
        x = g.x / torch.tensor(self.track_scale, dtype=g.x.dtype)
        if self.gene_input:
            x = torch.cat([x, g.gene_mask.to(x.dtype).unsqueeze(1)], 1)
        edge_index, edge_weight = g.edge_index, g.edge_weight
        if self.edges == "to-genes":
            keep = g.gene_mask[edge_index[1]]
            edge_index, edge_weight = edge_index[:, keep], edge_weight[keep]
        out = g.clone()
        out.x, out.edge_index, out.edge_weight = x, edge_index, edge_weight
        return out
