"""Linear baseline: a linear model on each bin's window and its contacts' windows."""

from __future__ import annotations

from torch import nn
from torch_geometric.utils import scatter

from graphreg_cli.models import GraphregModel, register
from graphreg_cli.models.blocks import Layout, along_chromosomes


@register("linear")
class GraphLinear(GraphregModel):
    """``y_i = w · window(x)_i + u · Σ_{j ∈ N(i)} window(x)_j + b``, no non-linearity.

    ``window(x)_i`` is the tracks over the ``window`` bins centred on bin i (a linear
    Conv1d); ``N(i)`` the bins in contact with i. This is the study's planned linear
    regression with graph-aggregated neighbours. ``forward(batch) -> {"cage": (N,)}``.
    """

    def __init__(self, config):
        super().__init__()
        c = config
        pad = (c.window - 1) // 2
        width = c.in_features * c.pool  # fine inputs: each input bin of a node is a feature
        self.local = nn.Conv1d(width, 1, c.window, padding=pad)
        self.neighbour = nn.Conv1d(width, 1, c.window, padding=pad, bias=False)

    inputs = ("x", "edge_index")

    def forward(self, batch) -> dict:
        layout = Layout(batch.batch, batch.x.shape[0])
        x = batch.x.reshape(batch.x.shape[0], -1)  # (N, pool, F) → (N, pool * F)
        own = along_chromosomes(self.local, x, layout).squeeze(-1)
        theirs = along_chromosomes(self.neighbour, x, layout).squeeze(-1)
        src, dst = batch.edge_index
        gathered = scatter(theirs[src], dst, dim=0, dim_size=x.shape[0], reduce="sum")
        return {"cage": own + gathered}
