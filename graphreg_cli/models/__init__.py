"""Models by name: ``cnn`` (Epi-CNN), ``gat`` (Epi-GraphReg), ``gcn``, ``linear``, and the
sequence models ``seq-cnn`` and ``seq-gat`` (Seq-GraphReg), which read DNA (``batch.seq``)
and predict the epigenome tracks as well (:mod:`graphreg_cli.models.seq`).

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
    in_features: int = 1  # input channels; sequence models: epigenome tracks predicted
    channels: int = 32
    cnn_layers: int = 5
    graph_layers: int = 3
    decoder_layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    kernel_size: int = 3
    window: int = 11  # linear model: bins of the local window
    pool: int = 1  # input bins per graph node (bin_size / input_bin_size)
    norm: str = "batch"  # normalisation: instance (the study), batch, layer or none
    edge_scores: bool = True  # gat: the contact score as an edge feature of attention
    attention: str = "softmax"  # gat: softmax (weights sum to 1, GAT) or sigmoid (gated sum)
    fine: int = 0  # sequence models: bp per input bin (input_bin_size)
    sign_inputs: str = "auto"  # additive: what the sign reads (models/additive.py SIGN_INPUTS)
    activity: str = "auto"  # additive: what the activity reads (models/additive.py ACTIVITIES)
    sign_form: str = "auto"  # additive: tanh, or three classes (models/additive.py SIGN_FORMS)

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
        """A config as stored in a run's ``config.json``. Runs saved before these settings
        existed used InstanceNorm and no edge features (additive ones: the first sign inputs,
        the first track's activity and a tanh sign), and say so once read."""
        known = {f.name for f in fields(cls)}
        legacy = {"norm": "instance", "edge_scores": False, "attention": "softmax"}
        legacy |= {"sign_inputs": "trunk", "activity": "first", "sign_form": "tanh"}
        return cls(**{**legacy, **{k: v for k, v in data.items() if k in known}})

    @property
    def local(self) -> bool:
        """Whether a prediction depends only on inputs near the bin and its contacts."""
        from graphreg_cli.models.blocks import LOCAL_NORMS

        return self.norm in LOCAL_NORMS

    @property
    def margin(self) -> int:
        """Nodes of context each side of a window that a local trunk reads (0 otherwise);
        models without a CNN trunk over tracks (``linear``, sequence models) need none."""
        if not self.local or self.name == "linear" or self.name.startswith("seq"):
            return 0
        from graphreg_cli.models.blocks import conv_stack, margin_nodes

        stack = conv_stack(1, 1, self.cnn_layers, self.kernel_size, 0.0, self.pool, "none")
        return margin_nodes(stack, self.pool)


class GraphregModel(nn.Module):
    """What every model declares: the batch fields it reads and the heads it predicts.

    ``inputs``: batch attributes (``x``: the tracks); ``outputs``: head name → resolution
    (``node``: one value per graph bin). ``forward(batch) -> {head: tensor}``.
    """

    inputs: tuple[str, ...] = ("x", "edge_index", "edge_weight")
    outputs: dict[str, str] = {"cage": "node"}
    attends = False  # graph layers can report attention weights
    explain_width = 5  # bins per element that `graphreg explain` scores unless told

    @classmethod
    def fit_to_data(cls, config: ModelConfig, tracks: int) -> ModelConfig:
        """``config`` completed for data with ``tracks`` input tracks (training calls it
        before building the model); as it is unless a model overrides this."""
        return config


REGISTRY: dict[str, type[GraphregModel]] = {}


def register(name: str):
    """Class decorator: make a model buildable as ``ModelConfig(name=name)``."""

    def add(cls: type[GraphregModel]) -> type[GraphregModel]:
        REGISTRY[name] = cls
        return cls

    return add


def fit_to_data(config: ModelConfig, tracks: int) -> ModelConfig:
    """``config`` completed by its model for data with ``tracks`` input tracks."""
    model = REGISTRY.get(config.name)
    return model.fit_to_data(config, tracks) if model is not None else config


def build_model(config: ModelConfig) -> GraphregModel:
    """Instantiate the model registered under ``config.name``."""
    if config.name not in REGISTRY:
        from graphreg_cli.errors import SettingError

        raise SettingError(f"{{model}}: choose from {', '.join(REGISTRY)}", model=config.name)
    config.check()
    return REGISTRY[config.name](config)


# each model module registers itself; gat first: the default and the study's model
from graphreg_cli.models import gat, cnn, gcn, linear, additive  # noqa: E402, F401, I001
from graphreg_cli.models import seq_cnn, seq_gat  # noqa: E402, F401, I001

MODEL_NAMES = tuple(REGISTRY)
EPI_MODELS = tuple(n for n, cls in REGISTRY.items() if "seq" not in cls.inputs)
SEQUENCE_MODELS = tuple(n for n in REGISTRY if n not in EPI_MODELS)
