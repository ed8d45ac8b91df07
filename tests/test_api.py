"""The public Python API: docs/python-api.md's study snippet runs (on smaller data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import graphreg_cli as gr


def test_the_study_in_a_few_lines(tmp_path, monkeypatch):
    """The snippet of docs/python-api.md, with a small genome and a few epochs."""
    monkeypatch.chdir(tmp_path)
    small = dict(chromosomes=6, bins=200, genes=6, regulators=8, split=(4, 1, 1))
    results = {}
    for silencers in (0, 3):
        folder = f"data_{silencers}"
        gr.simulate(silencers=silencers, seed=0, **small).write(folder)
        inputs = gr.Inputs.from_folder(folder)
        for model in ("cnn", "gat"):
            run = gr.train(
                inputs, model=model, out=f"run_{silencers}_{model}", seed=0, epochs=3, min_epochs=1
            )
            results[silencers, model] = run.evaluate("test").metrics
    assert all(np.isfinite(m["mse"]) and m["chromosomes"] == 1 for m in results.values())
    cage = run.predict()
    assert set(cage) == {f"chr{i}" for i in range(1, 7)} and cage["chr1"].shape == (200,)
    links = run.explain(split="test")
    assert isinstance(links, pd.DataFrame) and {"deletion", "abc"} <= set(links.columns)
    knock = run.perturb("chr6:100,001-125,000")
    assert set(knock.delta) == {"chr6"} and len(knock.genes) == 6
    assert gr.Run.open("run_3_gat").result["epochs_run"] == 3


def test_unknown_settings_are_named_in_python_terms(tmp_path):
    with pytest.raises(gr.SettingError, match=r"chanels=8 is not a setting here"):
        gr.train(gr.Inputs([tmp_path / "a.bw"], tmp_path / "c.bedpe"), chanels=8)
    with pytest.raises(gr.SettingError, match=r"silencer=3 is not a setting here"):
        gr.simulate(silencer=3)


SILENT = """
import logging, sys
import graphreg_cli as gr
gr.simulate(chromosomes=3, bins=100, genes=2, regulators=4, split=(1, 1, 1)).write(sys.argv[1])
inputs = gr.Inputs.from_folder(sys.argv[1])
inputs.genes = None  # a warning-worthy choice: the model gets no gene channel
gr.train(inputs, model="linear", out=sys.argv[1] + "/run", epochs=1, min_epochs=1)
if len(sys.argv) > 2:
    logging.basicConfig(level=logging.INFO)
    gr.train(inputs, model="linear", out=sys.argv[1] + "/run2", epochs=1, min_epochs=1)
"""


def test_the_library_is_silent_unless_logging_is_configured(tmp_path):
    """A fresh interpreter: nothing on stdout or stderr, until logging is configured."""
    import subprocess
    import sys

    quiet = subprocess.run(
        [sys.executable, "-c", SILENT, str(tmp_path / "a")], capture_output=True, text=True
    )
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""
    loud = subprocess.run(
        [sys.executable, "-c", SILENT, str(tmp_path / "b"), "log"], capture_output=True, text=True
    )
    assert "no genes given" in loud.stderr


def test_api_wrong_arguments_raise_in_python_terms(tiny_dataset, tmp_path):
    """``Run.predict(chromosomes=["chr99"])`` once returned {}; ``Inputs(tracks="x.bw")`` read
    the string letter by letter."""
    import graphreg_cli as gr
    from graphreg_cli.errors import SettingError

    one = gr.Inputs(tracks=str(tiny_dataset / "dnase.bw"), contacts=None)
    assert one.tracks == [tiny_dataset / "dnase.bw"]
    with pytest.raises(TypeError, match="takes a list of paths"):
        gr.Inputs(tracks=5, contacts=None)
    out = tmp_path / "run"
    gr.train(gr.Inputs.from_folder(tiny_dataset), "cnn", out, epochs=1, channels=8, device="cpu")
    with pytest.raises(SettingError, match="chr99 not in the inputs"):
        gr.Run.open(out).predict(chromosomes=["chr99"])
