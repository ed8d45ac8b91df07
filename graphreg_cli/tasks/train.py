"""Training with validation-based model selection, checkpoints and resume."""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data

from graphreg_cli import __version__
from graphreg_cli.data.features import FeatureSpec
from graphreg_cli.data.graphs import known, load_graphs
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.data.tiles import Tiling, tile_all
from graphreg_cli.errors import NAME_ONLY, RunError, SettingError, check_range
from graphreg_cli.models import SEQUENCE_MODELS, ModelConfig, build_model
from graphreg_cli.tasks import distributed, heads
from graphreg_cli.tasks.checkpoint import (
    load_pt,
    load_weights,
    restore_rng,
    rng_state,
    seed_everything,
)
from graphreg_cli.tasks.inference import autocast, check_precision, predict_graphs
from graphreg_cli.tasks.run_folder import NoFolder, RunFolder, check_out
from graphreg_cli.tasks.runs import CHECKPOINT, CONFIG, WEIGHTS, Run, save_json, save_tensors

logger = logging.getLogger(__name__)

LOSSES = ("auto", "mse", "poisson")  # auto: poisson for sequence models, else mse
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


def prepare_data(
    inputs: Inputs, options: TrainOptions, val=None, test=None, margin: int = 0
) -> TrainingData:
    """Read ``inputs``, split the chromosomes, fit the track scaling on the training ones
    and tile long chromosomes into windows (with ``margin`` nodes of context each side for
    a local model's trunk)."""
    graphs = load_graphs(inputs, val=val, test=test)
    spec = FeatureSpec.fit(graphs, options.gene_input, options.edges, options.transform)
    tiling = Tiling.from_bp(options.window, options.stride, inputs.bin_size)
    ready = [spec.apply(g) for g in graphs]
    train_set = tile_all([g for g in ready if g.split == "train"], tiling, margin)
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
        # what trains: DDP(model) in a group (unused parameters: a stage's idle head)
        self.net = self.group.wrap(model, options.seed, heads.is_multihead(model))
        self.optimiser = torch.optim.Adam(model.parameters(), lr=options.lr)
        self.scheduler = None
        if options.lr_patience:
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.optimiser, factor=0.5, patience=options.lr_patience
            )
        self.generator = torch.Generator().manual_seed(options.seed)
        self.progress = Progress()
        self.last: dict | None = None  # state at the end of the last epoch (snapshot)
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
        heads.training_mode(self.model, self.options)
        losses, epoch = [], self.progress.epoch + 1
        for batch in self.batches(windows):
            self.optimiser.zero_grad()
            loss = heads.batch_loss(
                self.model, batch, self.options, epoch, self.generator, loss_fn, self.forward
            )
            loss.backward()
            self.optimiser.step()
            losses.append(loss.item())
        return self.group.mean(losses)

    def forward(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The training forward pass: through DDP in a group, under bfloat16 autocast for
        ``precision`` bf16 (the heads back in float32 for the loss)."""
        with autocast(self.options.precision, self.device):
            out = self.net(batch)
        return {name: value.float() for name, value in out.items()}

    def validate(self, graphs: list[Data], tiling: Tiling) -> tuple[float, float]:
        """``(MSE, loss)`` on the validation chromosomes' bins of known target, each the mean
        over chromosomes (in a group each rank predicts its share and the means are
        reduced)."""
        graphs, mean = self.group.part(graphs), self.group.mean
        if heads.is_multihead(self.model):
            mses, losses = heads.validate(
                self.model, graphs, self.device, tiling, self.options, loss_fn
            )
            return mean(mses), mean(losses)
        preds = predict_graphs(self.model, graphs, self.device, tiling)
        pairs = []
        for p, g in zip(preds, graphs):
            k = known(g).numpy()
            if k.any():
                pairs.append((p[k], g.y.numpy()[k]))
        mse = mean([((p - y) ** 2).mean() for p, y in pairs])
        if self.options.loss == "mse":
            return mse, mse
        losses = [
            loss_fn(self.options.loss, torch.from_numpy(p), torch.from_numpy(y)) for p, y in pairs
        ]
        return mse, mean([v.item() for v in losses])

    def record(self, epoch: int, val_loss: float) -> bool:
        """Update the schedule (after ``min_epochs``) and the best model after ``epoch``;
        whether validation improved."""
        if self.scheduler is not None and epoch > self.options.min_epochs:
            self.scheduler.step(val_loss)  # no decay while the graph layers warm up
        p = self.progress
        p.epoch = epoch
        if val_loss < p.best:
            p.best, p.best_epoch, p.since_best = val_loss, epoch, 0
            p.best_weights = {
                k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()
            }
            return True
        p.since_best += 1
        return False

    def should_stop(self) -> bool:
        p, o = self.progress, self.options
        return p.since_best >= o.patience and p.epoch >= o.min_epochs

    def state(self) -> dict:
        """Everything to continue exactly: model, optimiser, schedule, progress and the
        random-number state (tensors and numbers: loads with ``weights_only=True``)."""
        p = self.progress
        return {
            "model": self.model.state_dict(),
            "optimiser": self.optimiser.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else {},
            "epoch": p.epoch,
            "best": p.best,
            "best_epoch": p.best_epoch,
            "since_best": p.since_best,
            "rng": rng_state(self.generator),
        }

    def snapshot(self) -> None:
        """Keep a copy of :meth:`state` at the end of an epoch, for an interrupt to save
        instead of a half-trained epoch."""
        self.last = copy.deepcopy(self.state())

    def save(self, out: Path, state: dict | None = None) -> None:
        """The best weights (``model.pt``) and everything to resume (``checkpoint.pt``:
        ``state``, default the current one); in a group, rank 0 alone writes."""
        if not self.group.is_main:
            return
        p = self.progress
        if p.best_weights is not None:
            save_tensors(p.best_weights, out / WEIGHTS)
        save_tensors(state or self.state(), out / CHECKPOINT)

    def restore(self, out: Path) -> None:
        """Continue from ``out/checkpoint.pt`` (and the best weights in ``out/model.pt``),
        random-number state included."""
        checkpoint = out / CHECKPOINT
        state = load_pt(checkpoint, "checkpoint")
        try:
            load_weights(self.model, state["model"], checkpoint)
            self.optimiser.load_state_dict(state["optimiser"])
            if self.scheduler is not None and state.get("scheduler"):
                self.scheduler.load_state_dict(state["scheduler"])
            if "rng" in state:  # checkpoints of 0.1 have none
                restore_rng(state["rng"], self.generator)
            epoch, best = int(state["epoch"]), float(state["best"])
            best_epoch, since = int(state["best_epoch"]), int(state.get("since_best", 0))
        except (KeyError, ValueError, TypeError, RuntimeError) as err:
            raise RunError(
                f"{checkpoint}: incomplete or from another program ({type(err).__name__}: "
                f"{err}); train afresh with --overwrite"
            ) from None
        best_weights = load_pt(out / WEIGHTS) if (out / WEIGHTS).exists() else None
        self.progress = Progress(epoch, best, best_epoch, best_weights, since)


def _check_resumable(out: Path, config: dict) -> None:
    """Refuse to resume with other settings; keep the run's last result meanwhile (a resume
    that fails leaves config.json as it was)."""
    previous = Run.open(out).config
    if "result" in previous:
        config["result"] = previous["result"]
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
    overwrite: bool = False,
) -> Run:
    """Train a model on ``inputs`` and write the run folder ``out``; returns the :class:`Run`.

    ``val``/``test``: validation and test chromosomes (default: the split beside the inputs,
    else the last sixths); ``on_epoch(epoch, total, train_loss, val_mse, best)`` is called
    after each epoch (with ``options.devices > 1``, here on a helper thread, with rank 0's
    figures: docs/scaling.md). A run already in ``out`` is continued with ``resume`` or
    replaced with ``overwrite`` (only once the new run has a checkpoint), else refused.
    """
    model_config, options = model_config or ModelConfig(), options or TrainOptions()
    if inputs.target is None:
        raise SettingError("no target: give the CAGE bigWig as {target}", target=NAME_ONLY)
    options.check()
    model_config.check()
    inputs, options = _for_model(inputs.resolved(), options, model_config.name)
    out = Path(out)
    check_out(out, resume, overwrite)
    check_precision(options.precision, distributed.device_kind(options.devices, options.device))
    if options.devices > 1 and distributed.environment() is None:
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
    data = prepare_data(inputs, options, val, test, model_config.margin)
    model_config = replace(model_config, in_features=data.spec.in_features)
    seed_everything(options.seed)
    model = build_model(model_config)
    heads.prepare(model, options)
    trainer = Trainer(model.to(device), options, device, group)
    config = run_config(inputs, model_config, options, data)
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


def run_config(inputs: Inputs, model_config: ModelConfig, options: TrainOptions, data) -> dict:
    """``config.json`` of a run: what it was trained on and how."""
    return {
        "graphreg_version": __version__,
        "model": model_config.to_json(),
        "inputs": inputs.to_json(),
        "features": data.spec.to_json(),
        "training": asdict(options),
        "split": {g.chrom: g.split for g in data.graphs},
        "bin_size": inputs.bin_size,
        "tiling": data.tiling.to_json(),
    }


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
