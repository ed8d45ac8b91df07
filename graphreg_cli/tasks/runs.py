"""A run folder: ``config.json`` beside ``model.pt`` (weights), ``checkpoint.pt`` (resume)
and ``train_log.tsv``. Everything loads with ``torch.load(..., weights_only=True)``.

:class:`Run` is what the library hands back after training and what every later task starts
from: ``Run.open(folder).predict()``, ``.evaluate()``, ``.explain()``, ``.perturb()``, and for
sequence models ``.variants()`` and ``.ism()``.
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
from graphreg_cli.data.regions import RegionSplit
from graphreg_cli.data.tiles import Tiling
from graphreg_cli.errors import RunError, SettingError
from graphreg_cli.io.atomic import atomic_binary, atomic_text
from graphreg_cli.models import MODEL_NAMES, GraphregModel, ModelConfig, build_model
from graphreg_cli.tasks.checkpoint import load_pt, load_weights

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
        """Open a run folder written by training (default ``graphreg_run/``); its config is
        checked (:func:`read_config`)."""
        folder = Path(folder or DEFAULT_RUN)
        config = folder / CONFIG
        if not config.exists():
            raise RunError(f"{folder}: not a run folder (no {CONFIG}); train a model into it first")
        return cls(folder, read_config(config))

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
        """``{chrom: train|val|test}`` (every chromosome ``train`` in a region split)."""
        return self.config["split"]

    @property
    def regions(self) -> RegionSplit | None:
        """The validation and test regions of a run split inside its chromosomes, or None."""
        data = self.config.get("regions")
        return None if data is None else RegionSplit.from_json(data)

    @property
    def target_units(self) -> str:
        """What the model predicts: ``CAGE``, or a gene table's column (``log1p(TPM)``)."""
        return self.config.get("target_units", "CAGE")

    @property
    def result(self) -> dict:
        """How training went: epochs run, best epoch and validation loss, seconds, device."""
        return self.config.get("result", {})

    def chromosomes(self, part: str = "all") -> list[str]:
        """The run's chromosomes in ``part`` (train, val, test) or all of them (``all``); in a
        region split, those holding regions of ``part`` (every one trains)."""
        regions = self.regions
        if regions is not None and part in ("val", "test"):
            held = set(regions.chromosomes(part))
            return [c for c in self.split if c in held]
        return [c for c, p in self.split.items() if part in ("all", p) or regions is not None]

    def model(self, device: str | torch.device = "cpu") -> GraphregModel:
        """The best model, in eval mode."""
        weights = self.folder / WEIGHTS
        if not weights.exists():
            raise RunError(f"{weights}: no weights yet; the run has not finished an epoch")
        try:
            model = build_model(self.model_config)
        except SettingError as err:
            raise RunError(f"{self.folder / CONFIG}: 'model' cannot be built ({err})") from None
        load_weights(model, load_pt(weights), weights)
        return model.to(device).eval()

    def load(
        self, chromosomes: list[str] | None = None, inputs: Inputs | None = None
    ) -> tuple[list[Data], list[Data]]:
        """``(graphs, ready)``: the chromosomes' graphs as read (raw signal, target, genes)
        and as the model takes them (features applied); ``inputs`` default to the run's."""
        graphs = load_graphs(
            inputs or self.inputs, split=self.split, only=chromosomes, regions=self.regions
        )
        spec = self.features
        return graphs, [spec.apply(g) for g in graphs]

    def predict(
        self,
        chromosomes: list[str] | None = None,
        inputs: Inputs | None = None,
        device: str = "auto",
        inference: str = "auto",
        devices: int = 1,
    ) -> dict[str, np.ndarray]:
        """Predicted CAGE ``{chrom: (n_bins,) float32}`` on the run's inputs (or ``inputs``:
        new tracks and contacts, as many tracks as the model was trained on); ``inference``
        ``once`` (trunk once per chromosome), ``windows`` or ``auto``; ``devices``: worker
        processes to spread the chromosomes over."""
        from graphreg_cli.tasks.predict import predict

        return predict(self, chromosomes, inputs, device, inference, devices)

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

    def variants(self, vcf, split: str = "all", device: str = "auto"):
        """Effects of a VCF's SNVs (sequence models); see
        :func:`graphreg_cli.tasks.variants.score_variants`."""
        from graphreg_cli.tasks.variants import score_variants

        return score_variants(self, vcf, split, device)

    def ism(self, region: str, gene: str | None = None, device: str = "auto"):
        """Per-base in-silico mutagenesis (sequence models); see
        :func:`graphreg_cli.tasks.ism.ism`."""
        from graphreg_cli.tasks.ism import ism

        return ism(self, region, gene, device)

    def with_inputs(self, **changes) -> Inputs:
        """The run's inputs with some files replaced (``tracks=``, ``contacts=``, ``genes=``)."""
        return replace(self.inputs, **changes)


def read_config(path: Path) -> dict:
    """A run's ``config.json``, checked: RunError (one line, naming the file) when it is
    empty, not JSON, or lacks what a run needs."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise RunError(f"{path}: cannot be read ({err}); restore it or retrain") from None
    if not text.strip():
        raise RunError(f"{path}: is empty; restore it or retrain")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise RunError(
            f"{path}: is not valid JSON (line {err.lineno} column {err.colno}: {err.msg}); "
            "undo the edit or retrain"
        ) from None
    check_config(config, path)
    return config


def check_config(config, path: Path) -> None:
    """RunError unless ``config`` has a run's parts, each readable: inputs, model,
    features, split (and tiling)."""

    def bad(problem: str) -> RunError:
        return RunError(f"{path}: {problem}; undo the edit or retrain")

    if not isinstance(config, dict):
        raise bad("is not a JSON object")
    for key in ("inputs", "model", "features", "split"):
        if not isinstance(config.get(key), dict):
            raise bad(f"has no '{key}' object")
    readers = {
        "inputs": lambda v: Inputs.from_json(v),
        "model": lambda v: ModelConfig.from_json(v).check(),
        "features": lambda v: FeatureSpec(**v),
        "tiling": lambda v: Tiling(**v),
    }
    for key, read in readers.items():
        try:
            read(config.get(key, {}))
        except (KeyError, TypeError, ValueError, AttributeError, SettingError) as err:
            raise bad(f"'{key}' is invalid ({type(err).__name__}: {err})") from None
    name = config["model"].get("name", "gat")
    if name not in MODEL_NAMES:
        raise bad(f"'model' names {name!r}, not one of {', '.join(MODEL_NAMES)}")
    parts = {p for p in config["split"].values() if p not in PARTS[:3]}
    if parts:
        raise bad(f"'split' has the part {sorted(map(str, parts))[0]!r}; use train, val or test")


def save_json(data: dict, path: Path) -> None:
    with atomic_text(path) as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def save_tensors(obj, path: Path) -> None:
    with atomic_binary(path) as handle:
        torch.save(obj, handle)
