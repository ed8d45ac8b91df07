"""graphreg prepare coverage: BAMs made with pysam, counted, checked against a pysam loop."""

from __future__ import annotations

import shutil

import bbi
import numpy as np
import pytest
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.errors import InputError, SettingError
from graphreg_cli.prepare.coverage import (
    CoverageOptions,
    bam_coverage,
    count_chromosome,
    read_regions,
)

pysam = pytest.importorskip("pysam")
runner = CliRunner()
SIZES = {"chr1": 3_000, "chr2": 2_050}  # chr2 ends in a partial 100 bp bin
LENGTH = 30


def header(sizes=SIZES, order="coordinate"):
    return {"HD": {"VN": "1.6", "SO": order}, "SQ": [{"SN": c, "LN": n} for c, n in sizes.items()]}


def make_reads(seed: int = 0, n: int = 400, sizes=SIZES) -> list[dict]:
    """Reads of every kind the counter must tell apart."""
    rng = np.random.default_rng(seed)
    reads = []
    names = list(sizes)
    for k in range(n):
        chrom = names[k % len(names)]
        start = int(rng.integers(0, sizes[chrom] - 400))
        kind = k % 8
        flag = int(rng.choice([0, 16]))
        read = dict(name=f"r{k}", chrom=chrom, start=start, cigar=f"{LENGTH}M", flag=flag)
        read["mapq"] = int(rng.integers(0, 60))
        if kind == 1:
            read["cigar"] = "10M150N20M"  # spliced
        elif kind == 2:
            read["cigar"] = "5S10M3D15M"  # clipped, deleted
        elif kind == 3:  # a proper pair: both mates
            gap = int(rng.integers(50, 300))
            read.update(flag=99, mate=start + gap, tlen=gap + LENGTH)
            reads.append(
                dict(
                    read, name=f"r{k}", start=start + gap, flag=147, mate=start, tlen=-gap - LENGTH
                )
            )
        elif kind == 4:
            read["flag"] |= int(rng.choice([0x100, 0x400, 0x800, 0x200]))
        elif kind == 5:  # mate unmapped: counted as a single read
            read["flag"] = 0x1 | 0x8 | 0x40 | flag
        reads.append(read)
    return reads


