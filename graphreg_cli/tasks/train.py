"""Training with validation-based model selection, checkpoints and resume."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data

from graphreg_cli import __version__
from graphreg_cli.data.features import FeatureSpec
from graphreg_cli.data.graphs import load_graphs
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.data.tiles import Tiling, tile_all
from graphreg_cli.errors import NAME_ONLY, SettingError
from graphreg_cli.models import ModelConfig, build_model
from graphreg_cli.tasks import distributed
from graphreg_cli.tasks.inference import autocast, check_precision, predict_graphs
from graphreg_cli.tasks.runs import (
    CHECKPOINT,
    CONFIG,
    LOG,
    METRICS,
    WEIGHTS,
    Run,
    save_json,
    save_tensors,
)

logger = logging.getLogger(__name__)

LOSSES = ("mse", "poisson")
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
    loss: str = "mse"
    seed: int = 0
    device: str = "auto"
    gene_input: bool = True
    edges: str = "both"
    transform: str = "scale"  # tracks: divided by their mean, or log1p of that
    window: int = 6_000_000  # bp; longer chromosomes are tiled into windows (0 = never)
    stride: int = 2_000_000  # bp between window starts; loss on each window's central part
    checkpoint_every: int = 10
    devices: int = 1  # data-parallel processes (GPUs, or CPU processes): docs/scaling.md
    precision: str = "fp32"  # or bf16: the training forward pass under bfloat16 autocast


def loss_fn(name: str, pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """``mse`` or ``poisson`` (NLL of a Poisson with mean ``pred``) over all values."""
    if name == "mse":
        return F.mse_loss(pred, true)
    if name == "poisson":
        return F.poisson_nll_loss(pred, true, log_input=False, full=False, eps=1e-6)
    raise SettingError(f"{{loss}}: choose {' or '.join(LOSSES)}", loss=name)


@dataclass
class TrainingData:
    """Graphs ready for training: ``train`` windows, ``val`` chromosomes (the training ones
    when there is no validation chromosome), and how they were made."""

    graphs: list[Data]
    spec: FeatureSpec
    tiling: Tiling
    train: list[Data]
    val: list[Data]


def prepare_data(inputs: Inputs, options: TrainOptions, val=None, test=None) -> TrainingData:
    """Read ``inputs``, split the chromosomes, fit the track scaling on the training ones
    and tile long chromosomes into windows."""
    graphs = load_graphs(inputs, val=val, test=test)
    spec = FeatureSpec.fit(graphs, options.gene_input, options.edges, options.transform)
    tiling = Tiling.from_bp(options.window, options.stride, inputs.bin_size)
    ready = [spec.apply(g) for g in graphs]
    train_set = tile_all([g for g in ready if g.split == "train"], tiling)
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


@dataclass
class Progress:
    """Where training stands: epochs done, the best validation loss, its epoch and weights."""

    epoch: int = 0
    best: float = math.inf
    best_epoch: int = 0
    best_weights: dict | None = field(default=None, repr=False)
    since_best: int = 0


class Trainer:
    """One model, its optimiser and learning-rate schedule, stepped epoch by epoch; in a
    process group (``group``) one rank of data-parallel training."""

    def __init__(self, model, options: TrainOptions, device: torch.device, group=None):
        self.model, self.options, self.device = model, options, device
        self.group = group or distributed.Solo(device)
        self.net = self.group.wrap(model, options.seed)  # what trains: DDP(model) in a group
        self.optimiser = torch.optim.Adam(model.parameters(), lr=options.lr)
        self.scheduler = None
        if options.lr_patience:
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimiser, factor=0.5, patience=options.lr_patience
            )
        self.generator = torch.Generator().manual_seed(options.seed)
        self.progress = Progress()
        self._whole: Batch | None = None  # every window in one batch, built once

    def batches(self, windows: list[Data]) -> list[Batch]:
        """This epoch's batches of ``batch_size`` windows in a shuffled order (all at once
        for ``batch_size`` 0 or at least the number of windows); in a group, of this rank's
        share."""
        size = self.options.batch_size or len(windows)
        order = self.group.shard(len(windows), self.progress.epoch + 1, self.options.seed)
        if order is None and size >= len(windows):
            if self._whole is None:
                self._whole = Batch.from_data_list(windows).to(self.device)
            return [self._whole]
        if order is None:
            order = torch.randperm(len(windows), generator=self.generator).tolist()
        return [
            Batch.from_data_list([windows[i] for i in order[j : j + size]]).to(self.device)
            for j in range(0, len(order), size)
        ]

    def train_epoch(self, windows: list[Data]) -> float:
        """One pass over the training windows; the mean training loss. The loss is taken on
        the nodes each window owns."""
        self.net.train()
        losses = []
        for batch in self.batches(windows):
            self.optimiser.zero_grad()
            with autocast(self.options.precision, self.device):
                pred = self.net(batch)["cage"]
            loss = loss_fn(self.options.loss, pred[batch.own].float(), batch.y[batch.own])
            loss.backward()
            self.optimiser.step()
            losses.append(loss.item())
        return self.group.mean(losses)

    def validate(self, graphs: list[Data], tiling: Tiling) -> tuple[float, float]:
        """``(MSE, loss)`` on the validation chromosomes, each the mean over chromosomes (in
        a group each rank predicts its share and the means are reduced)."""
        graphs = self.group.part(graphs)
        preds = predict_graphs(self.model, graphs, self.device, tiling)
        truths = [g.y for g in graphs]
        mse = self.group.mean([((p - y.numpy()) ** 2).mean() for p, y in zip(preds, truths)])
        if self.options.loss == "mse":
            return mse, mse
        losses = [loss_fn(self.options.loss, torch.from_numpy(p), y) for p, y in zip(preds, truths)]
        return mse, self.group.mean([v.item() for v in losses])

    def record(self, epoch: int, val_loss: float) -> None:
        """Update the schedule (after ``min_epochs``) and the best model after ``epoch``."""
        if self.scheduler is not None and epoch > self.options.min_epochs:
            self.scheduler.step(val_loss)  # no decay while the graph layers warm up
        p = self.progress
        p.epoch = epoch
        if val_loss < p.best:
            p.best, p.best_epoch, p.since_best = val_loss, epoch, 0
            p.best_weights = {
                k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()
            }
        else:
            p.since_best += 1

    def should_stop(self) -> bool:
        p, o = self.progress, self.options
        return p.since_best >= o.patience and p.epoch >= o.min_epochs

    def save(self, out: Path) -> None:
        """The best weights (``model.pt``) and everything to resume (``checkpoint.pt``);
        in a group, rank 0 alone writes."""
        if not self.group.is_main:
            return
        p = self.progress
        if p.best_weights is not None:
            save_tensors(p.best_weights, out / WEIGHTS)
        state = {
            "model": self.model.state_dict(),
            "optimiser": self.optimiser.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {},
            "epoch": p.epoch,
            "best": p.best,
            "best_epoch": p.best_epoch,
        }
        save_tensors(state, out / CHECKPOINT)

    def restore(self, out: Path) -> None:
        """Continue from ``out/checkpoint.pt`` (and the best weights in ``out/model.pt``)."""
        checkpoint = out / CHECKPOINT
        if not checkpoint.exists():
            raise SettingError(
                f"{checkpoint} is missing: nothing to resume; drop {{resume}} to start afresh",
                resume=NAME_ONLY,
            )
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        self.model.load_state_dict(state["model"])
        self.optimiser.load_state_dict(state["optimiser"])
        if self.scheduler is not None and state.get("scheduler"):
            self.scheduler.load_state_dict(state["scheduler"])
        best_weights = None
        if (out / WEIGHTS).exists():
            best_weights = torch.load(out / WEIGHTS, map_location="cpu", weights_only=True)
        self.progress = Progress(
            int(state["epoch"]), float(state["best"]), int(state["best_epoch"]), best_weights
        )


def _check_resumable(out: Path, config: dict) -> None:
    previous = Run.open(out).config
    for key in ("model", "features", "inputs"):
        if previous.get(key) != config[key]:
            raise SettingError(
                f"{{resume}} with different {key} settings than {out} was started with; use "
                "the same settings or a new {out}",
                resume=NAME_ONLY,
                out=out,
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
) -> Run:
    """Train a model on ``inputs`` and write the run folder ``out``; returns the :class:`Run`.

    ``val``/``test``: validation and test chromosomes (default: the split beside the inputs,
    else the last sixths); ``on_epoch(epoch, total, train_loss, val_mse, best)`` is called
    after each epoch (with ``options.devices > 1``, here on a helper thread, with rank 0's
    figures: docs/scaling.md).
    """
    model_config, options = model_config or ModelConfig(), options or TrainOptions()
    if inputs.target is None:
        raise SettingError("no target: give the CAGE bigWig as {target}", target=NAME_ONLY)
    if options.loss not in LOSSES:
        raise SettingError(f"{{loss}}: choose {' or '.join(LOSSES)}", loss=options.loss)
    inputs, out = inputs.resolved(), Path(out)
    check_precision(options.precision, distributed.device_kind(options.devices, options.device))
    if options.devices > 1 and distributed.environment() is None:
        return distributed.train_in_workers(
            inputs, out, model_config, options, val, test, resume, on_epoch
        )
    group = distributed.join(options.device)  # alone, or one rank of torchrun/srun/--devices
    device = group.device
    if options.gene_input and inputs.genes is None:
        logger.info(
            "no genes given: the model cannot tell gene bins from enhancers; training "
            "without a gene channel (give genes for ROI metrics and better predictions)"
        )
        options = replace(options, gene_input=False)
    data = prepare_data(inputs, options, val, test)
    model_config = replace(model_config, in_features=data.spec.in_features, pool=inputs.pool)
    torch.manual_seed(options.seed)
    np.random.seed(options.seed)
    trainer = Trainer(build_model(model_config).to(device), options, device, group)
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
    if resume:
        _check_resumable(out, config)
        trainer.restore(out)
        logger.info(
            f"resuming at epoch {trainer.progress.epoch + 1} "
            f"(best val so far {trainer.progress.best:.4f})"
        )
    if group.is_main:
        _start_folder(out, config, resume)
    clock = time.perf_counter()
    try:
        _epochs(trainer, data, out / LOG, on_epoch, clock)
    except KeyboardInterrupt:
        trainer.save(out)
        logger.info(
            f"interrupted: checkpoint at epoch {trainer.progress.epoch} saved in {out}; "
            "resume to continue"
        )
        raise
    trainer.save(out)
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


def _start_folder(out: Path, config: dict, resume: bool) -> None:
    """Create ``out`` with the config and a log; a fresh run never leaves an earlier run's
    weights or metrics behind."""
    out.mkdir(parents=True, exist_ok=True)
    if not resume:
        for stale in (WEIGHTS, CHECKPOINT, METRICS):
            (out / stale).unlink(missing_ok=True)
    save_json(config, out / CONFIG)
    if not resume or not (out / LOG).exists():
        (out / LOG).write_text(LOG_HEADER)


def _epochs(trainer: Trainer, data: TrainingData, log_path: Path, on_epoch, clock) -> None:
    """Train from the trainer's epoch to ``epochs`` or an early stop, logging each epoch."""
    options = trainer.options
    for epoch in range(trainer.progress.epoch + 1, options.epochs + 1):
        train_loss = trainer.train_epoch(data.train)
        val_mse, val_loss = trainer.validate(data.val, data.tiling)
        trainer.record(epoch, val_loss)
        if trainer.group.is_main:
            with open(log_path, "a") as handle:
                handle.write(
                    f"{epoch}\t{train_loss:.6g}\t{val_mse:.6g}\t{val_loss:.6g}\t"
                    f"{time.perf_counter() - clock:.2f}\n"
                )
        if on_epoch:
            on_epoch(epoch, options.epochs, train_loss, val_mse, trainer.progress.best)
        if epoch % options.checkpoint_every == 0:
            trainer.save(log_path.parent)
        if trainer.should_stop():
            logger.info(
                f"early stop at epoch {epoch}: no improvement for {options.patience} epochs"
            )
            break
