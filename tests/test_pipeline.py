"""simulate → train → evaluate → predict through the CLI, outputs reopened with libraries."""

from __future__ import annotations

import json

import bbi
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.io.bigwig import read_bigwig

runner = CliRunner()
FAST = [
    "--epochs",
    "6",
    "--channels",
    "8",
    "--cnn-layers",
    "2",
    "--graph-layers",
    "1",
    "--heads",
    "2",
]


@pytest.fixture(scope="module")
def trained(tiny_dataset, tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "gat"
    result = runner.invoke(
        app,
        [
            "train",
            "--model",
            "gat",
            str(tiny_dataset / "dnase.bw"),
            str(tiny_dataset / "contacts.bedpe"),
            "--out",
            str(run),
            *FAST,
        ],
    )
    assert result.exit_code == 0, result.output
    return run


def test_train_writes_a_loadable_run(trained, tiny_dataset):
    config = json.loads((trained / "config.json").read_text())
    assert config["inputs"]["target"] == str((tiny_dataset / "cage.bw").resolve())
    assert config["inputs"]["genes"] == str((tiny_dataset / "genes.bed").resolve())
    assert config["split"]["chr5"] == "val" and config["split"]["chr6"] == "test"
    assert config["features"]["gene_input"] is True and config["model"]["in_features"] == 2
    state = torch.load(trained / "model.pt", weights_only=True)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    torch.load(trained / "checkpoint.pt", weights_only=True)
    log = (trained / "train_log.tsv").read_text().splitlines()
    assert log[0].startswith("epoch\ttrain_loss\tval_mse") and len(log) == 7


def test_same_seed_same_metrics_on_cpu(tiny_dataset, tmp_path):
    results = []
    for name in ("a", "b"):
        out = tmp_path / name
        args = [
            "train",
            "--model",
            "gcn",
            str(tiny_dataset / "dnase.bw"),
            str(tiny_dataset / "contacts.bedpe"),
            "--out",
            str(out),
            "--seed",
            "3",
            *FAST,
        ]
        assert runner.invoke(app, args).exit_code == 0
        results.append((out / "train_log.tsv").read_text().splitlines())
    strip = [[line.rsplit("\t", 1)[0] for line in r] for r in results]  # drop seconds
    assert strip[0] == strip[1]


def test_evaluate_prints_and_writes_metrics(trained, tmp_path):
    plots = tmp_path / "plots"
    result = runner.invoke(app, ["evaluate", "--model", str(trained), "--plots", str(plots)])
    assert result.exit_code == 0, result.output
    assert "ROI MSE" in result.output and "Pearson" in result.output
    metrics = json.loads((trained / "metrics.json").read_text())["test"]
    assert metrics["chromosomes"] == 1 and metrics["gene_bins"] == 6
    assert np.isfinite(metrics["mse"]) and metrics["roi_mse"] <= metrics["mse"]
    assert (plots / "chr6.png").read_bytes()[:4] == b"\x89PNG"
    assert (plots / "genes_test.png").exists()


def test_predict_to_file_and_to_stdout(trained, tiny_dataset, tmp_path):
    out = tmp_path / "pred.bw"
    result = runner.invoke(app, ["predict", "--model", str(trained), "-o", str(out)])
    assert result.exit_code == 0, result.output
    pred = read_bigwig(out, 5000)
    assert sorted(pred) == [f"chr{i}" for i in range(1, 7)]
    assert all(len(v) == 200 and np.isfinite(v).all() for v in pred.values())
    assert bbi.chromsizes(str(out))["chr1"] == 200 * 5000  # UCSC's reader agrees
    session = (trained / "igv_session.xml").read_text()
    assert "pred.bw" in session and "cage.bw" in session

    piped = runner.invoke(app, ["predict", "--model", str(trained)])
    assert piped.exit_code == 0
    raw = piped.stdout_bytes
    assert raw[:4] == (0x888FFC26).to_bytes(4, "little")  # bigWig magic
    (tmp_path / "stdout.bw").write_bytes(raw)
    again = read_bigwig(tmp_path / "stdout.bw", 5000)
    for chrom in pred:
        np.testing.assert_array_equal(again[chrom], pred[chrom])


def test_predict_on_given_inputs(trained, tiny_dataset, tmp_path):
    out = tmp_path / "p.bw"
    result = runner.invoke(
        app,
        [
            "predict",
            "--model",
            str(trained),
            "-o",
            str(out),
            str(tiny_dataset / "dnase.bw"),
            str(tiny_dataset / "contacts.bedpe"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(read_bigwig(out, 5000)) == 6


def test_resume_continues_to_more_epochs(tiny_dataset, tmp_path):
    out = tmp_path / "r"
    base = [
        "train",
        "--model",
        "cnn",
        str(tiny_dataset / "dnase.bw"),
        str(tiny_dataset / "contacts.bedpe"),
        "--out",
        str(out),
        "--channels",
        "8",
        "--cnn-layers",
        "1",
    ]
    assert runner.invoke(app, [*base, "--epochs", "10"]).exit_code == 0
    result = runner.invoke(app, [*base, "--epochs", "14", "--resume"])
    assert result.exit_code == 0, result.output
    assert "resuming at epoch 11" in result.output
    lines = (out / "train_log.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in lines[1:]] == [str(i) for i in range(1, 15)]
    changed = runner.invoke(app, [*base, "--epochs", "20", "--resume", "--channels", "16"])
    assert changed.exit_code == 2 and "different model settings" in changed.output


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--target", "{cage}", "{dnase}", "{other}/c.bedpe"], 1, "no contact lies on"),
        (["{dnase}", "{other}/c.bedpe"], 2, "no target"),  # a missing option: usage
        (["--target", "{other}/cage1.bw", "{dnase}", "{contacts}"], 1, "shares no chromosome"),
        (
            ["--target", "{other}/coarse.bw", "{dnase}", "{contacts}"],
            1,
            "does not divide --bin-size 5000",
        ),
    ],
)
def test_train_errors_are_one_line(tiny_dataset, tmp_path, args, code, message):
    from graphreg_cli.io.bigwig import write_bigwig

    other = tmp_path / "other"
    other.mkdir()
    (other / "c.bedpe").write_text("NC_1\t0\t5000\tNC_1\t50000\t55000\n")
    write_bigwig(other / "cage1.bw", {"NC_1": 1_000_000}, {"NC_1": np.ones(200)}, 5000)
    write_bigwig(other / "coarse.bw", {"chr1": 1_000_000}, {"chr1": np.ones(500)}, 2000)
    fill = {
        "cage": tiny_dataset / "cage.bw",
        "dnase": tiny_dataset / "dnase.bw",
        "contacts": tiny_dataset / "contacts.bedpe",
        "other": other,
    }
    argv = ["train", "--out", str(tmp_path / "run"), *[a.format(**fill) for a in args]]
    result = runner.invoke(app, argv)
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if "graphreg: error:" in line]
    assert len(lines) == 1 and message in lines[0], result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "run" / "model.pt").exists()


def test_predict_refuses_a_terminal(trained, monkeypatch):
    from graphreg_cli.cli import predict as predict_cmd

    monkeypatch.setattr(predict_cmd, "stdout_is_terminal", lambda: True)
    result = runner.invoke(app, ["predict", "--model", str(trained)])
    assert result.exit_code == 1
    assert "refusing to write a binary bigWig to the terminal" in result.output
    assert result.stdout_bytes.strip() == b""


def test_missing_run_folder(tmp_path):
    result = runner.invoke(app, ["evaluate", "--model", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "not a run folder (no config.json)" in result.output


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    for command in ("simulate", "train", "evaluate", "predict"):
        assert command in result.output
    assert runner.invoke(app, ["--version"]).output.startswith("graphreg ")


def test_default_chain_needs_no_paths(tmp_path, monkeypatch):
    """graphreg simulate && graphreg train && graphreg evaluate && graphreg predict > cage.bw"""
    monkeypatch.chdir(tmp_path)
    small = [
        "--chromosomes",
        "4",
        "--bins",
        "150",
        "--genes",
        "5",
        "--regulators",
        "6",
        "--split",
        "2,1,1",
    ]
    assert runner.invoke(app, ["simulate", *small]).exit_code == 0
    result = runner.invoke(app, ["train", *FAST])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "graphreg_run" / "model.pt").exists()
    assert runner.invoke(app, ["evaluate"]).exit_code == 0
    assert (tmp_path / "graphreg_run" / "metrics.json").exists()
    piped = runner.invoke(app, ["predict"])
    assert piped.exit_code == 0
    (tmp_path / "cage.bw").write_bytes(piped.stdout_bytes)
    assert len(read_bigwig(tmp_path / "cage.bw", 5000)) == 4


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "graphreg_cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("graphreg ")


def test_explain_with_truth_and_perturb(trained, tiny_dataset, tmp_path):
    from graphreg_cli.io.bedpe import read_bedpe

    out = tmp_path / "links.bedpe"
    result = runner.invoke(
        app,
        [
            "explain",
            "--model",
            str(trained),
            "-o",
            str(out),
            "--truth",
            str(tiny_dataset / "links.bedpe"),
        ],
    )
    assert result.exit_code == 0, result.output
    for method in ("saliency", "deletion", "abc", "distance"):
        assert method in result.output
    arcs = read_bedpe(out)
    assert len(arcs) == 6 * (6 * 5 + 4)  # every contact of every gene: links + decoys
    assert set(arcs["extra2"]) == {"saliency"} and set(arcs["extra1"]) <= {"1", "-1"}
    score = arcs["score"].astype(int)  # integers 1-1000, as IGV loads them
    assert score.min() >= 1 and score.max() == 1000
    assert (tmp_path / "links.tsv").exists()
    assert (tmp_path / "links.pr.png").read_bytes()[:4] == b"\x89PNG"

    delta = tmp_path / "delta.bw"
    result = runner.invoke(
        app, ["perturb", "--model", str(trained), "--region", "chr1:1-100,000", "-o", str(delta)]
    )
    assert result.exit_code == 0, result.output
    assert "most affected" in result.output
    values = read_bigwig(delta, 5000)
    assert list(values) == ["chr1"] and values["chr1"][:20].any()
    bad = runner.invoke(app, ["perturb", "--model", str(trained), "--region", "chr1:5-2"])
    assert bad.exit_code == 2 and "START <= END" in bad.output


def test_early_stopping_waits_for_min_epochs(tiny_dataset, tmp_path):
    """With a vanishing lr (0 is refused) nothing improves after epoch 1: training stops at
    --min-epochs, not before."""
    out = tmp_path / "stop"
    args = [
        "train",
        "--model",
        "cnn",
        str(tiny_dataset / "dnase.bw"),
        str(tiny_dataset / "contacts.bedpe"),
        "--out",
        str(out),
        "--lr",
        "1e-30",
        "--patience",
        "2",
        "--min-epochs",
        "7",
        "--epochs",
        "50",
        "--channels",
        "8",
        "--norm",
        "layer",  # no running statistics: with lr 0 nothing changes after epoch 1
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "early stop at epoch 7" in result.output
    config = json.loads((out / "config.json").read_text())
    assert config["result"]["epochs_run"] == 7 and config["result"]["best_epoch"] == 1


def test_ctrl_c_saves_a_checkpoint_that_resume_continues(tiny_dataset, tmp_path, notes):
    from graphreg_cli.data.inputs import Inputs
    from graphreg_cli.models import ModelConfig
    from graphreg_cli.tasks.train import TrainOptions, train

    inputs = Inputs(
        [tiny_dataset / "dnase.bw"],
        tiny_dataset / "contacts.bedpe",
        tiny_dataset / "cage.bw",
        tiny_dataset / "genes.bed",
        5000,
    )
    config = ModelConfig(name="cnn", channels=8, cnn_layers=1)
    options = TrainOptions(epochs=8)

    def interrupt(epoch, *_):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(inputs, tmp_path / "run", config, options, on_epoch=interrupt)
    assert any("checkpoint at epoch 3 saved" in n for n in notes)
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 3
    result = train(inputs, tmp_path / "run", config, options, resume=True)
    assert any("resuming at epoch 4" in n for n in notes)
    assert result.result["epochs_run"] == 8
