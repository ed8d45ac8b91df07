"""Device handling checked without a GPU: nothing is made off the model's device, and the
bf16 path trains."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.errors import SettingError
from graphreg_cli.models import MODEL_NAMES, SEQUENCE_MODELS, ModelConfig, build_model
from graphreg_cli.tasks import attribution
from graphreg_cli.tasks.inference import check_precision
from graphreg_cli.tasks.train import TrainOptions, train

TRACK_MODELS = [name for name in MODEL_NAMES if name not in SEQUENCE_MODELS]
SEQ_BIN, SEQ_FINE = 1000, 100  # sequence models: small graph bins of 10 input bins


def _graph(n: int, pool: int, seed: int, sequence: bool = False) -> Data:
    g = torch.Generator().manual_seed(seed)
    shape = (n, 2) if pool == 1 else (n, pool, 2)
    edges = torch.randint(0, n, (2, 3 * n), generator=g)
    graph = Data(x=torch.rand(shape, generator=g), edge_index=edges, edge_weight=torch.rand(3 * n))
    if sequence:
        graph.seq = torch.randint(0, 4, (n, SEQ_BIN), generator=g, dtype=torch.uint8)
    return graph


def _config(name: str, pool: int) -> ModelConfig:
    if name in SEQUENCE_MODELS:
        return ModelConfig(name, 2, channels=8, heads=2, fine=SEQ_FINE, pool=SEQ_BIN // SEQ_FINE)
    return ModelConfig(name, 2, channels=8, cnn_layers=2, graph_layers=1, heads=2, pool=pool)


@pytest.mark.parametrize(
    "name, pool",
    [(name, pool) for name in TRACK_MODELS for pool in (1, 4)]
    + [(name, SEQ_BIN // SEQ_FINE) for name in SEQUENCE_MODELS],
)
def test_models_make_no_tensor_off_their_device(name, pool):
    """Under ``torch.device("meta")`` every tensor created without an explicit device lands
    on ``meta`` and clashes with the CPU model and data, as a CPU tensor would with a GPU."""
    model = build_model(_config(name, pool))
    sequence = name in SEQUENCE_MODELS
    for graphs in (
        [_graph(40, pool, 0, sequence)],
        [_graph(40, pool, 1, sequence), _graph(30, pool, 2, sequence)],
    ):
        batch = Batch.from_data_list(graphs)
        model.zero_grad()
        with torch.device("meta"):
            out = model(batch)  # sequence models: an epigenome head too
            cage = out["cage"]
            sum(head.sum() for head in out.values()).backward()
        assert cage.device.type == "cpu" and torch.isfinite(cage).all()
        assert cage.shape == (sum(g.num_nodes for g in graphs),)
        grads = [p.grad for p in model.parameters()]
        assert all(g is not None and g.device.type == "cpu" for g in grads)


def test_attributions_make_no_tensor_off_the_models_device():
    model = build_model(ModelConfig("gat", 2, channels=8, cnn_layers=2, graph_layers=1, heads=2))
    g = _graph(40, 1, 3)
    genes, elements = np.array([3, 3, 10]), np.array([5, 7, 12])
    with torch.device("meta"):
        saliency = attribution.saliency(model.eval(), g, genes, elements, 2, 3)
        attention = attribution.attention(model, g, genes, elements)
    assert np.isfinite(saliency).all() and np.isfinite(attention).all()


def test_bf16_trains_on_cpu(tiny_dataset, tmp_path):
    config = ModelConfig(channels=8, cnn_layers=2, graph_layers=1, heads=2)
    options = TrainOptions(epochs=2, device="cpu", precision="bf16")
    run = train(Inputs.from_folder(tiny_dataset), tmp_path / "run", config, options)
    assert run.config["training"]["precision"] == "bf16"
    assert np.isfinite(run.result["best_val_loss"])
    state = torch.load(tmp_path / "run" / "model.pt", weights_only=True)
    assert all(t.dtype == torch.float32 for t in state.values() if t.is_floating_point())


def test_precision_choices(monkeypatch):
    with pytest.raises(SettingError, match="precision='fp16': choose fp32, bf16"):
        check_precision("fp16", "cpu")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    with pytest.raises(SettingError, match="this GPU has no bfloat16"):
        check_precision("bf16", "cuda")
    check_precision("bf16", "cpu")
