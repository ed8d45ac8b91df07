"""Epi-GraphReg: the Epi-CNN trunk + graph-attention layers over the contact graph."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GATConv

from graphreg_cli.errors import SettingError
from graphreg_cli.models import GraphregModel, register
from graphreg_cli.models.blocks import (
    Layout,
    along_chromosomes,
    conv_blocks,
    conv_stack,
    encode,
    positive,
)


class GraphModel(GraphregModel):
    """CNN trunk → ``graph_layers`` x [norm, graph conv, ReLU] → CNN decoder → one value/bin.

    Subclasses provide ``make_conv(config)`` and ``uses_weights``.
    ``forward(batch) -> {"cage": (N,)}`` from ``batch.x``, ``edge_index`` (and
    ``edge_weight`` when ``uses_weights``).
    """

    uses_weights = False

    def __init__(self, config):
        super().__init__()
        c = config
        self.trunk = conv_stack(
            c.in_features, c.channels, c.cnn_layers, c.kernel_size, c.dropout, c.pool
        )
        self.norms = nn.ModuleList(nn.InstanceNorm1d(c.channels) for _ in range(c.graph_layers))
        self.convs = nn.ModuleList(self.make_conv(c) for _ in range(c.graph_layers))
        decoder = conv_blocks(c.channels, c.decoder_layers, c.kernel_size, c.dropout)
        decoder.append(nn.Conv1d(c.channels, 1, c.kernel_size, padding=(c.kernel_size - 1) // 2))
        self.decoder = decoder
        self.dropout = c.dropout

    def make_conv(self, config) -> nn.Module:
        raise NotImplementedError

    def forward(self, batch, *, attention: list | None = None) -> dict:
        """``attention``: a list that receives, per graph layer, ``(edge_index (2, E'),
        alpha (E', heads))`` — models whose convolutions have attention (``attends``) only."""
        x, edge_index, edge_weight = batch.x, batch.edge_index, batch.edge_weight
        layout = Layout(batch.batch, x.shape[0])
        h = encode(self.trunk, x, layout)
        for norm, conv in zip(self.norms, self.convs):
            h = along_chromosomes(norm, h, layout)
            if attention is not None:
                h, weights = conv(h, edge_index, return_attention_weights=True)
                attention.append(weights)
            elif self.uses_weights:
                h = conv(h, edge_index, edge_weight)
            else:
                h = conv(h, edge_index)
            h = F.dropout(F.relu(h), self.dropout, self.training)
        return {"cage": positive(along_chromosomes(self.decoder, h, layout)).squeeze(-1)}


@register("gat")
class EpiGraphReg(GraphModel):
    """Epi-GraphReg with PyG ``GATConv`` (``heads`` heads of ``channels / heads``, concatenated).

    Self-loops are added, so each bin attends to itself and its contacts.
    """

    attends = True

    def make_conv(self, c):
        if c.channels % c.heads:
            raise SettingError(
                "{channels} must be a multiple of {heads}", channels=c.channels, heads=c.heads
            )
        return GATConv(c.channels, c.channels // c.heads, heads=c.heads, dropout=c.dropout)
