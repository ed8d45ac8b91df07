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


def pool_factors(pool: int, most: int) -> list[int]:
    """Max-pooling steps whose product is ``pool`` (GraphReg pools 100 bp → 5 kb as 2×5×5):
    the prime factors, the smallest merged until there are at most ``most``."""
    factors, rest, p = [], pool, 2
    while rest > 1:
        while rest % p == 0:
            factors.append(p)
            rest //= p
        p += 1
    while len(factors) > max(most, 1):
        factors.sort()
        factors = [factors[0] * factors[1], *factors[2:]]
    return sorted(factors)


def conv_stack(
    in_ch: int, channels: int, layers: int, kernel: int, dropout: float, pool: int = 1
) -> nn.Module:
    """The study's trunk: Conv1d(in→C) then ``layers`` x [InstanceNorm, Conv1d(C→C), ReLU].

    With ``pool > 1`` (input bins per graph node) a MaxPool1d follows the first blocks, so
    ``(B, in_ch, L * pool)`` → ``(B, C, L)``.
    """
    stack = nn.Sequential(nn.Conv1d(in_ch, channels, kernel, padding=(kernel - 1) // 2))
    steps = pool_factors(pool, layers) if pool > 1 else []
    for i in range(layers):
        stack.extend(conv_blocks(channels, 1, kernel, dropout))
        if i < len(steps):
            stack.append(nn.MaxPool1d(steps[i]))
    for step in steps[layers:]:
        stack.append(nn.MaxPool1d(step))
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

    def scaled(self, factor: int) -> Layout:
        """The layout of the input bins when each node holds ``factor`` of them."""
        out = Layout(None, 0)
        out.counts, out.equal = [c * factor for c in self.counts], self.equal
        return out


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


def encode(trunk: nn.Module, x: torch.Tensor, layout: Layout) -> torch.Tensor:
    """Run a (pooling) trunk over node inputs: ``x: (N, F)``, or ``(N, pool, F)`` when
    each node holds ``pool`` finer input bins → ``(N, C)``."""
    if x.dim() == 3:
        return along_chromosomes(trunk, x.reshape(-1, x.shape[-1]), layout.scaled(x.shape[1]))
    return along_chromosomes(trunk, x, layout)


def positive(h: torch.Tensor) -> torch.Tensor:
    """Non-negative output (CAGE is a count); softplus keeps gradients alive at zero."""
    return F.softplus(h)
