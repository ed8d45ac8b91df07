"""Local models: a prediction depends only on inputs near the bin and its contacts, and the
trunk-once inference equals the windowed path."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data

from graphreg_cli.data.tiles import Tiling, tile
from graphreg_cli.models import ModelConfig, build_model
from graphreg_cli.tasks.inference import predict_two_stage, predict_windows, trunk_features

N, POOL = 300, 5


def _graph(seed=0, n=N) -> Data:
    g = torch.Generator().manual_seed(seed)
    pairs = torch.tensor([[20, 150], [150, 20], [150, 260], [260, 150], [40, 45], [45, 40]]).T
    return Data(
        x=torch.rand(n, POOL, 2, generator=g),
        edge_index=pairs,
        edge_weight=torch.rand(pairs.shape[1], generator=g),
        num_nodes=n,
        chrom="chrT",
    )


def _model(name="gat", norm="batch", **kw):
    torch.manual_seed(0)
    config = ModelConfig(name=name, in_features=2, channels=8, heads=2, pool=POOL, norm=norm, **kw)
    model = build_model(config)
    if norm == "batch":  # running statistics away from their initial values
        model.train()
        with torch.no_grad():
            for seed in range(3):
                model(_graph(seed + 10))
    return model.eval()


@pytest.mark.parametrize("norm", ["batch", "layer", "none"])
@pytest.mark.parametrize("name", ["gat", "gcn", "cnn", "additive"])
def test_far_inputs_do_not_change_a_local_prediction(name, norm):
    """Bin 20 sees bins within the trunk's reach of itself and of its graph neighbours up to
    the graph depth (20-150-260), and the decoder's reach around those: inputs beyond
    all of them change its prediction by 0."""
    model = _model(name, norm)
    reach = model.margin + 4  # trunk margin + decoder convolutions
    g = _graph()
    seen = set()
    for centre in (20, 150, 260) if name != "cnn" else (20,):
        seen |= set(range(centre - reach, centre + reach + 1))
    far = [i for i in range(N) if i not in seen]
    changed = g.clone()
    changed.x = g.x.clone()
    changed.x[far] += 3.0
    before, after = model(g)["cage"], model(changed)["cage"]
    assert (before[20] - after[20]).abs() < 1e-6
    assert not torch.allclose(before, after)  # the change did reach other bins


def test_instance_norm_is_not_local():
    model = _model("gat", "instance")
    g = _graph()
    changed = g.clone()
    changed.x = g.x.clone()
    changed.x[200:] += 3.0
    assert (model(g)["cage"][20] - model(changed)["cage"][20]).abs() > 1e-4


@pytest.mark.parametrize("name", ["gat", "cnn", "additive"])
def test_trunk_once_equals_the_windowed_path(name):
    """Windows of 90 nodes every 30, the trunk over chunks of 70: the same CAGE to 1e-5."""
    model = _model(name)
    graphs = [_graph(1), _graph(2, n=250)]
    tiling = Tiling(90, 30)
    windowed = predict_windows(model, graphs, "cpu", tiling, batch_size=3)
    once = predict_two_stage(model, graphs, "cpu", tiling, batch_size=3)
    for a, b in zip(windowed, once):
        torch.testing.assert_close(torch.from_numpy(a), torch.from_numpy(b), atol=1e-5, rtol=1e-5)


def test_a_window_with_margins_sees_what_the_chromosome_sees():
    """The trunk over a window and its margins gives the features the whole chromosome gives
    there: training on windows and predicting per chromosome agree."""
    model = _model("gat", "layer")
    g = _graph(3)
    whole = trunk_features(model, g, "cpu", chunk=N)
    for window in tile(g, Tiling(90, 30), model.margin):
        inside = model.encode(window)
        torch.testing.assert_close(
            inside, whole[window.start : window.start + 90], atol=1e-5, rtol=0
        )


def test_chunked_trunk_equals_one_pass():
    model = _model("gat", "none")
    g = _graph(4)
    torch.testing.assert_close(
        trunk_features(model, g, "cpu", chunk=37), trunk_features(model, g, "cpu", chunk=N)
    )


def test_local_deletion_equals_recomputing_the_whole_window():
    """Deleting an element recomputes the trunk only near it: the same change in every gene's
    prediction as running the whole model on the edited window."""
    from graphreg_cli.tasks.attribution import deletion, span

    model = _model("gat", "batch")
    (window, *_) = tile(_graph(5), Tiling(120, 40), model.margin)
    genes, elements = torch.tensor([20, 20, 100]).numpy(), torch.tensor([30, 100, 45]).numpy()
    fast = deletion(model, window, genes, elements, n_tracks=2, width=5)
    base = model(window)["cage"]
    for g, e, got in zip(genes, elements, fast):
        edited = window.clone()
        edited.x = window.x.clone()
        edited.x[span(int(e), 5, 120)] = 0.0
        expected = (base[g] - model(edited)["cage"][g]).item()
        assert got == pytest.approx(expected, abs=1e-5)


def test_integrated_gradients_of_a_linear_model_are_gradient_times_input():
    """For a linear model the path integral is exact: IG equals gradient x input."""
    from graphreg_cli.tasks.attribution import integrated_gradients, saliency

    model = _model("linear", "none")
    g = _graph(6)
    genes, elements = torch.tensor([20, 150, 150]).numpy(), torch.tensor([150, 20, 260]).numpy()
    ig = integrated_gradients(model, g, genes, elements, n_tracks=2, width=3, steps=4)
    sal = saliency(model, g, genes, elements, n_tracks=2, width=3)
    assert ig == pytest.approx(sal, rel=1e-4, abs=1e-6)
    assert abs(sal).max() > 1e-3


def test_threads_follow_the_cpus_allotted(monkeypatch):
    import os

    from graphreg_cli.errors import SettingError
    from graphreg_cli.tasks.inference import allotted_cpus, set_threads

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("SLURM_CPUS_PER_TASK", raising=False)
    assert allotted_cpus() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "3")
    assert allotted_cpus() == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert allotted_cpus() == 1
    before = torch.get_num_threads()
    try:
        assert set_threads(None) == 1 and torch.get_num_threads() == 1
        with pytest.raises(SettingError, match="threads=0 must be at least 1"):
            set_threads(0)
    finally:
        torch.set_num_threads(before)


def test_trunk_once_is_refused_for_instance_norm_runs():
    from graphreg_cli.errors import SettingError
    from graphreg_cli.tasks.inference import predict_graphs

    model = _model("gat", "instance")
    with pytest.raises(SettingError) as info:
        predict_graphs(model, [_graph()], "cpu", inference="once")
    assert info.value.cli_message().startswith("--inference once: this model's outputs depend")
    assert "train with a local --norm" in info.value.cli_message()
    local = _model("gat", "layer")
    once, windows = (
        predict_graphs(local, [_graph()], "cpu", Tiling(90, 30), inference=path)[0]
        for path in ("once", "windows")
    )
    torch.testing.assert_close(torch.from_numpy(once), torch.from_numpy(windows), atol=1e-5, rtol=0)
