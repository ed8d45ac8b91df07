"""The bad-input catalogue: what a hostile user tries, each answered with one line.

Every case runs one command of the CLI and checks: the exit code (1: a bad file or a
failed write, 2: a bad setting), exactly one error line, no traceback, and that no file was
created or changed where the command could write — its working folder, the run folder and
the dataset. Cases that need root (a full disk, a read-only folder) or a real process (a
closed or full stdout) follow the catalogue with the same checks.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from graphreg_cli.cli import app

runner = CliRunner()
FAST = ["--epochs", "2", "--channels", "8", "--cnn-layers", "1", "--graph-layers", "1"]
FAST += ["--heads", "2"]
BEDPE_ROW = "chr1\t0\t5000\tchr1\t50000\t55000\n"


@pytest.fixture(scope="module")
def trained(tiny_dataset, tmp_path_factory) -> Path:
    """A small trained run (gat, 2 epochs) the cases copy before they touch it."""
    from graphreg_cli.api import train
    from graphreg_cli.data.inputs import Inputs

    out = tmp_path_factory.mktemp("catalogue") / "run"
    options = dict(epochs=2, channels=8, cnn_layers=1, graph_layers=1, heads=2, device="cpu")
    train(Inputs.from_folder(tiny_dataset), "gat", out, **options)
    return out


class Workspace:
    """A case's working folder (the command runs there), with the dataset and a copy of
    the trained run at hand."""

    def __init__(self, root: Path, data: Path, trained: Path):
        self.root, self.data, self._trained = root, data, trained
        self._run: Path | None = None

    @property
    def run(self) -> Path:
        """A copy of the trained run, made on first use."""
        if self._run is None:
            self._run = self.root / "run"
            shutil.copytree(self._trained, self._run)
        return self._run

    def file(self, name: str, content: str | bytes = "") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    def folder(self, name: str, files: dict[str, str | bytes], copy: bool = True) -> Path:
        """A folder of files; ``dnase.bw``/``cage.bw``/``genes.bed`` copied from the dataset
        unless given (or ``copy`` is False)."""
        (self.root / name).mkdir()
        for name_, content in files.items():
            self.file(f"{name}/{name_}", content)
        for copied in ("dnase.bw", "cage.bw", "genes.bed") if copy else ():
            if copied not in files:
                shutil.copy(self.data / copied, self.root / name / copied)
        return self.root / name

    def train(self, *extra: str, tracks=None, contacts=None) -> list[str]:
        tracks = tracks or [self.data / "dnase.bw"]
        contacts = contacts or self.data / "contacts.bedpe"
        out = ["--out", str(self.root / "new_run")] if "--out" not in extra else []
        target = ["--target", str(self.data / "cage.bw")]
        return ["train", *map(str, tracks), str(contacts), *out, *target, *FAST, *extra]

    def manifest(self, **changes) -> str:
        data = json.loads((self.data / "dataset.json").read_text())
        data.update(changes)
        return json.dumps(data)


def snapshot(*folders: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``folders``: its size and a hash of its bytes."""
    files = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest = hashlib.sha1(path.read_bytes()).hexdigest()
                files[str(path)] = (path.stat().st_size, digest)
            else:
                files[str(path)] = (-1, "folder")
    return files


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "error:" in line]


def check_one_line(result, code: int, message: str) -> None:
    output = result.output
    assert result.exit_code == code, output
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    assert "Traceback" not in output
    lines = error_lines(output)
    assert len(lines) == 1, output
    assert lines[0].startswith("graphreg: error: "), output
    assert re.search(message, lines[0]), lines[0]


@dataclass
class Case:
    name: str
    args: Callable[[Workspace], list[str]]
    code: int
    message: str  # a regular expression the error line matches


