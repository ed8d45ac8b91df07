"""Explanations on a tiny graph where every score is known, and the truth metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Data

from graphreg_cli.models import ModelConfig, build_model
from graphreg_cli.tasks.attribution import attention
from graphreg_cli.tasks.explain import ExplainOptions, abc_tracks, activity_signal, explain_graph
from graphreg_cli.tasks.ranking import auroc, average_precision, truth_metrics


def _sum_of_neighbours_model():
    """GraphLinear set so that prediction_i = sum of x over bins in contact with i."""
    model = build_model(ModelConfig(name="linear", in_features=1, window=3))
    with torch.no_grad():
        model.local.weight.zero_()
        model.local.bias.zero_()
        model.neighbour.weight.zero_()
        model.neighbour.weight[0, 0, 1] = 1.0  # centre tap only
    return model.eval()


def _graph():
    x = torch.zeros(30, 1)
    x[10], x[20], x[25] = 2.0, -1.0, 3.0  # 25 is strong but not in contact with the gene
    edges = torch.tensor([[5, 10, 5, 20], [10, 5, 20, 5]])
    gene = torch.zeros(30, dtype=torch.bool)
    gene[5] = True
    return Data(
        x=x,
        edge_index=edges,
        edge_weight=torch.tensor([1.0, 1.0, 0.5, 0.5]),
        gene_mask=gene,
        chrom="chrT",
        num_nodes=30,
    )


def test_scores_on_a_graph_with_known_answers():
    g = _graph()
    scores = explain_graph(_sum_of_neighbours_model(), g, g, 1, ExplainOptions(width=1))
    scores = scores.set_index("element_bin")
    assert list(scores.index) == [10, 20]  # contacted bins only (no window)
    assert scores.loc[10, "saliency"] == pytest.approx(2.0)  # gradient 1 x input 2
    assert scores.loc[20, "saliency"] == pytest.approx(-1.0)
    assert scores.loc[10, "deletion"] == pytest.approx(2.0)  # 1 - (-1) = prediction drop
    assert scores.loc[20, "deletion"] == pytest.approx(-1.0)  # deleting it raises: silencer
    # ABC: activity x contact score, normalised per gene: 2*1 / (2*1 + -1*0.5)
    assert scores.loc[10, "abc"] == pytest.approx(2.0 / 1.5)
    assert scores.loc[10, "inverse_distance"] == pytest.approx(1 / 5)
    assert scores.loc[20, "distance"] == 15


def test_abc_activity_is_the_geometric_mean_of_accessibility_and_h3k27ac():
    assert abc_tracks(["dnase.bw", "h3k27me3.bw", "H3K27ac.bw"]) == (0, 2)
    assert abc_tracks(["atac.bw", "h3k4me3.bw"]) == (0,)  # no H3K27ac: accessibility alone
    x = np.array([[4.0, 7.0, 1.0], [4.0, 7.0, 0.0], [-1.0, 0.0, 9.0]])
    assert activity_signal(x, (0, 2)) == pytest.approx([2.0, 0.0, 0.0], abs=1e-9)
    assert activity_signal(x, (0,)) == pytest.approx([4.0, 4.0, -1.0])  # one track: as it is
    # an element with DNase but no H3K27ac (inactive) gets no ABC score, a marked one all
    g = _graph()
    g.x = torch.tensor([[v, 0.0] for v in g.x[:, 0].tolist()])
    g.x[10, 1], g.x[20, 1] = 1.0, 0.0  # 10 marked active, 20 accessible only
    model = build_model(ModelConfig(name="linear", in_features=2, window=3)).eval()
    options = ExplainOptions(width=1, activity=(0, 1))
    scores = explain_graph(model, g, g, 2, options).set_index("element_bin")
    assert scores.loc[10, "abc"] == pytest.approx(1.0) and scores.loc[20, "abc"] == 0


def test_window_adds_nearby_bins_but_not_the_gene_itself():
    g = _graph()
    scores = explain_graph(
        _sum_of_neighbours_model(), g, g, 1, ExplainOptions(window=4, min_distance=3, width=1)
    )
    assert sorted(scores["element_bin"]) == [1, 2, 8, 9, 10, 20]
    window_only = scores[scores["element_bin"] == 8]
    assert window_only["contact"].iat[0] == 0 and window_only["deletion"].iat[0] == 0


def test_average_precision_and_auroc_by_hand():
    score = np.array([0.9, 0.8, 0.7, 0.1])
    label = np.array([True, False, True, False])
    assert average_precision(score, label) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert auroc(score, label) == pytest.approx(3 / 4)
    assert auroc(np.array([1.0, 1.0]), np.array([True, False])) == pytest.approx(0.5)


def test_truth_metrics_rank_signed_methods_by_magnitude():
    scores = pd.DataFrame(
        {
            "chrom": "c",
            "gene_bin": [1, 1, 1, 1],
            "element_bin": [10, 20, 30, 40],
            "saliency": [2.0, -3.0, 0.1, 0.2],
            "deletion": [2.0, -3.0, 0.1, 0.2],
            "abc": [0.5, 0.1, 0.2, 0.2],
            "inverse_distance": [0.1, 0.05, 0.03, 0.02],
        }
    )
    truth = pd.DataFrame(
        {"chrom": "c", "gene_bin": [1, 1], "element_bin": [10, 20], "sign": [1.0, -1.0]}
    )
    table = truth_metrics(scores, truth).set_index("method")
    assert table.loc["deletion", "auprc"] == pytest.approx(1.0)  # |-3| ranks the silencer top
    assert table.loc["deletion", "sign_accuracy"] == pytest.approx(1.0)
    assert table.loc["abc", "sign_accuracy"] == pytest.approx(0.5)  # unsigned: all enhancers
    assert table.loc["distance", "auprc"] == pytest.approx(1.0)


def test_long_chromosomes_are_explained_window_by_window():
    """Each gene is explained once, in the window that owns it, from what that window
    holds; bins come back in chromosome coordinates."""
    from graphreg_cli.data.tiles import Tiling
    from graphreg_cli.tasks.explain import explain_windows

    x = torch.zeros(60, 1)
    x[10], x[20], x[40], x[50] = 2.0, -1.0, 4.0, 3.0
    pairs = [(5, 10), (5, 20), (5, 40), (45, 50), (45, 40)]
    edges = torch.tensor([[a for a, b in pairs] + [b for a, b in pairs]] * 2)
    edges[1] = torch.tensor([b for a, b in pairs] + [a for a, b in pairs])
    gene = torch.zeros(60, dtype=torch.bool)
    gene[[5, 45]] = True
    g = Data(
        x=x,
        edge_index=edges,
        edge_weight=torch.ones(edges.shape[1]),
        gene_mask=gene,
        chrom="chrL",
        num_nodes=60,
    )
    model, options = _sum_of_neighbours_model(), ExplainOptions(width=1)
    tiling = Tiling(window=30, stride=10)  # windows at 0, 10, 20, 30; 5 owned by the first
    scores = explain_windows(model, g, g, 1, options, tiling, "cpu")
    assert set(scores["chrom"]) == {"chrL"}
    found = {
        (int(a), int(b)): d for a, b, d in scores[["gene_bin", "element_bin", "deletion"]].values
    }
    # gene 5's window [0, 30) cannot see bin 40; gene 45's window [30, 60) sees 40 and 50
    assert set(found) == {(5, 10), (5, 20), (45, 40), (45, 50)}
    assert found[(5, 10)] == pytest.approx(2.0) and found[(5, 20)] == pytest.approx(-1.0)
    assert found[(45, 40)] == pytest.approx(4.0) and found[(45, 50)] == pytest.approx(3.0)
    whole = explain_windows(model, g, g, 1, options, Tiling(), "cpu")  # no windows: every contact
    assert len(whole) == 5


def test_attention_view_of_a_gat_model():
    """A gene's attention over its contacts and itself sums to 1 (softmax per head, averaged
    over heads and layers); window-only candidates get 0; models without attention get NaN
    and no row in the truth table."""
    torch.manual_seed(0)
    config = ModelConfig(name="gat", channels=8, heads=2, cnn_layers=1, graph_layers=2)
    gat = build_model(config).eval()
    g = _graph()
    scores = explain_graph(gat, g, g, 1, ExplainOptions(window=4, width=1))
    by_bin = scores.set_index("element_bin")["attention"]
    contacted = by_bin.loc[[10, 20]]
    assert ((contacted > 0) & (contacted < 1)).all()
    assert (by_bin.drop([10, 20]) == 0).all()  # bins only in the window: no edge
    itself = attention(gat, g, np.array([5]), np.array([5]))[0]
    assert contacted.sum() + itself == pytest.approx(1.0, abs=1e-5)

    linear = explain_graph(_sum_of_neighbours_model(), g, g, 1, ExplainOptions(width=1))
    assert linear["attention"].isna().all()
    truth = pd.DataFrame({"chrom": "chrT", "gene_bin": [5], "element_bin": [10], "sign": [1.0]})
    assert "attention" not in set(truth_metrics(linear, truth)["method"])
    assert "attention" in set(truth_metrics(scores, truth)["method"])
