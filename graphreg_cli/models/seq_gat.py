"""Seq-GraphReg: the sequence trunk, graph attention over the contacts, a CAGE decoder."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GATConv

from graphreg_cli.errors import SettingError
from graphreg_cli.models import register
from graphreg_cli.models.seq import SequenceModel


@register("seq-gat")
class SeqGraphReg(SequenceModel):
    """DNA → epigenome tracks, and CAGE through ``graph_layers`` residual blocks
    [GATConv (``heads`` heads, self-loops), BatchNorm, ReLU, dropout] over ``edge_index``,
    then the decoder. GraphReg: 3 GAT layers of 4 heads over HiC-DC+ contacts."""

    inputs = ("seq", "edge_index")

    def __init__(self, config):
        super().__init__(config)
        c = config
        if c.channels % c.heads:
            raise SettingError(
                "{channels} must be a multiple of {heads}", channels=c.channels, heads=c.heads
            )
        self.convs = nn.ModuleList(
            GATConv(c.channels, c.channels // c.heads, heads=c.heads, dropout=c.dropout)
            for _ in range(c.graph_layers)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(c.channels) for _ in range(c.graph_layers))
        self.dropout = c.dropout

    def cage(self, nodes, batch):
        h = nodes
        for conv, norm in zip(self.convs, self.norms):
            update = F.relu(norm(conv(h, batch.edge_index)))
            h = h + F.dropout(update, self.dropout, self.training)
        return self.decode(h, batch)
