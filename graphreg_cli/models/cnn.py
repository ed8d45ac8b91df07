"""Epi-CNN: the study's 1D CNN over the tracks, no graph (baseline)."""

from __future__ import annotations

from torch import nn

from graphreg_cli.models import register
from graphreg_cli.models.blocks import Layout, along_chromosomes, positive
from graphreg_cli.models.gat import TrunkModel


@register("cnn")
class EpiCNN(TrunkModel):
    """Conv1d(F→C) + ``cnn_layers`` x [InstanceNorm, Conv1d(C→C, k=3), ReLU] + Conv1d(C→1).

    Reads ``batch.x: (N, F)`` or ``(N, pool, F)`` and returns ``{"cage": (N,)}``; the graph
    is ignored; fine inputs are max-pooled into nodes inside the stack.
    """

    inputs = ("x",)

    def __init__(self, config):
        super().__init__()
        c = config
        self.setup_trunk(c)
        self.head = nn.Conv1d(c.channels, 1, c.kernel_size, padding=(c.kernel_size - 1) // 2)

    def propagate(self, h, batch, attention: list | None = None) -> dict:
        layout = Layout(batch.batch, h.shape[0])
        return {"cage": positive(along_chromosomes(self.head, h, layout)).squeeze(-1)}

    def load_state_dict(self, state, strict: bool = True, assign: bool = False):
        """Runs saved before 0.2 kept trunk and head in one ``body`` Sequential."""
        if any(k.startswith("body.") for k in state):
            last = max(int(k.split(".")[1]) for k in state if k.startswith("body."))
            state = {
                k.replace(f"body.{last}.", "head.", 1).replace("body.", "trunk.", 1): v
                for k, v in state.items()
            }
        return super().load_state_dict(state, strict, assign)
