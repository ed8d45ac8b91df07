"""Data-parallel training and parallel inference on CPU: 2 Gloo processes, as CI runs them.

The first launch in a session starts the workers' fork server (torch imported once, a few
seconds); later launches take about a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from dataclasses import replace
from pathlib import Path

import bbi
import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.errors import RunError, SettingError
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.distributed import Group, Place, environment
from graphreg_cli.tasks.train import TrainOptions, train
from graphreg_cli.tasks.workers import balance

runner = CliRunner()
SMALL = ["--channels", "8", "--cnn-layers", "2", "--graph-layers", "1", "--heads", "2"]
CONFIG = ModelConfig(channels=8, cnn_layers=2, graph_layers=1, heads=2)


def _sha256(state: dict) -> str:
    """Names and bytes of a state dict, hashed here independently of the library."""
    digest = hashlib.sha256()
    for name, tensor in state.items():
        digest.update(name.encode())
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def two_rank_run(tiny_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp") / "run"
    args = ["train", str(tiny_dataset / "dnase.bw"), str(tiny_dataset / "contacts.bedpe")]
    result = runner.invoke(
        app,
        [*args, "--out", str(out), "--devices", "2", "--device", "cpu", "--epochs", "4"] + SMALL,
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_two_gloo_ranks_end_with_identical_parameters(two_rank_run):
    out, _ = two_rank_run
    result = json.loads((out / "config.json").read_text())["result"]
    assert result["devices"] == 2 and result["backend"] == "gloo"
    final = torch.load(out / "checkpoint.pt", weights_only=True)["model"]
    # rank 1 hashed its own final weights; rank 0's are the checkpoint rank 0 wrote
    assert result["parameters_sha256"] == [_sha256(final)] * 2


def test_rank_0_alone_wrote_the_run(two_rank_run):
    out, output = two_rank_run
    assert sorted(p.name for p in out.iterdir()) == [
        "checkpoint.pt",
        "config.json",
        "model.pt",
        "train_log.tsv",
    ]
    log = (out / "train_log.tsv").read_text().splitlines()
    assert log[0].startswith("epoch\t") and [line.split("\t")[0] for line in log[1:]] == [
        "1",
        "2",
        "3",
        "4",
    ]  # one writer: no line twice
    assert "2 x cpu (gloo)" in output


def test_two_ranks_follow_one_process_when_nothing_is_random(tiny_dataset, tmp_path):
    """No dropout, a per-chromosome norm (BatchNorm normalises over each rank's own batch),
    and every training chromosome in each step (one process) or in each global step (two
    ranks, half each): the same gradients, so the same training."""
    config = replace(CONFIG, dropout=0.0, norm="instance")
    inputs = Inputs.from_folder(tiny_dataset)
    logs = []
    for devices in (1, 2):
        options = TrainOptions(epochs=5, device="cpu", devices=devices, batch_size=4 // devices)
        train(inputs, tmp_path / str(devices), config, options)
        logs.append(pd.read_csv(tmp_path / str(devices) / "train_log.tsv", sep="\t"))
    one, two = logs
    for column in ("train_loss", "val_mse"):
        np.testing.assert_allclose(two[column], one[column], rtol=1e-5)
    assert one["val_mse"].iloc[-1] < one["val_mse"].iloc[0]  # it did learn


def test_a_two_rank_run_predicts_in_one_process_and_in_two(two_rank_run, tmp_path):
    out, _ = two_rank_run
    files = {}
    for n in ("1", "2"):
        files[n] = tmp_path / f"cage{n}.bw"
        args = ["predict", "-m", str(out), "-o", str(files[n]), "--device", "cpu"]
        result = runner.invoke(app, [*args, "--devices", n])
        assert result.exit_code == 0, result.output
    one, two = bbi.open(str(files["1"])), bbi.open(str(files["2"]))
    assert list(two.chromsizes) == list(one.chromsizes) == [f"chr{i}" for i in range(1, 7)]
    for chrom, size in one.chromsizes.items():
        bins = size // 5000
        a, b = one.fetch(chrom, 0, size, bins=bins), two.fetch(chrom, 0, size, bins=bins)
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
        assert np.isfinite(a).all() and a.std() > 0


def test_explain_over_two_workers_matches_one(two_rank_run, tmp_path):
    out, _ = two_rank_run
    tables = []
    for n in ("1", "2"):
        bedpe = tmp_path / f"links{n}.bedpe"
        args = ["explain", "-m", str(out), "-o", str(bedpe), "--split", "train", "--devices", n]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        tables.append(pd.read_csv(bedpe.with_suffix(".tsv"), sep="\t"))
    one, two = tables
    assert len(one) > 0
    pd.testing.assert_frame_equal(two, one, rtol=1e-5, atol=1e-6)


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        status = Path(f"/proc/{pid}/status").read_text()
        pid = int(next(x for x in status.splitlines() if x.startswith("PPid:")).split()[1])
        if pid == ancestor:
            return True
    return False


def _kill_rank(rank: int) -> None:
    """SIGKILL this test's worker of ``rank`` (named ``graphreg r<rank>``), as an OOM kill."""
    for entry in Path("/proc").iterdir():
        try:
            found = entry.name.isdigit() and (entry / "comm").read_text().strip()
            if found == f"graphreg r{rank}" and _descends(int(entry.name), os.getpid()):
                os.kill(int(entry.name), signal.SIGKILL)
                return
        except OSError:
            continue
    raise AssertionError(f"no worker of rank {rank} found")


@pytest.mark.skipif(not Path("/proc/self/comm").exists(), reason="finds workers in /proc")
def test_a_rank_that_dies_stops_the_run_and_resume_continues(tiny_dataset, tmp_path):
    inputs, out = Inputs.from_folder(tiny_dataset), tmp_path / "run"
    options = TrainOptions(
        epochs=30, min_epochs=30, devices=2, device="cpu", checkpoint_every=2, batch_size=2
    )

    def kill_rank_1(epoch, *_):
        if epoch == 2:
            _kill_rank(1)

    with pytest.raises(RunError) as stopped:
        train(inputs, out, CONFIG, options, on_epoch=kill_rank_1)
    message = str(stopped.value)
    assert "\n" not in message
    assert "rank 1 of 2 was killed" in message and "resume to continue" in message
    assert not list(out.glob(".*.tmp")), "a write was left half-done"
    state = torch.load(out / "checkpoint.pt", weights_only=True)  # whole, not half-written
    assert 2 <= state["epoch"] < 30 and f"(epoch {state['epoch']})" in message
    run = train(inputs, out, CONFIG, options, resume=True)
    assert run.result["epochs_run"] == 30
    assert len(set(run.result["parameters_sha256"])) == 1


def test_a_workers_error_reads_as_in_one_process(tiny_dataset, tmp_path):
    chroms = ",".join(f"chr{i}" for i in range(1, 6))  # no training chromosome left
    args = ["train", str(tiny_dataset / "dnase.bw"), str(tiny_dataset / "contacts.bedpe")]
    args += ["--val-chroms", chroms, "--test-chroms", "chr6", "--devices", "2", "--device", "cpu"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "no training chromosome left" in result.output
    assert f"--val-chroms {chroms}" in result.output and "Traceback" not in result.output


def test_fewer_gpus_than_devices_is_one_line_with_the_fix(tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    args = ["train", str(tiny_dataset / "dnase.bw"), str(tiny_dataset / "contacts.bedpe")]
    result = runner.invoke(
        app, [*args, "--device", "cuda", "--devices", "4", "-o", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    (error,) = [line for line in result.output.splitlines() if line.startswith("graphreg: error")]
    assert "--devices 4: only 1 GPU(s) visible" in error
    assert "--devices 1 or fewer" in error and "--device cpu" in error
    assert not (tmp_path / "x").exists()


def test_missing_nccl_is_one_line_with_the_fix(tiny_dataset, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.distributed, "is_nccl_available", lambda: False)
    inputs = Inputs.from_folder(tiny_dataset)
    with pytest.raises(SettingError, match="need NCCL.*use device='cpu'"):
        train(inputs, Path("unused"), CONFIG, TrainOptions(devices=2, device="cuda"))


def test_rank_from_torchrun_or_srun_environment(monkeypatch):
    for name in ("WORLD_SIZE", "SLURM_STEP_NUM_TASKS", "MASTER_ADDR"):
        monkeypatch.delenv(name, raising=False)
    assert environment() is None
    monkeypatch.setenv("SLURM_STEP_NUM_TASKS", "8")
    monkeypatch.setenv("SLURM_PROCID", "5")
    monkeypatch.setenv("SLURM_LOCALID", "1")
    monkeypatch.setenv("SLURM_STEP_TASKS_PER_NODE", "4(x2)")
    with pytest.raises(SettingError, match="MASTER_ADDR is not set"):
        environment()
    monkeypatch.setenv("MASTER_ADDR", "node01")
    assert environment() == Place(rank=5, world_size=8, local_rank=1, local_world_size=4)
    for name, value in {"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert environment() == Place(rank=3, world_size=4, local_rank=1, local_world_size=2)


def test_ranks_share_out_the_windows_evenly_and_reshuffle_each_epoch():
    ranks = [Group(Place(r, 2, r, 2), torch.device("cpu"), "gloo") for r in range(2)]
    epoch1 = [g.shard(7, epoch=1, seed=0) for g in ranks]
    assert [len(s) for s in epoch1] == [4, 4]  # padded: both ranks take the same steps
    assert set(epoch1[0]) | set(epoch1[1]) == set(range(7))
    assert [g.shard(7, epoch=2, seed=0) for g in ranks] != epoch1
    assert ranks[1].part(list("abcde")) == ["b", "d"]


def test_chromosomes_balance_over_workers_by_size():
    sizes = {"chr1": 250, "chr2": 240, "chr3": 200, "chr21": 50, "chrX": 150}
    parts = balance(sizes, 2)
    assert sorted(sum(sizes[c] for c in p) for p in parts) == [440, 450]
    assert sorted(c for p in parts for c in p) == sorted(sizes)
    assert all(p == [c for c in sizes if c in p] for p in parts)  # header order kept
    assert balance({"chr1": 5}, 4) == [["chr1"]]
