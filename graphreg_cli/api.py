"""The two entry points of the Python API that take plain keyword settings: ``simulate``
and ``train`` (the rest is :class:`~graphreg_cli.tasks.runs.Run`'s methods)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.errors import SettingError
from graphreg_cli.models import ModelConfig
from graphreg_cli.simulation.generator import Dataset, SimulationParams
from graphreg_cli.simulation.generator import simulate as _simulate
from graphreg_cli.tasks.runs import DEFAULT_RUN, Run
from graphreg_cli.tasks.train import TrainOptions
from graphreg_cli.tasks.train import train as _train


def simulate(progress=None, **params) -> Dataset:
    """Simulate the study's synthetic data; ``params`` are :class:`SimulationParams` fields
    (``chromosomes=30, bins=1000, genes=20, regulators=20, silencers=0, seed=0, ...``).

    Returns the :class:`Dataset` (``chromosomes[i].dnase: (bins,) float32``, ``.cage``,
    ``.links: (n_links, 3)``...); ``dataset.write(folder)`` writes it as files.
    """
    known = {f.name for f in fields(SimulationParams)}
    _refuse_unknown(params, known)
    return _simulate(SimulationParams(**params), progress)


def simulate_sequence(progress=None, **params):
    """Simulate DNA whose motifs drive the epigenome (``graphreg simulate --sequence``);
    ``params`` are :class:`~graphreg_cli.simulation.sequence.SequenceParams` fields
    (``chromosomes=14, length=400_000, histone=False, variants=20, seed=0, ...``).

    Returns a ``SequenceDataset``: ``chromosomes[i].sequence: (length,) uint8``,
    ``.tracks["dnase"]``, ``.cage``, ``.hits``; ``.variants`` with their true effects;
    ``.write(folder)`` writes genome.fa, the bigWigs, variants.vcf, dataset.json...
    """
    from graphreg_cli.simulation.sequence import SequenceParams
    from graphreg_cli.simulation.sequence import simulate_sequence as _simulate_sequence

    _refuse_unknown(params, {f.name for f in fields(SequenceParams)})
    return _simulate_sequence(SequenceParams(**params), progress)


def train(
    inputs: Inputs,
    model: str = "gat",
    out: str | Path = DEFAULT_RUN,
    *,
    val_chroms: list[str] | None = None,
    test_chroms: list[str] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    on_epoch=None,
    **options,
) -> Run:
    """Train ``model`` (``gat`` = Epi-GraphReg, ``cnn``, ``gcn``, ``linear``; ``seq-gat`` =
    Seq-GraphReg, ``seq-cnn``, which read ``inputs.genome``) on ``inputs`` into the run
    folder ``out``; returns the :class:`Run`.

    ``options``: any :class:`ModelConfig` field (``channels=32, heads=4, dropout=0.1, ...``)
    or :class:`TrainOptions` field (``epochs=400, lr=3e-3, seed=0, device="auto", ...``).
    A run already in ``out`` is continued with ``resume=True``, replaced with
    ``overwrite=True`` (once the new run has a checkpoint), else refused.
    """
    model_fields = {f.name for f in fields(ModelConfig)} - {"name", "in_features", "pool"}
    train_fields = {f.name for f in fields(TrainOptions)}
    _refuse_unknown(options, model_fields | train_fields)
    config = ModelConfig(name=model, **{k: v for k, v in options.items() if k in model_fields})
    settings = TrainOptions(**{k: v for k, v in options.items() if k in train_fields})
    return _train(
        inputs,
        Path(out),
        config,
        settings,
        val_chroms,
        test_chroms,
        resume=resume,
        on_epoch=on_epoch,
        overwrite=overwrite,
    )


def _refuse_unknown(given: dict, known: set[str]) -> None:
    for name in given:
        if name not in known:
            raise SettingError(
                f"{{{name}}} is not a setting here; known: {', '.join(sorted(known))}",
                **{name: given[name]},
            )
