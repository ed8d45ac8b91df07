"""Inputs as labs have them: bedGraph tracks (per-base signal or counts per region), a gene
table as the target, Juicer dumps, a graph from genomic distance, and splits by region —
read on tiny fixtures, checked against hand-made values and independent readers."""

from __future__ import annotations

import gzip
import json
import re

import numpy as np
import pandas as pd
import pyBigWig
import pytest
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.data.edges import distance_edges, powerlaw_contact
from graphreg_cli.data.expression import TargetSettings, gene_targets
from graphreg_cli.data.genes import gene_tss
from graphreg_cli.data.regions import RegionSplit, block_split, read_regions
from graphreg_cli.errors import InputError, SettingError
from graphreg_cli.io.contacts import read_contacts
from graphreg_cli.io.tracks import TrackFormat, open_track

runner = CliRunner()
SIZES = {"chr1": 400_000, "chr2": 302_500}  # chr2 ends in a partial 5 kb bin
BIN = 5000


def _write(path, text: str) -> None:
    path.write_text(text)


def _sizes_file(folder) -> None:
    _write(folder / "chrom.sizes", "".join(f"{c}\t{n}\n" for c, n in SIZES.items()))


# bedGraph tracks ------------------------------------------------------------------------------


def test_bedgraph_signal_bins_like_the_same_bigwig(tmp_path):
    """A per-base signal as bedGraph reads exactly as the same intervals in a bigWig, at
    any bin size (gaps are 0; the partial last bin's mean over its own length)."""
    rng = np.random.default_rng(1)
    rows = []
    for chrom, length in SIZES.items():
        cuts = np.sort(rng.choice(np.arange(1, length), 60, replace=False))
        for s, e in zip(cuts[0::2], cuts[1::2]):
            rows.append((chrom, int(s), int(e), float(rng.uniform(0, 9))))
    _sizes_file(tmp_path)
    _write(tmp_path / "sig.bedGraph", "".join(f"{c}\t{s}\t{e}\t{v}\n" for c, s, e, v in rows))
    bw = pyBigWig.open(str(tmp_path / "sig.bw"), "w")
    bw.addHeader(list(SIZES.items()))
    for c, s, e, v in rows:
        bw.addEntries([c], [s], ends=[e], values=[v])
    bw.close()
    with open_track(tmp_path / "sig.bedGraph") as bg, open_track(tmp_path / "sig.bw") as big:
        assert bg.chroms() == big.chroms() == SIZES
        for size in (1000, 5000):
            for chrom in SIZES:
                np.testing.assert_allclose(
                    bg.bins(chrom, size), big.bins(chrom, size), rtol=1e-5, atol=1e-6
                )


def test_bedgraph_counts_spread_over_their_region(tmp_path):
    """A count per region is spread over its span: a bin holds the counts falling in it."""
    _sizes_file(tmp_path)
    path = tmp_path / "counts.bedGraph.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("track type=bedGraph\nchr1\t150\t350\t10\nchr1\t400\t500\t3\n")
    with open_track(path, TrackFormat("counts")) as track:
        got = track.bins("chr1", 100)[:6]
        np.testing.assert_allclose(got, [0, 2.5, 5, 2.5, 3, 0])
        assert track.bins("chr1", 100).sum() == pytest.approx(13)
        assert track.chroms() == {"chr1": SIZES["chr1"]}  # the chromosomes it lists
        assert track.grid() == 1  # counts spread over any grid
    with open_track(path, TrackFormat("signal")) as track:  # per base: the bin's mean
        np.testing.assert_allclose(track.bins("chr1", 100)[:6], [0, 5, 10, 5, 3, 0])


