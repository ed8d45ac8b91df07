"""Sequence models: shapes and gradients, locality (what makes variant effects meaningful), the
shared-window mutagenesis engine against full forward passes, and a hand-built model whose
variant effect is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.data.dna import encode
from graphreg_cli.models import SEQUENCE_MODELS, ModelConfig, build_model
from graphreg_cli.tasks.mutagenesis import window_effects

BIN, FINE = 1000, 100  # small graph bins keep these tests fast


def _model(name, seed=0, **changes):
    torch.manual_seed(seed)
    config = ModelConfig(
        name=name, in_features=2, fine=FINE, pool=BIN // FINE, channels=8, heads=2, **changes
    )
    model = build_model(config).eval()
    for module in model.modules():  # running statistics that are not the identity
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model


def _window(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    edges = torch.tensor([[0, n - 10, 5, 22], [n - 10, 0, 22, 5]])
    return Data(
        seq=torch.randint(0, 4, (n, BIN), generator=g, dtype=torch.uint8),
        x=torch.rand(n, BIN // FINE, 2, generator=g),
        y=torch.rand(n, generator=g),
        edge_index=edges,
        num_nodes=n,
    )


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
def test_forward_shapes_and_gradients(name):
    model = _model(name).train()
    batch = Batch.from_data_list([_window(seed=1), _window(seed=2)])
    out = model(batch)
    assert out["cage"].shape == (80,) and out["epigenome"].shape == (80, BIN // FINE, 2)
    assert (out["cage"] >= 0).all() and (out["epigenome"] >= 0).all()
    loss = torch.nn.functional.poisson_nll_loss(out["cage"], batch.y, log_input=False)
    loss = loss + torch.nn.functional.poisson_nll_loss(out["epigenome"], batch.x, log_input=False)
    loss.backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), pname


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
def test_a_base_changes_nothing_beyond_the_models_reach(name):
    """At eval, a base change alters the epigenome only within ``reach`` bins of its own;
    for seq-cnn, CAGE too (plus its decoder's bins)."""
    model = _model(name)
    window = _window()
    with torch.no_grad():
        before = model(window)
        changed = window.clone()
        changed.seq = window.seq.clone()
        changed.seq[20, 500] = (changed.seq[20, 500] + 1) % 4
        after = model(changed)
    moved = (before["epigenome"] - after["epigenome"]).abs().amax((1, 2)) > 0
    bins = torch.nonzero(moved).flatten()
    assert len(bins) and bins.min() >= 20 - model.reach and bins.max() <= 20 + model.reach
    if name == "seq-cnn":
        moved = torch.nonzero((before["cage"] - after["cage"]).abs() > 0).flatten()
        reach = model.reach + ModelConfig().decoder_layers  # kernel-3 decoder: a bin a layer
        assert moved.min() >= 20 - reach and moved.max() <= 20 + reach


@pytest.mark.parametrize("name", SEQUENCE_MODELS)
def test_shared_window_effects_equal_full_forward_passes(name):
    model = _model(name, seed=3)
    window = _window(n=30, seed=4)
    offsets = np.array([0, 7, 999, 1000, 14_321, 22_500, 29_999])  # edges of window and bins
    alts = (window.seq.reshape(-1)[offsets].numpy().astype(np.int64) + 1) % 4
    effects = window_effects(model, window, offsets, alts, "cpu")
    with torch.no_grad():
        reference = model(window)
        np.testing.assert_allclose(effects.cage_ref, reference["cage"].numpy(), atol=1e-6)
        for k, (offset, alt) in enumerate(zip(offsets, alts)):
            changed = window.clone()
            changed.seq = window.seq.clone()
            changed.seq.view(-1)[offset] = int(alt)
            full = model(changed)
            np.testing.assert_allclose(effects.cage_alt[k], full["cage"].numpy(), atol=1e-5)
            at = full["epigenome"].reshape(-1, 2)[offset // FINE].numpy()
            np.testing.assert_allclose(effects.epigenome_alt[k], at, atol=1e-5)
    assert np.abs(effects.cage_alt - effects.cage_ref).max() > 1e-6  # SNVs did change CAGE


def _set_identity(model) -> None:
    """Every weight 0, every BatchNorm the identity (eps absorbed)."""
    for p in model.parameters():
        torch.nn.init.zeros_(p)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.zero_()
            module.running_var.fill_(1 - module.eps)
            module.weight.data.fill_(1.0)


def motif_detector(motif: str, **changes):
    """A seq-cnn whose epigenome is softplus(1) on input bins holding ``motif`` (forward
    strand, exact) and softplus(0) elsewhere, and whose CAGE is softplus(2m - 1), m = 1 when
    the bin holds the motif."""
    torch.manual_seed(0)
    config = ModelConfig(
        name="seq-cnn", in_features=1, fine=FINE, pool=BIN // FINE, channels=4, dropout=0.0,
        cnn_layers=1, decoder_layers=1, **changes,
    )  # fmt: skip
    model = build_model(config).eval()
    _set_identity(model)
    stem = model.tower[0]  # Conv1d(4, 2, 15): one filter sums matching bases, bias -(k-1)
    for j, code in enumerate(encode(motif)):
        stem.weight.data[0, int(code), 2 + j] = 1.0
    stem.bias.data[0] = -(len(motif) - 1)
    centre = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    for conv in centre[1:]:  # pass channel 0 through every later convolution
        if conv.kernel_size[0] > 1 or conv.out_channels > 1 or conv.in_channels > 1:
            conv.weight.data[0, 0, conv.kernel_size[0] // 2] = 1.0
    is_residual = [c for m in model.context for c in m.modules() if isinstance(c, torch.nn.Conv1d)]
    for conv in is_residual:  # residual bodies add nothing
        conv.weight.data.zero_()
    final = model.decoder[-1]
    final.weight.data[0, 0, 0], final.bias.data[0] = 2.0, -1.0
    return model


def test_hand_built_model_has_the_variant_effect_it_was_built_for():
    motif = "GTGACTCAGC"
    model = motif_detector(motif)
    n = 12
    dna = np.zeros((n, BIN), np.uint8)  # poly-A: no motif anywhere
    dna[5, 400:410] = encode(motif)
    window = Data(
        seq=torch.from_numpy(dna), edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=n
    )
    offsets = np.array([5 * BIN + 403, 5 * BIN + 700, 9 * BIN + 10])  # in the motif, beside it, far
    effects = window_effects(model, window, offsets, np.array([3, 3, 3]), "cpu")
    softplus = lambda v: math.log1p(math.exp(v))  # noqa: E731
    expected_ref = np.full(n, softplus(-1.0))
    expected_ref[5] = softplus(1.0)
    np.testing.assert_allclose(effects.cage_ref, expected_ref, rtol=1e-5)
    np.testing.assert_allclose(effects.cage_alt[0], np.full(n, softplus(-1.0)), rtol=1e-5)
    np.testing.assert_allclose(effects.cage_alt[1:], np.tile(expected_ref, (2, 1)), rtol=1e-5)
    np.testing.assert_allclose(effects.epigenome_ref[0], [softplus(1.0)], rtol=1e-5)
    np.testing.assert_allclose(effects.epigenome_alt[0], [softplus(0.0)], rtol=1e-5)


def test_alpha_rises_over_the_epochs_and_stages_pick_their_head():
    from dataclasses import replace

    from graphreg_cli.tasks.heads import head_weights
    from graphreg_cli.tasks.train import TrainOptions

    options = TrainOptions(alpha_start=0.1, alpha_end=0.5, alpha_epochs=5)
    alphas = [head_weights(options, e)["cage"] for e in range(1, 8)]
    np.testing.assert_allclose(alphas, [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5])
    assert head_weights(options, 1)["epigenome"] == pytest.approx(0.9)
    assert head_weights(options) == {"cage": 0.5, "epigenome": 0.5}  # validation: final weights
    assert head_weights(replace(options, stage="epigenome"), 3) == {"epigenome": 1.0}
    assert head_weights(replace(options, stage="cage"), 3) == {"cage": 1.0}
