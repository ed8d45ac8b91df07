"""Training with validation-based model selection, checkpoints and resume."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from torch_geometric.data import Data

from graphreg_cli import __version__
from graphreg_cli.data.expression import target_column
from graphreg_cli.data.features import FeatureSpec
from graphreg_cli.data.graphs import load_graphs
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.data.regions import RegionSplit, restrict
from graphreg_cli.data.tiles import Tiling, tile_all
from graphreg_cli.errors import NAME_ONLY, SettingError, check_range
from graphreg_cli.models import SEQUENCE_MODELS, ModelConfig, build_model, fit_to_data
from graphreg_cli.tasks import distributed, heads
from graphreg_cli.tasks.checkpoint import seed_everything
from graphreg_cli.tasks.inference import check_precision
from graphreg_cli.tasks.run_folder import NoFolder, RunFolder, check_out, run_lock
from graphreg_cli.tasks.runs import CONFIG, Run, save_json
from graphreg_cli.tasks.trainer import LOSSES, Trainer

logger = logging.getLogger(__name__)

MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit
LOG_HEADER = "epoch\ttrain_loss\tval_mse\tval_loss\tseconds\n"


@dataclass
class TrainOptions:
    """Optimisation settings (defaults chosen by measurement: docs/benchmarks.md)."""

    epochs: int = 400
    lr: float = 3e-3
    batch_size: int = 4  # chromosomes per step; 0 = all training chromosomes at once
    patience: int = 30
    min_epochs: int = 100  # never stop early before this many epochs
    lr_patience: int = 10  # after min_epochs, halve the lr after this many epochs without
    # improvement; 0 = constant lr
    loss: str = "auto"  # mse for track models, poisson for sequence models
    seed: int = 0
    device: str = "auto"
    gene_input: bool = True
    edges: str = "both"
    transform: str = "scale"  # tracks: divided by their mean, or log1p of that
    window: int = 6_000_000  # bp; longer chromosomes are tiled into windows (0 = never)
    stride: int = 2_000_000  # bp between window starts; loss on each window's central part
    checkpoint_every: int = 10  # epochs; a checkpoint is also saved whenever validation improves
    # sequence models (tasks/heads.py): GraphReg's stages, α schedule, augmentation
    stage: str = "end-to-end"  # or "epigenome", then "cage" from init
    alpha_start: float = 0.1  # end-to-end loss = α·CAGE + (1 - α)·epigenome
    alpha_end: float = 0.5
    alpha_epochs: int = 20  # α rises linearly over these epochs
    augment: bool = True  # random reverse complement of each batch
    shift: int = 3  # random shift of the DNA by up to this many bp
    init: str | None = None  # run folder whose weights to start from
    devices: int = 1  # data-parallel processes (GPUs, or CPU processes): docs/scaling.md
    precision: str = "fp32"  # or bf16: the training forward pass under bfloat16 autocast

    def check(self) -> None:
        """SettingError for settings that cannot train (the CLI refuses them when parsing)."""
        check_range("epochs", self.epochs, low=1)
        check_range("lr", self.lr, low=0, low_open=True)
        for name in ("batch_size", "patience", "min_epochs", "lr_patience", "window"):
            check_range(name, getattr(self, name), low=0)
        check_range("stride", self.stride, low=1)
        check_range("checkpoint_every", self.checkpoint_every, low=1)
        check_range("seed", self.seed, low=0, high=MAX_SEED)
        check_range("devices", self.devices, low=1)
        if self.loss not in LOSSES:
            raise SettingError(f"{{loss}}: choose {' or '.join(LOSSES)}", loss=self.loss)


@dataclass
class TrainingData:
    """Graphs ready for training: ``train`` windows, ``val`` chromosomes (the training ones
    when there is no validation chromosome), and how they were made."""

    graphs: list[Data]
    spec: FeatureSpec
    tiling: Tiling
    train: list[Data]
    val: list[Data]


def prepare_data(
    inputs: Inputs,
    options: TrainOptions,
    val=None,
    test=None,
    margin: int = 0,
    regions: RegionSplit | None = None,
) -> TrainingData:
    """Read ``inputs``, split the chromosomes (or, with ``regions``, the bins inside them),
    fit the track scaling on the training ones and tile long chromosomes into windows (with
    ``margin`` nodes of context each side for a local model's trunk)."""
    graphs = load_graphs(inputs, val=val, test=test, regions=regions)
    spec = FeatureSpec.fit(graphs, options.gene_input, options.edges, options.transform)
    tiling = Tiling.from_bp(options.window, options.stride, inputs.bin_size)
    ready = [spec.apply(g) for g in graphs]
    if regions is not None:
        return _region_data(graphs, ready, spec, tiling, margin)
    train_set = _scored(tile_all([g for g in ready if g.split == "train"], tiling, margin))
    if not train_set:
        raise SettingError(
            "no training chromosome left after the split; check {val_chroms} and {test_chroms}",
            val_chroms=val or [],
            test_chroms=test or [],
        )
    val_set = [g for g in ready if g.split == "val"]
    if not val_set:
        logger.info("no validation chromosome: selecting the model on training chromosomes")
    return TrainingData(graphs, spec, tiling, train_set, val_set or train_set)


def _region_data(graphs, ready, spec, tiling, margin) -> TrainingData:
    """Training data split by regions: every chromosome trains on its training bins and
    validates on its validation bins (none held out for validation: the training bins)."""
    train_set = _scored(tile_all([restrict(g, "train") for g in ready], tiling, margin))
    val_set = [v for v in (restrict(g, "val") for g in ready) if bool(v.y_known.any())]
    if not train_set:
        raise SettingError(
            "no training bin left after {val_regions} and {test_regions}; hold out less",
            val_regions=NAME_ONLY,
            test_regions=NAME_ONLY,
        )
    if not val_set:
        logger.info("no validation region: selecting the model on the training bins")
    return TrainingData(graphs, spec, tiling, train_set, val_set or train_set)


def _scored(windows: list[Data]) -> list[Data]:
    """The windows that own a bin of known target (a gene table's target is known at genes
    only: a window without any would give an empty loss)."""
    return [w for w in windows if "y_known" not in w or bool((w.y_known & w.own).any())]


# training settings a resume may change, with a note (the model and data stay the same)
RESUME_NOTED = ("lr", "seed", "batch_size", "devices", "epochs", "patience", "loss")


def _check_resumable(out: Path, config: dict) -> None:
    """Refuse to resume with other settings; keep the run's last result meanwhile (a resume
    that fails leaves config.json as it was)."""
    previous = Run.open(out).config
    if "result" in previous:
        config["result"] = previous["result"]
    for key in ("model", "features", "inputs", "split", "regions"):
        if previous.get(key) != config.get(key):
            raise SettingError(
                f"{{resume}} with different {key} settings than {out} was started with; use "
                "the same settings or a new {out}",
                resume=NAME_ONLY,
                out=out,
            )
    before, now = previous.get("training", {}), config.get("training", {})
    changed = [k for k in RESUME_NOTED if k in before and before[k] != now.get(k)]
    if changed:
        logger.info(
            f"{out}: resumed with other "
            + ", ".join(f"--{k.replace('_', '-')} ({before[k]} -> {now.get(k)})" for k in changed)
            + " than it was started with: the epochs before and after differ in them"
        )


def train(
    inputs: Inputs,
    out: Path,
    model_config: ModelConfig | None = None,
    options: TrainOptions | None = None,
    val: list[str] | None = None,
    test: list[str] | None = None,
    resume: bool = False,
    on_epoch: Callable | None = None,
    overwrite: bool = False,
    regions: RegionSplit | None = None,
) -> Run:
    """Train a model on ``inputs`` and write the run folder ``out``; returns the :class:`Run`.

    ``val``/``test``: validation and test chromosomes (default: the split beside the inputs,
    else the last sixths); ``on_epoch(epoch, total, train_loss, val_mse, best)`` is called
    after each epoch (with ``options.devices > 1``, here on a helper thread, with rank 0's
    figures: docs/scaling.md). A run already in ``out`` is continued with ``resume`` or
    replaced with ``overwrite`` (only once the new run has a checkpoint), else refused.
    ``regions``: validation and test regions inside the chromosomes instead of whole
    chromosomes (:mod:`graphreg_cli.data.regions`).
    """
    out = Path(out)
    with run_lock(out, take=distributed.environment() is None):  # (ranks: their parent's)
        return _train(
            inputs, out, model_config, options, val, test, resume, on_epoch, overwrite, regions
        )


def _train(
    inputs: Inputs,
    out: Path,
    model_config: ModelConfig | None = None,
    options: TrainOptions | None = None,
    val: list[str] | None = None,
    test: list[str] | None = None,
    resume: bool = False,
    on_epoch: Callable | None = None,
    overwrite: bool = False,
    regions: RegionSplit | None = None,
) -> Run:
    """:func:`train` with ``out`` locked."""
    model_config, options = model_config or ModelConfig(), options or TrainOptions()
    if inputs.target is None:
        raise SettingError(
            "no target: give the CAGE bigWig or a gene table as {target}", target=NAME_ONLY
        )
    if regions is not None and (val or test):
        raise SettingError(
            "give {val_chroms}/{test_chroms} or {val_regions}/{test_regions}, not both: "
            "regions split inside chromosomes",
            val_chroms=NAME_ONLY,
            test_chroms=NAME_ONLY,
            val_regions=NAME_ONLY,
            test_regions=NAME_ONLY,
        )
    options.check()
    model_config.check()
    inputs, options = _for_model(inputs.resolved(), options, model_config.name)
    if inputs.target_is_table:  # the run's files name the column: what predict writes
        inputs = replace(inputs, target_column=target_column(inputs.target, inputs.target_column))
    out = Path(out)
    check_out(out, resume, overwrite)
    check_precision(options.precision, distributed.device_kind(options.devices, options.device))
    if options.devices > 1 and distributed.environment() is None:
        if regions is not None:
            raise SettingError(
                "{devices} above 1 splits whole chromosomes between processes; train region "
                "splits in one process",
                devices=options.devices,
            )
        return distributed.train_in_workers(
            inputs, out, model_config, options, val, test, resume, on_epoch, overwrite
        )
    group = distributed.join(options.device)  # alone, or one rank of torchrun/srun/--devices
    device = group.device
    if options.gene_input and inputs.genes is None:
        logger.info(
            "no genes given: the model cannot tell gene bins from enhancers; training "
            "without a gene channel (give genes for ROI metrics and better predictions)"
        )
        options = replace(options, gene_input=False)
    fine = inputs.fine if model_config.name in SEQUENCE_MODELS else model_config.fine
    model_config = replace(model_config, pool=inputs.pool, fine=fine)
    data = prepare_data(inputs, options, val, test, model_config.margin, regions)
    model_config = replace(model_config, in_features=data.spec.in_features)
    model_config = fit_to_data(model_config, len(data.spec.track_scale))
    seed_everything(options.seed)
    model = build_model(model_config)
    heads.prepare(model, options)
    trainer = Trainer(model.to(device), options, device, group)
    config = run_config(inputs, model_config, options, data, regions)
    if resume:
        _check_resumable(out, config)
        trainer.restore(out)
        logger.info(
            f"resuming at epoch {trainer.progress.epoch + 1} "
            f"(best val so far {trainer.progress.best:.4f})"
        )
    folder = RunFolder(out, resume) if group.is_main else NoFolder(out)
    clock = time.perf_counter()
    try:
        folder.start(config, LOG_HEADER, trainer.progress.epoch)
        _epochs(trainer, data, folder, on_epoch, clock)
        trainer.save(folder.path)
        folder.promote()
    except KeyboardInterrupt:
        _save_interrupted(trainer, folder)
        raise
    except BaseException:
        folder.discard()
        raise
    p = trainer.progress
    config["result"] = {
        "epochs_run": p.epoch,
        "best_epoch": p.best_epoch,
        "best_val_loss": p.best,
        "seconds": round(time.perf_counter() - clock, 2),
        "device": str(device),
        **group.summary(trainer.model),
    }
    if group.is_main:
        save_json(config, out / CONFIG)
    return Run(out, config)


def run_config(
    inputs: Inputs, model_config: ModelConfig, options: TrainOptions, data, regions=None
) -> dict:
    """``config.json`` of a run: what it was trained on and how (``regions``: a split
    inside the chromosomes, stored as its regions)."""
    config = {
        "graphreg_version": __version__,
        "model": model_config.to_json(),
        "inputs": inputs.to_json(),
        "features": data.spec.to_json(),
        "training": asdict(options),
        "split": {g.chrom: g.split for g in data.graphs},
        "bin_size": inputs.bin_size,
        "tiling": data.tiling.to_json(),
    }
    if regions is not None:
        config["regions"] = regions.to_json()
    if inputs.target_is_table:
        config["target_units"] = inputs.target_units
    return config


def _for_model(inputs: Inputs, options: TrainOptions, name: str):
    """Inputs and options as the model needs them: sequence models read the genome (their
    tracks are targets: no gene channel) and default to a Poisson loss; others never read it."""
    sequence = name in SEQUENCE_MODELS
    if options.loss == "auto":
        options = replace(options, loss="poisson" if sequence else "mse")
    if not sequence:
        return replace(inputs, genome=None), options
    heads.check_options(options)
    if inputs.genome is None:
        raise SettingError(
            "{model} reads DNA: give the genome FASTA first (GENOME.fa CONTACTS "
            "--epigenome TRACK.bw ...)",
            model=name,
        )
    return inputs, replace(options, gene_input=False, edges="both")


def _save_interrupted(trainer: Trainer, folder: RunFolder) -> None:
    """Ctrl-C: save the end of the last finished epoch (a run that finished none is
    dropped, leaving an earlier run in place)."""
    if trainer.last is None:
        folder.discard()
        return
    trainer.save(folder.path, trainer.last)
    folder.promote()
    logger.info(
        f"interrupted: checkpoint at epoch {trainer.last['epoch']} saved in {folder.out}; "
        "resume to continue"
    )


def _epochs(trainer: Trainer, data: TrainingData, folder: RunFolder, on_epoch, clock) -> None:
    """Train from the trainer's epoch to ``epochs`` or an early stop, logging each epoch and
    saving a checkpoint whenever validation improves (and every ``checkpoint_every``)."""
    options = trainer.options
    for epoch in range(trainer.progress.epoch + 1, options.epochs + 1):
        train_loss = trainer.train_epoch(data.train)
        val_mse, val_loss = trainer.validate(data.val, data.tiling)
        _check_finite(epoch, train_loss, val_loss, options.lr)
        improved = trainer.record(epoch, val_loss)
        folder.log(
            f"{epoch}\t{train_loss:.6g}\t{val_mse:.6g}\t{val_loss:.6g}\t"
            f"{time.perf_counter() - clock:.2f}\n"
        )
        trainer.snapshot()
        if improved or epoch % options.checkpoint_every == 0:
            trainer.save(folder.path, trainer.last)
            folder.promote()
        if on_epoch:
            on_epoch(epoch, options.epochs, train_loss, val_mse, trainer.progress.best)
        if trainer.should_stop():
            logger.info(
                f"early stop at epoch {epoch}: no improvement for {options.patience} epochs"
            )
            break


def _check_finite(epoch: int, train_loss: float, val_loss: float, lr: float) -> None:
    if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
        raise SettingError(
            f"training diverged at epoch {epoch} (loss {train_loss:.4g}, validation "
            f"{val_loss:.4g}); lower {{lr}}",
            lr=lr,
        )