@pytest.mark.parametrize(
    "body, message",
    [
        ("chr1\t500\t600\t1\nchr1\t100\t200\t1\n", r"line 2: chr1:100 starts before"),
        ("chr1\t100\t300\t1\nchr1\t200\t400\t1\n", r"line 2: chr1:200-400 overlaps"),
        ("chr1\t1\t2\t1\nchr2\t1\t2\t1\nchr1\t5\t6\t1\n", r"line 3: chr1 appears again"),
        ("chr1\t100\t200\tabc\n", r"line 1: value 'abc' is not a finite number"),
        ("chr1\t100\t100\t1\n", r"line 1: interval 100-100 is empty"),
        (
            "chr1\t10\t20\t1\nchr1\t399000\t401000\t1\n",
            r"line 2: End coordinate 401000.*"
            r"another assembly",
        ),
        ("chrUn\t10\t20\t1\n", r"line 1: chrUn is not in chrom.sizes.*another assembly"),
        ("chr1\t10\t20\t1\t5\n", r"has 5 columns; a bedGraph has 4"),
    ],
)
def test_bedgraph_bad_lines_name_the_line(tmp_path, body, message):
    _sizes_file(tmp_path)
    path = tmp_path / "bad.bedGraph"
    _write(path, body)
    with pytest.raises(InputError, match=message):
        open_track(path)


def test_bedgraph_without_sizes_says_how_to_give_them(tmp_path):
    path = tmp_path / "alone.bedGraph"
    _write(path, "chr1\t10\t20\t1\n")
    with pytest.raises(InputError, match="carries no chromosome sizes: give chrom_sizes"):
        open_track(path)
    sizes = tmp_path / "hg.txt"
    _write(sizes, "chr1\t1000\n")
    assert open_track(path, TrackFormat(chrom_sizes=sizes)).chroms() == {"chr1": 1000}


# gene tables ---------------------------------------------------------------------------------


def _genes(tmp_path):
    path = tmp_path / "genes.bed"
    _write(
        path,
        "chr1\t12000\t20000\tALPHA\t0\t+\n"  # TSS bin 2
        "chr1\t9000\t14000\tBETA\t0\t-\n"  # TSS 13999: bin 2 as well
        "chr1\t50000\t60000\tGAMMA\t0\t+\n"  # bin 10
        "chr2\t30000\t31000\tDELTA\t0\t+\n"  # bin 6, no value in the table
        "chr2\t100000\t101000\tENSG00000001\t0\t+\n",  # bin 20, named by Ensembl id
    )
    return gene_tss(path, SIZES)


def _table(tmp_path, text: str, name="expr.tsv"):
    path = tmp_path / name
    _write(path, text)
    return path


def test_gene_table_on_bins_summed_on_the_linear_scale(tmp_path, notes):
    genes = _genes(tmp_path)
    table = _table(
        tmp_path,
        "gene\tTPM\nALPHA\t3\nBETA\t1\nGAMMA\t0.5\nENSG00000001.7\t2\nOTHER\t9\nOTHER\t1\n",
    )
    found = gene_targets(table, genes, SIZES, BIN, TargetSettings(transform="log1p"))
    y, known = found.bins["chr1"]
    assert np.flatnonzero(known).tolist() == [2, 10]
    np.testing.assert_allclose(y[[2, 10]], np.log1p([4.0, 0.5]), rtol=1e-6)
    y2, known2 = found.bins["chr2"]
    assert np.flatnonzero(known2).tolist() == [20]  # matched by id, version ignored
    assert y2[20] == pytest.approx(np.log1p(2.0))
    assert found.units == "log1p(TPM)"
    text = " ".join(notes)
    assert "4 of 5 genes matched by 'gene'" in text and "1 without a value (DELTA)" in text
    assert "1 bin(s) hold more than one gene" in text
    assert "listed more than once" not in text  # OTHER is not among the genes


def test_gene_table_log_column_turned_back_before_summing(tmp_path):
    genes = _genes(tmp_path)
    table = _table(tmp_path, "id,log10_tpm\nALPHA,1\nBETA,1\nGAMMA,0\n", "expr.csv")
    found = gene_targets(table, genes, SIZES, BIN, TargetSettings(scale="log10p1"))
    y, _ = found.bins["chr1"]
    assert y[2] == pytest.approx(np.log10(9 + 9 + 1))  # 10^1 - 1 twice, summed, back to log10
    assert found.units == "log10_tpm"


