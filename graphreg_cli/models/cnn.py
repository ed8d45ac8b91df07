"""Epi-CNN: the study's 1D CNN over the tracks, no graph (baseline)."""

from __future__ import annotations

from torch import nn

from graphreg_cli.models import GraphregModel, register
from graphreg_cli.models.blocks import Layout, conv_stack, encode, positive


@register("cnn")
class EpiCNN(GraphregModel):
    """Conv1d(F→C) + ``cnn_layers`` x [InstanceNorm, Conv1d(C→C, k=3), ReLU] + Conv1d(C→1).

    Reads ``batch.x: (N, F)`` or ``(N, pool, F)`` and returns ``{"cage": (N,)}``; the graph
    is ignored; fine inputs are max-pooled into nodes inside the stack.
    """

    def __init__(self, config):
        super().__init__()
        c = config
        body = conv_stack(c.in_features, c.channels, c.cnn_layers, c.kernel_size, c.dropout, c.pool)
        body.append(nn.Conv1d(c.channels, 1, c.kernel_size, padding=(c.kernel_size - 1) // 2))
        self.body = body

    inputs = ("x",)

    def forward(self, batch) -> dict:
        layout = Layout(batch.batch, batch.x.shape[0])
        return {"cage": positive(encode(self.body, batch.x, layout)).squeeze(-1)}
