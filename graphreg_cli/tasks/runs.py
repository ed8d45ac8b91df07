"""A run folder: ``config.json`` beside ``model.pt`` (weights), ``checkpoint.pt`` (resume)
and ``train_log.tsv``. Everything loads with ``torch.load(..., weights_only=True)``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from graphreg_cli.data.features import FeatureSpec
from graphreg_cli.data.graphs import Inputs
from graphreg_cli.data.tiles import Tiling
from graphreg_cli.errors import RunError
from graphreg_cli.io.atomic import atomic_path, atomic_text
from graphreg_cli.models import ModelConfig, build_model

CONFIG, WEIGHTS, CHECKPOINT, LOG, METRICS = (
    "config.json",
    "model.pt",
    "checkpoint.pt",
    "train_log.tsv",
    "metrics.json",
)
DEFAULT_RUN = Path("graphreg_run")


@dataclass
class Run:
    folder: Path
    config: dict

    @property
    def inputs(self) -> Inputs:
        return Inputs.from_json(self.config["inputs"])

    @property
    def features(self) -> FeatureSpec:
        return FeatureSpec(**self.config["features"])

    @property
    def model_config(self) -> ModelConfig:
        return ModelConfig(**self.config["model"])

    @property
    def tiling(self) -> Tiling:
        """Windows the model was trained on (whole chromosomes for runs before tiling)."""
        return Tiling(**self.config.get("tiling", {}))

    @property
    def split(self) -> dict[str, str]:
        return self.config["split"]

    def chromosomes(self, part: str) -> list[str]:
        """The run's chromosomes in ``part`` (train, val, test) or all of them (``all``)."""
        return [c for c, p in self.split.items() if part == "all" or p == part]

    def model(self, device: str = "cpu") -> torch.nn.Module:
        """The best model, in eval mode."""
        weights = self.folder / WEIGHTS
        if not weights.exists():
            raise RunError(f"{weights}: no weights yet; the run has not finished an epoch")
        model = build_model(self.model_config)
        state = torch.load(weights, map_location=device, weights_only=True)
        model.load_state_dict(state)
        return model.to(device).eval()


def save_json(data: dict, path: Path) -> None:
    with atomic_text(path) as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def save_tensors(obj, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def open_run(folder: str | Path | None) -> Run:
    """Open a run folder written by ``graphreg train`` (default ``graphreg_run/``)."""
    folder = Path(folder or DEFAULT_RUN)
    config = folder / CONFIG
    if not config.exists():
        raise RunError(f"{folder}: not a run folder (no {CONFIG}); train a model into it first")
    return Run(folder, json.loads(config.read_text()))
