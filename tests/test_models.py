"""Each track-based model: forward shapes, gradients to every parameter, and chromosome isolation
(sequence models: tests/test_sequence_models.py)."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.errors import GraphregError
from graphreg_cli.models import EPI_MODELS, ModelConfig, build_model


def _batch(n_graphs=3, n=40, features=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    graphs = []
    for _ in range(n_graphs):
        edges = torch.tensor([[0, 10, 5, 30], [10, 0, 30, 5]])
        graphs.append(
            Data(
                x=torch.rand(n, features, generator=g),
                edge_index=edges,
                edge_weight=torch.ones(4),
                y=torch.rand(n, generator=g),
                num_nodes=n,
            )
        )
    return Batch.from_data_list(graphs)


@pytest.mark.parametrize("name", EPI_MODELS)
def test_forward_backward(name):
    torch.manual_seed(0)
    model = build_model(ModelConfig(name=name, in_features=2, channels=16, heads=2))
    batch = _batch()
    out = model(batch)["cage"]
    assert out.shape == (120,)
    torch.nn.functional.mse_loss(out, batch.y).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname
    if name != "linear":
        assert (out >= 0).all()  # CAGE is non-negative


@pytest.mark.parametrize("name", EPI_MODELS)
def test_chromosomes_do_not_leak_into_each_other(name):
    """Changing one chromosome's input changes no other chromosome's output."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(name=name, in_features=2, channels=16, heads=2)).eval()
    batch = _batch()
    before = model(batch)["cage"]
    changed = batch.clone()
    changed.x[batch.batch == 1] += 5.0
    after = model(changed)["cage"]
    same = batch.batch != 1
    torch.testing.assert_close(before[same], after[same])
    assert not torch.allclose(before[~same], after[~same])


@pytest.mark.parametrize("name", EPI_MODELS)
def test_graph_models_use_contacts_and_cnn_does_not(name):
    """Removing the contact 5-30 changes bin 30's output for graph models only.

    (InstanceNorm uses whole-chromosome statistics, so the test toggles the edge rather
    than the distal input. LayerNorm: an untrained BatchNorm at inference is close to the
    identity, so the effect of one edge fades through the layers of a random model.)
    """
    torch.manual_seed(0)
    config = ModelConfig(name=name, in_features=2, channels=16, heads=2, norm="layer")
    model = build_model(config).eval()
    batch = _batch(n_graphs=1)
    with_edge = model(batch)["cage"]
    keep = torch.tensor([True, True, False, False])  # drop 5<->30, keep 0<->10
    cut = batch.clone()
    cut.edge_index, cut.edge_weight = batch.edge_index[:, keep], batch.edge_weight[keep]
    without = model(cut)["cage"]
    if name == "cnn":
        torch.testing.assert_close(with_edge, without)
    else:
        assert not torch.isclose(with_edge[30], without[30])
        far = [i for i in range(40) if abs(i - 30) > 12 and abs(i - 5) > 12 and i not in (0, 10)]
        if name == "linear":  # no normalisation: the change stays at the contact's ends
            torch.testing.assert_close(with_edge[far], without[far])


def test_unknown_model_name():
    with pytest.raises(
        GraphregError,
        match="model=.rnn.: choose from gat, cnn, gcn, linear, additive, seq-cnn, seq-gat",
    ):
        build_model(ModelConfig(name="rnn"))


@pytest.mark.parametrize("name", EPI_MODELS)
def test_unequal_chromosome_lengths_match_one_at_a_time(name):
    """A batch of chromosomes of different lengths (padded) gives each chromosome the output
    it gets alone."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(name=name, in_features=2, channels=16, heads=2)).eval()
    graphs = [_batch(n_graphs=1, n=n, seed=n).to_data_list()[0] for n in (40, 33, 57)]
    batch = Batch.from_data_list(graphs)
    together = model(batch)["cage"]
    alone = torch.cat([model(g)["cage"] for g in graphs])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-5)
