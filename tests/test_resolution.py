"""Two resolutions (fine tracks pooled into graph nodes), windows of long chromosomes, and
name/resolution sanity across bigWigs."""

from __future__ import annotations

import numpy as np
import pyBigWig
import pytest
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.data.features import FeatureSpec
from graphreg_cli.data.graphs import load_graphs
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.data.tiles import Tiling, tile
from graphreg_cli.errors import GraphregError, InputError
from graphreg_cli.io.bigwig import write_bigwig
from graphreg_cli.models import EPI_MODELS, ModelConfig, build_model
from graphreg_cli.models.blocks import pool_factors
from graphreg_cli.tasks.inference import predict_graphs

BIN, FINE = 1000, 100
SIZES = {"chr1": 20_050, "chr2": 9_000}  # chr1 ends in a partial bin


def _fine_bigwig(path, sizes, values, names=None, gap_every=7):
    """A 100 bp bigWig with gaps: every ``gap_every``-th fine bin is left out (no data)."""
    names = names or {c: c for c in sizes}
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([(names[c], n) for c, n in sizes.items()])
    for chrom, length in sizes.items():
        v = values[chrom]
        starts = np.arange(len(v)) * FINE
        keep = (np.arange(len(v)) % gap_every != 3) & (v != 0)
        ends = np.minimum(starts + FINE, length)
        handle.addEntries(
            [names[chrom]] * int(keep.sum()),
            starts[keep].tolist(),
            ends=ends[keep].tolist(),
            values=v[keep].astype(float).tolist(),
        )
    handle.close()
    dense = {}
    for chrom, v in values.items():
        kept = v.copy()
        kept[np.arange(len(v)) % gap_every == 3] = 0
        dense[chrom] = kept
    return dense  # what a reader must see: gaps are zeros


