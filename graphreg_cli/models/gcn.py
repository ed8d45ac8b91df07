"""Epi-GCN: the Epi-GraphReg layout with ``GCNConv`` and contact scores as edge weights."""

from __future__ import annotations

from torch_geometric.nn import GCNConv

from graphreg_cli.models import register
from graphreg_cli.models.gat import GraphModel


@register("gcn")
class EpiGCN(GraphModel):
    """GraphModel with PyG ``GCNConv(C, C)`` (symmetric normalisation, self-loops),
    weighting each contact by its BEDPE score."""

    uses_weights = True

    def make_conv(self, c):
        return GCNConv(c.channels, c.channels)