@pytest.mark.parametrize(
    "text, settings, error, message",
    [
        ("gene\tTPM\nNOPE\t1\n", {}, InputError, "no gene matches the annotation's"),
        ("gene\tTPM\nALPHA\t1\n", {"column": "FPKM"}, InputError, "has no column 'FPKM'"),
        ("gene\ta\tb\nALPHA\t1\t2\n", {}, SettingError, "2 numeric columns .*target_column"),
        ("gene\tTPM\nALPHA\t1\nGAMMA\tNaN\n", {}, InputError, r"line 3: TPM 'NaN' is not"),
        ("gene\tTPM\nALPHA\t-2\n", {}, InputError, r"line 2: TPM -2 is negative; is it on a log"),
        ("gene\tTPM\n", {}, InputError, "has a header but no rows"),
        ("gene\tTPM\nALPHA\t1\t3\n", {}, InputError, r"line 2: has 3 fields"),
    ],
)
def test_gene_table_bad_input(tmp_path, text, settings, error, message):
    genes = _genes(tmp_path)
    with pytest.raises(error, match=message):
        gene_targets(_table(tmp_path, text), genes, SIZES, BIN, TargetSettings(**settings))


def test_gene_table_settings_refused():
    with pytest.raises(SettingError, match="target_scale"):
        TargetSettings(scale="log3").check()
    with pytest.raises(SettingError, match="already on a log scale"):
        TargetSettings(scale="log2p1", transform="log1p").check()


# Juicer dumps and the distance graph ---------------------------------------------------------


def _matrix(rng):
    """A symmetric-looking upper triangle of counts on chr1 at 5 kb: ``(i, j, count)``."""
    n = SIZES["chr1"] // BIN
    i, j = np.triu_indices(n)
    keep = (j - i <= 30) & (rng.random(len(i)) < 0.6)
    i, j = i[keep], j[keep]
    count = rng.poisson(50 / (1 + j - i)) + 1
    return i, j, count


def test_dump_reads_as_the_same_cool(tmp_path):
    hictkpy = pytest.importorskip("hictkpy")
    i, j, count = _matrix(np.random.default_rng(3))
    dump = tmp_path / "chr1_5kb.RAWobserved.gz"
    with gzip.open(dump, "wt") as handle:
        for a, b, c in zip(i, j, count):
            handle.write(f"{a * BIN}\t{b * BIN}\t{float(c)}\n")
    cool = tmp_path / "m.cool"
    writer = hictkpy.cooler.FileWriter(str(cool), {"chr1": SIZES["chr1"]}, BIN)
    writer.add_pixels(pd.DataFrame({"bin1_id": i, "bin2_id": j, "count": count.astype(np.int32)}))
    writer.finalize()
    for options in ({"top_k": 4}, {"min_score": 5}):
        a, fmt_a = read_contacts(dump, bin_size=BIN, chroms=SIZES, **options)
        b, fmt_b = read_contacts(cool, bin_size=BIN, chroms=SIZES, **options)
        assert (fmt_a, fmt_b) == ("dump", "matrix")
        columns = ["chrom1", "start1", "end1", "chrom2", "start2", "end2", "score"]
        pd.testing.assert_frame_equal(a[columns], b[columns], check_dtype=False)


def test_dump_resolution_and_chromosome_checked(tmp_path):
    dump = tmp_path / "sample.txt"
    _write(dump, "0\t5000\t3\n5000\t15000\t2\n")
    with pytest.raises(InputError, match="names none of chr1, chr2; give it with contacts_chrom"):
        read_contacts(dump, bin_size=BIN, chroms=SIZES)
    frame, fmt = read_contacts(dump, bin_size=BIN, chroms=SIZES, dump_chrom="2", top_k=5)
    assert fmt == "dump" and set(frame["chrom1"]) == {"chr2"}  # '2' is chr2
    with pytest.raises(InputError, match=r"5,000 bp grid: it is a 5,000 bp matrix, not 10,000"):
        read_contacts(dump, bin_size=10_000, chroms=SIZES, dump_chrom="chr1")
    _write(dump, "0\t5000\t3\n5000\t500000\t2\n")
    with pytest.raises(InputError, match="line 2: bin 500000 lies past the chromosome's end"):
        read_contacts(dump, bin_size=BIN, chroms=SIZES, dump_chrom="chr1")


