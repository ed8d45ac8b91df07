"""Building blocks: the study's conv blocks, run per chromosome over a PyG batch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.utils import to_dense_batch


def conv_stack(in_ch: int, channels: int, layers: int, kernel: int, dropout: float) -> nn.Module:
    """The study's trunk: Conv1d(in→C) then ``layers`` x [InstanceNorm, Conv1d(C→C), ReLU]."""
    pad = (kernel - 1) // 2
    stack = nn.Sequential(nn.Conv1d(in_ch, channels, kernel, padding=pad))
    for _ in range(layers):
        stack.append(nn.InstanceNorm1d(channels))
        stack.append(nn.Conv1d(channels, channels, kernel, padding=pad))
        stack.append(nn.ReLU())
        if dropout:
            stack.append(nn.Dropout(dropout))
    return stack


def conv_blocks(channels: int, layers: int, kernel: int, dropout: float) -> nn.Module:
    """``layers`` x [InstanceNorm, Conv1d(C→C), ReLU] (the study's decoder)."""
    pad = (kernel - 1) // 2
    stack = nn.Sequential()
    for _ in range(layers):
        stack.append(nn.InstanceNorm1d(channels))
        stack.append(nn.Conv1d(channels, channels, kernel, padding=pad))
        stack.append(nn.ReLU())
        if dropout:
            stack.append(nn.Dropout(dropout))
    return stack


def along_chromosomes(module: nn.Module, h: torch.Tensor, batch: torch.Tensor | None):
    """Apply a Conv1d-style ``module`` to each chromosome of a batch separately.

    ``h: (N, C)`` node features of all chromosomes concatenated; ``batch: (N,)`` chromosome
    index per node (None: one chromosome). Chromosomes are padded to the longest, so
    convolutions never cross from one chromosome into the next. Returns ``(N, C_out)``.
    """
    if batch is None:
        batch = torch.zeros(h.shape[0], dtype=torch.long, device=h.device)
    dense, mask = to_dense_batch(h, batch)  # (B, L, C), (B, L)
    out = module(dense.transpose(1, 2)).transpose(1, 2)
    return out[mask]


def positive(h: torch.Tensor) -> torch.Tensor:
    """Non-negative output (CAGE is a count); softplus keeps gradients alive at zero."""
    return F.softplus(h)
