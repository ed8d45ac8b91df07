"""Additive regulation: each contact adds gate x sign x activity to its gene's CAGE.

``cage_b = softplus(base_b + Σ_o M[b - o, o])`` with ``M_i = Σ_{j ∈ N(i)} c_ij s_j A_j``:

- ``A_j: (K,)`` the element's *activity*, one value per CAGE offset ``o`` (``K = window``
  bins, 11 by default): its tracks over its own :data:`ELEMENT_BINS` bins, weighted by
  non-negative weights and no bias — the accessibility (the first track) alone with one
  track; with marks every input (``activity`` ``inputs``), since where an inactive peak
  sits beside an element the accessibility is partly the neighbour's and the element's
  own marks measure it better. Activity is 0 where the tracks read are 0 and grows with
  them;
- ``s_j ∈ (-1, 1)`` its *sign* (enhancer +, silencer -, 0 for no effect): ``tanh`` of a
  linear function of the tracks around j — with marks, three linear functions (enhancer,
  silencer, none; ``sign_form`` ``three``) and ``s = p_enhancer - p_silencer`` of their
  softmax, so that an element with no effect (an accessible, unmarked peak) has a stable
  place at 0 rather than a balance point of a tanh. None of it is the trunk's; it reads
  the *marks* (every
  input but the first, the accessibility, whose job is the activity) when there are any:
  each of the :data:`CENTRE_BINS` central bins' composition (its channels over their sum),
  the channels' shares of the :data:`SIGN_BINS`-bin window's total, and their logs with a
  small pseudocount (:data:`PSEUDO`); with ``marks+access`` (training's pick with marks)
  also the accessibility's share of each central bin, so an open bin with no mark (an
  inactive element) reads as such at any strength. Composition and logs read a weak
  element as they read a strong one — a faint H3K27me3 peak over clean background is as
  clear in log scale as a strong one — and a linear sign cannot learn "weak means
  silencer" from the accessibility, so what it learns from the elements that move CAGE
  carries over to those that barely do (measured in ``docs/explain.md``);
- ``c_ij ∈ (0, 1)`` a gate per contact, from the receiving bin's trunk features and the
  contact's score;
- ``base_b`` the bin's own term, the Epi-CNN over its neighbourhood (a promoter's own
  activity).

A gene's effect at offset ``o`` lands ``o`` bins away, so a gene's CAGE profile (and the
bins around it) takes the shape of its elements' activity. Deleting an element
(``graphreg explain``: its :data:`ELEMENT_BINS` bins of every track set to 0) removes
exactly its own term ``c s A`` — and nothing else unless the gene or another of its
elements lies within :data:`SIGN_BINS` bins of it — so the deletion's sign is the sign the
model gave the element: a deletion has no out-of-distribution "empty element" to
extrapolate to, unlike ``gat``'s. One hop, as the ABC model: a gene hears its contacts directly.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.utils import scatter

from graphreg_cli.errors import SettingError
from graphreg_cli.models import register
from graphreg_cli.models.blocks import (
    Layout,
    along_chromosomes,
    conv_blocks,
    positive,
)
from graphreg_cli.models.gat import TrunkModel

ELEMENT_BINS = 5  # bins an element's activity is read from (a deletion at --width 5 removes it all)
SIGN_BINS = 11  # bins of every track the sign network reads (fewer if the trunk reads fewer)
CENTRE_BINS = 5  # central bins whose own composition the sign reads
HIDDEN = 32  # units of the first version's sign network (sign_inputs "trunk")
EPS = 1e-2  # added to the sign window's total, so that an empty window reads as nothing
PSEUDO = 1e-3  # pseudocount of the sign's log tracks (tracks are scaled to mean 1)
LOG_SCALE = 7.0  # -log(PSEUDO): the log tracks span about -1..1
# what the sign reads: marks (every input but the first), marks+access (the marks, and the
# accessibility's share of each central bin: an open bin with no mark reads as unmarked at
# any strength), tracks (every input), trunk (the first version: shares and log1p of every
# input and the trunk's features, through HIDDEN units), auto (training picks marks+access
# when there are two tracks or more, else tracks)
SIGN_INPUTS = ("auto", "marks", "marks+access", "tracks", "trunk")
MARKS = ("marks", "marks+access")  # the sign values that leave the first track to the activity
# what the activity reads: first (the first track, the accessibility), inputs (every input,
# through non-negative weights: with marks it can read an element's activity where the
# accessibility is partly a neighbour's), auto (training picks inputs with two tracks or more)
ACTIVITIES = ("auto", "first", "inputs")
# the sign: tanh of one logit, or three (enhancer, silencer, none: s = p_enhancer - p_silencer,
# so an element with no effect has a stable place at 0); auto: three with two tracks or more
SIGN_FORMS = ("auto", "tanh", "three")
SIGN_START = 0.5  # the tanh sign's bias at the start: most elements are enhancers
THREE_START = (1.0, 0.0, 0.0)  # the three classes' biases at the start (enhancer first)
GATE_START = 2.0  # the gate's bias at the start: contacts open


class ElementFeatures(nn.Module):
    """``(B, F, L)`` node inputs (``(B, F, L * pool)`` fine ones) → ``(B, C + K + logits,
    L)``: the trunk's features ``C``, the activity profile ``K`` and the sign's logits, read from
    ``bins`` nodes around each node (no more than the trunk's margin, so a window's features
    equal the whole chromosome's). ``inputs``: what the sign reads (:data:`SIGN_INPUTS`;
    ``auto`` reads every input when the model is built directly); ``activity``: ``first``
    or ``inputs`` (:data:`ACTIVITIES`); ``logits``: the sign's, 1 (tanh) or 3 (three
    classes)."""

    def __init__(
        self,
        trunk: nn.Module,
        channels: int,
        in_features: int,
        pool: int,
        window: int,
        bins: int,
        inputs: str = "tracks",
        activity: str = "first",
        logits: int = 1,
    ):
        super().__init__()
        self.trunk, self.pool, self.bins, self.inputs = trunk, pool, bins, inputs
        self.centre = min(CENTRE_BINS, bins)
        self.first = int(inputs in MARKS and in_features > 1)  # the first input it reads
        self.access = inputs == "marks+access" and in_features > 1
        self.read = in_features if activity == "inputs" else 1  # inputs the activity reads
        self.activity = nn.Parameter(torch.full((window, self.read, ELEMENT_BINS), -5.0))
        if inputs == "trunk":
            width = 2 * in_features * bins + channels
            self.sign = nn.Sequential(
                nn.Linear(width, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, logits)
            )
        else:
            width = (in_features - self.first) * (self.centre + 2 * bins)
            width += self.centre if self.access else 0
            self.sign = nn.Sequential(nn.Linear(width, logits))
        start = [SIGN_START] if logits == 1 else THREE_START
        with torch.no_grad():
            self.sign[-1].bias.copy_(torch.tensor(start))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.trunk(x)
        if self.pool > 1:  # fine input bins: their mean per node
            x = F.avg_pool1d(x, self.pool)
        weights = F.softplus(self.activity)  # (K, 1, ELEMENT_BINS), > 0
        reads = x[:, :1] if self.read == 1 else x.clamp_min(0)
        activity = F.conv1d(reads, weights, padding=ELEMENT_BINS // 2)
        sign = self.sign(self.sign_features(x, h))  # (B, L, logits)
        return torch.cat([h, activity, sign.transpose(1, 2)], dim=1)

    def sign_features(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """``x: (B, F, L)`` inputs, ``h: (B, C, L)`` trunk features → ``(B, L, width)``: what
        the sign reads at each node."""
        r = self.bins // 2
        every = F.pad(x, (r, r)).unfold(2, self.bins, 1).permute(0, 2, 1, 3)  # (B, L, F, bins)
        windows = every[:, :, self.first :]  # the inputs the sign reads
        flat = windows.flatten(2)  # (B, L, F' * bins)
        share = flat / (flat.abs().sum(-1, keepdim=True) + EPS)
        if self.inputs == "trunk":
            return torch.cat([share, torch.log1p(flat.clamp_min(0)), h.transpose(1, 2)], -1)
        c = self.centre // 2
        centre = windows[..., r - c : r + c + 1].clamp_min(0)  # (B, L, F, centre)
        mix = centre / (centre.sum(2, keepdim=True) + EPS)  # each bin's tracks over their sum
        logs = torch.log(flat.clamp_min(0) + PSEUDO) / LOG_SCALE
        parts = [mix.flatten(2), share, logs]
        if self.access:  # the accessibility's share of each central bin's inputs
            opened = every[..., r - c : r + c + 1].clamp_min(0)  # (B, L, F, centre)
            parts.append(opened[:, :, 0] / (opened.sum(2) + EPS))
        return torch.cat(parts, -1)


@register("additive")
class AdditiveGraphReg(TrunkModel):
    """Genes add up their contacts' signed activities (module docstring). Reads
    ``batch.x``, ``edge_index`` and ``edge_weight``; ``forward(batch) -> {"cage": (N,)}``."""

    explain_width = 1  # its deletions sign elements best at their own bin (docs/explain.md)

    @classmethod
    def fit_to_data(cls, config, tracks: int):
        """``auto`` settings made for the data: with ``tracks >= 2`` input tracks (the first
        the accessibility, the others marks) the sign reads the marks and the accessibility's
        share (``marks+access``) and has ``three`` classes, and the activity reads every
        input; with one track the sign reads it (``tracks``, a ``tanh``) and the activity
        reads the ``first``."""
        marks = tracks > 1
        picks = {
            "sign_inputs": "marks+access" if marks else "tracks",
            "activity": "inputs" if marks else "first",
            "sign_form": "three" if marks else "tanh",
        }
        return replace(config, **{k: v for k, v in picks.items() if getattr(config, k) == "auto"})

    def __init__(self, config):
        super().__init__()
        c = config
        self.setup_trunk(c)
        if c.window % 2 == 0:
            raise SettingError(
                "{window}: the additive model spreads effects over an odd number of bins",
                window=c.window,
            )
        for name, choices in (
            ("sign_inputs", SIGN_INPUTS),
            ("activity", ACTIVITIES),
            ("sign_form", SIGN_FORMS),
        ):
            if getattr(c, name) not in choices:
                raise SettingError(
                    f"{{{name}}}: choose from {', '.join(choices)}", **{name: getattr(c, name)}
                )
        reach = SIGN_BINS // 2 if not c.local else min(SIGN_BINS // 2, c.margin)
        self.logits = 3 if c.sign_form == "three" else 1
        activity = "inputs" if c.activity == "inputs" else "first"
        self.trunk = ElementFeatures(
            self.trunk,
            c.channels,
            c.in_features,
            c.pool,
            c.window,
            2 * reach + 1,
            c.sign_inputs,
            activity,
            self.logits,
        )
        self.channels, self.k = c.channels, c.window
        self.gate = nn.Linear(c.channels + 1, 1)
        nn.init.constant_(self.gate.bias, GATE_START)
        decoder = conv_blocks(c.channels, c.decoder_layers, c.kernel_size, c.dropout, c.norm)
        decoder.append(nn.Conv1d(c.channels, 1, c.kernel_size, padding=(c.kernel_size - 1) // 2))
        self.decoder = decoder

    def split(self, h: torch.Tensor):
        """Encoded ``h: (N, C + K + logits)`` → trunk ``(N, C)``, activity ``(N, K)``, sign
        ``(N,)`` in (-1, 1): ``tanh`` of one logit, or of three (enhancer, silencer, none)
        ``p_enhancer - p_silencer``."""
        c, k = self.channels, self.k
        if self.logits == 1:
            return h[:, :c], h[:, c : c + k], torch.tanh(h[:, c + k])
        p = torch.softmax(h[:, c + k : c + k + 3], dim=-1)
        return h[:, :c], h[:, c : c + k], p[:, 0] - p[:, 1]

    def gates(self, trunk: torch.Tensor, batch) -> torch.Tensor:
        """``c_ij: (E,)`` in (0, 1) for each contact j → i of ``batch.edge_index``."""
        src, dst = batch.edge_index
        weight = batch.get("edge_weight")
        if weight is None:
            weight = trunk.new_ones(src.shape[0])
        score = torch.log(weight.clamp_min(1e-6)).unsqueeze(-1)
        return torch.sigmoid(self.gate(torch.cat([trunk[dst], score], -1))).squeeze(-1)

    def propagate(self, h, batch, attention: list | None = None) -> dict:
        layout = Layout(batch.batch, h.shape[0])
        trunk, activity, sign = self.split(h)
        src, dst = batch.edge_index
        terms = (self.gates(trunk, batch) * sign[src]).unsqueeze(-1) * activity[src]
        summed = scatter(terms, dst, dim=0, dim_size=h.shape[0], reduce="sum")  # (N, K)
        base = along_chromosomes(self.decoder, trunk, layout).squeeze(-1)
        return {"cage": positive(base + spread(summed, layout))}


def spread(summed: torch.Tensor, layout: Layout) -> torch.Tensor:
    """``out[b] = Σ_o summed[b - o, o + r]`` within each chromosome, ``o`` in ``-r..r``:
    what a gene receives for offset ``o`` lands ``o`` bins away. ``summed: (N, 2r + 1)`` →
    ``(N,)``."""
    r = (summed.shape[1] - 1) // 2
    offsets = torch.arange(-r, r + 1, device=summed.device)
    out = []
    for part in torch.split(summed, layout.counts):
        padded = F.pad(part, (0, 0, r, r))  # (n + 2r, K): zeros beyond the ends
        rows = torch.arange(part.shape[0], device=summed.device).unsqueeze(1) + r
        out.append(padded[rows - offsets, offsets + r].sum(-1))
    return torch.cat(out)