def test_distance_graph_edges_per_bin_and_powerlaw_weights():
    edges = distance_edges({"c": 100 * BIN}, BIN, 20_000)
    pairs, weight = edges["c"]
    degree = np.bincount(pairs[:, 0], minlength=100)
    assert degree[10:90].tolist() == [8] * 80 and degree[0] == 4  # 2 x 20 kb / 5 kb
    assert set(map(tuple, pairs[pairs[:, 0] == 50].tolist())) == {
        (50, k) for k in (46, 47, 48, 49, 51, 52, 53, 54)
    }
    far = weight[(pairs[:, 0] == 50) & (pairs[:, 1] == 54)][0]
    assert weight.max() == pytest.approx(1.0)
    assert far == pytest.approx(powerlaw_contact([20_000])[0] / powerlaw_contact([5000])[0])
    with pytest.raises(SettingError, match="at least one bin"):
        distance_edges({"c": 1000}, BIN, 100)


# splits by region ----------------------------------------------------------------------------


def test_regions_parts_and_refusals(tmp_path):
    val, test = tmp_path / "val.bed", tmp_path / "test.bed"
    _write(val, "1\t0\t10000\n")  # '1' matched to chr1
    _write(test, "chr1\t12000\t22000\nchr2\t0\t5000\n")
    split = read_regions(val, test, SIZES)
    parts = split.node_parts("chr1", 10, BIN)
    assert parts.tolist() == [1, 1, 2, 2, 2, 0, 0, 0, 0, 0]  # bins overlapping a region
    assert split.chromosomes("test") == ["chr1", "chr2"]
    _write(val, "chr1\t0\t15000\n")
    with pytest.raises(
        SettingError, match=r"overlaps val_regions=.* \(chr1:12000-15000 is in both"
    ):
        read_regions(val, test, SIZES)
    _write(val, "chrZ\t0\t15000\n")
    with pytest.raises(InputError, match="no region lies on the tracks' chromosomes"):
        read_regions(val, test, SIZES)
    assert RegionSplit.from_json(split.to_json()) == split


def test_blocks_cut_the_genes_into_contiguous_folds():
    tss = pd.DataFrame(
        {
            "chrom": ["chr1"] * 7 + ["chr2"] * 3,
            "tss": [k * 20_000 + 10 for k in range(7)] * 1 + [1000, 50_000, 90_000],
        }
    )
    tested = []
    for fold in (1, 2, 3):
        split = block_split(tss, SIZES, BIN, 3, fold)
        for chrom, start, end in split.test:
            bins = tss[(tss.chrom == chrom) & (tss.tss >= start) & (tss.tss < end)]
            tested += list(zip(bins.chrom, bins.tss))
        assert not set(split.test) & set(split.val)
    assert sorted(tested) == sorted(zip(tss.chrom, tss.tss))  # every gene tested once
    with pytest.raises(SettingError, match="blocks"):
        block_split(tss, SIZES, BIN, 11, 1)


# the whole path, through the command line ------------------------------------------------------


