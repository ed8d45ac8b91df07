"""Contacts from loop callers, BEDPE and contact matrices: parsing, detection, filters, errors."""

from __future__ import annotations

import gzip
import re
import sys

import numpy as np
import pandas as pd
import pytest

from graphreg_cli.errors import GraphregError, InputError
from graphreg_cli.io import contacts, matrix
from graphreg_cli.io.contacts import CONTACT_FORMATS, edge_weight, read_contacts
from graphreg_cli.io.schemas import CONTACT_COLUMNS


def tsv(*rows: str) -> str:
    """Lines with fields separated by single spaces in the source, tabs in the file."""
    return "".join("\t".join(row.split()) + "\n" for row in rows)


# Juicer >= 1.8: bedtools-style columns, then attributes; a second comment line follows.
HICCUPS = (
    "#"
    + tsv(
        "chr1 x1 x2 chr2 y1 y2 name score strand1 strand2 color observed expectedBL expectedDonut "
        "expectedH expectedV fdrBL fdrDonut fdrH fdrV numCollapsed centroid1 centroid2 radius",
    ).replace("\n", "\n# juicer_tools version 1.22.01\n", 1)
    + tsv(
        "1 1010000 1020000 1 1160000 1170000 . . . . 0,255,255 74.0 23.2 25.1 28.6 26.6 "
        "1.3e-09 3.1e-09 4.4e-07 2.2e-08 4 1015000 1165000 14142",
        "X 5000 10000 X 200000 205000 . . . . 0,255,255 31.0 9.1 10.2 11.0 12.5 "
        "0.002 0.0001 0.03 0.004 1 7500 202500 0",
    )
)
# GSE63525 looplists (Rao 2014): no '#', short attribute names.
HICCUPS_LEGACY = tsv(
    "chr1 x1 x2 chr2 y1 y2 color o e_bl e_donut e_h e_v fdr_bl fdr_donut fdr_h fdr_v "
    "num_collapsed centroid1 centroid2 radius",
    "10 100000 105000 10 250000 255000 0,255,255 52 12.1 13.0 15.5 14.2 "
    "4.8e-06 1.1e-06 0.0012 0.00031 2 102500 252500 7071",
)
FITHICHIP = tsv(
    "chr1 s1 e1 chr2 s2 e2 cc Coverage1 isPeak1 Bias1 Mapp1 GCContent1 RESites1 Coverage2 "
    "isPeak2 Bias2 Mapp2 GCContent2 RESites2 p exp_cc_Bias p_Bias dbinom_Bias P-Value_Bias "
    "Q-Value_Bias",
    "chr1 710000 715000 chr1 770000 775000 38 912 1 1.21 0 0 0 388 0 0.52 0 0 0 "
    "1.9e-05 9.8 7.1e-05 1.2e-10 4.31e-11 2.07e-08",
    "chr1 840000 845000 chr1 935000 940000 11 512 1 0.68 0 0 0 701 1 0.93 0 0 0 "
    "1.1e-05 4.4 2.3e-05 3.3e-03 1.02e-02 0.0421",
)
HICDCPLUS = tsv(  # data.table::fwrite writes NA as an empty field
    "chrI startI endI chrJ startJ endJ D counts pvalue qvalue mu sdev",
    "chr22 16050000 16100000 chr22 16150000 16200000 100000 27 0.00021 0.0087 8.1 4.2",
    "chr22 16100000 16150000 chr22 16600000 16650000 500000 3 0.41 0.97 2.2 1.6",
).replace("\n", "\nchr22\t0\t50000\tchr22\t0\t50000\t0\t12\t\t\t\t\n", 1)
MUSTACHE = tsv(
    "BIN1_CHR BIN1_START BIN1_END BIN2_CHROMOSOME BIN2_START BIN2_END FDR DETECTION_SCALE",
    "chr21 15540000 15545000 chr21 15700000 15705000 1.2e-07 2.27",
    "chr21 17875000 17880000 chr21 18135000 18140000 0.031 1.6",
)
HICDETECTLOOPS = tsv(  # HiCExplorer: no header, the 7th column is a p-value
    "1 18430000 18440000 1 18620000 18630000 0.0007864",
    "1 19000000 19010000 1 19100000 19110000 3.1e-11",
    "2 5000 15000 2 95000 105000 0.0104",
)
BEDPE = "#chrom1\tstart1\tend1\tchrom2\tstart2\tend2\tname\tscore\tstrand1\tstrand2\n" + tsv(
    "chr1 100 200 chr1 5000 5100 loop1 12.5 + -",
    "chr2 300 400 chr2 9000 9100 loop2 . . .",
)

