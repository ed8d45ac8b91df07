"""Inputs as ENCODE and GENCODE ship them, and GraphReg's cross-validation folds."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.data.folds import fold_chromosomes
from graphreg_cli.data.genes import gene_bins, gene_tss
from graphreg_cli.data.graphs import load_graphs
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.errors import InputError, SettingError
from graphreg_cli.io.bigwig import read_bigwig, write_bigwig
from graphreg_cli.io.gtf import read_genes
from graphreg_cli.tasks.cv import CV_COLUMNS, parse_folds

runner = CliRunner()
FAST = ["--channels", "8", "--cnn-layers", "2", "--graph-layers", "1", "--heads", "2"]


@pytest.fixture(scope="module")
def human(tmp_path_factory) -> Path:
    """A simulated dataset on chr1..chr22 (GraphReg's folds need all 22 autosomes)."""
    from graphreg_cli.simulation.generator import SimulationParams, simulate
    from graphreg_cli.simulation.writer import write_dataset

    out = tmp_path_factory.mktemp("human") / "data"
    params = SimulationParams(chromosomes=22, bins=60, genes=6, regulators=8, split=(16, 3, 3))
    write_dataset(simulate(params), out)
    return out


@pytest.fixture(scope="module")
def strands(human) -> tuple[Path, Path]:
    """ENCODE-style CAGE: a plus-strand track and a minus-strand one stored negative."""
    cage = read_bigwig(human / "cage.bw", 5000)
    sizes = json.loads((human / "dataset.json").read_text())["parameters"]
    sizes = {c: sizes["bins"] * 5000 for c in cage}
    plus, minus = human / "cage_plus.bw", human / "cage_minus.bw"
    write_bigwig(plus, sizes, {c: 0.7 * v for c, v in cage.items()}, 5000)
    write_bigwig(minus, sizes, {c: -0.3 * v for c, v in cage.items()}, 5000)
    return plus, minus


def test_two_strands_sum_to_the_cage_signal(human, strands, notes):
    plus, minus = strands
    summed = Inputs([human / "dnase.bw"], human / "contacts.bedpe", plus, extra_targets=[minus])
    single = Inputs([human / "dnase.bw"], human / "contacts.bedpe", human / "cage.bw")
    for a, b in zip(load_graphs(summed), load_graphs(single)):
        np.testing.assert_allclose(a.y.numpy(), b.y.numpy(), rtol=1e-5, atol=1e-6)
    assert any("cage_minus.bw has negative values" in n and "absolute" in n for n in notes)
    assert not any("cage_plus.bw has negative" in n for n in notes)
    again = Inputs.from_json(summed.to_json())
    assert again.targets == [plus, minus] and summed.to_json()["target"] == [str(plus), str(minus)]
    old = dict(single.to_json(), target=str(plus))  # configs before several targets
    assert Inputs.from_json(old).targets == [plus]


def test_train_takes_two_targets_and_a_fold(human, strands, tmp_path):
    plus, minus = strands
    run = tmp_path / "run"
    args = ["train", str(human / "dnase.bw"), str(human / "contacts.bedpe"), "--fold", "3"]
    args += ["--target", str(plus), "--target", str(minus), "--epochs", "1", "-o", str(run)]
    result = runner.invoke(app, [*args, *FAST])
    assert result.exit_code == 0, result.output
    config = json.loads((run / "config.json").read_text())
    assert config["inputs"]["target"] == [str(plus), str(minus)]
    split = config["split"]
    assert [c for c, s in split.items() if s == "val"] == ["chr3", "chr13"]
    assert [c for c, s in split.items() if s == "test"] == ["chr4", "chr14"]
    both = runner.invoke(app, [*args, "--overwrite", "--val-chroms", "chr1", *FAST])
    assert both.exit_code == 2 and "give --fold 3 or --val-chroms" in both.output


def test_graphreg_folds_match_its_scripts():
    human = [f"chr{i}" for i in range(1, 23)] + ["chrX", "chrY"]
    folds = [fold_chromosomes(k, human) for k in range(1, 11)]
    assert folds[0] == (["chr1", "chr11"], ["chr2", "chr12"])  # run_epi_models_*.sh, line 1
    assert folds[9] == (["chr10", "chr20"], ["chr11", "chr21"])
    tested = sorted(int(c[3:]) for _, test in folds for c in test)
    assert tested == list(range(2, 22))  # chr2..chr21 each tested once
    assert all(not set(v) & set(t) for v, t in folds)
    mouse = [str(i) for i in range(1, 20)] + ["X"]  # Ensembl-style names
    assert fold_chromosomes(9, mouse) == (["9", "19"], ["10", "1"])
    assert fold_chromosomes(10, mouse) == (["10", "1"], ["11", "2"])
    with pytest.raises(SettingError, match="fold=1 follows GraphReg's split"):
        fold_chromosomes(1, ["chr1", "chr2", "chr3"])
    assert parse_folds("1-3,7") == [1, 2, 3, 7]
    with pytest.raises(SettingError, match="folds='0-2'"):
        parse_folds("0-2")


GENCODE = Path(__import__("pyranges").__file__).parent / "example_data" / "gencode_human.gtf.gz"


def _gtf_rows(feature: str) -> list[tuple[int, int, str, str]]:
    """``(start0, end, strand, gene_type)`` of one feature, read straight from the text."""
    rows = []
    with gzip.open(GENCODE, "rt") as handle:
        for line in handle:
            fields = line.split("\t")
            if line.startswith("#") or fields[2] != feature:
                continue
            kind = fields[8].split('gene_type "')[1].split('"')[0]
            rows.append((int(fields[3]) - 1, int(fields[4]), fields[6], kind))
    return rows


def test_gencode_gtf_by_type_and_transcript(tmp_path):
    sizes = {"chr1": 248_956_422}
    for feature, level in (("gene", "gene"), ("transcript", "transcript")):
        rows = _gtf_rows(feature)
        for types in (None, ["protein_coding"]):
            wanted = [r for r in rows if types is None or r[3] in types]
            tss = sorted(e - 1 if s == "-" else b for b, e, s, _ in wanted)
            table = gene_tss(GENCODE, sizes, types, level)
            assert sorted(table["tss"].tolist()) == tss
    genes = gene_bins(GENCODE, sizes, 5000)
    every = gene_bins(GENCODE, sizes, 5000, tss="transcript")
    assert set(genes["chr1"]) < set(every["chr1"])  # alternative TSSs mark more bins
    with pytest.raises(InputError, match="no gene of type lncRNA_x .*protein_coding"):
        read_genes(GENCODE, ["lncRNA_x"])
    bed = tmp_path / "genes.bed"
    pd.DataFrame([["chr1", 10, 20, "a", 0, "+"]]).to_csv(bed, sep="\t", header=False, index=False)
    with pytest.raises(SettingError, match="select from a GTF/GFF annotation"):
        read_genes(bed, ["protein_coding"])


@pytest.mark.slow
def test_cv_trains_folds_and_pools_them(human, tmp_path):
    out = tmp_path / "cv"
    args = ["cv", str(human / "dnase.bw"), str(human / "contacts.bedpe"), "--folds", "1,2"]
    args += ["--epochs", "3", "--min-epochs", "1", "--lr", "0.02", "--min-expression", "4"]
    args += ["-o", str(out)]
    result = runner.invoke(app, [*args, *FAST])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "cv.tsv", sep="\t", dtype={"fold": str})
    assert list(table.columns) == CV_COLUMNS and table["fold"].tolist() == ["1", "2", "pooled"]
    assert table.loc[2, "tss_bins"] == table.loc[:1, "tss_bins"].sum()
    assert table.loc[2, "expressed"] == table.loc[:1, "expressed"].sum()
    # fold 1 again, independently: its run's predictions at expressed TSS bins of chr2, chr12
    from graphreg_cli.tasks.runs import Run

    preds = Run.open(out / "fold_01").predict(device="cpu")
    genes = gene_bins(human / "genes.bed", {c: 60 * 5000 for c in preds}, 5000)
    cage = read_bigwig(human / "cage.bw", 5000)
    true = np.concatenate([cage[c][genes[c]] for c in ("chr2", "chr12")])
    pred = np.concatenate([preds[c][genes[c]] for c in ("chr2", "chr12")])
    on = true >= 4
    r = np.corrcoef(np.log1p(np.clip(pred[on], 0, None)), np.log1p(true[on]))[0, 1]
    assert table.loc[0, "r_expressed"] == pytest.approx(r, abs=1e-5)
    assert table.loc[0, "test"] == "chr2,chr12" and on.sum() == table.loc[0, "expressed"]
    assert (out / "fold_02" / "model.pt").exists()


