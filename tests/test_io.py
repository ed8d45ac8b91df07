"""File I/O: round trips, an independent bigWig reader, and one-line errors on bad input."""

from __future__ import annotations

import gzip

import bbi
import numpy as np
import pandas as pd
import pytest

from graphreg_cli.errors import GraphregError, InputError
from graphreg_cli.io.atomic import atomic_path
from graphreg_cli.io.bed import read_bed, write_bed
from graphreg_cli.io.bedpe import read_bedpe, write_bedpe
from graphreg_cli.io.bigwig import read_bigwig, write_bigwig
from graphreg_cli.io.chromsizes import read_chromsizes, write_chromsizes

SIZES = {"chr1": 12_345, "chr2": 10_000, "chrX": 7_000}


def test_chromsizes_round_trip(tmp_path):
    write_chromsizes(SIZES, tmp_path / "g.sizes")
    assert read_chromsizes(tmp_path / "g.sizes") == SIZES
    assert list(read_chromsizes(tmp_path / "g.sizes")) == ["chr1", "chr2", "chrX"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("chr1\t100\nchr1\t200\n", "line 2: chr1 is listed twice"),
        ("chr1\tabc\n", "line 1: length 'abc' of chr1 is not a positive integer"),
        ("chr1 100\n", "line 1: expecting 'chrom<TAB>length'"),
        ("", "no chromosomes listed"),
    ],
)
def test_chromsizes_errors(tmp_path, text, problem):
    path = tmp_path / "bad.sizes"
    path.write_text(text)
    with pytest.raises(InputError, match=problem) as info:
        read_chromsizes(path)
    assert str(path) in str(info.value)