# (format, text, first row's coordinates, its score and fdr, rows)
SAMPLES = [
    ("hiccups", HICCUPS, ("1", 1010000, 1020000, "1", 1160000, 1170000), 74.0, 4.4e-07, 2),
    ("hiccups", HICCUPS_LEGACY, ("10", 100000, 105000, "10", 250000, 255000), 52, 0.0012, 1),
    ("fithichip", FITHICHIP, ("chr1", 710000, 715000, "chr1", 770000, 775000), 38, 2.07e-08, 2),
    ("hicdcplus", HICDCPLUS, ("chr22", 0, 50000, "chr22", 0, 50000), 12, np.nan, 3),
    (
        "mustache",
        MUSTACHE,
        ("chr21", 15540000, 15545000, "chr21", 15700000, 15705000),
        6.92,
        1.2e-07,
        2,
    ),
    (
        "hicdetectloops",
        HICDETECTLOOPS,
        ("1", 18430000, 18440000, "1", 18620000, 18630000),
        3.104,
        0.0007864,
        3,
    ),
    ("bedpe", BEDPE, ("chr1", 100, 200, "chr1", 5000, 5100), 12.5, np.nan, 2),
]


@pytest.mark.parametrize("fmt, text, coords, score, fdr, rows", SAMPLES)
def test_each_format_parsed_and_auto_detected(tmp_path, fmt, text, coords, score, fdr, rows, notes):
    path = tmp_path / "contacts.txt"
    path.write_text(text)
    frame, used = read_contacts(path)
    assert used == fmt
    assert notes == [f"contacts: contacts.txt read as {contacts.LABELS[fmt]} (auto-detected)"]
    assert list(frame.columns) == CONTACT_COLUMNS and len(frame) == rows
    assert tuple(frame.iloc[0, :6]) == coords
    assert frame["score"].iat[0] == pytest.approx(score, rel=1e-3)
    np.testing.assert_allclose(frame["fdr"].iat[0], fdr, rtol=1e-9)
    assert all(frame[c].dtype == np.int64 for c in ("start1", "end1", "start2", "end2", "line"))
    assert frame["score"].dtype == frame["fdr"].dtype == np.float64
    named, used = read_contacts(path, fmt)  # naming the format reads the same
    assert used == fmt
    pd.testing.assert_frame_equal(named, frame)


def test_format_specific_values(tmp_path):
    path = tmp_path / "loops.bedpe"
    path.write_text(HICCUPS)
    frame, _ = read_contacts(path)
    assert frame["fdr"].tolist() == [4.4e-07, 0.03]  # the largest of the four FDRs
    assert frame["line"].tolist() == [3, 4]  # the juicer_tools comment is skipped
    path.write_text(HICDCPLUS)
    frame, _ = read_contacts(path)
    assert frame["score"].tolist() == [12, 27, 3] and np.isnan(frame["fdr"].iat[0])
    path.write_text(BEDPE)
    assert read_contacts(path)[0]["score"].tolist() == [12.5, 1.0]  # '.' scores 1


def test_filters_keep_rows_and_say_so(tmp_path, notes):
    path = tmp_path / "hicdc.txt"
    path.write_text(HICDCPLUS)
    frame, _ = read_contacts(path, "hicdcplus", max_fdr=0.01)
    assert frame["score"].tolist() == [27]  # NA q-value dropped too
    assert notes == ["contacts: 1 of 3 kept (FDR ≤ 0.01)"]
    notes.clear()
    frame, _ = read_contacts(path, "hicdcplus", min_score=10)
    assert frame["score"].tolist() == [12, 27]
    assert notes == ["contacts: 2 of 3 kept (score ≥ 10)"]
    path.write_text(HICDETECTLOOPS)
    notes.clear()
    frame, _ = read_contacts(path, max_fdr=0.001, min_score=5)
    assert frame["line"].tolist() == [2]
    assert notes[-1] == "contacts: 1 of 3 kept (p-value ≤ 0.001, score ≥ 5)"
    notes.clear()
    read_contacts(path, max_fdr=1)
    assert len(notes) == 1  # nothing dropped: only the detection line


def test_max_fdr_needs_an_fdr_column(tmp_path):
    path = tmp_path / "plain.bedpe"
    path.write_text(BEDPE)
    with pytest.raises(GraphregError, match=r"max_fdr=0.05: BEDPE files carry no FDR/q-value"):
        read_contacts(path, max_fdr=0.05)


def test_auto_detection_falls_back_to_bedpe(tmp_path):
    path = tmp_path / "seven.bedpe"
    path.write_text(tsv("chr1 0 10 chr1 50 60 loopA", "chr1 0 10 chr1 80 90 0.5"))
    frame, used = read_contacts(path)  # 7th column not all numbers in [0, 1]: a name
    assert used == "bedpe" and frame["score"].tolist() == [1.0, 1.0]
    path.write_text(tsv("chr1 0 10 chr1 50 60 3.5"))
    assert read_contacts(path)[1] == "bedpe"
    path.write_text(tsv("chr1 0 10 chr1 50 60 x 7 + +"))
    assert read_contacts(path)[0]["score"].tolist() == [7.0]


