"""graphreg prepare contacts: planted loops over a distance decay, found at a controlled FDR."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.io.contacts import read_contacts
from graphreg_cli.prepare.contacts import CallOptions, bh_qvalues, score_chromosome
from graphreg_cli.simulation.matrix import MatrixParams, simulate_matrix, write_cool

runner = CliRunner()
RES = 1_000
SMALL = dict(bins=400, max_distance=40, depth=300.0, loop_fold=6.0, loop_min_distance=3)


def run(params: MatrixParams, **options):
    pixels, loops = simulate_matrix(params)
    i, j, c = (pixels[k].to_numpy(np.int64) for k in ("bin1", "bin2", "count"))
    settings = CallOptions(resolution=RES, max_distance=params.max_distance * RES, **options)
    return score_chromosome(i, j, c, params.bins, settings), loops


def called(test, fdr=0.1):
    keep = test.qvalue <= fdr
    return set(zip(test.bin1[keep].tolist(), test.bin2[keep].tolist()))


def test_planted_loops_are_recovered_with_few_false_calls():
    test, loops = run(MatrixParams(**SMALL, loops=20, seed=3))
    truth = set(map(tuple, loops.tolist()))
    calls = called(test)
    assert len(calls & truth) >= 0.7 * len(truth)  # recall
    assert len(calls & truth) >= 0.8 * len(calls)  # precision
    assert test.alpha == pytest.approx(0.05, rel=0.3)
    assert test.tests == sum(400 - d for d in range(1, 41))  # every pixel in the band


def test_chromosome_shorter_than_the_distance():
    test, _ = run(MatrixParams(bins=30, max_distance=30, depth=50.0, seed=1))
    assert test.tests == 30 * 29 // 2 and np.isfinite(test.expected).all()


def test_without_loops_most_matrices_have_no_call():
    # BH at FDR 0.1 under the complete null: P(any call) <= 0.1 (docs/real-data.md: 200 runs)
    with_calls = sum(bool(called(run(MatrixParams(**SMALL, seed=s))[0])) for s in range(5))
    assert with_calls <= 1


def test_distance_only_model_is_fooled_by_bin_biases():
    biased = MatrixParams(**SMALL, bias_sd=0.5, seed=5)
    aware, _ = run(biased)
    naive, _ = run(biased, covariates="distance")
    assert len(called(aware)) <= 1 < len(called(naive))


def test_q_values_are_benjamini_hochberg_over_all_tests():
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(0).random(50) ** 3
    tests = 80  # 30 pixels without reads: p = 1
    expected = multipletests(np.r_[p, np.ones(tests - 50)], method="fdr_bh")[1][:50]
    np.testing.assert_allclose(bh_qvalues(p, tests), expected)


@pytest.fixture
def matrix(tmp_path):
    pytest.importorskip("hictkpy")
    sizes = {"chr1": 400 * RES, "chr2": 300 * RES - 10}
    tables, truth = {}, {}
    for seed, (chrom, length) in enumerate(sizes.items()):
        params = MatrixParams(**dict(SMALL, bins=-(-length // RES)), loops=10, seed=seed)
        tables[chrom], truth[chrom] = simulate_matrix(params)
    path = tmp_path / "sample.cool"
    write_cool(path, sizes, RES, tables)
    return path, truth


def test_cli_writes_a_bedpe_graphreg_reads_back(matrix, tmp_path):
    path, truth = matrix
    out = tmp_path / "contacts.bedpe"
    args = ["prepare", "contacts", str(path), "--resolution", str(RES), "--max-distance", "40000"]
    result = runner.invoke(app, [*args, "--fdr", "0.05", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("#chrom1\tstart1\tend1\tchrom2")
    frame, fmt = read_contacts(out)
    assert fmt == "graphreg" and len(frame) > 0 and (frame["fdr"] <= 0.05).all()
    raw = np.loadtxt(out, usecols=(7, 10, 13), ndmin=2)  # score, count, qvalue
    np.testing.assert_array_equal(frame["score"], raw[:, 1])
    np.testing.assert_allclose(frame["fdr"], raw[:, 2])
    assert (raw[:, 0] == raw[:, 1]).all()
    for chrom, loops in truth.items():
        rows = frame[frame["chrom1"] == chrom]
        found = set(zip(rows["start1"] // RES, rows["start2"] // RES))
        assert len(found & set(map(tuple, loops.tolist()))) >= 7
    strict, _ = read_contacts(out, max_fdr=0.001)
    assert 0 < len(strict) < len(frame)


def one_line_error(args, code):
    result = runner.invoke(app, ["prepare", "contacts", *map(str, args)])
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("graphreg: error:"), result.output
    return lines[0]


def test_errors_are_one_line(matrix, tmp_path):
    path, _ = matrix
    out = ["-o", tmp_path / "x.bedpe"]
    assert "has no 5,000 bp resolution; it has 1,000 bp" in one_line_error([path, *out], 1)
    at = ["--resolution", RES]
    message = one_line_error([path, *at, "--chroms", "1", *out], 2)
    assert "--chroms: 1 is not in sample.cool" in message and "chr1" in message
    assert "--max-distance 10 must be at least one bin" in one_line_error(
        [path, *at, "--max-distance", 10, *out], 2
    )
    assert (
        "--fdr"
        in runner.invoke(
            app, ["prepare", "contacts", str(path), "--fdr", "2", "-o", str(tmp_path / "c.bedpe")]
        ).output
    )


def test_band_is_read_exactly_in_row_blocks(matrix, monkeypatch):
    from graphreg_cli.io.matrix import open_matrix
    from graphreg_cli.prepare import contacts

    path, _ = matrix
    handle, sizes = open_matrix(path, RES)
    pixels, _ = simulate_matrix(MatrixParams(**SMALL, loops=10, seed=0))  # chr1 as written
    near = pixels[pixels["bin2"] - pixels["bin1"] <= 25]
    monkeypatch.setattr(contacts, "BLOCK_PIXELS", 70)  # 2 rows per fetch
    i, j, c = contacts.band_pixels(handle, "chr1", sizes["chr1"], RES, 25, 0)
    np.testing.assert_array_equal(np.stack([i, j, c], 1), near.to_numpy())
