"""simulate --sequence → train seq-gat → evaluate → predict → variants → ism through the CLI,
outputs reopened with independent readers (bbi, pysam), and the one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import bbi
import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.io.schemas import VARIANT_EFFECT_COLUMNS

runner = CliRunner()
FAST = ["--epochs", "2", "--min-epochs", "2", "--channels", "8", "--heads", "2"]
WINDOW = ["--window", "60000", "--stride", "20000"]  # 12-bin windows on 20-bin chromosomes


def _ok(args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _error(args, code):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if "error" in line.lower()]
    last = result.output.strip().splitlines()[-1]
    assert len(errors) == 1 and last.startswith("graphreg: error:"), result.output
    assert "Traceback" not in result.output
    return last


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("seq") / "data"
    _ok(
        ["simulate", "--sequence", "--chromosomes", 4, "--bins", 20, "--genes", 4,
         "--regulators", 7, "--silencers", 2, "--split", "2,1,1", "--variants", 4,
         "--histone", "--seed", 5, "-o", out]
    )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("seqrun") / "run"
    output = _ok(["train", "--model", "seq-gat", data / "genome.fa", data / "contacts.bedpe",
                  "-o", out, *FAST, *WINDOW])  # fmt: skip
    hint = "--stage epigenome, then --stage cage --init"  # end to end: the two stages named
    assert hint in " ".join(output.split())
    return out


def test_simulate_sequence_writes_genome_tracks_and_variants(data):
    manifest = json.loads((data / "dataset.json").read_text())
    assert manifest["sequence"] is True and manifest["input_bin_size"] == 100
    assert manifest["files"]["epigenome"] == [
        "dnase.bw",
        "h3k27ac.bw",
        "h3k4me3.bw",
        "h3k27me3.bw",
    ]
    with bbi.open(str(data / "dnase.bw")) as bw:
        assert bw.chromsizes == {f"chr{i}": 100_000 for i in range(1, 5)}
    assert (data / "genome.fa.fai").read_text().startswith("chr1\t100000\t6\t60\t61")


def test_train_reads_the_genome_and_learns_every_track(run, data):
    config = json.loads((run / "config.json").read_text())
    assert config["inputs"]["genome"] == str((data / "genome.fa").resolve())
    assert [t.rsplit("/", 1)[1] for t in config["inputs"]["tracks"]] == [
        "dnase.bw",
        "h3k27ac.bw",
        "h3k4me3.bw",
        "h3k27me3.bw",
    ]
    assert config["model"]["in_features"] == 4 and config["model"]["fine"] == 100
    assert config["features"]["gene_input"] is False
    assert config["training"]["loss"] == "poisson" and config["training"]["stage"] == "end-to-end"


def test_evaluate_reports_each_epigenome_track(run):
    output = _ok(["evaluate", "--model", run])
    assert "Pearson r, dnase (input bins)" in output and "h3k4me3" in output
    metrics = json.loads((run / "metrics.json").read_text())["test"]
    assert set(metrics["epigenome"]) == {"dnase", "h3k27ac", "h3k4me3", "h3k27me3"}


def test_predict_writes_epigenome_bigwigs_and_a_session(run, tmp_path):
    from graphreg_cli.tasks.predict import predict_tracks
    from graphreg_cli.tasks.runs import Run

    folder = tmp_path / "epi"
    _ok(["predict", "--model", run, "-o", tmp_path / "cage.bw", "--epigenome-out", folder])
    _, expected = predict_tracks(Run.open(run), device="cpu")
    with bbi.open(str(folder / "dnase.bw")) as bw:
        values = bw.fetch("chr2", 0, 100_000, bins=1000)
    np.testing.assert_allclose(values, expected["dnase"]["chr2"], rtol=1e-5, atol=1e-6)
    session = (run / "igv_session.xml").read_text()
    assert "dnase predicted" in session and "genome.fa" in session


def test_variants_scores_every_snv_against_the_truth(run, data, tmp_path):
    pysam = pytest.importorskip("pysam")
    with pysam.VariantFile(str(data / "variants.vcf")) as vcf:
        count = len(list(vcf))
    out = tmp_path / "effects.tsv"
    output = _ok(["variants", data / "variants.vcf", "--model", run, "-o", out, "--truth"])
    assert f"{count} SNVs scored" in output and "AUPRC, true-effect over neutral" in output
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == VARIANT_EFFECT_COLUMNS + [
        "delta_dnase",
        "delta_h3k27ac",
        "delta_h3k4me3",
        "delta_h3k27me3",
    ]
    assert table["variant"].nunique() == count
    magnitude = table["delta_log2"].abs().to_numpy()
    assert (np.diff(magnitude) <= 1e-12).all()  # largest effect first
    arcs = pd.read_csv(out.with_suffix(".bedpe"), sep="\t", header=None)
    assert len(arcs) == (table["gene"] != ".").sum() and arcs[7].between(1, 1000).all()


def test_ism_writes_one_score_per_base(run, tmp_path):
    out = tmp_path / "ism.bw"
    output = _ok(["ism", "--model", run, "--region", "3:20,001-20,150", "-o", out])  # 3 = chr3
    assert "over chr3:20,001-20,150" in " ".join(output.split())  # echoed 1-based
    with bbi.open(str(out)) as bw:
        values = bw.fetch("chr3", 20_000, 20_150)
        assert bw.fetch("chr3", 0, 20_000).max() == 0 or np.isnan(bw.fetch("chr3", 0, 20_000)).all()
    assert np.isfinite(values).all() and np.abs(values).max() > 0


def test_stage_cage_freezes_the_trunk_of_its_init_run(run, data, tmp_path):
    base = tmp_path / "epi_stage"
    args = ["train", "--model", "seq-gat", data / "genome.fa", data / "contacts.bedpe", *FAST]
    assert "--stage cage --init" not in " ".join(
        _ok([*args, "-o", base, "--stage", "epigenome"]).split()
    )
    message = _error([*args, "-o", tmp_path / "x", "--stage", "cage"], 2)
    assert "--stage cage trains the graph part on a trunk trained before: give --init" in message
    cage = tmp_path / "cage_stage"
    _ok([*args, "-o", cage, "--stage", "cage", "--init", base])
    before = torch.load(base / "model.pt", weights_only=True)
    after = torch.load(cage / "model.pt", weights_only=True)
    for key in before:
        if key.startswith(("tower.", "context.", "epigenome_head.", "bottleneck.")):
            assert torch.equal(before[key], after[key]), key
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("convs."))
    # one first-stage run serves the graph-free baseline too: its trunk is the same
    cnn = tmp_path / "cnn_stage"
    _ok([*args[:2], "seq-cnn", *args[3:], "-o", cnn, "--stage", "cage", "--init", base])
    baseline = torch.load(cnn / "model.pt", weights_only=True)
    assert all(torch.equal(before[k], baseline[k]) for k in baseline if k.startswith("tower."))
    wider = [*args, "-o", tmp_path / "y", "--stage", "cage", "--init", base, "--channels", "16"]
    message = _error(wider, 2)
    assert "does not fit this one" in message and "the same --channels and --cnn-layers" in message


def test_epi_run_given_to_variants_is_a_setting_error(tiny_dataset, data, tmp_path):
    epi = tmp_path / "gat"
    _ok(["train", "--model", "gat", tiny_dataset / "dnase.bw", tiny_dataset / "contacts.bedpe",
         "-o", epi, "--epochs", "1", "--channels", "8", "--heads", "2"])  # fmt: skip
    message = _error(["variants", data / "variants.vcf", "--model", epi], 2)
    assert "variants needs a sequence model (seq-cnn, seq-gat)" in message


def _vcf(tmp_path, body: str, header: bool = True):
    path = tmp_path / "bad.vcf"
    head = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
    path.write_text((head if header else "") + body)
    return path


def test_bad_vcfs_are_one_line_errors_naming_the_line(run, data, tmp_path):
    genome = (data / "genome.fa").read_text().split("\n")[1]
    wrong = "C" if genome[0] != "C" else "G"
    ref = _vcf(tmp_path, f"chr1\t1\t.\t{wrong}\tT\t.\tPASS\t.\n")
    message = _error(["variants", ref, "--model", run], 1)
    assert f"bad.vcf line 3: REF {wrong} but the genome has {genome[0]} at chr1:1" in message
    unknown = _vcf(tmp_path, "chr1\t1\t.\tA\tT\t.\tPASS\t.\nchrX\t5\t.\tA\tT\t.\tPASS\t.\n")
    message = _error(["variants", unknown, "--model", run], 1)
    assert "bad.vcf line 4: chromosome chrX is not in the model's genome" in message
    bare = _vcf(tmp_path, "chr1\t1\t.\tA\tT\t.\tPASS\t.\n", header=False)
    message = _error(["variants", bare, "--model", run], 1)
    assert "bad.vcf line 1: has no VCF header" in message


def test_ism_region_longer_than_a_window_is_a_setting_error(run):
    message = _error(["ism", "--model", run, "--region", "chr1:1-70,000"], 2)
    assert "longer than the model's 60,000 bp window" in message


def test_genome_of_other_sizes_is_a_one_line_error(data, tmp_path):
    from graphreg_cli.data.dna import encode
    from graphreg_cli.io.fasta import write_fasta

    folder = tmp_path / "copy"
    shutil.copytree(data, folder)
    write_fasta({f"chr{i}": encode("A" * 90_000) for i in range(1, 5)}, folder / "genome.fa")
    message = _error(["train", "--model", "seq-gat", folder / "genome.fa",
                      folder / "contacts.bedpe", "-o", tmp_path / "r", *FAST], 1)  # fmt: skip
    assert "genome.fa: chr1 is 90000 bp here but 100000 bp in dnase.bw" in message


def test_fasta_with_an_epi_model_is_refused(data, tmp_path):
    message = _error(["train", "--model", "gat", data / "genome.fa", data / "contacts.bedpe"], 2)
    assert "--model gat reads tracks, not a genome" in message


def test_genome_names_are_matched_to_the_tracks(data, tmp_path, notes):
    from graphreg_cli.data.graphs import load_graphs
    from graphreg_cli.data.inputs import Inputs
    from graphreg_cli.io.fasta import open_fasta, read_sequence, write_fasta

    folder = tmp_path / "renamed"
    shutil.copytree(data, folder)
    fasta = open_fasta(data / "genome.fa")
    sequences = {name.removeprefix("chr"): read_sequence(fasta, name) for name in fasta.records}
    fasta.close()
    write_fasta(sequences, folder / "genome.fa")
    (graph,) = load_graphs(Inputs.from_folder(folder), only=["chr2"])
    assert graph.seq.shape == (20, 5000)
    assert np.array_equal(graph.seq.reshape(-1).numpy(), sequences["2"])
    assert any(
        "genome.fa: 1 chromosome name(s) matched to the tracks' naming (2 → chr2)" in n
        for n in notes
    )


def _records(data) -> tuple[list[str], list[str]]:
    lines = (data / "variants.vcf").read_text().splitlines()
    return [x for x in lines if x.startswith("#")], [x for x in lines if not x.startswith("#")]


def test_vcf_records_in_any_order_score_the_same(run, data, tmp_path):
    """Records in reverse order (chromosomes and positions) were once refused with a false
    REF mismatch: they are scored, the same as in order."""
    header, records = _records(data)
    backwards = tmp_path / "reversed.vcf"
    backwards.write_text("\n".join(header + records[::-1]) + "\n")
    tables = []
    for vcf, out in ((data / "variants.vcf", "a.tsv"), (backwards, "b.tsv")):
        _ok(["variants", vcf, "--model", run, "-o", tmp_path / out])
        table = pd.read_csv(tmp_path / out, sep="\t")
        tables.append(table.sort_values(["variant", "gene"]).reset_index(drop=True))
    pd.testing.assert_frame_equal(tables[0], tables[1])


@pytest.mark.parametrize(
    "case, message",
    [
        ("digits", "line {n}: POS '²³' is not a positive integer"),
        ("header_only", "holds no records (header lines only)"),
        ("multi_allelic", "none of its 2 record(s) is an SNV"),
        ("truncated", "is cut short or damaged"),
        ("sign", "line {n}: INFO SIGN=abc is not -1, 0 or 1"),
        ("no_sign", "line {n}: has no INFO SIGN, which --truth needs"),
    ],
)
def test_hostile_vcfs_are_one_line_and_write_nothing(run, data, tmp_path, case, message):
    import gzip

    header, records = _records(data)
    first = records[0].split("\t")
    n = len(header) + 1
    body = {
        "digits": ["\t".join([first[0], "²³", *first[2:]])],
        "header_only": [],
        "multi_allelic": ["\t".join([*first[:4], "A,C", *first[5:]])] * 2,
        "sign": ["\t".join([*first[:7], first[7].replace("SIGN=", "SIGN=abc;X=")])],
        "no_sign": ["\t".join([*first[:7], "."])],
    }.get(case, records)
    vcf = tmp_path / ("v.vcf.gz" if case == "truncated" else "v.vcf")
    text = ("\n".join(header + body) + "\n").encode()
    vcf.write_bytes(gzip.compress(text)[:-40] if case == "truncated" else text)
    out = tmp_path / "out" / "effects.tsv"
    last = _error(["variants", vcf, "--model", run, "-o", out, "--truth"], 1)
    assert message.format(n=n) in last
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_alt_equal_to_ref_is_skipped_with_a_count(run, data, tmp_path):
    header, records = _records(data)
    first = records[0].split("\t")
    same = "\t".join([*first[:4], first[3], *first[5:]])
    vcf = tmp_path / "v.vcf"
    vcf.write_text("\n".join(header + [same, *records[1:]]) + "\n")
    output = _ok(["variants", vcf, "--model", run, "-o", tmp_path / "e.tsv"])
    assert "1 ALT = REF" in " ".join(output.split())
    assert f"{len(records) - 1} SNVs scored" in output


def test_unwritable_arcs_are_refused_before_any_work(run, data, tmp_path):
    (tmp_path / "afile").write_text("")
    arcs = tmp_path / "afile" / "arcs.bedpe"  # its folder is a file: it cannot be written
    out = tmp_path / "effects.tsv"
    last = _error(["variants", data / "variants.vcf", "--model", run, "-o", out, "--arcs", arcs], 1)
    assert "is a file, not a folder" in last and not out.exists()


@pytest.mark.parametrize("command", ["variants", "ism"])
def test_variants_and_ism_write_to_a_pipe(run, data, command):
    """``-o /dev/stdout | head -c 10``: a pipe takes the bytes (no path to rename over)."""
    import subprocess
    import sys

    target = {
        "variants": ["variants", str(data / "variants.vcf")],
        "ism": ["ism", "--region", "chr3:20,001-20,050"],
    }[command]
    graphreg = Path(sys.executable).parent / "graphreg"  # the installed entry point
    done = subprocess.run(
        f"{graphreg} {' '.join(target)} --model {run} -o /dev/stdout | head -c 10",
        shell=True,
        capture_output=True,
    )
    assert done.returncode == 0 and len(done.stdout) == 10, done.stderr.decode()
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--regulators", 2, "--silencers", 5], "--silencers 5 is more than --regulators 2"),
        (["--bins", 200_000], "would need about 384.0 GB of memory"),
        (["--bins", 1_000_000], "exceed bigWig's limit"),
        (
            ["--genes", 30, "--regulators", 20, "--bins", 40],
            "--genes 30 + --regulators 20 do not fit on 40 bins (--bins 40 per chromosome)",
        ),
        (
            ["--enhancers-per-gene", 5, "--regulators", 4, "--silencers", 1],
            "--enhancers-per-gene 5 is more than the 3 enhancers (--regulators 4 minus "
            "--silencers 1)",
        ),
    ],
)
def test_simulate_sequence_refuses_in_the_flags_given(tmp_path, args, message, monkeypatch):
    """Refused before any work, naming simulate's own flags (never --enhancers or --length)."""
    from graphreg_cli.simulation import resources

    monkeypatch.setattr(resources, "available_memory", lambda: 20 * 10**9)
    last = _error(["simulate", "--sequence", *args, "-o", tmp_path / "out"], 2)
    assert message in last and "--enhancers " not in last and "--length" not in last
    assert not (tmp_path / "out").exists()