def test_gzip_input(tmp_path):
    path = tmp_path / "FitHiChIP.interactions_FitHiC_Q0.01.bed.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(FITHICHIP)
    frame, used = read_contacts(path)
    assert used == "fithichip" and frame["score"].tolist() == [38, 11]


@pytest.mark.parametrize(
    "fmt, text, problem",
    [
        (
            "fithichip",
            FITHICHIP.replace("Q-Value_Bias", "Q_Bias"),
            "line 1: FitHiChIP header has no 'Q-Value_Bias' column",
        ),
        ("auto", MUSTACHE.replace("1.2e-07", "high"), "line 2: FDR 'high' is not a number"),
        ("auto", FITHICHIP.replace("\t38\t", "\tNA\t"), "line 2: cc 'NA' is not a number"),
        ("auto", HICDCPLUS.replace("16050000", "16050k"), "line 3: start1 '16050k' is not an"),
        ("auto", MUSTACHE.replace("17880000", "17870000"), "line 3: start1 17875000 is after"),
        ("hicdetectloops", HICDETECTLOOPS.replace("3.1e-11", "?"), "line 2: p-value '?' is not"),
        (
            "auto",
            HICCUPS.replace("\t0,255,255\t31.0", "\t0,255,255"),
            "line 4: has 23 columns but the header has 24",
        ),
        ("mustache", HICDETECTLOOPS, "has no header line; Mustache files name FDR"),
        ("auto", tsv("chrom1 start1 end1 chrom2 start2 end2 pval"), "line 1: header 'chrom1"),
    ],
)
def test_errors_name_the_file_and_line(tmp_path, fmt, text, problem):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(problem)) as info:
        read_contacts(path, fmt)
    assert str(info.value).startswith(str(path))


def test_argument_errors(tmp_path):
    path = tmp_path / "loops.txt"
    path.write_text(MUSTACHE)
    with pytest.raises(GraphregError, match="contacts_format='juicer': use one of auto, bedpe"):
        read_contacts(path, "juicer")
    with pytest.raises(GraphregError, match="top_k=5 applies to contact matrices"):
        read_contacts(path, top_k=5)
    with pytest.raises(GraphregError, match="top_k=0 must be at least 1"):
        read_contacts(path, "matrix", top_k=0)


def test_matrix_without_hictkpy_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "hictkpy", None)  # import hictkpy now fails
    (tmp_path / "sample.mcool").write_bytes(b"")
    with pytest.raises(GraphregError, match=re.escape("pip install 'graphreg[hic]'")):
        read_contacts(tmp_path / "sample.mcool", bin_size=100, chroms=SIZES)


def test_edge_weight_is_log_scaled_float32():
    weights = edge_weight(np.array([-3.0, 0.0, 1.0, np.e - 1, 1e4]))
    assert weights.dtype == np.float32
    np.testing.assert_allclose(weights, [0, 0, np.log(2), 1, np.log1p(1e4)], rtol=1e-6)


def test_formats_listed():
    assert CONTACT_FORMATS[0] == "auto" and CONTACT_FORMATS[-2:] == ("matrix", "dump")
    assert set(CONTACT_FORMATS) == {"auto", "matrix", *contacts.LABELS}


# Contact matrices (.cool/.hic via hictkpy) ------------------------------------------------------

SIZES = {"chr1": 1_050, "chr2": 600}  # 11 and 6 bins of 100 bp
PIXELS = [  # global bin ids (chr2 starts at bin 11), raw counts
    (0, 0, 50),  # diagonal: left out
    (0, 1, 9),
    (0, 5, 2),
    (1, 2, 7),
    (1, 5, 4),
    (2, 10, 1),  # bin 10 ends at 1,050, the chromosome's end
    (3, 4, 4),
    (5, 11, 30),  # chr1-chr2: left out
    (11, 13, 6),
    (12, 16, 3),
]


@pytest.fixture
def cool(tmp_path):
    hictkpy = pytest.importorskip("hictkpy")
    pytest.importorskip("pyarrow")
    path = tmp_path / "sample.cool"
    writer = hictkpy.cooler.FileWriter(str(path), SIZES, 100)
    writer.add_pixels(pd.DataFrame(PIXELS, columns=["bin1_id", "bin2_id", "count"]))
    writer.finalize()
    return path


