"""The loader: bigWig + BEDPE + BED → one PyG graph per chromosome."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graphreg_cli.data.edges import contact_edges
from graphreg_cli.data.graphs import load_graphs
from graphreg_cli.data.inputs import Inputs, find_split
from graphreg_cli.errors import GraphregError, InputError
from graphreg_cli.io.bigwig import write_bigwig

SIZES = {"chr1": 10_000, "chr2": 8_000}
BIN = 1000


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    x = {c: rng.random(n // BIN).astype(np.float32) for c, n in SIZES.items()}
    y = {c: (v * 2).astype(np.float32) for c, v in x.items()}
    write_bigwig(tmp_path / "dnase.bw", SIZES, x, BIN)
    write_bigwig(tmp_path / "cage.bw", SIZES, y, BIN)
    (tmp_path / "c.bedpe").write_text(
        "#chrom1\tstart1\tend1\tchrom2\tstart2\tend2\tname\tscore\n"
        "chr1\t5000\t6000\tchr1\t0\t1000\ta\t2\n"  # unsorted anchors: fine
        "chr1\t1500\t3500\tchr1\t8000\t8100\tb\t1\n"  # anchor over bins 1-3
        "chr1\t0\t1000\tchr1\t5000\t6000\tdup\t7\n"  # same pair again: merged, max score
        "chr1\t2000\t2500\tchr1\t2600\t2900\tself\t1\n"  # both anchors in bin 2: self-loop
        "chr1\t0\t1000\tchr2\t0\t1000\tinter\t1\n"  # between chromosomes: dropped
        "chrZ\t0\t1000\tchrZ\t3000\t4000\toff\t1\n"  # not in the tracks: dropped
    )
    (tmp_path / "genes.bed").write_text("chr1\t0\t1000\tg1\t0\t+\nchr1\t3000\t7200\tg2\t0\t-\n")
    return tmp_path


def test_graphs_shapes_edges_and_genes(files, notes):
    inputs = Inputs(
        [files / "dnase.bw"], files / "c.bedpe", files / "cage.bw", files / "genes.bed", BIN
    )
    graphs = load_graphs(inputs, split={"chr1": "train", "chr2": "test"})
    assert [g.chrom for g in graphs] == ["chr1", "chr2"]
    g = graphs[0]
    assert g.x.shape == (10, 1) and g.x.dtype == torch.float32 and g.y.shape == (10,)
    torch.testing.assert_close(g.y, 2 * g.x[:, 0])
    pairs = {tuple(p) for p in g.edge_index.T.tolist()}
    expected = {(5, 0), (1, 8), (2, 8), (3, 8)}
    assert pairs == expected | {(b, a) for a, b in expected}  # both directions, no loops
    weight = dict(zip(map(tuple, g.edge_index.T.tolist()), g.edge_weight.tolist()))
    # log-scaled scores over their maximum: log1p(7) → 1, log1p(1) → log 2 / log 8
    assert weight[(0, 5)] == 1 and weight[(5, 0)] == 1
    assert weight[(1, 8)] == pytest.approx(np.log(2) / np.log(8))
    assert g.gene_mask.nonzero().flatten().tolist() == [0, 7]  # minus strand: TSS at end - 1
    assert graphs[1].edge_index.shape == (2, 0) and graphs[1].split == "test"
    assert any("1 between chromosomes and 1 on chromosomes the tracks lack" in n for n in notes)
    assert any("without contacts" in n and "chr2" in n for n in notes)


def test_contact_stats(files):
    edges, stats = contact_edges(files / "c.bedpe", SIZES, BIN)
    assert (stats.total, stats.kept, stats.inter_chromosomal, stats.off_genome) == (6, 4, 1, 1)
    assert stats.self_loops == 1 and set(edges) == {"chr1"}


def test_split_precedence(files, tmp_path):
    inputs = Inputs([files / "dnase.bw"], files / "c.bedpe", bin_size=BIN)
    chroms = [f"chr{i}" for i in range(1, 13)]
    default = find_split(inputs, None, None, chroms)
    assert [default[c] for c in ("chr1", "chr10", "chr11", "chr12")] == [
        "train",
        "val",
        "test",
        "test",
    ]
    given = find_split(inputs, ["chr2"], ["chr3"], chroms)
    assert (given["chr2"], given["chr3"], given["chr1"]) == ("val", "test", "train")
    with pytest.raises(GraphregError, match="chr99 is not among the input chromosomes"):
        find_split(inputs, ["chr99"], None, chroms)
    (files / "split.tsv").write_text("chr1\ttest\nchr2\tval\n")
    assert find_split(inputs, None, None, ["chr1", "chr2", "chr3"]) == {
        "chr1": "test",
        "chr2": "val",
        "chr3": "train",
    }
    (files / "split.tsv").write_text("chr1\tholdout\n")
    with pytest.raises(InputError, match="split.tsv line 1"):
        find_split(inputs, None, None, ["chr1"])


def test_mismatched_names_and_resolution(files):
    write_bigwig(files / "other.bw", {"NC_000001.11": 10_000}, {"NC_000001.11": np.ones(10)}, BIN)
    inputs = Inputs([files / "dnase.bw"], files / "c.bedpe", files / "other.bw", None, BIN)
    with pytest.raises(InputError, match="shares no chromosome with .*same assembly"):
        load_graphs(inputs)
    (files / "refseq.bedpe").write_text("NC_000001.11\t0\t1000\tNC_000001.11\t5000\t6000\n")
    inputs = Inputs([files / "dnase.bw"], files / "refseq.bedpe", files / "cage.bw", None, BIN)
    with pytest.raises(InputError, match=r"no contact lies on .*'chr1' vs '1'"):
        load_graphs(inputs)
    (files / "g.bed").write_text("NC_000001.11\t0\t1000\tg\t0\t+\n")
    inputs = Inputs(
        [files / "dnase.bw"], files / "c.bedpe", files / "cage.bw", files / "g.bed", BIN
    )
    with pytest.raises(InputError, match="g.bed: no gene lies on the tracks' chromosomes"):
        load_graphs(inputs)


def test_names_without_chr_are_reconciled(files, notes):
    (files / "nochr.bedpe").write_text("1\t5000\t6000\t1\t0\t1000\n2\t0\t1000\t2\t3000\t4000\n")
    (files / "nochr.bed").write_text("1\t0\t1000\tg1\t0\t+\nMT\t0\t10\tmt\t0\t+\n")
    inputs = Inputs(
        [files / "dnase.bw"], files / "nochr.bedpe", files / "cage.bw", files / "nochr.bed", BIN
    )
    graphs = load_graphs(inputs, split={})
    assert graphs[0].edge_index.shape[1] == 2 and graphs[1].edge_index.shape[1] == 2
    assert graphs[0].gene_mask[0]
    assert any("contacts: 2 chromosome name(s) matched" in n and "1 → chr1" in n for n in notes)
    assert any("genes: 1 on chromosomes without tracks skipped" in n for n in notes)
    inputs = Inputs([files / "dnase.bw"], files / "c.bedpe", files / "cage.bw", None, 1500)
    with pytest.raises(InputError, match="1000 bp grid, which does not divide bin_size=1500"):
        load_graphs(inputs)


def test_genes_from_gtf(files):
    """GENCODE-style GTF without 'chr': gene rows, strand-aware TSS, names kept."""
    from graphreg_cli.data.genes import gene_names
    from graphreg_cli.io.gtf import read_gtf_genes

    gtf = files / "genes.gtf"
    gtf.write_text(
        '1\tHAVANA\tgene\t11\t2000\t.\t+\t.\tgene_id "G1"; gene_name "ALPHA";\n'
        '1\tHAVANA\ttranscript\t11\t2000\t.\t+\t.\tgene_id "G1"; transcript_id "T1";\n'
        '1\tHAVANA\tgene\t3001\t7200\t.\t-\t.\tgene_id "G2"; gene_name "BETA";\n'
    )
    genes = read_gtf_genes(gtf)
    assert list(genes["name"]) == ["ALPHA", "BETA"] and list(genes["start"]) == [10, 3000]
    inputs = Inputs([files / "dnase.bw"], files / "c.bedpe", files / "cage.bw", gtf, BIN)
    graphs = load_graphs(inputs, split={})
    assert graphs[0].gene_mask.nonzero().flatten().tolist() == [0, 7]  # BETA on '-': end - 1
    assert gene_names(gtf, SIZES, BIN) == {("chr1", 0): "ALPHA", ("chr1", 7): "BETA"}
    bad = files / "bad.gtf"
    bad.write_text("not a gtf\n")
    with pytest.raises(InputError, match="bad.gtf"):
        read_gtf_genes(bad)
