"""Epi-GraphReg: the Epi-CNN trunk + graph-attention layers over the contact graph."""

from __future__ import annotations

import torch
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
    crop,
    encode,
    norm_layer,
    positive,
    widen,
)


class TrunkModel(GraphregModel):
    """A model in two stages: a convolutional trunk from the input bins to one feature
    vector per graph node (:meth:`encode`), then the rest (:meth:`propagate`).

    With a local normalisation the trunk reads ``margin`` nodes of real input each side of a
    window (``batch.x_before`` / ``batch.x_after``: ``(B * margin, ...)``, zeros beyond a
    chromosome end, as :func:`graphreg_cli.data.tiles.tile` adds them), so a window's trunk
    features equal the whole chromosome's and the trunk can run once per chromosome.
    """

    def setup_trunk(self, c) -> None:
        self.trunk = conv_stack(
            c.in_features, c.channels, c.cnn_layers, c.kernel_size, c.dropout, c.pool, c.norm
        )
        self.margin = c.margin

    def encode(self, batch) -> torch.Tensor:
        """Trunk features ``(N, C)`` of the batch's nodes."""
        x = batch.x
        layout = Layout(batch.batch, x.shape[0])
        if not self.margin:
            return encode(self.trunk, x, layout)
        before, after = batch.get("x_before"), batch.get("x_after")
        if before is None:  # a whole chromosome: nothing beyond its ends
            size = (len(layout.counts) * self.margin, *x.shape[1:])
            before = after = x.new_zeros(size)
        wide_x, wide = widen(x, before, after, layout)
        return crop(encode(self.trunk, wide_x, wide), wide, self.margin)

    def propagate(self, h: torch.Tensor, batch, attention: list | None = None) -> dict:
        raise NotImplementedError

    def forward(self, batch, *, attention: list | None = None) -> dict:
        return self.propagate(self.encode(batch), batch, attention)


class GraphModel(TrunkModel):
    """CNN trunk → ``graph_layers`` x [norm, graph conv, ReLU] → CNN decoder → one value/bin.

    Subclasses provide ``make_conv(config)`` and ``uses_weights``.
    ``forward(batch) -> {"cage": (N,)}`` from ``batch.x``, ``edge_index`` (and
    ``edge_weight`` when ``uses_weights``).
    """

    uses_weights = False

    def __init__(self, config):
        super().__init__()
        c = config
        self.setup_trunk(c)
        self.norms = nn.ModuleList(norm_layer(c.norm, c.channels) for _ in range(c.graph_layers))
        self.convs = nn.ModuleList(self.make_conv(c) for _ in range(c.graph_layers))
        decoder = conv_blocks(c.channels, c.decoder_layers, c.kernel_size, c.dropout, c.norm)
        decoder.append(nn.Conv1d(c.channels, 1, c.kernel_size, padding=(c.kernel_size - 1) // 2))
        self.decoder = decoder
        self.dropout = c.dropout
        self.per_chromosome_norm = c.norm == "instance"

    def make_conv(self, config) -> nn.Module:
        raise NotImplementedError

    def convolve(self, conv, h, batch, attention: list | None):
        """One graph convolution; ``attention`` receives its weights when given."""
        if self.uses_weights:
            return conv(h, batch.edge_index, batch.edge_weight)
        return conv(h, batch.edge_index)

    def propagate(self, h, batch, attention: list | None = None) -> dict:
        """Graph layers and decoder from trunk features ``h: (N, C)``. ``attention``: a list
        that receives, per graph layer, ``(edge_index (2, E'), alpha (E', heads))`` —
        models whose convolutions have attention (``attends``) only."""
        layout = Layout(batch.batch, h.shape[0])
        for norm, conv in zip(self.norms, self.convs):
            h = along_chromosomes(norm, h, layout) if self.per_chromosome_norm else norm(h)
            h = self.convolve(conv, h, batch, attention)
            h = F.dropout(F.relu(h), self.dropout, self.training)
        return {"cage": positive(along_chromosomes(self.decoder, h, layout)).squeeze(-1)}


ATTENTIONS = ("softmax", "sigmoid")


class GatedGATConv(GATConv):
    """GATConv whose attention coefficients are independent sigmoid gates instead of a
    softmax over each bin's neighbours: messages are summed, each contact weighted on its
    own, so removing one element changes only its own term (a deletion has the sign of its
    contribution), as in the simulation's and a locus's additive regulation."""

    def edge_update(self, alpha_j, alpha_i, edge_attr, index, ptr, dim_size):
        alpha = alpha_j if alpha_i is None else alpha_j + alpha_i
        if edge_attr is not None and self.lin_edge is not None:
            edge = self.lin_edge(edge_attr.view(-1, 1) if edge_attr.dim() == 1 else edge_attr)
            alpha = alpha + (edge.view(-1, self.heads, self.out_channels) * self.att_edge).sum(-1)
        alpha = torch.sigmoid(F.leaky_relu(alpha, self.negative_slope))
        return F.dropout(alpha, p=self.dropout, training=self.training)


@register("gat")
class EpiGraphReg(GraphModel):
    """Epi-GraphReg with PyG ``GATConv`` (``heads`` heads of ``channels / heads``, concatenated).

    Self-loops are added, so each bin attends to itself and its contacts. With
    ``edge_scores`` the contact's weight (its log-scaled score) is an edge feature of the
    attention (``GATConv(edge_dim=1)``), so weaker contacts can count for less.
    """

    attends = True

    def make_conv(self, c):
        if c.channels % c.heads:
            raise SettingError(
                "{channels} must be a multiple of {heads}", channels=c.channels, heads=c.heads
            )
        if c.attention not in ATTENTIONS:
            raise SettingError(
                f"{{attention}}: choose {', '.join(ATTENTIONS)}", attention=c.attention
            )
        self.edge_scores = c.edge_scores
        edge_dim = 1 if c.edge_scores else None
        conv = GATConv if c.attention == "softmax" else GatedGATConv
        return conv(
            c.channels, c.channels // c.heads, heads=c.heads, dropout=c.dropout, edge_dim=edge_dim
        )

    def convolve(self, conv, h, batch, attention: list | None):
        weight = batch.get("edge_weight") if self.edge_scores else None
        edge_attr = None if weight is None else weight.unsqueeze(-1)
        if attention is None:
            return conv(h, batch.edge_index, edge_attr=edge_attr)
        h, weights = conv(h, batch.edge_index, edge_attr=edge_attr, return_attention_weights=True)
        attention.append(weights)
        return h