def test_matrix_pixels_as_contacts(cool):
    frame, used = read_contacts(cool, bin_size=100, chroms={"chr1": 1_050}, min_score=1)
    assert used == "matrix"
    assert list(frame.columns) == CONTACT_COLUMNS
    assert frame[["start1", "start2", "score"]].values.tolist() == [
        [0, 100, 9],
        [0, 500, 2],
        [100, 200, 7],
        [100, 500, 4],
        [200, 1000, 1],
        [300, 400, 4],
    ]
    assert frame["end2"].iat[4] == 1_050 and set(frame["chrom1"]) == {"chr1"}
    assert frame["fdr"].isna().all() and (frame["line"] == 0).all()
    both, _ = read_contacts(cool, bin_size=100, chroms={"1": 1_050, "chr2": 600, "chrY": 9})
    assert set(both["chrom1"]) == {"1", "chr2"}  # our names; chrY not in the file: left out
    assert both.query("chrom1 == 'chr2'")[["start1", "start2"]].values.tolist() == [
        [0, 200],
        [100, 500],
    ]


def test_matrix_thresholds_and_top_k(cool, notes):
    chroms = {"chr1": 1_050}
    strong, _ = read_contacts(cool, bin_size=100, chroms=chroms, min_score=4)
    assert strong["score"].tolist() == [9, 7, 4, 4]
    assert notes[1:] == ["contacts: 4 of 6 kept (score ≥ 4)"]
    top, _ = read_contacts(cool, bin_size=100, chroms=chroms, top_k=1)
    # bin 0: (0,1); bin 1: (0,1); 2: (1,2); 3: (3,4); 4: (3,4); 5: (1,5); 10: (2,10)
    assert list(zip(top["start1"] // 100, top["start2"] // 100)) == [
        (0, 1),
        (1, 2),
        (1, 5),
        (2, 10),
        (3, 4),
    ]
    notes.clear()
    default, _ = read_contacts(cool, bin_size=100, chroms=chroms)
    assert len(default) == 6  # every bin has fewer than 10 contacts
    assert notes == [
        "contacts: sample.cool read as a contact matrix (.cool/.mcool/.hic)",
        "contacts: no minimum score or top k; keeping the 10 strongest per bin",
    ]


def test_matrix_streamed_in_blocks_matches_one_read(cool, monkeypatch):
    chroms = {"chr1": 1_050, "chr2": 600}
    whole, _ = read_contacts(cool, bin_size=100, chroms=chroms, top_k=2)
    monkeypatch.setattr(matrix, "BLOCK_PIXELS", 1)  # one row per fetch
    rows, _ = read_contacts(cool, bin_size=100, chroms=chroms, top_k=2)
    pd.testing.assert_frame_equal(rows, whole)
    assert len(read_contacts(cool, bin_size=100, chroms=chroms, min_score=1)[0]) == 8


def test_top_k_is_exact_on_random_pixels():
    rng = np.random.default_rng(3)
    i, j = np.triu_indices(40, k=1)
    pick = rng.random(len(i)) < 0.3
    i, j = i[pick], j[pick]
    count = rng.integers(1, 6, len(i)).astype(float)  # many ties
    strongest = set()  # each bin's 3 strongest; ties: nearer, then lower partner
    for b in range(40):
        mine = np.flatnonzero((i == b) | (j == b))
        partner = np.where(i[mine] == b, j[mine], i[mine])
        strongest |= set(mine[np.lexsort((partner, np.abs(partner - b), -count[mine]))][:3])
    assert set(np.flatnonzero(matrix._top_k_mask(i, j, count, 3))) == strongest
    far = 2**60  # bin numbers too large for one int64 sort key: the two-key path agrees
    assert set(np.flatnonzero(matrix._top_k_mask(i + far, j + far, count, 3))) == strongest


def test_matrix_errors(cool, tmp_path):
    hictkpy = pytest.importorskip("hictkpy")
    with pytest.raises(InputError, match=r"has no 5,000 bp resolution; it has 100 bp"):
        read_contacts(cool, bin_size=5_000, chroms=SIZES)
    hic = tmp_path / "multi.hic"
    writer = hictkpy.hic.FileWriter(str(hic), SIZES, [100, 200])
    writer.add_pixels(pd.DataFrame(PIXELS, columns=["bin1_id", "bin2_id", "count"]))
    writer.finalize()
    with pytest.raises(InputError, match=r"multi.hic: has no 50 bp resolution; it has 100, 200"):
        read_contacts(hic, bin_size=50, chroms=SIZES)
    frame, used = read_contacts(hic, bin_size=100, chroms=SIZES, min_score=1)
    assert used == "matrix" and len(frame) == 8  # a .hic reads like the .cool
    with pytest.raises(GraphregError, match="max_fdr=0.1: contact matrix"):
        read_contacts(cool, bin_size=100, chroms=SIZES, max_fdr=0.1)
    with pytest.raises(GraphregError, match="needs a bin size"):
        read_contacts(cool, chroms=SIZES)
    with pytest.raises(InputError, match=r"none of the genome's chromosomes \(it has chr1, chr2"):
        read_contacts(cool, bin_size=100, chroms={"chrZ": 10})
