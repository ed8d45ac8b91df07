"""``graphreg benchmark``: enhancer–gene maps scored against CRISPRi pairs, checked against
hand-computed values; the ENCODE-rE2G/IGVF writer read back; CRISPR_comparison's columns."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.errors import InputError
from graphreg_cli.io.e2g import E2G_COLUMNS, IGVF_COLUMNS, read_predictions, write_e2g
from graphreg_cli.tasks.benchmark import (
    BOOTSTRAP_COLUMNS,
    SUMMARY_COLUMNS,
    auprc,
    benchmark,
    precision_at_recall,
)

runner = CliRunner()
REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "real-data"
FULCO = REAL / "crispr_fulco2019_k562_hg38.tsv.gz"


def test_auprc_and_precision_at_70_recall_by_hand():
    score = np.array([0.9, 0.8, 0.7, 0.0, 0.0])
    label = np.array([True, False, True, False, True])
    # thresholds 0.9 (P 1, R 1/3), 0.8 (P 1/2, R 1/3), 0.7 (P 2/3, R 2/3), 0 (P 3/5, R 1)
    assert auprc(score, label) == pytest.approx(1 / 3 + (1 / 3) * (2 / 3) + (1 / 3) * (3 / 5))
    assert precision_at_recall(score, label) == pytest.approx(3 / 5)
    assert precision_at_recall(score, label, 0.6) == pytest.approx(2 / 3)
    assert np.isnan(auprc(score, np.zeros(5, bool)))


CRISPR = (
    "chrom\tchromStart\tchromEnd\tname\tstartTSS\tmeasuredGeneSymbol\tRegulated\n"
    "chr1\t1000\t1500\te1\t6000\tA\tTRUE\n"  # two predictions overlap: the higher counts
    "chr1\t3000\t3500\te2\t6000\tA\tFALSE\n"  # a prediction for another gene only
    "chr1\t50000\t50500\te3\t6000\tA\tTRUE\n"  # no prediction: 0, not covered
    "chr1\t200000\t200400\te4\t60000\tB\tFALSE\n"
    "chr2\t100\t200\te5\t500\tC\tTRUE\n"  # a chromosome without predictions
)
PREDICTIONS = (
    "chr\tstart\tend\tname\tclass\tTargetGene\tTargetGeneTSS\tCellType\tScore\tabc\n"
    "chr1\t900\t1100\tp1\tgenic\tA\t6000\tK562\t0.2\t0.5\n"
    "chr1\t1400\t1600\tp2\tgenic\tA\t6000\tK562\t0.6\t0.1\n"
    "chr1\t3000\t3600\tp3\tgenic\tB\t60000\tK562\t0.9\t0.9\n"
    "chr1\t199000\t201000\tp4\tintergenic\tB\t60000\tK562\t0.3\t0.2\n"
)


def _files(tmp_path, crispr=CRISPR, predictions=PREDICTIONS):
    (tmp_path / "crispr.tsv").write_text(crispr)
    (tmp_path / "pred.tsv").write_text(predictions)
    return tmp_path / "pred.tsv", tmp_path / "crispr.tsv"


def test_pairs_take_the_best_overlapping_prediction_of_their_gene(tmp_path):
    table, scored = benchmark(*_files(tmp_path))
    np.testing.assert_array_equal(scored.scores["Score"][:4], [0.6, np.nan, np.nan, 0.3])
    np.testing.assert_array_equal(scored.scores["abc"][:4], [0.5, np.nan, np.nan, 0.2])
    assert len(scored.pairs) == 4  # the pair on chr2, which the map lacks, is left out
    assert list(table.columns) == SUMMARY_COLUMNS
    assert table["predictor"].tolist()[::4] == ["Score", "abc", "distance"]
    assert table["distance_class"].tolist()[:4] == ["all", "<10kb", "10-100kb", ">100kb"]
    first = table.iloc[0]
    assert (first.pairs, first.positives, first.covered) == (4, 2, pytest.approx(0.5))
    # Score: e1 0.6 (T), e4 0.3 (F), e2 e3 0 (F T) -> P 1, 1/2, 1/2 at R 1/2, 1/2, 1
    assert first.auprc == pytest.approx(1 / 2 + (1 / 2) * (1 / 2))
    assert first.precision_at_70_recall == pytest.approx(1 / 2)
    near = table[(table.predictor == "distance") & (table.distance_class == "<10kb")].iloc[0]
    assert (near.pairs, near.positives) == (2, 1)  # e1 and e2, 4.75 and 2.75 kb away


@pytest.mark.parametrize(
    "predictions, crispr, message",
    [
        (PREDICTIONS.replace("Score", "Other"), CRISPR, "has no 'Score' column and none"),
        (PREDICTIONS.replace("0.6\t", "nan\t"), CRISPR, "Score 'nan' is not a number"),
        (PREDICTIONS.replace("TargetGene\t", "Gene\t"), CRISPR, "has no TargetGene column"),
        (PREDICTIONS, CRISPR.replace("Regulated", "Hit"), "has no Regulated column"),
        (PREDICTIONS, CRISPR.replace("chr1\t", "chr9\t"), "no CRISPRi pair lies on the"),
        (PREDICTIONS, CRISPR.replace("TRUE\n", "yes\n", 1), "line 2: Regulated 'yes'"),
    ],
)
def test_bad_files_one_line_and_nothing_written(tmp_path, predictions, crispr, message):
    files = _files(tmp_path, crispr, predictions)
    out = tmp_path / "summary.tsv"
    result = runner.invoke(app, ["benchmark", *map(str, files), "-o", str(out)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("graphreg: error")]
    assert len(lines) == 1 and re.search(message, lines[0]), result.output
    assert not out.exists()


def test_score_column_ending_in_score(tmp_path):
    text = PREDICTIONS.replace("Score\tabc", "ENCODE-rE2G.Score\tABC.Score")
    files = _files(tmp_path, predictions=text)
    with pytest.raises(InputError, match=r"several \(ENCODE-rE2G.Score, ABC.Score\)"):
        benchmark(*files)
    table, _ = benchmark(*files, column="ENCODE-rE2G.Score", extra=["ABC.Score"])
    assert table["predictor"].unique().tolist() == ["ENCODE-rE2G.Score", "ABC.Score", "distance"]
    files = _files(tmp_path, predictions=PREDICTIONS.replace("Score\tabc", "model.Score\tx"))
    assert benchmark(*files)[0]["predictor"].iat[0] == "model.Score"


def test_cli_writes_the_summary(tmp_path):
    out = tmp_path / "summary.tsv"
    result = runner.invoke(app, ["benchmark", *map(str, _files(tmp_path)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out, sep="\t")
    assert list(summary.columns) == SUMMARY_COLUMNS + BOOTSTRAP_COLUMNS and len(summary) == 12
    again = tmp_path / "again.tsv"
    result = runner.invoke(app, ["benchmark", *map(str, _files(tmp_path)), "-o", str(again)])
    assert again.read_bytes() == out.read_bytes()  # the same resamples every run
    rows = summary.dropna(subset=["auprc_low"])
    assert (rows["auprc_low"] <= rows["auprc"] + 1e-9).all()
    assert (rows["auprc"] <= rows["auprc_high"] + 1e-9).all()
    plain = tmp_path / "plain.tsv"
    args = ["benchmark", *map(str, _files(tmp_path)), "--bootstrap", "0", "-o", str(plain)]
    assert runner.invoke(app, args).exit_code == 0
    assert list(pd.read_csv(plain, sep="\t").columns) == SUMMARY_COLUMNS


def test_bootstrap_interval_by_hand():
    """Every resample of a perfect ranking scores 1; of a ranking with one positive last,
    the interval spans what resampling that pair in or out gives."""
    from graphreg_cli.tasks.benchmark import Scored, summary

    pairs = pd.DataFrame({"Regulated": [True, True, False, False], "distance": [1e3] * 4})
    scored = Scored(pairs, {"good": np.array([4.0, 3, 2, 1]), "bad": np.array([4.0, 1, 3, 2])})
    table = summary(scored, "good", bootstrap=200).set_index(["predictor", "distance_class"])
    assert table.loc[("good", "all"), ["auprc_low", "auprc_high"]].tolist() == [1.0, 1.0]
    low, high = table.loc[("bad", "all"), ["auprc_low", "auprc_high"]]
    assert low < table.loc[("bad", "all"), "auprc"] < high == 1.0


def _prediction_frame(n=4):
    return pd.DataFrame(
        {
            "chr": "chr1",
            "start": np.arange(n) * 1000,
            "end": np.arange(n) * 1000 + 500,
            "name": [f"e{k}" for k in range(n)],
            "class": "intergenic",
            "TargetGene": "A",
            "TargetGeneTSS": 6000,
            "CellType": "K562",
            "Score": np.linspace(0.1, 0.4, n),
            "deletion": np.linspace(-1, 1, n),
        }
    )


@pytest.mark.parametrize("fmt, name", [("encode", "p.tsv.gz"), ("igvf", "p.tsv")])
def test_writer_round_trip(tmp_path, fmt, name):
    frame = _prediction_frame()
    path = tmp_path / name
    write_e2g(frame, path, fmt)
    back = read_predictions(path)
    assert back["Score"].astype(float).tolist() == pytest.approx(frame["Score"].tolist())
    assert back["start"].tolist() == frame["start"].tolist()
    if fmt == "igvf":
        lines = path.read_text().splitlines()
        assert lines[1] == "# SampleSummaryShort: K562"
        assert lines[2].split("\t")[:9] == IGVF_COLUMNS
    write_e2g(frame, tmp_path / "again.gz", fmt)
    if fmt == "encode":  # the same predictions give the same bytes (gzip without a time)
        assert (tmp_path / "again.gz").read_bytes() == path.read_bytes()


def test_written_columns_are_crispr_comparisons(tmp_path):
    """CRISPR_comparison's generic/ENCODE loader (fread, then the columns chr start end name
    class TargetGene TargetGeneTSS CellType and the score) reads the file unchanged."""
    path = tmp_path / "p.tsv"
    write_e2g(_prediction_frame(), path)
    header = path.read_text().splitlines()[0].split("\t")
    assert (
        header[:8]
        == E2G_COLUMNS
        == [
            "chr",
            "start",
            "end",
            "name",
            "class",
            "TargetGene",
            "TargetGeneTSS",
            "CellType",
        ]
    )
    assert header[8] == "Score"


def test_fulco_table_reads_and_scores(tmp_path):
    """The 5,091 Fulco 2019 pairs (no chr22): a map over their genes scores against them."""
    if not FULCO.exists():
        pytest.skip(f"{FULCO} not present")
    crispr = pd.read_csv(FULCO, sep="\t")
    rows = crispr.drop_duplicates(["chrom", "chromStart", "measuredGeneSymbol"])
    rows = pd.concat([rows.iloc[::10], rows.drop_duplicates("chrom")])  # every chromosome
    frame = pd.DataFrame(
        {
            "chr": rows["chrom"],
            "start": rows["chromStart"],
            "end": rows["chromEnd"],
            "name": rows["name"],
            "class": "intergenic",
            "TargetGene": rows["measuredGeneSymbol"],
            "TargetGeneTSS": rows["startTSS"],
            "CellType": "K562",
            "Score": rows["Regulated"].astype(float) + 0.5,  # a perfect map of these pairs
        }
    )
    path = tmp_path / "map.tsv.gz"
    write_e2g(frame, path)
    table, scored = benchmark(path, FULCO)
    assert len(scored.pairs) == len(crispr) == 5091
    assert int(crispr["Regulated"].sum()) == int(scored.pairs["Regulated"].sum()) == 137
    covered = table.iloc[0]["covered"]
    assert 0 < covered < 1


def test_explain_e2g_output_scores_on_fulco(tmp_path):
    """The whole path on the Fulco 2019 file: a model (trained on simulated chr11 of 8 Mb: the
    path, not the biology, is under test), ``explain --elements --e2g`` on the table's own
    elements and genes of the globin locus, then ``graphreg benchmark`` on that file."""
    if not FULCO.exists():
        pytest.skip(f"{FULCO} not present")
    crispr = pd.read_csv(FULCO, sep="\t")
    locus = crispr[(crispr["chrom"] == "chr11") & (crispr["chromEnd"] < 8_000_000)]
    elements, genes = tmp_path / "elements.bed", tmp_path / "genes.bed"
    locus[["chrom", "chromStart", "chromEnd"]].drop_duplicates().sort_values("chromStart").to_csv(
        elements, sep="\t", header=False, index=False
    )
    tss = locus.drop_duplicates("measuredGeneSymbol").assign(score=0, strand="+")
    tss[["chrTSS", "startTSS", "endTSS", "measuredGeneSymbol", "score", "strand"]].to_csv(
        genes, sep="\t", header=False, index=False
    )
    (tmp_path / "sizes").write_text("chr11\t8000000\n")
    (tmp_path / "val.bed").write_text("chr11\t6000000\t8000000\n")
    sim, run, out = tmp_path / "sim", tmp_path / "run", tmp_path / "map.tsv.gz"
    steps = [
        ["simulate", "--chrom-sizes", str(tmp_path / "sizes"), "--out", str(sim)],
        ["train", "--model", "cnn", str(sim / "dnase.bw"), str(sim / "contacts.bedpe"),
         "--target", str(sim / "cage.bw"), "--genes", str(sim / "genes.bed"),
         "--val-regions", str(tmp_path / "val.bed"), "--epochs", "1", "--out", str(run)],
        ["explain", "--model", str(run), "--genes", str(genes), "--elements", str(elements),
         "--method", "saliency", "--e2g", str(out), "--cell-type", "K562",
         "-o", str(tmp_path / "map.bedpe")],
        ["benchmark", str(out), str(FULCO), "-o", str(tmp_path / "summary.tsv")],
    ]  # fmt: skip
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args[0], result.output)
    written = pd.read_csv(out, sep="\t")
    assert written.columns[:9].tolist() == [*E2G_COLUMNS, "Score"]
    assert set(written["TargetGene"]) <= set(tss["measuredGeneSymbol"])
    summary = pd.read_csv(tmp_path / "summary.tsv", sep="\t")
    first = summary.iloc[0]
    assert (first["predictor"], first["distance_class"]) == ("Score", "all")
    on_chr11 = crispr[crispr["chrom"] == "chr11"]  # pairs restricted to the map's chromosome
    assert first["pairs"] == len(on_chr11) > len(locus)
    assert first["positives"] == int(on_chr11["Regulated"].sum())
    assert 0 < first["covered"] <= 1