@pytest.fixture(scope="module")
def lab_folder(tmp_path_factory):
    """What a lab has: DNase counts per candidate region and H3K27ac signal as bedGraphs
    (chrom.sizes beside), a Juicer dump of chr1, genes as BED and TPM by symbol."""
    rng = np.random.default_rng(11)
    folder = tmp_path_factory.mktemp("lab")
    _sizes_file(folder)
    dnase, acetyl, genes, tpm = [], [], [], []
    for chrom, length in SIZES.items():
        starts = np.sort(rng.choice(np.arange(0, length - 3000, 1000), 80, replace=False))
        for s in starts:
            dnase.append((chrom, int(s), int(s) + 500, int(rng.poisson(20))))
            acetyl.append((chrom, int(s), int(s) + 500, float(rng.gamma(2.0))))
        for k, s in enumerate(rng.choice(starts, 12, replace=False)):
            name = f"{chrom}_g{k}"
            genes.append((chrom, int(s) + 100, int(s) + 2100, name, 0, "+"))
            region = [v for c, a, _, v in dnase if c == chrom and a == s][0]
            tpm.append((name, round(float(region * rng.uniform(0.5, 1.5)), 3)))
    for name, rows in (("dnase.bedGraph", dnase), ("h3k27ac.bedGraph", acetyl)):
        _write(folder / name, "".join(f"{c}\t{s}\t{e}\t{v}\n" for c, s, e, v in rows))
    _write(folder / "genes.bed", "".join("\t".join(map(str, g)) + "\n" for g in genes))
    _write(folder / "expression.tsv", "gene\tTPM\n" + "".join(f"{g}\t{v}\n" for g, v in tpm))
    i, j, count = _matrix(rng)
    _write(
        folder / "chr1_5kb.RAWobserved",
        "".join(f"{a * BIN}\t{b * BIN}\t{c}\n" for a, b, c in zip(i, j, count)),
    )
    _write(folder / "test.bed", "chr1\t200000\t400000\n")
    _write(folder / "val.bed", "chr2\t0\t150000\n")
    return folder


def _train(folder, out, *extra):
    args = [
        "train",
        "--model",
        "cnn",
        str(folder / "dnase.bedGraph"),
        str(folder / "h3k27ac.bedGraph"),
        *extra,
        "--target",
        str(folder / "expression.tsv"),
        "--genes",
        str(folder / "genes.bed"),
        "--bedgraph",
        "counts",
        "--target-transform",
        "log1p",
        "--epochs",
        "3",
        "--min-epochs",
        "1",
        "--channels",
        "8",
        "--cnn-layers",
        "2",
        "--out",
        str(out),
    ]
    return runner.invoke(app, args)