def test_base_resolution_bigwig_read_in_slices_equals_its_bases(tmp_path, monkeypatch):
    import pyBigWig

    from graphreg_cli.io import bigwig

    rng = np.random.default_rng(2)
    length = 123_457  # slices and bins both end part-way
    ends = np.unique(np.r_[np.cumsum(rng.integers(1, 6, length // 2)), length])
    ends = ends[ends <= length]
    starts = np.r_[0, ends[:-1]]
    values = rng.normal(0, 2, len(ends))  # negative too, as ENCODE's minus strands
    keep = rng.random(len(ends)) > 0.2  # gaps
    path = tmp_path / "base.bw"
    with pyBigWig.open(str(path), "w") as handle:
        handle.addHeader([("chr1", length)])
        handle.addEntries(
            ["chr1"] * int(keep.sum()),
            starts[keep].tolist(),
            ends=ends[keep].tolist(),
            values=values[keep].tolist(),
        )
    bases = np.zeros(length)
    for a, b, v in zip(starts[keep], ends[keep], values[keep]):
        bases[a:b] = np.float32(v)
    monkeypatch.setattr(bigwig, "BASE_SLICE", 1_000)  # many slices
    for size in (100, 5000):
        sums = np.add.reduceat(bases, np.arange(0, length, size))
        got = read_bigwig(path, size, stat="sum")["chr1"]
        np.testing.assert_allclose(got, sums, rtol=1e-5, atol=1e-3)
