"""Files no part of graphreg wrote drop in: 100 bp tracks with gaps and Ensembl chromosome
names, a HiCCUPS loop list with a header and unaligned anchors, a GTF, CAGE named 'chr1' —
train (fine inputs, windows), evaluate --per-gene and predict run with no conversion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyBigWig
import pytest
from typer.testing import CliRunner

from graphreg_cli.cli import app

runner = CliRunner()
SIZES = {"1": 600_000, "2": 400_000, "3": 452_300}  # the last ends in a partial 5 kb bin
FINE, BIN = 100, 5000
HICCUPS_HEADER = (
    "#chr1\tx1\tx2\tchr2\ty1\ty2\tname\tscore\tstrand1\tstrand2\tcolor\tobserved\t"
    "expectedBL\texpectedDonut\texpectedH\texpectedV\tfdrBL\tfdrDonut\tfdrH\tfdrV\t"
    "numCollapsed\tcentroid1\tcentroid2\tradius"
)


def _write_fine(path, values: dict[str, np.ndarray], scale: float) -> None:
    """A 100 bp bigWig without entries where the signal is zero (gaps), as bamCoverage
    writes with --skipNonCoveredRegions."""
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader(list(SIZES.items()))
    for chrom, v in values.items():
        idx = np.flatnonzero(v > 0)
        starts = idx * FINE
        ends = np.minimum(starts + FINE, SIZES[chrom])
        handle.addEntries(
            [chrom] * len(idx),
            starts.tolist(),
            ends=ends.tolist(),
            values=(v[idx] * scale).astype(float).tolist(),
        )
    handle.close()


@pytest.fixture(scope="module")
def foreign(tmp_path_factory):
    rng = np.random.default_rng(7)
    folder = tmp_path_factory.mktemp("foreign")
    dnase, cage, loops, gtf = {}, {}, [], []
    for chrom, length in SIZES.items():
        n_fine, n_bins = -(-length // FINE), -(-length // BIN)
        v = np.zeros(n_fine)
        peaks = rng.choice(n_fine - 20, size=n_bins // 3, replace=False)
        for p in peaks:  # 300-700 bp peaks
            v[p : p + rng.integers(3, 8)] += rng.uniform(0.5, 3.0)
        dnase[chrom] = v
        coarse = np.add.reduceat(v, np.arange(0, n_fine, BIN // FINE)) / (BIN // FINE)
        y = np.zeros(n_bins)
        genes = rng.choice(n_bins - 4, size=6, replace=False) + 2
        for k, g in enumerate(genes):
            enh = rng.choice(n_bins, size=2, replace=False)
            y[g] = coarse[enh].sum() + coarse[g]
            strand = "+" if k % 2 else "-"
            tss = g * BIN + 1234  # GTF is 1-based
            start, end = (tss, tss + 3000) if strand == "+" else (tss - 3000, tss)
            gtf.append(
                f'{chrom}\tHAVANA\tgene\t{start}\t{end}\t.\t{strand}\t.\tgene_id "ENSG{chrom}{k}"; '
                f'gene_name "GENE{chrom}_{k}"; gene_type "protein_coding";'
            )
            for e in enh:  # unaligned 10 kb anchors, as HiCCUPS reports them
                a, b = sorted((int(g) * BIN - 2500, int(e) * BIN + 1700))
                a, b = max(a, 0), max(b, 0)
                fdr = rng.uniform(1e-6, 0.01)
                obs = rng.integers(20, 200)
                loops.append(
                    f"{chrom}\t{a}\t{min(a + 10_000, length)}\t{chrom}\t{b}\t"
                    f"{min(b + 10_000, length)}\t.\t.\t.\t.\t0,255,255\t{obs}\t5.1\t6.2\t4.3\t"
                    f"3.9\t{fdr:.3g}\t{fdr:.3g}\t{fdr:.3g}\t{fdr:.3g}\t1\t{a + 5000}\t"
                    f"{b + 5000}\t14142"
                )
        cage[chrom] = y
    loops.append(  # a weak call that --max-fdr 0.1 removes
        "1\t0\t10000\t1\t300000\t310000\t.\t.\t.\t.\t0,255,255\t9\t5\t6\t4\t3\t0.5\t0.5\t0.5\t"
        "0.5\t1\t5000\t305000\t14142"
    )
    gtf.append('MT\tENSEMBL\tgene\t1\t100\t.\t+\t.\tgene_id "ENSGMT"; gene_name "MT-ND1";')
    _write_fine(folder / "dnase.bw", dnase, 1.0)
    _write_fine(folder / "h3k27ac.bw", dnase, 40.0)  # another depth: per-track scaling
    (folder / "loops.bedpe").write_text(
        HICCUPS_HEADER + "\n# juicer_tools version 1.22.01\n" + "\n".join(loops) + "\n"
    )
    (folder / "genes.gtf").write_text("#!genome-build GRCh38.p14\n" + "\n".join(gtf) + "\n")
    handle = pyBigWig.open(str(folder / "cage.bw"), "w")  # UCSC names, 5 kb bins
    handle.addHeader([(f"chr{c}", n) for c, n in SIZES.items()])
    for chrom, y in cage.items():
        starts = np.arange(len(y)) * BIN
        handle.addEntries(
            [f"chr{chrom}"] * len(y),
            starts.tolist(),
            ends=np.minimum(starts + BIN, SIZES[chrom]).tolist(),
            values=y.astype(float).tolist(),
        )
    handle.close()
    return folder


def test_foreign_folder_trains_evaluates_predicts(foreign, tmp_path):
    run = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "train",
            "--model",
            "gat",
            str(foreign / "dnase.bw"),
            str(foreign / "h3k27ac.bw"),
            str(foreign / "loops.bedpe"),
            "--target",
            str(foreign / "cage.bw"),
            "--genes",
            str(foreign / "genes.gtf"),
            "--bin-size",
            "5000",
            "--input-bin-size",
            "100",
            "--max-fdr",
            "0.1",
            "--transform",
            "log1p",
            "--window",
            "250000",
            "--stride",
            "100000",
            "--val-chroms",
            "2",
            "--test-chroms",
            "3",
            "--epochs",
            "3",
            "--min-epochs",
            "1",
            "--channels",
            "8",
            "--heads",
            "2",
            "--out",
            str(run),
        ],
    )
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "read as Juicer HiCCUPS" in out
    assert "of 37 kept" in out  # --max-fdr dropped the weak call
    assert "cage.bw: 3 chromosome name(s) matched" in out
    assert "genes: 1 on chromosomes without tracks skipped" in out
    config = (run / "config.json").read_text()
    assert '"pool": 50' in config and '"window": 50' in config

    table_path = tmp_path / "genes.tsv"
    result = runner.invoke(app, ["evaluate", "--model", str(run), "--per-gene", str(table_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(table_path, sep="\t", dtype={"chrom": str})
    assert list(table.columns) == [
        "gene", "chrom", "tss", "bin_start", "bin_end", "true", "predicted", "contacts",
    ]  # fmt: skip
    assert len(table) == 6 and set(table["chrom"]) == {"3"}
    assert table["gene"].str.startswith("GENE3_").all()
    assert (table["bin_start"] == table["tss"] // BIN * BIN).all()
    assert (table["contacts"] >= 1).all() and np.isfinite(table["predicted"]).all()
    with pyBigWig.open(str(foreign / "cage.bw")) as cage:
        for row in table.itertuples():
            truth = cage.values(f"chr{row.chrom}", row.bin_start, row.bin_start + 1)[0]
            assert row.true == pytest.approx(truth, rel=1e-5)

    predicted = tmp_path / "predicted.bw"
    result = runner.invoke(app, ["predict", "--model", str(run), "-o", str(predicted)])
    assert result.exit_code == 0, result.output
    with pyBigWig.open(str(predicted)) as handle:
        assert handle.chroms() == SIZES  # the tracks' own naming and sizes
        values = handle.values("1", 0, SIZES["1"], numpy=True)
        assert np.isfinite(values).all() and (values >= 0).all()
        last = handle.intervals("3")[-1]
        assert last[1] == SIZES["3"]


def test_foreign_resolution_errors_are_one_line(foreign, tmp_path):
    base = [
        "train",
        str(foreign / "dnase.bw"),
        str(foreign / "loops.bedpe"),
        "--target",
        str(foreign / "cage.bw"),
        "--out",
        str(tmp_path / "run"),
    ]
    cases = [
        (
            ["--input-bin-size", "300"],
            2,
            "--bin-size 5000 is not a multiple of --input-bin-size 300",
        ),
        (["--input-bin-size", "50"], 1, "does not divide --input-bin-size 50"),
        (["--max-fdr", "0.1", "--contacts-format", "bedpe"], 2, "carry no FDR"),
    ]
    for extra, code, message in cases:  # 1: the file cannot be read so; 2: a bad setting
        result = runner.invoke(app, [*base, *extra])
        assert result.exit_code == code, result.output
        errors = [line for line in result.output.splitlines() if "graphreg: error" in line]
        assert len(errors) == 1 and message in " ".join(result.output.split()), result.output
        assert not (tmp_path / "run" / "model.pt").exists()


def test_cool_matrix_through_the_loader(foreign, tmp_path):
    """A .cool at the graph resolution: pixels become weighted edges, top-k per bin."""
    hictkpy = pytest.importorskip("hictkpy")
    pytest.importorskip("pyarrow")
    from graphreg_cli.data.graphs import load_graphs
    from graphreg_cli.data.inputs import Inputs

    path = tmp_path / "contacts.cool"
    writer = hictkpy.cooler.FileWriter(str(path), {f"chr{c}": n for c, n in SIZES.items()}, BIN)
    # chr1 (bins 0-119): bin 3 contacts 10 (count 50), 20 (5), 30 (1); bin 30 has two
    # stronger partners (40, 50), so 3-30 is in neither bin's top 2
    pixels = pd.DataFrame(
        {
            "bin1_id": [3, 3, 3, 3, 30, 30],
            "bin2_id": [3, 10, 20, 30, 40, 50],
            "count": [99, 50, 5, 1, 80, 70],
        }
    )
    writer.add_pixels(pixels)
    writer.finalize()
    inputs = Inputs([foreign / "dnase.bw"], path, None, None, BIN, FINE)
    inputs.contact_options.top_k = 2
    (g, *_) = load_graphs(inputs, split={}, only=["1"])
    weight = dict(zip(map(tuple, g.edge_index.T.tolist()), g.edge_weight.tolist()))
    kept = {(3, 10), (3, 20), (30, 40), (30, 50)}  # the diagonal and 3-30 are gone
    assert set(weight) == kept | {(b, a) for a, b in kept}
    assert weight[(30, 40)] == 1.0
    assert weight[(3, 20)] == pytest.approx(np.log1p(5) / np.log1p(80), rel=1e-5)


def test_no_common_chromosome_suggests_a_name(foreign, tmp_path):
    from graphreg_cli.data.graphs import load_graphs
    from graphreg_cli.data.inputs import Inputs
    from graphreg_cli.errors import InputError

    (tmp_path / "c.bedpe").write_text("chr_1\t0\t5000\tchr_1\t50000\t55000\n")
    inputs = Inputs([foreign / "dnase.bw"], tmp_path / "c.bedpe", None, None, BIN)
    with pytest.raises(InputError, match=r"contacts on chr_1, .*did you mean 1\?"):
        load_graphs(inputs)