def test_lab_files_train_evaluate_predict(lab_folder, tmp_path):
    """bedGraphs, a dump and a gene table train with a region split; evaluation scores the
    held-out genes only; predict writes the trained units as a bigWig an independent reader
    opens."""
    bbi = pytest.importorskip("bbi")
    out = tmp_path / "run"
    f = lab_folder
    result = _train(
        f,
        out,
        str(f / "chr1_5kb.RAWobserved"),
        "--val-regions",
        str(f / "val.bed"),
        "--test-regions",
        str(f / "test.bed"),
    )
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["target_units"] == "log1p(TPM)"
    assert config["inputs"]["target_column"] == "TPM" and config["inputs"]["bedgraph"] == "counts"
    assert config["regions"]["test"] == [["chr1", 200000, 400000]]
    assert set(config["split"].values()) == {"train"}
    per_gene = tmp_path / "genes.tsv"
    result = runner.invoke(app, ["evaluate", "--model", str(out), "--per-gene", str(per_gene)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(per_gene, sep="\t")
    genes = pd.read_csv(f / "genes.bed", sep="\t", header=None)
    held = genes[(genes[0] == "chr1") & (genes[1] >= 200_000)]
    assert sorted(table["gene"]) == sorted(held[3])  # the test region's genes, no others
    metrics = json.loads((out / "metrics.json").read_text())["test"]
    assert metrics["gene_bins"] == table["bin_start"].nunique()
    assert "Pearson r, log1p(TPM) at genes" in result.output
    bigwig = tmp_path / "pred.bw"
    result = runner.invoke(app, ["predict", "--model", str(out), "-o", str(bigwig)])
    assert result.exit_code == 0, result.output
    assert "log1p(TPM)" in result.output
    with bbi.open(str(bigwig)) as handle:
        assert dict(handle.chromsizes) == SIZES
        assert np.isfinite(handle.fetch("chr1", 0, SIZES["chr1"], bins=80)).all()


def test_lab_files_without_contacts(lab_folder, tmp_path):
    result = _train(lab_folder, tmp_path / "run", "--no-contacts", "--max-distance", "50000")
    assert result.exit_code == 0, result.output
    assert "bins within 50,000 bp joined (20 edges per bin)" in result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["inputs"]["contacts"] is None
    assert config["inputs"]["contact_options"]["distance_bp"] == 50_000


@pytest.mark.parametrize(
    "extra, code, message",
    [
        (["{f}/chr1_5kb.RAWobserved", "--no-contacts"], 2, "--no-contacts with a contacts file"),
        (
            [
                "{f}/chr1_5kb.RAWobserved",
                "--val-regions",
                "{f}/test.bed",
                "--test-regions",
                "{f}/test.bed",
            ],
            2,
            "--test-regions .* overlaps --val-regions",
        ),
        (
            ["{f}/chr1_5kb.RAWobserved", "--test-regions", "{f}/test.bed", "--test-chroms", "chr2"],
            2,
            "not both",
        ),
        (["{f}/chr1_5kb.RAWobserved", "--target-column", "FPKM"], 1, "has no column 'FPKM'"),
        (["{f}/chr1_5kb.RAWobserved", "--bin-size", "10000"], 1, "it is a 5,000 bp matrix"),
    ],
)
def test_lab_files_bad_settings(lab_folder, tmp_path, extra, code, message):
    out = tmp_path / "run"
    result = _train(lab_folder, out, *[e.format(f=lab_folder) for e in extra])
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("graphreg: error")]
    assert len(lines) == 1 and re.search(message, lines[0]), result.output
    assert not out.exists()


def test_cv_blocks_tests_every_gene_once(lab_folder, tmp_path):
    f = lab_folder
    result = runner.invoke(
        app,
        [
            "cv",
            "--blocks",
            "3",
            "--model",
            "linear",
            str(f / "dnase.bedGraph"),
            str(f / "chr1_5kb.RAWobserved"),
            "--target",
            str(f / "expression.tsv"),
            "--genes",
            str(f / "genes.bed"),
            "--bedgraph",
            "counts",
            "--target-transform",
            "log1p",
            "--epochs",
            "2",
            "--min-epochs",
            "1",
            "--out",
            str(tmp_path / "cv"),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "cv" / "cv.tsv", sep="\t")
    assert table["fold"].tolist() == ["1", "2", "3", "pooled"]
    genes = pd.read_csv(f / "genes.bed", sep="\t", header=None)
    assert table["tss_bins"].iloc[-1] == table["tss_bins"].iloc[:-1].sum()
    assert table["tss_bins"].iloc[-1] == len(set(zip(genes[0], genes[1] // BIN)))
    assert np.isfinite(table["pearson"].iloc[-1]) and "test blocks of genes" in result.output


def test_real_k562_dump_and_cool_give_the_same_contacts():
    """The K562 chr22 matrix as a Juicer dump and as a .cool: the same top-10 contacts."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent.parent / "shared" / "real-data"
    folder = folder / "k562_chr22_hg38"
    if not folder.exists():
        pytest.skip(f"{folder} not present")
    pytest.importorskip("hictkpy")
    sizes = {"chr22": 50_818_468}
    dump, fmt = read_contacts(folder / "chr22_5kb.RAWobserved.gz", bin_size=BIN, chroms=sizes)
    cool, _ = read_contacts(folder / "chr22_5kb.cool", bin_size=BIN, chroms=sizes)
    assert fmt == "dump" and len(dump) == 41_528
    columns = ["chrom1", "start1", "end1", "chrom2", "start2", "end2", "score"]
    pd.testing.assert_frame_equal(dump[columns], cool[columns], check_dtype=False)