@pytest.fixture
def fine_files(tmp_path):
    rng = np.random.default_rng(1)
    fine = {c: rng.random(-(-n // FINE)).astype(np.float32) for c, n in SIZES.items()}
    dense = _fine_bigwig(tmp_path / "dnase.bw", SIZES, fine)
    # the CAGE bigWig names chromosomes without "chr", as Ensembl-based pipelines do
    cage = {c: rng.random(-(-n // BIN)).astype(np.float32) for c, n in SIZES.items()}
    plain = {c.removeprefix("chr"): n for c, n in SIZES.items()}
    write_bigwig(
        tmp_path / "cage.bw", plain, {k.removeprefix("chr"): v for k, v in cage.items()}, BIN
    )
    (tmp_path / "c.bedpe").write_text("chr1\t150\t250\tchr1\t12_345\t12_400\n".replace("_", ""))
    return tmp_path, dense, cage


def test_fine_tracks_become_pooled_node_inputs(fine_files, notes):
    folder, dense, cage = fine_files
    inputs = Inputs([folder / "dnase.bw"], folder / "c.bedpe", folder / "cage.bw", None, BIN, FINE)
    graphs = load_graphs(inputs, split={"chr1": "train", "chr2": "val"})
    g = graphs[0]
    assert g.x.shape == (21, 10, 1) and g.y.shape == (21,)
    flat = g.x.reshape(-1).numpy()
    np.testing.assert_allclose(flat[: len(dense["chr1"])], dense["chr1"], rtol=1e-6)
    assert (flat[len(dense["chr1"]) :] == 0).all()  # padding of the partial last node
    np.testing.assert_allclose(g.y.numpy(), cage["chr1"], rtol=1e-6)  # "1" read as chr1
    assert any("cage.bw" in n and "1 → chr1" in n for n in notes)
    assert g.edge_index.T.tolist() == [[0, 12], [12, 0]]  # unaligned anchors → bins


def test_feature_spec_on_fine_inputs(fine_files):
    folder, dense, _ = fine_files
    inputs = Inputs([folder / "dnase.bw"], folder / "c.bedpe", None, None, BIN, FINE)
    graphs = load_graphs(inputs, split={"chr1": "train", "chr2": "val"})
    graphs[0].gene_mask[3] = True
    spec = FeatureSpec.fit(graphs, gene_input=True, edges="both", transform="log1p")
    mean = np.concatenate([dense["chr1"], np.zeros(210 - len(dense["chr1"]))]).mean()
    assert spec.track_scale == pytest.approx([mean], rel=1e-5)
    x = spec.apply(graphs[0]).x
    assert x.shape == (21, 10, 2)
    assert (x[3, :, 1] == 1).all() and x[:, :, 1].sum() == 10  # gene channel on every fine bin
    torch.testing.assert_close(x[..., 0], torch.log1p(graphs[0].x[..., 0] / mean))


def test_pool_factors():
    assert pool_factors(50, 5) == [2, 5, 5]  # GraphReg: 100 bp → 5 kb
    assert pool_factors(10, 5) == [2, 5]
    steps = pool_factors(64, 2)
    assert len(steps) == 2 and np.prod(steps) == 64
    assert pool_factors(7, 5) == [7]


@pytest.mark.parametrize("name", EPI_MODELS)
def test_models_pool_fine_inputs_per_chromosome(name):
    """(N, pool, F) inputs give one output per node, chromosomes stay apart, and a batch of
    unequal chromosomes gives each the output it gets alone."""
    torch.manual_seed(0)
    config = ModelConfig(name=name, in_features=2, channels=8, heads=2, pool=10)
    model = build_model(config).eval()
    graphs = []
    for n in (30, 30, 17):
        graphs.append(
            Data(
                x=torch.rand(n, 10, 2),
                edge_index=torch.tensor([[0, 12], [12, 0]]),
                edge_weight=torch.ones(2),
                num_nodes=n,
            )
        )
    batch = Batch.from_data_list(graphs)
    out = model(batch)["cage"]
    assert out.shape == (77,)
    alone = torch.cat([model(g)["cage"] for g in graphs])
    torch.testing.assert_close(out, alone, rtol=1e-4, atol=1e-5)
    changed = batch.clone()
    changed.x[batch.batch == 1, 4] += 3.0  # one fine bin of every node of chromosome 1
    after = model(changed)["cage"]
    other = batch.batch != 1
    torch.testing.assert_close(out[other], after[other])
    assert not torch.allclose(out[~other], after[~other])


def test_windows_partition_every_chromosome():
    tiling = Tiling(window=10, stride=4)
    for n in (1, 10, 11, 25, 103):
        parts = tiling.owned(n)
        owned = [i for _, a, b in parts for i in range(a, b)]
        assert owned == list(range(n))
        for start, a, b in parts:
            assert 0 <= start <= a < b <= start + max(10, 0) or n <= 10
    assert Tiling(0, 0).starts(5000) == [0]
    assert Tiling.from_bp(6_000_000, 2_000_000, 5000) == Tiling(1200, 400)
    with pytest.raises(GraphregError, match="stride"):
        Tiling.from_bp(6000, 9000, 1000)


def test_tiled_prediction_is_seamless():
    """With a model whose reach (window 5 ± contacts shorter than the margin) fits inside each
    window's margin, windowed prediction equals whole-chromosome prediction."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(name="linear", in_features=1, window=5)).eval()
    n = 103
    src = torch.arange(0, n - 2)
    edge_index = torch.cat([torch.stack([src, src + 2]), torch.stack([src + 2, src])], 1)
    g = Data(
        x=torch.rand(n, 1),
        y=torch.zeros(n),
        gene_mask=torch.zeros(n, dtype=torch.bool),
        edge_index=edge_index,
        edge_weight=torch.ones(edge_index.shape[1]),
        chrom="chr1",
        split="test",
        num_nodes=n,
    )
    windows = tile(g, Tiling(30, 10))
    assert all(w.num_nodes == 30 for w in windows) and len(windows) == 9
    assert int(sum(w.own.sum() for w in windows)) == n
    whole = model(g)["cage"].detach().numpy()
    (stitched,) = predict_graphs(model, [g], "cpu", Tiling(30, 10), batch_size=4)
    np.testing.assert_allclose(stitched, whole, rtol=1e-5, atol=1e-6)


def test_resolution_errors(fine_files, tmp_path, notes):
    folder, _, _ = fine_files
    args = ([folder / "dnase.bw"], folder / "c.bedpe", folder / "cage.bw", None)
    with pytest.raises(GraphregError, match="not a multiple of input_bin_size=300"):
        load_graphs(Inputs(*args, BIN, 300))
    with pytest.raises(InputError, match="100 bp grid, which does not divide input_bin_size=50"):
        load_graphs(Inputs(*args, BIN, 50))
    # CAGE finer than the graph: averaged, with a note
    write_bigwig(
        tmp_path / "fine_cage.bw", SIZES, {c: np.ones(-(-n // 500)) for c, n in SIZES.items()}, 500
    )
    load_graphs(
        Inputs(
            [folder / "dnase.bw"], folder / "c.bedpe", tmp_path / "fine_cage.bw", None, BIN, FINE
        ),
        split={"chr1": "train", "chr2": "val"},
    )
    assert any("averaged into 1000 bp graph bins" in n for n in notes)


def test_track_names_and_missing_data_across_bigwigs(tmp_path, notes):
    sizes = {"chr1": 5000, "chr2": 5000, "chr3": 5000}
    write_bigwig(tmp_path / "a.bw", sizes, {c: np.ones(5) for c in sizes}, BIN)
    # b: Ensembl names, lacks chr3, and has no data on chr2
    write_bigwig(tmp_path / "b.bw", {"1": 5000, "2": 5000}, {"1": np.ones(5)}, BIN)
    write_bigwig(tmp_path / "y.bw", sizes, {c: np.ones(5) for c in sizes}, BIN)
    (tmp_path / "c.bedpe").write_text("chr1\t0\t1000\tchr1\t3000\t4000\n")
    inputs = Inputs([tmp_path / "a.bw", tmp_path / "b.bw"], tmp_path / "c.bedpe", tmp_path / "y.bw")
    inputs.bin_size = BIN
    graphs = load_graphs(inputs, split={"chr1": "train", "chr2": "val"})
    assert [g.chrom for g in graphs] == ["chr1", "chr2"]
    assert graphs[0].x[:, 1].tolist() == [1.0] * 5
    assert any("b.bw: lacks 1 chromosome(s)" in n and "chr3" in n for n in notes)
    assert any("b.bw has no data on 1 chromosome(s) (chr2)" in n for n in notes)
    write_bigwig(tmp_path / "other.bw", {"chrA": 5000}, {"chrA": np.ones(5)}, BIN)
    with pytest.raises(InputError, match="shares no chromosome"):
        load_graphs(Inputs([tmp_path / "a.bw", tmp_path / "other.bw"], tmp_path / "c.bedpe"))
    write_bigwig(tmp_path / "long.bw", {"1": 6000}, {"1": np.ones(6)}, BIN)
    with pytest.raises(InputError, match="1 is 6000 bp here but 5000 bp"):
        load_graphs(Inputs([tmp_path / "a.bw", tmp_path / "long.bw"], tmp_path / "c.bedpe"))
