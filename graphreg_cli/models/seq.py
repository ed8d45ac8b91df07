"""The Seq-GraphReg trunk: DNA → epigenome at the input resolution → one embedding per node.

As GraphReg's Seq models, scaled for CPUs (its widths in brackets):

- tower: Conv1d(4→C/2, k=15) [256, k=21], then Conv1d(→C, k=5) [k=3], each max-pooled so
  that 1 bp becomes ``fine`` bp (100 bp as 10×10) [2×2×5×5], each with BatchNorm and ReLU
  (the convolutions at 1 bp and 10 bp are nearly all of the cost, hence few and narrow);
- context: ``cnn_layers`` residual dilated convolutions at ``fine`` (dilation 2, 4, 8, ...)
  [6, 2..64];
- the epigenome head: Conv1d(C→tracks, k=1), softplus (non-negative, for a Poisson loss);
- the bottleneck: max-pooled ``fine`` → node (100 bp → 5 kb as 2×5×5, a conv block after each
  step but the last), one embedding of C channels per graph bin.

Every normalisation is BatchNorm (running statistics at eval), never over a window, so a
prediction depends only on the sequence within its receptive field (:attr:`reach`): what makes
variant effects and in-silico mutagenesis meaningful, and lets
:mod:`graphreg_cli.tasks.variants` recompute only the nodes around a variant.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from graphreg_cli.data.dna import one_hot
from graphreg_cli.models import GraphregModel
from graphreg_cli.models.blocks import Layout, along_chromosomes, pool_factors, positive

STEM_KERNEL = 15
TOWER_KERNEL = 5


def conv_block(channels: int, kernel: int, dilation: int = 1, dropout: float = 0.0) -> list:
    """[Conv1d(C→C), BatchNorm, ReLU(, Dropout)] with 'same' padding."""
    layers = [
        nn.Conv1d(
            channels, channels, kernel, padding=dilation * (kernel - 1) // 2, dilation=dilation
        ),
        nn.BatchNorm1d(channels),
        nn.ReLU(),
    ]
    return layers + ([nn.Dropout(dropout)] if dropout else [])


class Residual(nn.Module):
    def __init__(self, *layers: nn.Module):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.body(h)


def tower_steps(fine: int) -> list[int]:
    """Two max-pool steps from 1 bp to ``fine`` bp, as even as the divisors allow
    (100 → 10, 10); ``[fine]`` when prime."""
    first = min((d for d in range(1, fine + 1) if fine % d == 0), key=lambda d: abs(d * d - fine))
    return sorted(s for s in (first, fine // first) if s > 1) or [1]


def tower(channels: int, fine: int) -> nn.Sequential:
    """``(B, 4, L)`` one-hot → ``(B, C, L / fine)``: the stem and the pooling tower, the only
    layers at base resolution (all but a few bp of their reach inside each output bin)."""
    steps = tower_steps(fine)
    stem = max(channels // 2, 1)
    stack = nn.Sequential(nn.Conv1d(4, stem, STEM_KERNEL, padding=STEM_KERNEL // 2))
    width = stem
    for i, step in enumerate(steps):
        if i:
            stack.append(nn.Conv1d(width, channels, TOWER_KERNEL, padding=TOWER_KERNEL // 2))
            width = channels
        stack.extend([nn.MaxPool1d(step), nn.BatchNorm1d(width), nn.ReLU()])
    if width != channels:  # fine = 1: no tower step after the stem
        stack.append(nn.Conv1d(width, channels, 1))
    return stack


def context(channels: int, dilated: int, dropout: float) -> nn.Sequential:
    """``dilated`` residual dilated conv blocks at the input resolution (dilation 2, 4, ...)."""
    return nn.Sequential(
        *(Residual(*conv_block(channels, 3, 2 ** (i + 1), dropout)) for i in range(dilated))
    )


def bottleneck(channels: int, pool: int) -> nn.Sequential:
    """``(B, C, n * pool)`` → ``(B, C, n)``: max-pool steps, a conv block after all but the last."""
    stack = nn.Sequential()
    steps = pool_factors(pool, 3) if pool > 1 else []
    for i, step in enumerate(steps):
        stack.append(nn.MaxPool1d(step))
        if i < len(steps) - 1:
            stack.extend(conv_block(channels, 3))
    return stack


def decoder(channels: int, layers: int, kernel: int, dropout: float) -> nn.Sequential:
    """Node embeddings → CAGE: ``layers`` conv blocks along the chromosome, then Conv1d(C→1)."""
    stack = nn.Sequential()
    for _ in range(layers):
        stack.extend(conv_block(channels, kernel, 1, dropout))
    stack.append(nn.Conv1d(channels, 1, 1))
    return stack


def half_width(module: nn.Module, scale: int = 1) -> tuple[int, int]:
    """``(bases, scale)``: how far (bp, either side) beyond its own span an output of
    ``module`` can see (an upper bound), and the bases per output position; for stacks of
    Conv1d, MaxPool1d and :class:`Residual`. ``scale``: bases per input position."""
    reach = 0
    for layer in module.children() if isinstance(module, nn.Sequential) else [module]:
        if isinstance(layer, nn.Conv1d):
            reach += layer.dilation[0] * (layer.kernel_size[0] - 1) // 2 * scale
        elif isinstance(layer, nn.MaxPool1d):  # windows of stride = size add no reach
            reach += (layer.kernel_size - layer.stride) * scale
            scale *= layer.stride
        elif isinstance(layer, Residual):
            inner, scale = half_width(layer.body, scale)
            reach += inner
    return reach, scale


class SequenceModel(GraphregModel):
    """DNA → ``{"cage": (N,), "epigenome": (N, pool, tracks)}``.

    Reads ``batch.seq: (N, bin_size) uint8`` (codes of :mod:`graphreg_cli.data.dna`) and, for
    graph models, ``edge_index``. ``config.in_features`` is the number of epigenome tracks
    predicted, ``config.fine`` their resolution (bp) and ``config.pool`` input bins per node.
    Subclasses define :meth:`cage` (node embeddings → CAGE).
    """

    inputs: tuple[str, ...] = ("seq",)
    outputs = {"cage": "node", "epigenome": "input"}

    def __init__(self, config):
        super().__init__()
        c = config
        self.fine, self.pool, self.tracks = max(c.fine, 1), max(c.pool, 1), c.in_features
        self.tower = tower(c.channels, self.fine)
        self.context = context(c.channels, c.cnn_layers, c.dropout)
        self.epigenome_head = nn.Conv1d(c.channels, c.in_features, 1)
        self.bottleneck = bottleneck(c.channels, self.pool)
        self.decoder = decoder(c.channels, c.decoder_layers, c.kernel_size, c.dropout)

    @property
    def reach(self) -> int:
        """Graph bins on each side whose sequence a node embedding (and the epigenome inside
        it) can depend on: a base changes nothing farther than this many bins from its own."""
        tower_reach, _ = half_width(self.tower)
        context_reach, _ = half_width(self.context, self.fine)
        node_reach, _ = half_width(self.bottleneck, self.fine)
        bases = tower_reach + context_reach + node_reach
        return math.ceil(bases / (self.fine * self.pool))

    @property
    def tower_reach(self) -> int:
        """Input bins on each side whose DNA a tower output can depend on."""
        return math.ceil(half_width(self.tower)[0] / self.fine)

    def towers(self, batch) -> torch.Tensor:
        """The tower's output ``(N * pool, C)``, one row per input bin, from ``batch.seq``."""
        seq = batch.seq
        n, bases = seq.shape
        layout = Layout(getattr(batch, "batch", None), n)
        hot = one_hot(seq.reshape(-1))  # (N * bases, 4), made per batch
        return along_chromosomes(self.tower, hot, layout.scaled(bases))

    def from_towers(self, fine: torch.Tensor, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """``(nodes (N, C), epigenome (N, pool, tracks))`` from tower outputs ``(N * pool, C)``
        of the nodes of ``batch`` (``batch.batch`` tells the chromosomes apart)."""
        n = batch.num_nodes
        per_node = fine.shape[0] // n
        layout = Layout(getattr(batch, "batch", None), n).scaled(per_node)
        fine = along_chromosomes(self.context, fine, layout)
        epigenome = positive(along_chromosomes(self.epigenome_head, fine, layout))
        nodes = along_chromosomes(self.bottleneck, fine, layout)
        return nodes, epigenome.reshape(n, per_node, -1)

    def encode(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """``(nodes (N, C), epigenome (N, pool, tracks))`` from ``batch.seq``."""
        return self.from_towers(self.towers(batch), batch)

    def cage(self, nodes: torch.Tensor, batch) -> torch.Tensor:
        """``(N,)`` CAGE from node embeddings ``(N, C)``."""
        raise NotImplementedError

    def decode(self, h: torch.Tensor, batch) -> torch.Tensor:
        layout = Layout(getattr(batch, "batch", None), h.shape[0])
        return positive(along_chromosomes(self.decoder, h, layout)).squeeze(-1)

    def forward(self, batch) -> dict:
        nodes, epigenome = self.encode(batch)
        return {"cage": self.cage(nodes, batch), "epigenome": epigenome}


def reads_sequence(model_or_class) -> bool:
    """Whether a model (or model class) reads DNA (``seq``) rather than tracks."""
    return "seq" in model_or_class.inputs
