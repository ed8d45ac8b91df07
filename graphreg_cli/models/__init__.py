"""Models by name: ``cnn`` (Epi-CNN), ``gat`` (Epi-GraphReg), ``gcn``, ``linear``.

Every model is a :class:`GraphregModel`: it declares the batch fields it reads (``inputs``)
and the heads it predicts (``outputs``), and maps a PyG batch of chromosome graphs (or
windows) to a dict of named outputs: ``model(batch)["cage"]: (N,)``, one value per graph
bin. The batch carries ``x: (N, F)`` — or ``(N, pool, F)`` with ``pool`` finer input bins
per node, pooled by the trunk — ``edge_index: (2, E)``, ``edge_weight: (E,)`` and
``batch: (N,)`` (None for one chromosome).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

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

    def check(self) -> None:
        """SettingError for hyper-parameters no model can be built with."""
        from graphreg_cli.errors import check_range

        for name in ("in_features", "channels", "cnn_layers", "heads", "kernel_size", "window"):
            check_range(name, getattr(self, name), low=1)
        for name in ("graph_layers", "decoder_layers"):
            check_range(name, getattr(self, name), low=0)
        check_range("pool", self.pool, low=1)
        check_range("dropout", self.dropout, low=0, high=1, high_open=True)

    @classmethod
    def from_json(cls, data: dict) -> ModelConfig:
        """A config as stored in a run's ``config.json``; keys of later versions it does not
        know are refused by the caller, keys it lacks take their defaults (older runs)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class GraphregModel(nn.Module):
    """What every model declares: the batch fields it reads and the heads it predicts.

    ``inputs``: batch attributes (``x``: the tracks); ``outputs``: head name → resolution
    (``node``: one value per graph bin). ``forward(batch) -> {head: tensor}``.
    """

    inputs: tuple[str, ...] = ("x", "edge_index", "edge_weight")
    outputs: dict[str, str] = {"cage": "node"}
    attends = False  # graph layers can report attention weights


REGISTRY: dict[str, type[GraphregModel]] = {}


def register(name: str):
    """Class decorator: make a model buildable as ``ModelConfig(name=name)``."""

    def add(cls: type[GraphregModel]) -> type[GraphregModel]:
        REGISTRY[name] = cls
        return cls

    return add


def build_model(config: ModelConfig) -> GraphregModel:
    """Instantiate the model registered under ``config.name``."""
    if config.name not in REGISTRY:
        from graphreg_cli.errors import SettingError

        raise SettingError(f"{{model}}: choose from {', '.join(REGISTRY)}", model=config.name)
    config.check()
    return REGISTRY[config.name](config)


# each model module registers itself; gat first: the default and the study's model
from graphreg_cli.models import gat, cnn, gcn, linear  # noqa: E402, F401, I001

MODEL_NAMES = tuple(REGISTRY)