def test_bigwig_round_trip_checked_by_ucsc_reader(tmp_path):
    rng = np.random.default_rng(0)
    tracks = {c: rng.random(-(-n // 1000)).astype(np.float32) for c, n in SIZES.items()}
    path = tmp_path / "t.bw"
    write_bigwig(path, SIZES, tracks, 1000)
    back = read_bigwig(path, 1000)
    for chrom, values in tracks.items():
        np.testing.assert_allclose(back[chrom], values, rtol=1e-6)
    # pybbi wraps UCSC's own reader: the header and every base agree.
    assert bbi.chromsizes(str(path)) == SIZES
    last = bbi.fetch(str(path), "chr1", 12_000, 12_345, bins=345)
    np.testing.assert_allclose(last, tracks["chr1"][12], rtol=1e-6)
    first = bbi.fetch(str(path), "chrX", 0, 2000, bins=2)
    np.testing.assert_allclose(first, tracks["chrX"][:2], rtol=1e-6)


def test_bigwig_read_sum_mean_and_gaps(tmp_path):
    import pyBigWig

    path = tmp_path / "gaps.bw"
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([("chr1", 1000)])
    handle.addEntries(["chr1"], [100], ends=[150], values=[2.0])  # the rest has no data
    handle.close()
    assert read_bigwig(path, 100, stat="sum")["chr1"][1] == pytest.approx(100.0)
    mean = read_bigwig(path, 100)["chr1"]
    assert mean[1] == pytest.approx(1.0) and mean[0] == 0 and mean.dtype == np.float32
    assert len(mean) == 10


@pytest.mark.parametrize(
    "tracks, problem",
    [
        ({"chr7": np.zeros(13)}, "chr7 is not found in chromosome sizes file"),
        ({"chr1": np.array([0, np.nan] + [0] * 11, dtype=float)}, "bin 1 .* is nan"),
        ({"chr1": np.array([np.inf] * 13)}, "bin 0 .* is inf"),
        ({"chr1": np.zeros(20)}, "chr1 has 20 values but 13 bins"),
    ],
)
def test_bigwig_write_validates_before_writing(tmp_path, tracks, problem):
    path = tmp_path / "out.bw"
    path.write_bytes(b"precious")
    with pytest.raises(GraphregError, match=problem):
        write_bigwig(path, SIZES, tracks, 1000)
    assert path.read_bytes() == b"precious"  # an existing file is never damaged
    assert [p.name for p in tmp_path.iterdir()] == ["out.bw"]  # and no temp file is left


def test_bigwig_read_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_bigwig(tmp_path / "missing.bw", 100)
    text = tmp_path / "fake.bw"
    text.write_text("chr1\t0\t10\t1\n")
    with pytest.raises(InputError, match="is not a bigWig file"):
        read_bigwig(text, 100)
    good = tmp_path / "good.bw"
    write_bigwig(good, {"chr1": 1000}, {"chr1": np.ones(10)}, 100)
    with pytest.raises(InputError, match=r"chr2 is not found in this bigWig \(it has chr1\)"):
        read_bigwig(good, 100, chroms=["chr2"])


def test_bed_reads_bed3_to_bed6_plus(tmp_path):
    path = tmp_path / "a.bed"
    path.write_text(
        "track name=test\n#comment\n"
        "chr1\t10\t20\tg1\t0\t+\t10\t20\t255,0,0\n"
        "chr2\t0\t5\tg2\t1\t-\t0\t5\t0,0,0\n"
    )
    frame = read_bed(path, SIZES)
    assert list(frame["name"]) == ["g1", "g2"]
    assert list(frame["line"]) == [3, 4]
    assert list(frame["extra3"]) == ["255,0,0", "0,0,0"]
    write_bed(frame, tmp_path / "b.bed")
    again = read_bed(tmp_path / "b.bed")
    pd.testing.assert_frame_equal(
        again.drop(columns="line"), frame.drop(columns="line"), check_dtype=False
    )
    bed3 = tmp_path / "c.bed"
    bed3.write_text("chr1\t0\t100\n")
    assert list(read_bed(bed3).columns) == ["chrom", "start", "end", "line"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("chr1\t10\t20\nchr7\t0\t10\n", "line 2: chr7 is not found in chromosome sizes file"),
        ("chr2\t0\t10001\n", "line 1: End coordinate 10001 bigger than chr2 size of 10000"),
        ("chr1\t10\n", "line 1: expecting at least 3 tab-separated columns, found 2"),
        ("chr1\t20\t10\n", "line 1: start 20 is after end 10"),
        ("chr1\t1.5\t10\n", "line 1: start '1.5' is not an integer"),
        ("chr1\t-1\t10\n", "line 1: negative start -1"),
        ("chr1\t0\t10\tx\nchr1\t0\t10\n", "line 2: has 3 columns but earlier lines have 4"),
    ],
)
def test_bed_errors_name_file_and_line(tmp_path, text, problem):
    path = tmp_path / "bad.bed"
    path.write_text(text)
    with pytest.raises(InputError, match=problem) as info:
        read_bed(path, SIZES)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_bedpe_round_trip_gzip_header_and_extras(tmp_path):
    path = tmp_path / "loops.bedpe.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("#chr1\tx1\tx2\tchr2\ty1\ty2\tname\tscore\ts1\ts2\tfdr\n")
        handle.write("chr2\t500\t600\tchr1\t0\t100\tloop1\t3.5\t.\t.\t0.01\n")
        handle.write("chr1\t0\t100\tchr1\t900\t1000\tloop2\t1\t+\t-\t0.2\n")
    frame = read_bedpe(path)  # unsorted input is fine
    assert list(frame["start1"]) == [500, 0] and frame["start1"].dtype == np.int64
    assert list(frame["extra1"]) == ["0.01", "0.2"]
    assert list(frame["line"]) == [2, 3]
    write_bedpe(frame, tmp_path / "out.bedpe")
    again = read_bedpe(tmp_path / "out.bedpe")
    pd.testing.assert_frame_equal(again.drop(columns="line"), frame.drop(columns="line"))


def test_bedpe_six_columns_get_defaults_on_write(tmp_path):
    path = tmp_path / "six.bedpe"
    path.write_text("chr1\t0\t10\tchr1\t50\t60\n")
    write_bedpe(read_bedpe(path), tmp_path / "ten.bedpe")
    assert (tmp_path / "ten.bedpe").read_text() == "chr1\t0\t10\tchr1\t50\t60\t.\t0\t.\t.\n"


def test_truncated_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.bedpe.gz"
    data = gzip.compress(b"chr1\t0\t10\tchr1\t50\t60\n" * 1000)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_bedpe(path)


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


@pytest.mark.parametrize("fast", [True, False], ids=["pybigtools", "pyBigWig"])
@pytest.mark.parametrize("step", [1, 7, 250])
def test_bigwig_binning_paths_agree_with_a_per_base_reference(tmp_path, step, fast, monkeypatch):
    """Binned tracks (summed from intervals) and base-resolution ones (summed from bases)
    give the same per-bin means as a direct per-base computation, gaps counting as 0, the
    chromosome's partial last bin over its own length: through pybigtools (the fast path)
    and through pyBigWig alone."""
    import pyBigWig

    from graphreg_cli.io import bigwig
    from graphreg_cli.io.bigwig_sums import bin_sums, open_sums

    if not fast:
        monkeypatch.setattr(bigwig, "open_sums", lambda path: None)

    length, bin_size = 123_457, 1000
    rng = np.random.default_rng(step)
    starts = np.arange(0, length - step, step)
    starts = starts[rng.random(len(starts)) < 0.7]  # gaps
    values = rng.random(len(starts))
    path = tmp_path / f"s{step}.bw"
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([("chr1", length)])
    handle.addEntries(
        ["chr1"] * len(starts),
        starts.tolist(),
        ends=(starts + step).tolist(),
        values=values.tolist(),
    )
    handle.close()
    base = np.zeros(length)
    for s, v in zip(starts, values):
        base[s : s + step] = v
    expected = np.add.reduceat(base, np.arange(0, length, bin_size))
    expected /= np.diff(np.append(np.arange(0, length, bin_size), length))
    np.testing.assert_allclose(read_bigwig(path, bin_size)["chr1"], expected, rtol=1e-5)
    if fast:  # the fast path served this file itself
        assert bin_sums(open_sums(path), "chr1", length, bin_size) is not None


def test_a_stored_nan_reads_as_zero_through_either_reader(tmp_path):
    """pybigtools sums a stored NaN into a NaN bin; graphreg then reads the chromosome
    through pyBigWig, where NaN counts as 0, like a base without data (so a bin half NaN,
    half 2.0 sums to 100, where pybigtools' fillna would give 0)."""
    import pyBigWig

    from graphreg_cli.io.bigwig_sums import bin_sums, open_sums

    path = tmp_path / "nan.bw"
    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([("chr1", 1050)])
    handle.addEntries(
        ["chr1"] * 4,
        [0, 100, 150, 1000],
        ends=[100, 150, 200, 1050],
        values=[2.0, np.nan, 2.0, 4.0],
    )
    handle.close()
    assert bin_sums(open_sums(path), "chr1", 1050, 100) is None
    sums = read_bigwig(path, 100, stat="sum")["chr1"]
    np.testing.assert_allclose(sums, [200.0, 100.0, 0, 0, 0, 0, 0, 0, 0, 0, 200.0])


@pytest.mark.parametrize(
    "text",
    [
        "track name=x\n#h\tx\nchr1\t0\t10\tchr1\t50\t60\tn\t2.5\n\nchr2\t5\t9\tchr2\t1\t3\t.\t1\n",
        "chr1\t0\t10\tchr1\t50\t60\r\nchr1\t1\t11\tchr1\t51\t61\r\n",  # CRLF
        'chr1\t0\t10\tchr1\t50\t60\t"q\tNA\t\t.\n#mid\nchr1\t0\t10\tchr1\t5\t6\tx\tnan\t\t+\n',
        "chr1\t0\t10\tchr1\t50\t60\n   \nchr1\t0\t10.0\tchr1\t50\t60\n",  # "10.0" = 10
    ],
)
def test_fast_and_line_by_line_readers_agree(tmp_path, text):
    from graphreg_cli.io.schemas import BEDPE_COLUMNS, BEDPE_REQUIRED, INT_COLUMNS
    from graphreg_cli.io.text import _read_fast, _read_lines

    path = tmp_path / "x.bedpe"
    path.write_bytes(text.encode())
    slow, slow_lines = _read_lines(path, BEDPE_COLUMNS, BEDPE_REQUIRED, INT_COLUMNS)
    fast = _read_fast(path, BEDPE_COLUMNS, BEDPE_REQUIRED, INT_COLUMNS)
    frame, lines = fast
    pd.testing.assert_frame_equal(frame, slow)
    np.testing.assert_array_equal(lines, slow_lines)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("chr1\t0\t10\tchr1\t50\t60\nchr1\t0\t10\tchr1\t50\t60\tx\n", "line 2: has 7 columns"),
        ("chr1\t0\t10\tchr1\t50\t60\tx\nchr1\t0\t10\tchr1\t50\t60\n", "line 2: has 6 columns"),
        ("chr1\t0\t10\tchr1\t50\t60\nchr1\t0\tten\tchr1\t50\t60\n", "line 2: end1 'ten'"),
        ("chr1\t0\t10\tchr1\t50\t60\nchr1\t0\t10\tchr1\t50\n", "line 2: expecting at least 6"),
        ("#h\nchr1\t0\t10\tchr1\t50\t60\nchr1\t-5\t10\tchr1\t50\t60\n", "line 3: negative"),
        ("chr1\t0\t10\tchr1\t50\t60\n" * 3 + "chr1\t20\t10\tchr1\t50\t60\n", "line 4: start1 20"),
    ],
)
def test_bedpe_errors_name_the_line_whichever_reader(tmp_path, text, problem):
    path = tmp_path / "bad.bedpe"
    path.write_text(text)
    with pytest.raises(InputError, match=problem):
        read_bedpe(path)