def write_bam(path, reads, sizes=SIZES, order="coordinate", index=True, sort=True):
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=header(sizes, order)) as out:
        for spec in reads:
            read = pysam.AlignedSegment(out.header)
            read.query_name = spec["name"]
            read.reference_name = spec["chrom"]
            read.reference_start = spec["start"]
            read.cigarstring = spec["cigar"]
            length = read.infer_query_length()
            read.query_sequence = "ACGT" * (length // 4) + "A" * (length % 4)
            read.query_qualities = pysam.qualitystring_to_array("I" * length)
            read.flag = spec["flag"]
            read.mapping_quality = spec["mapq"]
            if "mate" in spec:
                read.next_reference_name = spec["chrom"]
                read.next_reference_start = spec["mate"]
                read.template_length = spec["tlen"]
            out.write(read)
    if sort:
        pysam.sort("-o", str(path), str(unsorted))
        unsorted.unlink()
    else:
        unsorted.rename(path)
    if index:
        pysam.index(str(path))
    return path


def independent(paths, bin_size=100, min_mapq=0, extend=None, five_prime=False, strand="both"):
    """The same rules, read by read through pysam: {chrom: counts} and reads counted."""
    out = {c: np.zeros(-(-n // bin_size)) for c, n in SIZES.items()}
    total = 0
    for path in paths:
        with pysam.AlignmentFile(str(path)) as bam:
            for read in bam.fetch():
                if read.flag & 0xF04 or read.mapping_quality < min_mapq:
                    continue
                pair = read.is_proper_pair and not read.mate_is_unmapped
                if (pair or (five_prime and read.is_paired)) and read.is_read2:
                    continue
                minus = read.is_reverse
                if strand != "both" and minus != (strand == "-"):
                    continue
                start, end = read.reference_start, read.reference_end
                if five_prime:
                    extents = [(end - 1, end) if minus else (start, start + 1)]
                elif pair:
                    left = min(start, read.next_reference_start)
                    extents = [(left, left + abs(read.template_length))]
                elif extend:
                    extents = [(end - extend, end) if minus else (start, start + extend)]
                else:  # aligned blocks, split at N only
                    extents, at, begin = [], start, None
                    for op, n in read.cigartuples:
                        if op == 3:
                            extents += [(begin, at)] if begin is not None else []
                            at, begin = at + n, None
                        elif op in (0, 2, 7, 8):
                            begin = at if begin is None else begin
                            at += n
                    extents += [(begin, at)] if begin is not None else []
                length = SIZES[read.reference_name]
                bins = set()
                for a, b in extents:
                    a, b = max(a, 0), min(b, length)
                    bins |= set(range(a // bin_size, (b - 1) // bin_size + 1))
                for b in bins:
                    out[read.reference_name][b] += 1
                total += 1
    return out, total


@pytest.fixture(scope="module")
def bams(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bams")
    return [write_bam(folder / f"rep{i}.bam", make_reads(seed=i)) for i in (1, 2)]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"min_mapq": 30, "bin_size": 50},
        {"extend": 150},
        {"five_prime": True, "strand": "+"},
        {"five_prime": True, "strand": "-", "bin_size": 1},
    ],
)
def test_counts_match_a_read_by_read_count(bams, settings):
    got = bam_coverage(bams[:1], CoverageOptions(threads=1, **settings))
    expected, total = independent(bams[:1], **settings)
    assert got.reads == total > 0
    for chrom in SIZES:
        np.testing.assert_array_equal(got.values[chrom], expected[chrom])


def test_replicates_sum_in_parallel_and_cpm_scales(bams):
    both = bam_coverage(bams, CoverageOptions(threads=2, normalize="cpm"))
    expected, total = independent(bams)
    assert both.reads == total and both.scale == pytest.approx(1e6 / total)
    for chrom in SIZES:
        np.testing.assert_allclose(both.values[chrom], expected[chrom] * 1e6 / total)
    rpgc = bam_coverage(bams, CoverageOptions(normalize="rpgc", effective_genome_size=5_000))
    assert rpgc.values["chr1"].sum() > 0 and rpgc.scale < 1  # fragments cover > 5 kb


def test_blacklist_skips_reads_that_touch_it(bams, tmp_path):
    bed = tmp_path / "blacklist.bed"
    bed.write_text("chr1\t500\t900\nchr1\t800\t1200\n")
    regions = read_regions(bed)
    assert regions["chr1"].tolist() == [[500, 1200]]
    got = bam_coverage(bams[:1], CoverageOptions(threads=1), regions)
    full, _ = independent(bams[:1])
    assert got.values["chr1"][5:12].sum() == 0 < full["chr1"][5:12].sum()
    np.testing.assert_array_equal(got.values["chr2"], full["chr2"])


def test_cli_writes_a_bigwig_another_reader_agrees_with(bams, tmp_path):
    out = tmp_path / "cage_plus.bw"
    result = runner.invoke(
        app,
        [
            "prepare",
            "coverage",
            *map(str, bams),
            "-o",
            str(out),
            "--five-prime",
            "--strand",
            "+",
            "--bin-size",
            "50",
            "--threads",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    expected, _ = independent(bams, bin_size=50, five_prime=True, strand="+")
    for chrom, length in SIZES.items():
        n = len(expected[chrom])
        values = bbi.fetch(
            str(out), chrom, 0, n * 50 if n * 50 <= length else length, bins=n, missing=0.0
        )
        np.testing.assert_allclose(values[: length // 50], expected[chrom][: length // 50])
    assert bbi.chromsizes(str(out)) == SIZES


def one_line_error(args, code=1):
    result = runner.invoke(app, ["prepare", "coverage", *map(str, args)])
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("graphreg: error:"), result.output
    return lines[0]


def test_unindexed_unsorted_truncated_bams_are_one_line_errors(bams, tmp_path):
    reads = make_reads(seed=3)
    bare = write_bam(tmp_path / "bare.bam", reads, index=False)
    out = ["-o", tmp_path / "x.bw"]
    assert "samtools index bare.bam" in one_line_error([bare, *out])
    by_name = write_bam(tmp_path / "byname.bam", reads, order="queryname", sort=False, index=False)
    assert "not sorted by coordinate" in one_line_error([by_name, *out])
    assert "samtools sort" in one_line_error([by_name, *out])
    # an index left from another file: its offsets do not fit
    stale = write_bam(tmp_path / "stale.bam", reads[::-1], sort=False, index=False)
    shutil.copy(f"{bams[0]}.bai", f"{stale}.bai")
    assert "does not match its index" in one_line_error([stale, *out])
    cut = tmp_path / "cut.bam"
    cut.write_bytes(bams[0].read_bytes()[:-100])
    shutil.copy(f"{bams[0]}.bai", f"{cut}.bai")
    assert "truncated" in one_line_error([cut, *out])


def test_other_assembly_and_no_reads_are_one_line_errors(bams, tmp_path):
    other = dict(SIZES, chr2=9_999)
    hg = write_bam(tmp_path / "other.bam", make_reads(sizes=other), sizes=other)
    message = one_line_error([bams[0], hg, "-o", tmp_path / "x.bw"])
    assert "other.bam" in message and "same assembly" in message and "9,999" in message
    only_chr1 = [r for r in make_reads() if r["chrom"] == "chr1"]
    one = write_bam(tmp_path / "one.bam", only_chr1)
    message = one_line_error([one, "--chroms", "chr2", "-o", tmp_path / "x.bw"])
    assert "no reads on the requested chromosomes (chr2)" in message and "chr1" in message
    assert "--chroms" in one_line_error([one, "--chroms", "chrZ", "-o", tmp_path / "x.bw"], code=2)


def test_settings_errors_name_the_options(bams, tmp_path):
    message = one_line_error([bams[0], "--normalize", "rpgc", "-o", tmp_path / "x.bw"], code=2)
    assert "--normalize rpgc needs --effective-genome-size" in message
    with pytest.raises(SettingError, match="extend=50 and five_prime exclude"):
        bam_coverage(bams, CoverageOptions(extend=50, five_prime=True))
    with pytest.raises(InputError, match="file not found"):
        bam_coverage([tmp_path / "missing.bam"], CoverageOptions())


def test_records_out_of_order_are_found_while_counting(tmp_path):
    reads = [r for r in make_reads(seed=4) if r["chrom"] == "chr1"]
    path = write_bam(tmp_path / "shuffled.bam", reads[::-1], sort=False, index=False)
    with pysam.AlignmentFile(str(path), check_sq=False) as bam:
        first = bam.tell()
        for _ in bam.fetch(until_eof=True):
            pass
        last = bam.tell()
    with pytest.raises(InputError, match="not sorted by coordinate.*samtools sort"):
        count_chromosome(path, 0, SIZES["chr1"], (first, last), CoverageOptions(), np.zeros((0, 2)))


def test_csi_index_reads_like_bai(bams, tmp_path):
    copy = tmp_path / "csi.bam"
    shutil.copy(bams[0], copy)
    pysam.index("-c", str(copy))
    assert not (tmp_path / "csi.bam.bai").exists()
    got = bam_coverage([copy], CoverageOptions(threads=1)).values
    expected, _ = independent(bams[:1])
    for chrom in SIZES:
        np.testing.assert_array_equal(got[chrom], expected[chrom])


def test_an_index_of_another_bam_is_refused_before_htslib_reads_it(bams, tmp_path):
    """An index of another BAM once crashed the process (exit 139, nothing printed): it is
    checked first, by its reference count and by where its offsets point."""
    more = {**SIZES, "chr3": 4_000}
    other = write_bam(tmp_path / "other.bam", make_reads(seed=4, n=4000, sizes=more), sizes=more)
    target = tmp_path / "target.bam"
    shutil.copy(bams[0], target)
    shutil.copy(f"{other}.bai", f"{target}.bai")
    message = one_line_error([target, "-o", tmp_path / "x.bw"])
    assert "it lists 3 reference(s), the BAM's header 2" in message
    assert "samtools index target.bam" in message
    bigger = write_bam(tmp_path / "big.bam", make_reads(seed=5, n=20_000))
    small = tmp_path / "small.bam"
    shutil.copy(bams[0], small)
    shutil.copy(f"{bigger}.bai", f"{small}.bai")
    message = one_line_error([small, "-o", tmp_path / "x.bw"])
    assert "bytes past the BAM's end: an index of another BAM?" in message
    assert not (tmp_path / "x.bw").exists()