def test_plain_gzip_genome_trains_like_the_plain_one(data, tmp_path):
    """``genome.fa.gz`` made by gzip (not bgzip): read whole, with a note, not refused."""
    import gzip

    genome = tmp_path / "genome.fa.gz"
    genome.write_bytes(gzip.compress((data / "genome.fa").read_bytes()))
    output = _ok(["train", "--model", "seq-cnn", genome, data / "contacts.bedpe",
                  "-o", tmp_path / "run", "--stage", "epigenome", *FAST, *WINDOW])  # fmt: skip
    assert "read whole" in " ".join(output.split())
    cut = tmp_path / "cut.fa.gz"
    cut.write_bytes(genome.read_bytes()[:-50])
    last = _error(["train", "--model", "seq-cnn", cut, data / "contacts.bedpe",
                   "-o", tmp_path / "run2", *FAST], 1)  # fmt: skip
    assert "cut.fa.gz: is cut short or damaged" in last


@pytest.mark.parametrize("method", ["saliency", "abc"])
def test_explain_on_a_sequence_run_points_to_ism_and_variants(run, tmp_path, method):
    """It once died of an AttributeError ('GlobalStorage' has no attribute 'seq')."""
    out = tmp_path / "x.bedpe"
    last = _error(["explain", "--model", run, "--method", method, "-o", out], 2)
    assert "reads DNA: score its bases with graphreg ism" in last and not out.exists()
