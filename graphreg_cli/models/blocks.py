"""Building blocks: the study's conv blocks, run per chromosome over a PyG batch.

Normalisation (``norm``): ``instance`` (the study's InstanceNorm: statistics over a whole
chromosome or window, so every output depends on every input), ``batch`` (BatchNorm:
batch statistics in training, running ones at inference — GraphReg's choice), ``layer``
(LayerNorm over the channels of each bin) or ``none``. All but ``instance`` are *local*: a
bin's output depends only on inputs within the receptive field.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

NORMS = ("instance", "batch", "layer", "none")
LOCAL_NORMS = ("batch", "layer", "none")


class ChannelNorm(nn.Module):
    """LayerNorm over the channels of each position of ``(B, C, L)``, or of each row of
    ``(N, C)``."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if h.dim() == 2:
            return self.norm(h)
        return self.norm(h.transpose(1, 2)).transpose(1, 2)


def norm_layer(kind: str, channels: int) -> nn.Module:
    """The normalisation ``kind`` (one of ``NORMS``) for ``channels`` channels."""
    if kind == "instance":
        return nn.InstanceNorm1d(channels)
    if kind == "batch":
        return nn.BatchNorm1d(channels)
    if kind == "layer":
        return ChannelNorm(channels)
    if kind == "none":
        return nn.Identity()
    from graphreg_cli.errors import SettingError

    raise SettingError(f"{{norm}}: choose {', '.join(NORMS)}", norm=kind)


def conv_blocks(
    channels: int, layers: int, kernel: int, dropout: float, norm: str = "instance"
) -> nn.Module:
    """``layers`` x [norm, Conv1d(C→C), ReLU] (the study's decoder)."""
    pad = (kernel - 1) // 2
    stack = nn.Sequential()
    for _ in range(layers):
        stack.append(norm_layer(norm, channels))
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
    in_ch: int,
    channels: int,
    layers: int,
    kernel: int,
    dropout: float,
    pool: int = 1,
    norm: str = "instance",
) -> nn.Module:
    """The study's trunk: Conv1d(in→C) then ``layers`` x [norm, Conv1d(C→C), ReLU].

    With ``pool > 1`` (input bins per graph node) a MaxPool1d follows the first blocks, so
    ``(B, in_ch, L * pool)`` → ``(B, C, L)``.
    """
    stack = nn.Sequential(nn.Conv1d(in_ch, channels, kernel, padding=(kernel - 1) // 2))
    steps = pool_factors(pool, layers) if pool > 1 else []
    for i in range(layers):
        stack.extend(conv_blocks(channels, 1, kernel, dropout, norm))
        if i < len(steps):
            stack.append(nn.MaxPool1d(steps[i]))
    for step in steps[layers:]:
        stack.append(nn.MaxPool1d(step))
    return stack


def receptive_field(stack: nn.Module) -> int:
    """How many input bins one output of a conv/pool stack sees (its receptive field)."""
    field, jump = 1, 1
    for layer in stack.modules():
        if isinstance(layer, nn.Conv1d):
            field += (layer.kernel_size[0] - 1) * layer.dilation[0] * jump
        elif isinstance(layer, nn.MaxPool1d):
            field += (layer.kernel_size - 1) * jump
            jump *= layer.stride
    return field


def margin_nodes(stack: nn.Module, pool: int) -> int:
    """Graph nodes of real input each side of a window that make a local trunk's outputs
    inside the window what they are on the whole chromosome: half the receptive field in
    nodes, plus one for the pooling grid."""
    return math.ceil(receptive_field(stack) / 2 / pool) + 1


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
    Chromosomes of equal length run together as one ``(B, C, L)`` tensor, so neither
    convolutions nor normalisation statistics ever mix chromosomes with padding.
    """
    if layout.equal:
        dense = h.reshape(len(layout.counts), layout.counts[0], -1).transpose(1, 2)
        out = module(dense).transpose(1, 2)
        return out.reshape(-1, out.shape[-1])
    parts = list(torch.split(h, layout.counts))
    out: list = [None] * len(parts)
    for length in dict.fromkeys(layout.counts):  # chromosomes of one length run together
        which = [i for i, n in enumerate(layout.counts) if n == length]
        dense = torch.stack([parts[i] for i in which]).transpose(1, 2)
        for i, o in zip(which, module(dense).transpose(1, 2)):
            out[i] = o
    return torch.cat(out)


def encode(trunk: nn.Module, x: torch.Tensor, layout: Layout) -> torch.Tensor:
    """Run a (pooling) trunk over node inputs: ``x: (N, F)``, or ``(N, pool, F)`` when
    each node holds ``pool`` finer input bins → ``(N, C)``."""
    if x.dim() == 3:
        return along_chromosomes(trunk, x.reshape(-1, x.shape[-1]), layout.scaled(x.shape[1]))
    return along_chromosomes(trunk, x, layout)


def widen(x: torch.Tensor, before, after, layout: Layout) -> tuple[torch.Tensor, Layout]:
    """Each chromosome's (or window's) inputs with ``m`` nodes of context each side.

    ``x: (N, ...)`` node inputs; ``before``, ``after``: ``(B * m, ...)`` the ``m`` nodes
    before and after each of the ``B`` graphs (zeros beyond a chromosome end). Returns the
    inputs ``(N + 2 B m, ...)`` and their layout.
    """
    graphs = len(layout.counts)
    m = before.shape[0] // graphs
    pieces = []
    for own, b, a in zip(torch.split(x, layout.counts), before.split(m), after.split(m)):
        pieces += [b, own, a]
    wide = Layout(None, 0)
    wide.counts, wide.equal = [n + 2 * m for n in layout.counts], layout.equal
    return torch.cat(pieces), wide


def crop(h: torch.Tensor, wide: Layout, m: int) -> torch.Tensor:
    """Drop the ``m`` context nodes each side of every graph: the inverse of :func:`widen`
    for per-node outputs ``h: (N + 2 B m, C)`` → ``(N, C)``."""
    return torch.cat([part[m : len(part) - m] for part in torch.split(h, wide.counts)])


def positive(h: torch.Tensor) -> torch.Tensor:
    """Non-negative output (CAGE is a count); softplus keeps gradients alive at zero."""
    return F.softplus(h)
