"""Runs saved by earlier versions still load and predict the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyBigWig

from graphreg_cli.simulation.generator import SimulationParams, simulate
from graphreg_cli.simulation.writer import write_dataset
from graphreg_cli.tasks.runs import Run

FIXTURE = Path(__file__).parent / "fixtures" / "run_v0_1"


def _old_run(tmp_path: Path) -> Path:
    """The 0.1.0 run folder with its inputs simulated again and its paths pointed at them."""
    data = tmp_path / "data"
    params = SimulationParams(
        chromosomes=4, bins=120, genes=4, regulators=6, split=(2, 1, 1), input_bin_size=1000, seed=3
    )
    write_dataset(simulate(params), data)
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(FIXTURE / "model.pt", run / "model.pt")
    config = json.loads((FIXTURE / "config.json").read_text())
    for key in ("contacts", "target", "genes"):
        config["inputs"][key] = str(data / Path(config["inputs"][key]).name)
    config["inputs"]["tracks"] = [str(data / Path(t).name) for t in config["inputs"]["tracks"]]
    (run / "config.json").write_text(json.dumps(config))
    return run


def test_a_0_1_run_predicts_as_it_did(tmp_path):
    run = _old_run(tmp_path)
    opened = Run.open(run)
    preds, bin_size = opened.predict(device="cpu"), opened.inputs.bin_size
    with pyBigWig.open(str(FIXTURE / "predicted_cage.bw")) as saved:
        for chrom, values in preds.items():
            expected = saved.values(chrom, 0, saved.chroms(chrom), numpy=True)[::bin_size]
            np.testing.assert_allclose(values, expected, rtol=1e-5, atol=1e-6)
