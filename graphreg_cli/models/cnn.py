"""Epi-CNN: the study's 1D CNN over the tracks, no graph (baseline)."""

from __future__ import annotations

from torch import nn

from graphreg_cli.models.blocks import Layout, conv_stack, encode, positive


class EpiCNN(nn.Module):
    """Conv1d(F→C) + ``cnn_layers`` x [InstanceNorm, Conv1d(C→C, k=3), ReLU] + Conv1d(C→1).

    ``forward(x: (N, F) or (N, pool, F), edge_index, edge_weight, batch: (N,)) -> (N,)``;
    the graph is ignored; fine inputs are max-pooled into nodes inside the stack.
    """

    def __init__(self, config):
        super().__init__()
        c = config
        body = conv_stack(c.in_features, c.channels, c.cnn_layers, c.kernel_size, c.dropout, c.pool)
        body.append(nn.Conv1d(c.channels, 1, c.kernel_size, padding=(c.kernel_size - 1) // 2))
        self.body = body

    def forward(self, x, edge_index=None, edge_weight=None, batch=None):
        layout = Layout(batch, x.shape[0])
        return positive(encode(self.body, x, layout)).squeeze(-1)
