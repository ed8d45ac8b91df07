"""A run folder: ``config.json`` beside ``model.pt`` (weights), ``checkpoint.pt`` (resume)
and ``train_log.tsv``. Everything loads with ``torch.load(..., weights_only=True)``.

:class:`Run` is what the library hands back after training and what every later task starts
from: ``Run.open(folder).predict()``, ``.evaluate()``, ``.explain()``, ``.perturb()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from graphreg_cli.data.features import FeatureSpec
from graphreg_cli.data.graphs import load_graphs
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.data.tiles import Tiling
from graphreg_cli.errors import RunError
from graphreg_cli.io.atomic import atomic_path, atomic_text
from graphreg_cli.models import GraphregModel, ModelConfig, build_model

CONFIG, WEIGHTS, CHECKPOINT, LOG, METRICS = (
    "config.json",
    "model.pt",
    "checkpoint.pt",
    "train_log.tsv",
    "metrics.json",
)
DEFAULT_RUN = Path("graphreg_run")
PARTS = ("train", "val", "test", "all")


@dataclass
class Run:
    """A trained model and everything needed to use it again."""

    folder: Path
    config: dict

    @classmethod
    def open(cls, folder: str | Path | None = None) -> Run:
        """Open a run folder written by training (default ``graphreg_run/``)."""
        folder = Path(folder or DEFAULT_RUN)
        config = folder / CONFIG
        if not config.exists():
            raise RunError(f"{folder}: not a run folder (no {CONFIG}); train a model into it first")
        return cls(folder, json.loads(config.read_text()))

    @property
    def inputs(self) -> Inputs:
        """The files the model was trained on (absolute paths)."""
        return Inputs.from_json(self.config["inputs"])

    @property
    def features(self) -> FeatureSpec:
        return FeatureSpec(**self.config["features"])

    @property
    def model_config(self) -> ModelConfig:
        return ModelConfig.from_json(self.config["model"])

    @property
    def tiling(self) -> Tiling:
        """Windows the model was trained on (whole chromosomes for runs before tiling)."""
        return Tiling(**self.config.get("tiling", {}))

    @property
    def split(self) -> dict[str, str]:
        """``{chrom: train|val|test}``."""
        return self.config["split"]

    @property
    def result(self) -> dict:
        """How training went: epochs run, best epoch and validation loss, seconds, device."""
        return self.config.get("result", {})

    def chromosomes(self, part: str = "all") -> list[str]:
        """The run's chromosomes in ``part`` (train, val, test) or all of them (``all``)."""
        return [c for c, p in self.split.items() if part == "all" or p == part]

    def model(self, device: str | torch.device = "cpu") -> GraphregModel:
        """The best model, in eval mode."""
        weights = self.folder / WEIGHTS
        if not weights.exists():
            raise RunError(f"{weights}: no weights yet; the run has not finished an epoch")
        model = build_model(self.model_config)
        state = torch.load(weights, map_location=device, weights_only=True)
        model.load_state_dict(state)
        return model.to(device).eval()

    def load(
        self, chromosomes: list[str] | None = None, inputs: Inputs | None = None
    ) -> tuple[list[Data], list[Data]]:
        """``(graphs, ready)``: the chromosomes' graphs as read (raw signal, target, genes)
        and as the model takes them (features applied); ``inputs`` default to the run's."""
        graphs = load_graphs(inputs or self.inputs, split=self.split, only=chromosomes)
        spec = self.features
        return graphs, [spec.apply(g) for g in graphs]

    def predict(
        self,
        chromosomes: list[str] | None = None,
        inputs: Inputs | None = None,
        device: str = "auto",
        devices: int = 1,
    ) -> dict[str, np.ndarray]:
        """Predicted CAGE ``{chrom: (n_bins,) float32}`` on the run's inputs (or ``inputs``:
        new tracks and contacts, as many tracks as the model was trained on); ``devices``:
        worker processes to spread the chromosomes over."""
        from graphreg_cli.tasks.predict import predict

        return predict(self, chromosomes, inputs, device, devices)

    def evaluate(self, split: str = "test", device: str = "auto", **options) -> dict:
        """The study's metrics on ``split``; see :func:`graphreg_cli.tasks.evaluate.evaluate`."""
        from graphreg_cli.tasks.evaluate import evaluate

        return evaluate(self, split, device=device, **options)

    def explain(self, split: str = "all", device: str = "auto", **options):
        """Scores of every (gene, element) pair; see :func:`graphreg_cli.tasks.explain.explain`."""
        from graphreg_cli.tasks.explain import explain

        return explain(self, split, device=device, **options)

    def perturb(self, region: str, scale: float = 0.0, device: str = "auto"):
        """Predicted change when a region's inputs are scaled; see
        :func:`graphreg_cli.tasks.perturb.perturb`."""
        from graphreg_cli.tasks.perturb import perturb

        return perturb(self, region, scale, device)

    def with_inputs(self, **changes) -> Inputs:
        """The run's inputs with some files replaced (``tracks=``, ``contacts=``, ``genes=``)."""
        return replace(self.inputs, **changes)


def save_json(data: dict, path: Path) -> None:
    with atomic_text(path) as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def save_tensors(obj, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
