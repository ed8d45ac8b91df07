"""One model, its optimiser and learning-rate schedule, stepped epoch by epoch: the loss,
batches, validation, the best weights and the checkpoint state (:class:`Trainer`); in a
process group, one rank of data-parallel training (:mod:`graphreg_cli.tasks.distributed`)."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data

from graphreg_cli.data.graphs import known
from graphreg_cli.data.tiles import Tiling
from graphreg_cli.errors import RunError, SettingError
from graphreg_cli.tasks import distributed, heads
from graphreg_cli.tasks.checkpoint import load_pt, load_weights, restore_rng, rng_state
from graphreg_cli.tasks.inference import autocast, predict_graphs
from graphreg_cli.tasks.runs import CHECKPOINT, WEIGHTS, save_tensors

if TYPE_CHECKING:
    from graphreg_cli.tasks.train import TrainOptions

LOSSES = ("auto", "mse", "poisson")  # auto: poisson for sequence models, else mse


def loss_fn(name: str, pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """``mse`` or ``poisson`` (NLL of a Poisson with mean ``pred``) over all values."""
    if name == "mse":
        return F.mse_loss(pred, true)
    if name == "poisson":
        return F.poisson_nll_loss(pred, true, log_input=False, full=False, eps=1e-6)
    raise SettingError(f"{{loss}}: choose {' or '.join(LOSSES)}", loss=name)


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
        self.group.sync_buffers(self.model)
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
