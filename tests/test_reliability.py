"""What graphreg promises (docs/reliability.md): atomic outputs, run folders that a failed or
new run never damages, resume equal to an uninterrupted run, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pyBigWig
import pytest
import torch
from typer.testing import CliRunner

from graphreg_cli.api import train
from graphreg_cli.cli import app
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.errors import OutputError, RunError, SettingError
from graphreg_cli.io.atomic import (
    TEMP_NAME,
    atomic_binary,
    atomic_bytes,
    atomic_text,
    sweep_temp_files,
)
from graphreg_cli.io.bigwig import libbigwig_messages, verify_bigwig, write_bigwig

runner = CliRunner()
SMALL = dict(channels=8, cnn_layers=1, graph_layers=1, heads=2, device="cpu")


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# --- atomic outputs --------------------------------------------------------------------------


def test_a_short_write_is_refused_and_the_old_file_kept(tmp_path):
    target = tmp_path / "table.tsv"
    target.write_text("old\n")
    short = r"table.tsv: 10 of 100 bytes reached the disk"
    with pytest.raises(OutputError, match=short), atomic_binary(target) as handle:
        handle.write(b"x" * 100)
        handle.flush()
        os.truncate(handle.name, 10)  # what a silently failing writer leaves
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.tsv"]


def test_an_os_error_while_writing_is_one_line(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(OutputError) as info, atomic_text(target) as handle:
        handle.write("{")
        raise OSError(28, "No space left on device")
    assert str(info.value).startswith(f"cannot write {target}: no space left on the device")
    assert list(tmp_path.iterdir()) == []


def test_temp_files_of_dead_writers_are_swept(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    stale = tmp_path / f".cage.bw.graphreg-{dead}.abc123_x.tmp"
    stale.write_bytes(b"half")
    stale_folder = tmp_path / f".run.graphreg-{dead}.q1w2e3r4.tmp"
    stale_folder.mkdir()
    live = tmp_path / f".cage.bw.graphreg-{alive}.zzz.tmp"
    live.write_bytes(b"being written")
    aside = tmp_path / f".kept_run.graphreg-{dead}.old.tmp"  # a run moved aside, never replaced
    aside.mkdir()
    (aside / "model.pt").write_bytes(b"weights")
    with atomic_text(tmp_path / "next.txt") as handle:  # any write in the folder sweeps it
        handle.write("new\n")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [live.name, "kept_run", "next.txt"]
    assert (tmp_path / "kept_run" / "model.pt").read_bytes() == b"weights"  # put back
    assert sweep_temp_files(tmp_path) == 0


def test_a_write_killed_with_sigkill_is_swept_by_the_next(tmp_path):
    script = (
        "import os, signal, sys\n"
        "from graphreg_cli.io.atomic import atomic_text\n"
        "with atomic_text(sys.argv[1]) as handle:\n"
        "    handle.write('half a table')\n"
        "    handle.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "out.tsv")])
    assert done.returncode == -signal.SIGKILL
    (left,) = tmp_path.iterdir()  # the killed writer's temp file, recognisable
    assert TEMP_NAME.match(left.name) and left.name.startswith(".out.tsv.graphreg-")
    atomic_bytes(tmp_path / "next.bin", b"x")
    assert [p.name for p in tmp_path.iterdir()] == ["next.bin"]


def test_libbigwig_lines_are_captured_and_other_output_passed_on(capfd):
    with libbigwig_messages() as lines:
        os.write(2, b"[bwClose] There was an error while finishing writing a bigWig file!\n")
        os.write(2, b"a progress bar frame\n")
    assert lines == ["[bwClose] There was an error while finishing writing a bigWig file!"]
    assert capfd.readouterr().err == "a progress bar frame\n"


def test_a_truncated_bigwig_is_not_renamed_over_the_target(tmp_path):
    sizes = {"chr1": 10_000, "chr2": 8_500}
    tracks = {c: np.arange(-(-n // 1000), dtype=np.float32) + 1 for c, n in sizes.items()}
    good = tmp_path / "good.bw"
    write_bigwig(good, sizes, tracks, 1000)
    data = good.read_bytes()
    cut = tmp_path / "cut.bw"
    cut.write_bytes(data[: len(data) - 200])
    from graphreg_cli.io.bigwig import Written

    written = Written()
    for chrom, values in tracks.items():
        n = sizes[chrom]
        written.add(chrom, (len(values) - 1) * 1000, n, float(values[-1]), n)
    verify_bigwig(good, sizes, written, good)  # the whole file reads back
    with pytest.raises(OutputError, match="cut.bw"):
        verify_bigwig(cut, sizes, written, cut)
    with pytest.raises(OutputError, match="covers"):
        verify_bigwig(good, sizes, Written(1, written.last), good)


# --- run folders -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inputs(tiny_dataset) -> Inputs:
    return Inputs.from_folder(tiny_dataset)


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_checkpoint_is_saved_when_validation_improves(inputs, tmp_path):
    saved = []

    def look(epoch, *_):
        state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
        saved.append(state["epoch"])

    train(inputs, "gat", tmp_path / "run", epochs=3, on_epoch=look, **SMALL)
    log = (tmp_path / "run" / "train_log.tsv").read_text().splitlines()[1:]
    val = [float(line.split("\t")[3]) for line in log]
    best = np.minimum.accumulate(val)
    # after each epoch the checkpoint on disk is that of the last improvement
    assert saved == [1 + int(np.flatnonzero(val[: i + 1] == best[i])[-1]) for i in range(3)]


def test_a_new_run_never_damages_an_existing_one(inputs, tmp_path):
    out = tmp_path / "run"
    train(inputs, "gat", out, epochs=2, **SMALL)
    (out / "metrics.json").write_text("{}\n")
    before = _files(out)
    with pytest.raises(SettingError, match="already holds a run"):
        train(inputs, "gat", out, epochs=2, **SMALL)
    with pytest.raises(SettingError, match="diverged"):
        train(inputs, "gat", out, epochs=2, overwrite=True, lr=1e30, **{**SMALL})
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no staging left
    train(inputs, "cnn", out, epochs=2, overwrite=True, **SMALL)
    assert json.loads((out / "config.json").read_text())["model"]["name"] == "cnn"
    assert not (out / "metrics.json").exists()  # the old run went as a whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_ctrl_c_in_the_first_epoch_leaves_the_old_run(inputs, tmp_path, monkeypatch):
    out = tmp_path / "run"
    train(inputs, "gat", out, epochs=1, **SMALL)
    before = _files(out)
    from graphreg_cli.tasks.trainer import Trainer

    def interrupted(self, windows):
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "train_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(inputs, "cnn", out, epochs=5, overwrite=True, **SMALL)
    assert _files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def _log(folder) -> list[list[str]]:
    """The log without its timing column."""
    lines = (folder / "train_log.tsv").read_text().splitlines()
    return [line.split("\t")[:4] for line in lines]


def test_resume_equals_an_uninterrupted_run(inputs, tmp_path):
    """Dropout and shuffled batches draw random numbers: a resumed run equals an
    uninterrupted one only if the checkpoint holds the random-number state."""
    options = dict(epochs=6, seed=5, batch_size=2, dropout=0.3, **SMALL)
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    train(inputs, "gat", whole, **options)

    def stop(epoch, *_):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(inputs, "gat", parts, on_epoch=stop, **options)
    with open(parts / "train_log.tsv", "a") as log:  # epochs a killed run logged after it
        log.write("4\t9\t9\t9\t1.0\n5\t9\t")
    train(inputs, "gat", parts, resume=True, **options)
    assert _log(parts) == _log(whole)  # each epoch once, the same losses
    a = torch.load(whole / "model.pt", weights_only=True)
    b = torch.load(parts / "model.pt", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_resume_with_other_training_settings_says_so(inputs, tmp_path, notes):
    out = tmp_path / "run"
    train(inputs, "gat", out, epochs=1, seed=1, **SMALL)
    train(inputs, "gat", out, epochs=2, seed=2, lr=0.01, resume=True, **SMALL)
    said = " ".join(n for n in notes if "resumed with other" in n)
    assert "--lr (0.003 -> 0.01)" in said and "--seed (1 -> 2)" in said
    assert "--epochs (1 -> 2)" in said


def test_damaged_weights_and_config_are_run_errors(inputs, tmp_path):
    from graphreg_cli.tasks.runs import Run

    out = tmp_path / "run"
    train(inputs, "gat", out, epochs=1, **SMALL)
    (out / "model.pt").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(RunError, match="model.pt: cannot be read as graphreg weights"):
        Run.open(out).model()
    config = json.loads((out / "config.json").read_text())
    config["split"]["chr1"] = "holdout"
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunError, match="'split' has the part 'holdout'"):
        Run.open(out)


# --- the last resort --------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_and_debug_shows_it(tmp_path, monkeypatch):
    from graphreg_cli.tasks import runs

    def broken(folder=None):
        raise ZeroDivisionError("division by zero in a place nobody expected")

    monkeypatch.setattr(runs.Run, "open", staticmethod(broken))
    result = runner.invoke(app, ["evaluate", "-m", str(tmp_path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines() == [
        "graphreg: error: graphreg evaluate failed: ZeroDivisionError: division by zero in a "
        "place nobody expected; graphreg --debug evaluate ... shows the traceback; please "
        "report it"
    ]
    debug = runner.invoke(app, ["--debug", "evaluate", "-m", str(tmp_path)])
    assert isinstance(debug.exception, ZeroDivisionError)


# --- inputs: naming, contacts, NaN -----------------------------------------------------------


def test_the_split_follows_the_tracks_naming(tmp_path, tiny_dataset, notes):
    from graphreg_cli.data.inputs import find_split

    shutil.copy(tiny_dataset / "dataset.json", tmp_path / "dataset.json")
    (tmp_path / "contacts.bedpe").write_text("")
    bare = Inputs([tmp_path / "dnase.bw"], tmp_path / "contacts.bedpe")
    split = find_split(bare, None, None, ["1", "2", "3", "4", "5", "6"])
    assert split == {
        "1": "train",
        "2": "train",
        "3": "train",
        "4": "train",
        "5": "val",
        "6": "test",
    }
    assert any("dataset.json: 6 chromosome name(s) matched" in n for n in notes)


def test_contacts_past_the_chromosome_end_are_counted(tmp_path, tiny_dataset, notes):
    from graphreg_cli.data.graphs import load_graphs

    contacts = tmp_path / "c.bedpe"
    rows = ["chr1\t0\t5000\tchr1\t50000\t55000", "chr2\t0\t5000\tchr2\t50000\t55000"]
    rows += ["chr1\t0\t5000\tchr1\t999000\t1004000", "chr3\t0\t5000\tchr3\t1500000\t1505000"]
    contacts.write_text("\n".join(rows) + "\n")
    inputs = Inputs([tiny_dataset / "dnase.bw"], contacts, tiny_dataset / "cage.bw")
    load_graphs(inputs, split={})
    warning = next(n for n in notes if "past" in n)
    assert warning.startswith("c.bedpe: 2 contact(s) ending past their chromosome's end")
    assert "(first: line 3: chr1:999000-1004000 (chr1 is 1000000 bp))" in warning
    assert not any("the tracks lack" in n for n in notes)


def test_nan_target_bins_are_left_out(tmp_path, tiny_dataset, notes):
    from graphreg_cli.data.graphs import load_graphs
    from graphreg_cli.io.bigwig import read_bigwig

    truth = read_bigwig(tiny_dataset / "cage.bw", 5000)
    target = tmp_path / "cage_nan.bw"
    hidden = {c: np.zeros(len(v), bool) for c, v in truth.items()}
    hidden["chr1"][10:20] = hidden["chr2"][0:3] = True
    with pyBigWig.open(str(target), "w") as handle:
        handle.addHeader([(c, len(v) * 5000) for c, v in truth.items()])
        for c, v in truth.items():
            values = np.where(hidden[c], np.nan, v).astype(np.float64)
            handle.addEntries(c, 0, values=values, span=5000, step=5000)
    inputs = Inputs(
        [tiny_dataset / "dnase.bw"], tiny_dataset / "contacts.bedpe", target, bin_size=5000
    )
    for g in load_graphs(inputs):
        np.testing.assert_array_equal(g.y_known.numpy(), ~hidden[g.chrom])
        np.testing.assert_array_equal(g.y.numpy(), np.where(hidden[g.chrom], 0, truth[g.chrom]))
    assert any("cage_nan.bw: 13 bin(s) hold NaN (no data)" in n for n in notes)


def test_simulate_estimates_what_it_writes(tmp_path):
    from graphreg_cli.simulation.generator import SimulationParams, simulate
    from graphreg_cli.simulation.resources import estimate
    from graphreg_cli.simulation.writer import write_dataset

    params = SimulationParams(chromosomes=4, bins=3000, genes=10, regulators=10, split=(2, 1, 1))
    write_dataset(simulate(params), tmp_path)
    written = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert written <= estimate(params).disk <= 3 * written


def test_a_second_train_into_the_same_folder_is_refused(tiny_dataset, tmp_path):
    """Two ``train --out r`` 0.5 s apart once both ran, the second 'replacing' the first
    though --overwrite was never given: the folder is locked while a run writes it."""
    from typer.testing import CliRunner

    from graphreg_cli.cli import app
    from graphreg_cli.tasks.run_folder import run_lock

    out = tmp_path / "r"
    args = ["train", "--model", "cnn", str(tiny_dataset / "dnase.bw"),
            str(tiny_dataset / "contacts.bedpe"), "--epochs", "1", "--channels", "8",
            "-o", str(out)]  # fmt: skip
    with run_lock(out):  # the first run, still writing
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert "is being written by another graphreg train (pid" in last and not out.exists()
    assert CliRunner().invoke(app, args).exit_code == 0  # the lock goes with its holder
