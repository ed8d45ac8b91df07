"""Models by name: ``cnn`` (Epi-CNN), ``gat`` (Epi-GraphReg), ``gcn``, ``linear``.

Every model maps a PyG batch of chromosome graphs to one value per bin:
``forward(x: (N, F), edge_index: (2, E), edge_weight: (E,), batch: (N,)) -> (N,)``;
with fine inputs ``x: (N, pool, F)`` (``pool`` input bins per node, pooled by the trunk).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import nn


@dataclass
class ModelConfig:
    """Hyper-parameters shared by the models (each uses what applies to it)."""

    name: str = "gat"
    in_features: int = 1
    channels: int = 32
    cnn_layers: int = 5
    graph_layers: int = 3
    decoder_layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    kernel_size: int = 3
    window: int = 11  # linear model: bins of the local window
    pool: int = 1  # input bins per graph node (bin_size / input_bin_size)

    def to_json(self) -> dict:
        return asdict(self)


def build_model(config: ModelConfig) -> nn.Module:
    """Instantiate the model registered under ``config.name``."""
    from graphreg_cli.models.cnn import EpiCNN
    from graphreg_cli.models.gat import EpiGraphReg
    from graphreg_cli.models.gcn import EpiGCN
    from graphreg_cli.models.linear import GraphLinear

    registry = {"cnn": EpiCNN, "gat": EpiGraphReg, "gcn": EpiGCN, "linear": GraphLinear}
    if config.name not in registry:
        raise ValueError(f"unknown model {config.name!r}; choose from {', '.join(registry)}")
    return registry[config.name](config)


MODEL_NAMES = ("gat", "cnn", "gcn", "linear")
