"""Building blocks: the study's conv blocks, run per chromosome over a PyG batch."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


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


def conv_stack(in_ch: int, channels: int, layers: int, kernel: int, dropout: float) -> nn.Module:
    """The study's trunk: Conv1d(in→C) then ``layers`` x [InstanceNorm, Conv1d(C→C), ReLU]."""
    stack = nn.Sequential(nn.Conv1d(in_ch, channels, kernel, padding=(kernel - 1) // 2))
    stack.extend(conv_blocks(channels, layers, kernel, dropout))
    return stack


class Layout:
    """How the nodes of a PyG batch of chromosomes (sorted, as PyG batches are) split into
    chromosomes. ``batch: (N,)`` chromosome index per node; None: one chromosome."""

    def __init__(self, batch: torch.Tensor | None, n: int):
        if batch is None or n == 0:
            self.counts = [n]
        else:
            self.counts = torch.bincount(batch).tolist()
        self.equal = len(set(self.counts)) == 1


def along_chromosomes(module: nn.Module, h: torch.Tensor, layout: Layout) -> torch.Tensor:
    """Apply a Conv1d-style ``module`` (convolutions, InstanceNorm) to each chromosome alone.

    ``h: (N, C)`` node features of all chromosomes concatenated → ``(N, C_out)``.
    Chromosomes of equal length run as one ``(B, C, L)`` tensor; otherwise one at a time, so
    neither convolutions nor normalisation statistics ever mix chromosomes or padding.
    """
    if layout.equal:
        dense = h.reshape(len(layout.counts), layout.counts[0], -1).transpose(1, 2)
        out = module(dense).transpose(1, 2)
        return out.reshape(-1, out.shape[-1])
    parts = torch.split(h, layout.counts)
    return torch.cat([module(p.T.unsqueeze(0)).squeeze(0).T for p in parts])


def positive(h: torch.Tensor) -> torch.Tensor:
    """Non-negative output (CAGE is a count); softplus keeps gradients alive at zero."""
    return F.softplus(h)
