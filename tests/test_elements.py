"""``graphreg explain --elements``: candidate elements scored over their own span, on a tiny
graph where every score is known; the ENCODE-rE2G map they make and its classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Data

from graphreg_cli.errors import InputError
from graphreg_cli.models import ModelConfig, build_model
from graphreg_cli.tasks.elements import element_class, element_masks, read_elements, to_e2g
from graphreg_cli.tasks.explain import ExplainOptions, explain_graph, explain_windows

BIN, POOL = 1000, 10  # 100 bp input bins


def _model():
    """prediction_i = the sum of every input bin of the bins in contact with i."""
    model = build_model(ModelConfig(name="linear", in_features=1, window=3, pool=POOL))
    with torch.no_grad():
        model.local.weight.zero_()
        model.local.bias.zero_()
        model.neighbour.weight.zero_()
        model.neighbour.weight[0, :, 1] = 1.0  # the centre node, every input bin
    return model.eval()


def _graph():
    x = torch.zeros(30, POOL, 1)
    x[10, 2:6] = 1.0  # 400 bp of signal in bin 10
    x[11, 0:3] = 2.0  # and 300 bp at the start of bin 11
    x[20] = -1.0  # all of bin 20: a silencer
    edges = torch.tensor([[5, 10, 5, 11, 5, 20], [10, 5, 11, 5, 20, 5]])
    gene = torch.zeros(30, dtype=torch.bool)
    gene[5] = True
    return Data(
        x=x,
        edge_index=edges,
        edge_weight=torch.ones(6),
        gene_mask=gene,
        chrom="chrT",
        num_nodes=30,
    )


ELEMENTS = pd.DataFrame(
    {
        "chrom": "chrT",
        "start": [10_150, 10_800, 20_000, 25_000],
        "end": [10_450, 11_200, 20_500, 25_100],
        "name": ["half", "across", "sil", "far"],
    }
)


def test_masks_give_each_input_bin_its_share():
    masks = element_masks(ELEMENTS, 0, 30, POOL, BIN // POOL)
    half, across = masks[0], masks[1]
    assert (half.first, half.share.tolist(), half.lo, half.hi) == (101, [0.5, 1, 1, 0.5], 10, 11)
    assert (across.lo, across.hi) == (10, 12)  # an element on two bins is scored over both
    assert across.share.tolist() == [1, 1, 1, 1]
    assert element_masks(ELEMENTS, 40_000, 5, POOL, 100) == [None] * 4  # beyond a window


def test_element_scores_over_their_own_span():
    g = _graph()
    options = ExplainOptions(width=1, window=0, elements=ELEMENTS)
    scores = explain_windows(_model(), g, g, 1, options, _tiling(), "cpu", BIN)
    scores = scores.set_index("element_name")
    assert sorted(scores.index) == ["across", "half", "sil"]  # "far" has no contact with 5
    # half covers input bins 101-104 by 0.5, 1, 1, 0.5; the signal (1) is on 102-105
    assert scores.loc["half", "deletion"] == pytest.approx(1 + 1 + 0.5)
    assert scores.loc["half", "saliency"] == pytest.approx(2.5)
    # across: 108-109 (no signal) and 110-111 of node 11 (signal 2): 2 + 2
    assert scores.loc["across", "deletion"] == pytest.approx(4.0)
    assert scores.loc["across", "element_bin"] == 11 and scores.loc["half", "element_bin"] == 10
    assert scores.loc["sil", "deletion"] == pytest.approx(-5.0)  # 5 input bins of -1
    assert scores.loc["sil", "element_start"] == 20_000
    with_window = explain_windows(
        _model(), g, g, 1, ExplainOptions(width=1, window=25, elements=ELEMENTS), _tiling(),
        "cpu", BIN,
    )  # fmt: skip
    assert "far" in set(with_window["element_name"])


def test_whole_bin_elements_score_as_bins():
    """An element that is exactly one bin gets the bin's own scores (width 1)."""
    g = _graph()
    whole = pd.DataFrame({"chrom": "chrT", "start": [10_000, 20_000], "end": [11_000, 21_000],
                          "name": ["b10", "b20"]})  # fmt: skip
    by_span = explain_windows(
        _model(), g, g, 1, ExplainOptions(width=1, elements=whole), _tiling(), "cpu", BIN
    ).set_index("element_bin")
    by_bin = explain_graph(_model(), g, g, 1, ExplainOptions(width=1)).set_index("element_bin")
    for column in ("saliency", "deletion", "integrated_gradients"):
        for b in (10, 20):
            assert by_span.loc[b, column] == pytest.approx(by_bin.loc[b, column])


def _tiling():
    from graphreg_cli.data.tiles import Tiling

    return Tiling()


def test_e2g_rows_per_gene_with_classes():
    scores = pd.DataFrame(
        {
            "chrom": "chrT",
            "gene_bin": [5, 5],
            "element_bin": [10, 20],
            "element_start": [10_150, 20_000],
            "element_end": [10_450, 20_500],
            "element_name": ["a", "b"],
            "deletion": [2.0, -1.0],
            "abc": [0.7, 0.3],
        }
    )
    genes = pd.DataFrame(  # two genes share bin 5; g2's body covers element a
        {
            "gene": ["g1", "g2"],
            "chrom": "chrT",
            "tss": [5_100, 5_900],
            "start": [5_100, 5_900],
            "end": [6_000, 12_000],
        }  # fmt: skip
    )
    out = to_e2g(scores, genes, BIN, "deletion", {"deletion": "deletion", "abc": "abc"}, "K562")
    assert len(out) == 4  # 2 elements x 2 genes of the bin
    row = out[(out["name"] == "a") & (out["TargetGene"] == "g2")].iloc[0]
    assert (row["class"], row["TargetGeneTSS"], row["Score"], row["CellType"]) == (
        "genic", 5_900, 2.0, "K562")  # fmt: skip
    assert set(out.loc[out["name"] == "b", "class"]) == {"intergenic"}
    near = element_class(pd.DataFrame({"chrom": ["chrT"], "start": [5_300], "end": [5_400]}),
                         genes)  # fmt: skip
    assert near.tolist() == ["promoter"]  # within 500 bp of a TSS


def test_elements_bed_checked(tmp_path):
    sizes = {"chrT": 30_000}
    path = tmp_path / "e.bed"
    path.write_text("T\t100\t200\nchrT\t300\t400\n")  # 'T' is matched to chrT
    frame = read_elements(path, sizes)
    assert frame["name"].tolist() == ["chrT:100-200", "chrT:300-400"]
    path.write_text("chrZ\t100\t200\n")
    with pytest.raises(InputError, match="no element lies on the tracks' chromosomes"):
        read_elements(path, sizes)
    path.write_text("chrT\t100\t200\nchrT\t29000\t31000\n")
    with pytest.raises(InputError, match=r"line 2: End coordinate 31000 bigger than chrT"):
        read_elements(path, sizes)
    assert np.all(read_elements(tmp_path / "e.bed", {"chrT": 40_000})["end"] == [200, 31000])
