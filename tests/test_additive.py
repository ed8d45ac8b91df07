"""The additive model: a deletion removes exactly the element's own signed term."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from types import SimpleNamespace

import pytest
import torch
from torch_geometric.data import Data

from graphreg_cli.errors import SettingError
from graphreg_cli.models import ModelConfig, build_model, fit_to_data
from graphreg_cli.models.additive import (
    CENTRE_BINS,
    ELEMENT_BINS,
    SIGN_BINS,
    spread,
)
from graphreg_cli.models.blocks import Layout
from graphreg_cli.tasks.attribution import deletion, span
from graphreg_cli.tasks.explain import element_width

N = 200
GENES = [40, 40, 40, 120, 120]
ELEMENTS = [80, 100, 160, 60, 180]  # each at least 20 bins from every gene


def _graph(seed=0) -> Data:
    g = torch.Generator().manual_seed(seed)
    src = torch.tensor(ELEMENTS + GENES)
    dst = torch.tensor(GENES + ELEMENTS)
    x = torch.rand(N, 3, generator=g) * 0.1  # background, 2 tracks + the gene channel
    x[:, 2] = 0.0
    x[GENES, 2] = 1.0
    for i, e in enumerate(ELEMENTS):  # peaks, the first track or the second ahead in turn
        x[e - 2 : e + 3, :2] += torch.tensor([3.0, 1.0] if i % 2 else [1.0, 3.0])
    return Data(x=x, edge_index=torch.stack([src, dst]), edge_weight=torch.rand(10, generator=g))


def _model(seed=0):
    torch.manual_seed(seed)
    config = ModelConfig(name="additive", in_features=3, channels=8, norm="none")
    model = build_model(config).eval()
    with torch.no_grad():  # sign: + where track 0's part of the centre bin beats track 1's
        (linear,) = model.trunk.sign  # built directly, an auto sign reads every input
        linear.weight.zero_()
        linear.bias.zero_()
        centre = CENTRE_BINS // 2  # the features start with each central bin's composition
        linear.weight[0, centre], linear.weight[0, CENTRE_BINS + centre] = 10.0, -10.0
        model.trunk.activity.fill_(0.0)  # sizeable activities
    return model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deletion_removes_exactly_the_element_term(seed):
    """Before the softplus, deleting element j changes gene i by exactly -c_ij s_j A_j(0),
    so the deletion's sign is the sign the model gave j."""
    model, g = _model(seed), _graph(seed)
    with torch.no_grad():
        trunk, activity, sign = model.split(model.encode(g))
        gate = model.gates(trunk, g)
    terms = gate[: len(ELEMENTS)] * sign[ELEMENTS] * activity[ELEMENTS, model.k // 2]
    assert (terms > 0).any() and (terms < 0).any()
    effects = deletion(model, g, GENES, ELEMENTS, n_tracks=2, width=ELEMENT_BINS)
    assert (torch.sign(torch.from_numpy(effects)) == torch.sign(terms)).all()

    def logit(x):  # softplus⁻¹
        return x + torch.log(-torch.expm1(-x))

    with torch.no_grad():
        before = logit(model(g)["cage"])
        for gene, element, term in zip(GENES, ELEMENTS, terms):
            edited = g.clone()
            edited.x = g.x.clone()
            edited.x[span(element, ELEMENT_BINS, N), :2] = 0.0
            after = logit(model(edited)["cage"])
            assert before[gene] - after[gene] == pytest.approx(term.item(), rel=1e-3, abs=1e-4)


def test_activity_is_zero_without_accessibility():
    """The activity reads the first track only, over the element's bins: 0 where it is 0,
    whatever the other tracks hold."""
    model, g = _model(), _graph()
    g.x[:, 0] = 0.0
    with torch.no_grad():
        _, activity, _ = model.split(model.encode(g))
    assert activity.abs().max() == 0
    g.x[100, 0] = 1.0
    with torch.no_grad():
        _, activity, _ = model.split(model.encode(g))
    assert set(torch.nonzero(activity.sum(1)).flatten().tolist()) == set(range(98, 103))


def test_spread_moves_each_offset_by_its_distance():
    """What node i receives for offset o lands on bin i + o, never across chromosomes."""
    summed = torch.zeros(20, 5)
    summed[3, 0] = 1.0  # offset -2 of node 3 → bin 1
    summed[3, 4] = 2.0  # offset +2 → bin 5
    summed[9, 4] = 4.0  # node 9 ends chromosome 1: offset +2 would fall in chromosome 2
    summed[12, 2] = 8.0  # offset 0 of node 12 (chromosome 2's third bin) → itself
    out = spread(summed, Layout(torch.tensor([0] * 10 + [1] * 10), 20))
    expected = torch.zeros(20)
    expected[1], expected[5], expected[12] = 1.0, 2.0, 8.0
    torch.testing.assert_close(out, expected)


def test_an_even_window_is_refused():
    with pytest.raises(SettingError, match="window=10: the additive model spreads"):
        build_model(ModelConfig(name="additive", window=10))


@pytest.mark.parametrize(("layers", "pool", "bins"), [(5, 1, 11), (1, 1, 9), (5, 50, 9)])
def test_the_sign_reads_no_further_than_the_trunk(layers, pool, bins):
    """The sign network reads 11 bins, or as many as a window's trunk margin holds (100 bp
    inputs pooled 50 to a node reach 4 nodes each side), so windows stay exact: each track's
    5 central bins' composition, its shares and its logs over them, nothing of the trunk."""
    config = ModelConfig(name="additive", in_features=2, cnn_layers=layers, pool=pool)
    model = build_model(config)
    assert model.trunk.bins == bins <= 2 * config.margin + 1
    assert model.trunk.sign[0].in_features == 2 * (CENTRE_BINS + 2 * bins)


def test_a_marks_sign_ignores_the_accessibility():
    """With ``sign_inputs=marks`` the sign reads every input but the first: the first track
    moves the activity, never the sign."""
    torch.manual_seed(0)
    config = ModelConfig(name="additive", in_features=3, sign_inputs="marks", norm="none")
    model = build_model(config).eval()
    assert model.trunk.sign[0].in_features == 2 * (CENTRE_BINS + 2 * SIGN_BINS)
    g = _graph()
    with torch.no_grad():
        _, activity, sign = model.split(model.encode(g))
        g.x[:, 0] = g.x[:, 0] * 5 + 1
        _, louder, same = model.split(model.encode(g))
    torch.testing.assert_close(same, sign)
    assert (louder[ELEMENTS] > activity[ELEMENTS]).all()


def test_a_marks_access_sign_tells_an_open_unmarked_bin_from_an_empty_one():
    """``marks+access`` adds the accessibility's share of each central bin: an accessible
    peak with no mark (an inactive element) reads near 1 however strong it is, an empty
    stretch 0; ``marks`` alone reads the two alike."""
    x = torch.zeros(4, 3, 30)
    x[:3, 0, 13:18] = torch.tensor([0.5, 2.0, 8.0])[:, None]  # open, unmarked; the 4th empty
    x[:, 1:, :5] = 1.0  # marks elsewhere, out of the sign's reach of bin 15
    for inputs, extra in (("marks+access", CENTRE_BINS), ("marks", 0)):
        config = ModelConfig(name="additive", in_features=3, norm="none", sign_inputs=inputs)
        trunk = build_model(config).trunk
        assert trunk.sign[0].in_features == 2 * (CENTRE_BINS + 2 * SIGN_BINS) + extra
        features = trunk.sign_features(x, trunk.trunk(x))[:, 15]  # (4, width)
        marks = features[:, : features.shape[1] - extra]  # what both read: the marks alike
        torch.testing.assert_close(marks[:3], marks[3:].expand(3, -1))
        if extra:
            assert (features[:3, -extra:] > 0.95).all() and (features[3, -extra:] == 0).all()


@pytest.mark.parametrize(
    ("name", "asked", "tracks", "built"),
    [
        ("additive", "auto", 3, "marks+access"),
        ("additive", "auto", 1, "tracks"),
        ("additive", "tracks", 3, "tracks"),
        ("gat", "auto", 3, "auto"),
    ],
)
def test_training_picks_the_marks_when_there_are_any(name, asked, tracks, built):
    config = ModelConfig(name=name, sign_inputs=asked)
    assert fit_to_data(config, tracks).sign_inputs == built


@pytest.mark.parametrize(
    ("tracks", "activity", "form"),
    [(3, "inputs", "three"), (2, "inputs", "three"), (1, "first", "tanh")],
)
def test_training_picks_the_activity_and_sign_form_by_the_marks(tracks, activity, form):
    fitted = fit_to_data(ModelConfig(name="additive"), tracks)
    assert (fitted.activity, fitted.sign_form) == (activity, form)
    told = fit_to_data(ModelConfig(name="additive", activity="first", sign_form="tanh"), tracks)
    assert (told.activity, told.sign_form) == ("first", "tanh")


def test_an_inputs_activity_reads_the_marks_and_a_first_one_does_not():
    """An element with a mark and no accessibility has an activity only when the activity
    reads every input; each input's weights stay non-negative."""
    torch.manual_seed(0)
    x = torch.zeros(1, 3, 30)
    x[0, 1, 13:18] = 2.0  # a mark, no accessibility
    for activity, moved in (("inputs", True), ("first", False)):
        config = ModelConfig(name="additive", in_features=3, norm="none", activity=activity)
        model = build_model(config).eval()
        assert model.trunk.activity.shape[1] == (3 if activity == "inputs" else 1)
        with torch.no_grad():
            h = model.trunk(x)[0, config.channels : config.channels + config.window, 15]
        assert bool((h > 0).all()) is moved
        assert bool((h == 0).all()) is not moved


def test_a_three_class_sign_is_the_enhancer_minus_the_silencer_share():
    """``sign_form=three``: s = p_enhancer - p_silencer, 0 when the none class takes all, and
    it starts positive (most elements are enhancers)."""
    config = ModelConfig(name="additive", in_features=3, norm="none", sign_inputs="marks")
    model = build_model(replace(config, sign_form="three")).eval()
    assert model.trunk.sign[0].out_features == 3
    trunk_sign = build_model(replace(config, sign_inputs="trunk", sign_form="three"))
    assert trunk_sign.trunk.sign[-1].out_features == 3
    c, k = config.channels, config.window
    h = torch.zeros(4, c + k + 3)
    h[:, c + k :] = torch.tensor([[9.0, -9, -9], [-9, 9, -9], [-9, -9, 9], [1.0, 0, 0]])
    _, _, sign = model.split(h)
    assert sign[0] > 0.99 and sign[1] < -0.99 and abs(sign[2]) < 1e-6
    p = torch.softmax(torch.tensor([1.0, 0, 0]), 0)
    torch.testing.assert_close(sign[3], p[0] - p[1])
    with torch.no_grad():
        _, _, start = model.split(model.encode(_graph()))
    assert (start > 0).float().mean() > 0.5


def test_runs_saved_with_the_first_sign_inputs_still_build():
    """A run saved before ``sign_inputs`` existed read the trunk's features too; its config
    builds that network again, so its weights load."""
    saved = ModelConfig(name="additive", in_features=2).to_json()
    del saved["sign_inputs"], saved["activity"], saved["sign_form"]
    config = ModelConfig.from_json(saved)
    assert (config.sign_inputs, config.activity, config.sign_form) == ("trunk", "first", "tanh")
    model = build_model(config)
    assert model.trunk.sign[0].in_features == 2 * 2 * 11 + config.channels
    x = torch.rand(1, 2, 40)
    assert model.trunk(x).shape == (1, config.channels + config.window + 1, 40)


def test_runs_saved_with_a_marks_sign_and_tanh_still_build():
    """A run saved with the marks sign before ``activity`` and ``sign_form`` existed read
    the first track's activity through a tanh sign; its config builds that again."""
    saved = ModelConfig(name="additive", in_features=3, sign_inputs="marks").to_json()
    del saved["activity"], saved["sign_form"]
    config = ModelConfig.from_json(saved)
    model = build_model(config)
    assert model.trunk.activity.shape[1] == 1 and model.trunk.sign[0].out_features == 1
    assert model.trunk(torch.rand(1, 3, 40)).shape == (1, config.channels + config.window + 1, 40)


@pytest.mark.parametrize(
    ("setting", "choices"),
    [
        ("sign_inputs", "auto, marks, marks+access, tracks, trunk"),
        ("activity", "auto, first, inputs"),
        ("sign_form", "auto, tanh, three"),
    ],
)
def test_unknown_additive_settings_are_refused(setting, choices):
    with pytest.raises(SettingError, match=re.escape(f"{setting}='shape': choose from {choices}")):
        build_model(ModelConfig(name="additive", **{setting: "shape"}))


def test_cli_trains_and_explains_it(tiny_dataset, tmp_path):
    """``graphreg train --model additive`` names its better settings when left at the
    defaults, and the run it saves is explained by deletion."""
    from typer.testing import CliRunner

    from graphreg_cli.cli import app

    runner = CliRunner()
    data = {f: str(tiny_dataset / f) for f in ("dnase.bw", "contacts.bedpe", "cage.bw")}
    base = ["train", "--model", "additive", "--epochs", "2", "--channels", "8"]
    base += [data["dnase.bw"], data["contacts.bedpe"], "--target", data["cage.bw"]]
    base += ["--genes", str(tiny_dataset / "genes.bed")]
    plain = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert plain.exit_code == 0, plain.output
    assert "--dropout 0.3 --min-epochs 600" in " ".join(plain.output.split())  # unwrapped
    saved = json.loads((tmp_path / "a" / "config.json").read_text())
    assert saved["model"]["sign_inputs"] == "tracks"  # DNase alone: the sign reads it
    assert (saved["model"]["activity"], saved["model"]["sign_form"]) == ("first", "tanh")
    tuned = ["--dropout", "0.3", "--min-epochs", "600", "--out", str(tmp_path / "b")]
    told = runner.invoke(app, [*base, *tuned])
    assert told.exit_code == 0, told.output
    assert "--min-epochs 600" not in " ".join(told.output.split())
    truth = str(tiny_dataset / "links.bedpe")
    explained = runner.invoke(
        app,
        ["explain", "--model", str(tmp_path / "a"), "--truth", truth, "-o", str(tmp_path / "x")],
    )
    assert explained.exit_code == 0, explained.output
    assert "deletion" in explained.output
    assert "elements of 1 bin)" in " ".join(explained.output.split())  # the model's own width


@pytest.mark.parametrize(("name", "width"), [("additive", 1), ("gat", 5), ("cnn", 5)])
def test_explain_scores_each_model_at_its_own_width(name, width):
    """Unless told, an additive run's elements are 1 bin wide (where its deletions sign
    best), every other model's 5."""
    run = SimpleNamespace(model_config=ModelConfig(name=name))
    assert element_width(run) == width