def _corrupt(ws: Workspace, name: str, content: bytes | str | None = None) -> Path:
    path = ws.run / name
    if content is None:  # truncated
        content = path.read_bytes()[: path.stat().st_size // 3]
    ws.file(f"run/{name}", content)
    return ws.run


def _foreign_weights(ws: Workspace) -> Path:
    from graphreg_cli.models import ModelConfig, build_model

    other = build_model(ModelConfig(name="cnn", channels=4, cnn_layers=1))
    torch.save(other.state_dict(), ws.run / "model.pt")
    return ws.run


def _edited_config(ws: Workspace, section: str, **changes) -> Path:
    config = json.loads((ws.run / "config.json").read_text())
    config[section].update(changes)
    ws.file("run/config.json", json.dumps(config))
    return ws.run


def _bad_bigwig(ws: Workspace) -> Path:
    data = (ws.data / "dnase.bw").read_bytes()
    return ws.file("truncated.bw", data[: len(data) // 2])


def _run_cmd(command: str, *extra: str) -> Callable[[Workspace], list[str]]:
    return lambda ws: [command, "--model", str(ws.run), *extra]


CASES = [
    # --- simulate -----------------------------------------------------------------------
    Case("simulate-seed-negative", lambda ws: ["simulate", "--seed", "-1"], 2, "--seed"),
    Case("simulate-bins-zero", lambda ws: ["simulate", "--bins", "0"], 2, "--bins"),
    Case(
        "simulate-bins-huge",
        lambda ws: ["simulate", "--bins", str(10**12)],
        2,
        "bigWig's limit",
    ),
    Case(
        "simulate-chromosomes-huge",
        lambda ws: ["simulate", "--chromosomes", str(10**8), "--split", "99999990,5,5"],
        2,
        "memory",
    ),
    Case("simulate-chromosomes-float", lambda ws: ["simulate", "--chromosomes", "1e8"], 2, "int"),
    Case("simulate-noise-nan", lambda ws: ["simulate", "--noise-fraction", "nan"], 2, "range"),
    Case("simulate-split-syntax", lambda ws: ["simulate", "--split", "20-5-5"], 2, "three"),
    Case(
        "simulate-out-is-a-file",
        lambda ws: ["simulate", "-o", str(ws.file("taken", "mine\n"))],
        2,
        "is a file",
    ),
    Case(
        "simulate-chrom-sizes-empty",
        lambda ws: ["simulate", "--chrom-sizes", str(ws.file("empty.sizes"))],
        1,
        "no chromosomes listed",
    ),
    Case(
        "simulate-sizes-and-genome",
        lambda ws: (
            ["simulate", "--chrom-sizes", str(ws.file("a.sizes", "chr1\t100000\n"))]
            + ["--genome", "hg38"]
        ),
        2,
        "not both",
    ),
    # --- train: settings ----------------------------------------------------------------
    Case("train-channels-zero", lambda ws: ws.train("--channels", "0"), 2, "--channels"),
    Case("train-heads-zero", lambda ws: ws.train("--heads", "0"), 2, "--heads"),
    Case("train-dropout-one", lambda ws: ws.train("--dropout", "1"), 2, "0<=x<1"),
    Case("train-dropout-nan", lambda ws: ws.train("--dropout", "nan"), 2, "0<=x<1"),
    Case("train-lr-zero", lambda ws: ws.train("--lr", "0"), 2, "x>0"),
    Case("train-epochs-zero", lambda ws: ws.train("--epochs", "0"), 2, "--epochs"),
    Case("train-batch-size-negative", lambda ws: ws.train("--batch-size", "-1"), 2, "--batch"),
    Case("train-window-negative", lambda ws: ws.train("--window", "-5"), 2, "--window"),
    Case("train-bin-size-zero", lambda ws: ws.train("--bin-size", "0"), 2, "--bin-size"),
    Case("train-input-bin-size-zero", lambda ws: ws.train("--input-bin-size", "0"), 2, "--input"),
    Case("train-max-fdr-above-one", lambda ws: ws.train("--max-fdr", "2"), 2, "0<=x<=1"),
    Case(
        "train-channels-not-multiple-of-heads",
        lambda ws: ws.train("--channels", "6", "--heads", "4"),
        2,
        "multiple of --heads",
    ),
    Case(
        "train-overwrite-diverges-before-a-checkpoint",
        lambda ws: ws.train("--out", str(ws.run), "--overwrite", "--lr", "1e30"),
        2,
        "diverged at epoch 1",
    ),
    Case(
        "train-val-and-test-overlap",
        lambda ws: ws.train("--val-chroms", "chr5", "--test-chroms", "chr5,chr6"),
        2,
        "chr5 is in both",
    ),
    Case("train-val-unknown", lambda ws: ws.train("--val-chroms", "chrX"), 2, "chrX is not"),
    Case(
        "train-no-target",
        lambda ws: [
            "train",
            str(shutil.copy(ws.data / "dnase.bw", ws.root / "dnase.bw")),
            str(shutil.copy(ws.data / "contacts.bedpe", ws.root / "contacts.bedpe")),
            "--out",
            str(ws.root / "new_run"),
        ],
        2,
        r"no target: give the CAGE bigWig or a gene table \(TSV\) as --target",
    ),
    Case(
        "train-track-not-bigwig",
        lambda ws: ws.train(tracks=[ws.data / "genes.bed"]),
        2,
        "must be bigWig",
    ),
    Case("train-missing-file", lambda ws: ws.train(tracks=[ws.root / "nope.bw"]), 2, "nope.bw"),
    # --- train: run folders -------------------------------------------------------------
    Case(
        "train-into-existing-run",
        lambda ws: ws.train("--out", str(ws.run)),
        2,
        "already holds a run",
    ),
    Case(
        "train-overwrite-fails-before-a-checkpoint",
        lambda ws: ws.train("--out", str(ws.run), "--overwrite", "--channels", "6", "--heads", "4"),
        2,
        "multiple of --heads",
    ),
    Case(
        "train-resume-and-overwrite",
        lambda ws: ws.train("--out", str(ws.run), "--resume", "--overwrite"),
        2,
        "give one",
    ),
    Case(
        "train-resume-without-checkpoint",
        lambda ws: ws.train("--out", str(ws.folder("empty_run", {}, copy=False)), "--resume"),
        2,
        "nothing to resume",
    ),
    Case(
        "train-resume-corrupt-checkpoint",
        lambda ws: ws.train("--out", str(_corrupt(ws, "checkpoint.pt")), "--resume"),
        1,
        "checkpoint.pt: cannot be read",
    ),
    # --- train: input files -------------------------------------------------------------
    Case("train-truncated-track", lambda ws: ws.train(tracks=[_bad_bigwig(ws)]), 1, "truncated"),
    Case(
        "train-empty-contacts",
        lambda ws: ws.train(contacts=ws.file("empty.bedpe")),
        1,
        "holds no contacts",
    ),
    Case(
        "train-trans-only-contacts",
        lambda ws: ws.train(contacts=ws.file("trans.bedpe", "chr1\t0\t5000\tchr2\t0\t5000\n")),
        1,
        "between chromosomes",
    ),
    Case(
        "train-contacts-past-chromosome-end",
        lambda ws: ws.train(
            contacts=ws.file("far.bedpe", "chr1\t0\t5000\tchr1\t2000000\t2005000\n")
        ),
        1,
        r"end past the chromosome's end \(first: line 1: chr1:2000000-2005000",
    ),
    Case(
        "train-contacts-other-naming",
        lambda ws: ws.train(contacts=ws.file("z.bedpe", BEDPE_ROW.replace("chr1", "chrZ"))),
        1,
        "no contact lies on the tracks' chromosomes",
    ),
    Case(
        "train-contacts-bad-coordinate",
        lambda ws: ws.train(contacts=ws.file("bad.bedpe", BEDPE_ROW + "chr1\tx\t5\tchr1\t0\t5\n")),
        1,
        "line 2",
    ),
    Case(
        "train-empty-genes",
        lambda ws: ws.train("--genes", str(ws.file("genes.bed"))),
        1,
        "holds no genes",
    ),
    Case(
        "train-broken-dataset-json",
        lambda ws: ws.train(
            contacts=ws.folder("d1", {"contacts.bedpe": BEDPE_ROW, "dataset.json": "{"})
            / "contacts.bedpe"
        ),
        1,
        "dataset.json: is not valid JSON",
    ),
    Case(
        "train-dataset-json-val-test-overlap",
        lambda ws: ws.train(
            contacts=ws.folder(
                "d2",
                {
                    "contacts.bedpe": BEDPE_ROW,
                    "dataset.json": ws.manifest(split={"val": ["chr5"], "test": ["chr5"]}),
                },
            )
            / "contacts.bedpe"
        ),
        1,
        "chr5 is both a val and a test",
    ),
    Case(
        "train-dataset-json-without-bin-size",
        lambda ws: ws.train(
            contacts=ws.folder(
                "d3", {"contacts.bedpe": BEDPE_ROW, "dataset.json": ws.manifest(bin_size="5kb")}
            )
            / "contacts.bedpe"
        ),
        1,
        "'bin_size' '5kb' is not a positive integer",
    ),
    # --- evaluate: damaged runs ---------------------------------------------------------
    Case("evaluate-no-run", lambda ws: ["evaluate", "-m", str(ws.root / "nowhere")], 1, "not a"),
    Case(
        "evaluate-empty-config",
        lambda ws: ["evaluate", "-m", str(_corrupt(ws, "config.json", ""))],
        1,
        "is empty",
    ),
    Case(
        "evaluate-invalid-config",
        lambda ws: ["evaluate", "-m", str(_corrupt(ws, "config.json", '{"model": {'))],
        1,
        "not valid JSON",
    ),
    Case(
        "evaluate-edited-config",
        lambda ws: ["evaluate", "-m", str(_edited_config(ws, "model", channels=0))],
        1,
        "'model' is invalid",
    ),
    Case(
        "evaluate-truncated-weights",
        lambda ws: ["evaluate", "-m", str(_corrupt(ws, "model.pt"))],
        1,
        "model.pt: cannot be read",
    ),
    Case(
        "evaluate-text-weights",
        lambda ws: ["evaluate", "-m", str(_corrupt(ws, "model.pt", "hello\n"))],
        1,
        "model.pt: cannot be read",
    ),
    Case(
        "evaluate-foreign-weights",
        lambda ws: ["evaluate", "-m", str(_foreign_weights(ws))],
        1,
        "weights of another model",
    ),
    Case("evaluate-bad-split", _run_cmd("evaluate", "--split", "bogus"), 2, "--split"),
    # --- predict ------------------------------------------------------------------------
    Case(
        "predict-damaged-run-keeps-old-output",
        lambda ws: (
            ["predict", "-m", str(_corrupt(ws, "model.pt")), "-o"]
            + [str(ws.file("old.bw", (ws.data / "cage.bw").read_bytes()))]
        ),
        1,
        "model.pt",
    ),
    Case(
        "predict-one-file",
        lambda ws: _run_cmd("predict", "-o", "x.bw", str(ws.data / "dnase.bw"))(ws),
        2,
        "TRACK.bw ... CONTACTS",
    ),
    Case(
        "predict-wrong-track-count",
        lambda ws: (
            ["predict", "-m", str(ws.run), "-o", "x.bw"]
            + [str(ws.data / "dnase.bw")] * 2
            + [str(ws.data / "contacts.bedpe")]
        ),
        2,
        "trained on 1 track",
    ),
    Case(
        "predict-output-is-a-folder",
        lambda ws: _run_cmd("predict", "-o", str(ws.root))(ws),
        2,
        "directory|folder",
    ),
    # --- explain ------------------------------------------------------------------------
    Case("explain-width-negative", _run_cmd("explain", "--width", "-1"), 2, "--width"),
    Case(
        "explain-bad-truth",
        lambda ws: _run_cmd("explain", "--truth", str(ws.file("t.bedpe", "chr1\t5\n")))(ws),
        1,
        "t.bedpe line 1",
    ),
    Case(
        "explain-empty-truth",
        lambda ws: _run_cmd("explain", "--truth", str(ws.file("t.bedpe")))(ws),
        1,
        "holds no links",
    ),
    Case(
        "explain-truth-elsewhere",
        lambda ws: _run_cmd(
            "explain",
            "--truth",
            str(ws.file("t.bedpe", "chr77\t0\t5000\tchr77\t50000\t55000\tx\t1\n")),
        )(ws),
        1,
        "no true link lies on the chromosomes explained",
    ),  # fmt: skip
    # --- perturb ------------------------------------------------------------------------
    Case(
        "perturb-scale-negative",
        _run_cmd("perturb", "--region", "chr1:1-10", "--scale", "-1"),
        2,
        "--scale",
    ),
    Case(
        "perturb-top-negative",
        _run_cmd("perturb", "--region", "chr1:1-10", "--top", "-1"),
        2,
        "--top",
    ),
    Case("perturb-region-syntax", _run_cmd("perturb", "--region", "chr1:5-2"), 2, "START <= END"),
    Case("perturb-region-unknown", _run_cmd("perturb", "--region", "chrQ:1-10"), 2, "chrQ"),
    Case("perturb-no-region", _run_cmd("perturb"), 2, "--region"),
    # --- cv ----------------------------------------------------------------------------------
    *(
        Case(
            f"cv-min-expression-{value}",
            lambda ws, value=value: [
                "cv",
                str(ws.data / "dnase.bw"),
                str(ws.data / "contacts.bedpe"),
                "--target",
                str(ws.data / "cage.bw"),
                "--genes",
                str(ws.data / "genes.bed"),
                "--min-expression",
                value,
                "-o",
                str(ws.root / "cv"),
            ],
            2,
            "--min-expression",
        )
        for value in ("inf", "nan")
    ),  # fmt: skip
    # --- the command line itself ----------------------------------------------------------
    Case("unknown-command", lambda ws: ["frobnicate"], 2, "No such command"),
    Case("unknown-option", lambda ws: ["train", "--frobnicate"], 2, "No such option"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tiny_dataset, trained, tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws", tiny_dataset, trained)
    ws.root.mkdir()
    monkeypatch.chdir(ws.root)  # default outputs would land here
    args = case.args(ws)
    before = snapshot(ws.root, tiny_dataset, trained)
    result = runner.invoke(app, args)
    check_one_line(result, case.code, case.message)
    assert snapshot(ws.root, tiny_dataset, trained) == before  # nothing created or changed


def test_catalogue_spans_every_command():
    commands = {c.name.split("-")[0] for c in CASES}
    assert {"simulate", "train", "evaluate", "predict", "explain", "perturb"} <= commands
    assert len(CASES) >= 40


# --- cases that need root, or a real process -------------------------------------------------


def _root_mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a file system")
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount here ({done.stderr.strip()})")


@pytest.fixture
def full_disk(tmp_path):
    """A 256 KB tmpfs holding a valid ``out.bw`` and filled up to its last 4 KB."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    _root_mount("-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder))
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_full_disk_keeps_the_old_bigwig(full_disk, trained, tiny_dataset):
    out = full_disk / "out.bw"
    shutil.copy(tiny_dataset / "cage.bw", out)
    free = shutil.disk_usage(full_disk).free
    (full_disk / "fill").write_bytes(b"\0" * (free - 4096))
    before = snapshot(full_disk)
    result = runner.invoke(app, ["predict", "-m", str(trained), "-o", str(out)])
    check_one_line(result, 1, "out.bw: no space left on the device")
    assert snapshot(full_disk) == before  # the old bigWig as it was, no temp file left


def test_full_disk_under_prepare_coverage_is_one_line(full_disk, tmp_path):
    """``prepare coverage --bin-size 1`` on a full disk: libBigWig once aborted the process
    (exit 134, no message, its temp file left); now one line, the old file kept, no temp."""
    pysam = pytest.importorskip("pysam")
    bam = tmp_path / "long.bam"
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 2_000_000}]}
    with pysam.AlignmentFile(str(bam), "wb", header=header) as out:
        for start in np.sort(np.random.default_rng(0).integers(0, 1_999_000, 20_000)):
            read = pysam.AlignedSegment(out.header)
            read.query_name, read.reference_id, read.reference_start = "r", 0, int(start)
            read.cigarstring, read.query_sequence = "30M", "A" * 30
            read.query_qualities = pysam.qualitystring_to_array("I" * 30)
            out.write(read)
    pysam.index(str(bam))
    out = full_disk / "cov.bw"
    out.write_bytes(b"old")
    free = shutil.disk_usage(full_disk).free
    (full_disk / "fill").write_bytes(b"\0" * (free - 64 * 1024))
    before = snapshot(full_disk)
    result = runner.invoke(
        app, ["prepare", "coverage", str(bam), "--bin-size", "1", "-o", str(out)]
    )
    check_one_line(result, 1, "cov.bw: no space left on the device")
    assert snapshot(full_disk) == before


@pytest.fixture
def read_only(tmp_path, trained):
    """A folder nobody may write into, holding a file and a run: a read-only bind mount as
    root, else chmod."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "old.bw").write_bytes(b"old")
    shutil.copytree(trained, folder / "run")
    if os.geteuid() != 0:
        for path in (folder, folder / "run"):
            path.chmod(0o555)
        yield folder
        for path in (folder, folder / "run"):
            path.chmod(0o755)
        return
    _root_mount("--bind", str(folder), str(folder))
    try:
        _root_mount("-o", "remount,ro,bind", str(folder))
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


COMMANDS = ["predict", "perturb", "explain", "evaluate", "evaluate-run", "simulate", "train"]


@pytest.mark.parametrize("command", COMMANDS)
def test_read_only_folders_are_one_line(command, read_only, trained, tiny_dataset):
    target = read_only / "sub" / "out"
    data = [str(tiny_dataset / "dnase.bw"), str(tiny_dataset / "contacts.bedpe")]
    args = {
        "predict": ["predict", "-m", str(trained), "-o", str(read_only / "old.bw")],
        "perturb": ["perturb", "-m", str(trained), "--region", "chr1:1-10", "-o", f"{target}.bw"],
        "explain": ["explain", "-m", str(trained), "-o", f"{target}.bedpe"],
        "evaluate": ["evaluate", "-m", str(trained), "--per-gene", f"{target}.tsv"],
        "evaluate-run": ["evaluate", "-m", str(read_only / "run")],  # metrics.json goes there
        "simulate": ["simulate", "-o", str(target)],
        "train": ["train", *data, "-o", str(read_only / "run"), "--overwrite", *FAST],
    }[command]
    before = snapshot(read_only, trained)
    result = runner.invoke(app, args)
    check_one_line(result, 1, "read-only|permission denied")
    assert snapshot(read_only, trained) == before


def test_stdout_full_is_one_line(trained, tmp_path):
    """A real process whose stdout is /dev/full: one line, exit 1, and Python's exit adds no
    "Exception ignored" complaint."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    script = "import sys; from graphreg_cli.cli import main; sys.argv[0] = 'graphreg'; main()"
    command = [sys.executable, "-c", script, "predict", "-m", str(trained)]
    with open("/dev/full", "wb") as full:
        done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr
    lines = error_lines(done.stderr)
    assert len(lines) == 1 and "cannot write stdout: no space left" in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []


def test_stdout_closed_is_one_line_before_any_work(trained, tmp_path, monkeypatch, capsys):
    """``graphreg predict >&-``: Python starts without sys.stdout."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdout", None)
    with pytest.raises(SystemExit) as exit_info:
        app(["predict", "-m", str(trained)], prog_name="graphreg")
    assert exit_info.value.code == 1
    stderr = capsys.readouterr().err
    assert error_lines(stderr) == [
        "graphreg: error: cannot write stdout: it is closed; write to a file with -o FILE"
    ], stderr
    assert "note:" not in stderr  # refused before reading anything
    assert list(tmp_path.iterdir()) == []


def test_predict_from_a_read_only_run_writes_the_prediction(read_only, tmp_path):
    """The IGV session beside a read-only run cannot be written: a warning, not a failure."""
    out = tmp_path / "cage.bw"
    result = runner.invoke(app, ["predict", "-m", str(read_only / "run"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: no IGV session: cannot write" in result.output
    assert out.stat().st_size > 0 and not error_lines(result.output)


@pytest.mark.parametrize(
    "device, command, message",
    [
        ((1, 7), "evaluate", "no space left on the device"),  # a /dev/full
        ((1, 7), "predict", "no space left on the device"),
        ((1, 3), "predict", None),  # a /dev/null: the bigWig, made in a temp file, copied in
    ],
)
def test_a_device_is_written_in_place_never_replaced(device, command, message, trained, tmp_path):
    """``--per-gene /dev/full`` once renamed a regular file over the device node; a bigWig
    (written with seeks) is made in a temp file and its bytes copied to the device."""
    import stat

    if os.geteuid() != 0:
        pytest.skip("needs root to make a device node")
    node = tmp_path / "device"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(*device))
    option = "--per-gene" if command == "evaluate" else "-o"
    result = runner.invoke(app, [command, "-m", str(trained), option, str(node)])
    if message is None:
        assert result.exit_code == 0, result.output
    else:
        check_one_line(result, 1, message)
    assert stat.S_ISCHR(node.stat().st_mode) and node.stat().st_rdev == os.makedev(*device)
    assert [p.name for p in tmp_path.iterdir()] == ["device"]
