"""Training with validation-based model selection, checkpoints and resume."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data

from graphreg_cli import __version__
from graphreg_cli.data.features import FeatureSpec
from graphreg_cli.data.graphs import Inputs, load_graphs
from graphreg_cli.data.tiles import Tiling, predict_tiled, tile_all
from graphreg_cli.errors import NAME_ONLY, SettingError
from graphreg_cli.models import ModelConfig, build_model
from graphreg_cli.tasks.runs import (
    CHECKPOINT,
    CONFIG,
    LOG,
    METRICS,
    WEIGHTS,
    open_run,
    save_json,
    save_tensors,
)

logger = logging.getLogger(__name__)

LOSSES = ("mse", "poisson")


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


def pick_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SettingError("{device}: no CUDA GPU is visible to PyTorch; use cpu", device=name)
    if name not in ("cpu", "cuda"):
        raise SettingError("{device}: choose auto, cpu or cuda", device=name)
    return torch.device(name)


def loss_fn(name: str, pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    if name == "mse":
        return F.mse_loss(pred, true)
    if name == "poisson":
        return F.poisson_nll_loss(pred, true, log_input=False, full=False, eps=1e-6)
    raise SettingError(f"{{loss}}: choose {' or '.join(LOSSES)}", loss=name)


def predict_graphs(
    model, graphs: list[Data], device, tiling: Tiling | None = None, batch_size: int = 16
) -> list[np.ndarray]:
    """Model output per graph: ``[(n_bins,) float32, ...]`` in the order given; chromosomes
    longer than the tiling's window are predicted window by window and stitched."""
    return predict_tiled(model, graphs, tiling or Tiling(), device, batch_size)


def train(
    inputs: Inputs,
    out: Path,
    model_config: ModelConfig,
    options: TrainOptions,
    val: list[str] | None = None,
    test: list[str] | None = None,
    resume: bool = False,
    on_epoch=None,
) -> dict:
    """Train a model on ``inputs`` and write the run folder ``out``.

    ``on_epoch(epoch, total, train_loss, val_metric, best)`` is called after each epoch.
    Returns the final config (as written to ``out/config.json``).
    """
    if inputs.target is None:
        raise SettingError("no target: give the CAGE bigWig as {target}", target=NAME_ONLY)
    inputs = inputs.resolved()
    out = Path(out)
    if options.loss not in LOSSES:
        raise SettingError(f"{{loss}}: choose {' or '.join(LOSSES)}", loss=options.loss)
    device = pick_device(options.device)
    if options.gene_input and inputs.genes is None:
        logger.info(
            "no genes given: the model cannot tell gene bins from enhancers; training "
            "without a gene channel (give genes for ROI metrics and better predictions)"
        )
        options = replace(options, gene_input=False)

    graphs = load_graphs(inputs, val=val, test=test)
    spec = FeatureSpec.fit(graphs, options.gene_input, options.edges, options.transform)
    model_config = ModelConfig(
        **{**model_config.to_json(), "in_features": spec.in_features, "pool": inputs.pool}
    )
    tiling = Tiling.from_bp(options.window, options.stride, inputs.bin_size)
    prepared = [spec.apply(g) for g in graphs]
    train_set = tile_all([g for g in prepared if g.split == "train"], tiling)
    val_set = [g for g in prepared if g.split == "val"] or train_set
    if not train_set:
        raise SettingError(
            "no training chromosome left after the split; check {val_chroms} and {test_chroms}",
            val_chroms=val or [],
            test_chroms=test or [],
        )
    if not [g for g in prepared if g.split == "val"]:
        logger.info("no validation chromosome: selecting the model on training chromosomes")

    torch.manual_seed(options.seed)
    np.random.seed(options.seed)
    model = build_model(model_config).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=options.lr)
    scheduler = None
    if options.lr_patience:
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimiser, factor=0.5, patience=options.lr_patience
        )
    config = {
        "graphreg_version": __version__,
        "model": model_config.to_json(),
        "inputs": inputs.to_json(),
        "features": spec.to_json(),
        "training": asdict(options),
        "split": {g.chrom: g.split for g in graphs},
        "bin_size": inputs.bin_size,
        "tiling": tiling.to_json(),
    }
    start_epoch, best, best_epoch, best_state = 0, float("inf"), 0, None
    if resume:
        start_epoch, best, best_epoch, best_state = _resume(
            out, config, model, optimiser, scheduler
        )
        logger.info(f"resuming at epoch {start_epoch + 1} (best val so far {best:.4f})")
    out.mkdir(parents=True, exist_ok=True)
    if not resume:  # a fresh run never leaves an earlier run's weights or metrics behind
        for stale in (WEIGHTS, CHECKPOINT, METRICS):
            (out / stale).unlink(missing_ok=True)
    save_json(config, out / CONFIG)
    log_path = out / LOG
    if not resume or not log_path.exists():
        log_path.write_text("epoch\ttrain_loss\tval_mse\tval_loss\tseconds\n")

    generator = torch.Generator().manual_seed(options.seed)
    size = options.batch_size or len(train_set)
    full = Batch.from_data_list(train_set).to(device) if size >= len(train_set) else None
    clock = time.perf_counter()
    done = start_epoch  # epochs completed
    since_best = 0
    try:
        for epoch in range(start_epoch, options.epochs):
            model.train()
            losses = []
            if full is not None:
                batches = [full]
            else:
                order = torch.randperm(len(train_set), generator=generator).tolist()
                batches = [
                    Batch.from_data_list([train_set[i] for i in order[j : j + size]]).to(device)
                    for j in range(0, len(order), size)
                ]
            for batch in batches:
                optimiser.zero_grad()
                pred = model(batch.x, batch.edge_index, batch.edge_weight, batch.batch)
                own = batch.own  # tiled windows: loss on the nodes each window owns
                loss = loss_fn(options.loss, pred[own], batch.y[own])
                loss.backward()
                optimiser.step()
                losses.append(loss.item())
            preds = predict_graphs(model, val_set, device, tiling)
            val_mse = float(
                np.mean([((p - g.y.numpy()) ** 2).mean() for p, g in zip(preds, val_set)])
            )
            val_loss = (
                val_mse
                if options.loss == "mse"
                else float(
                    np.mean(
                        [
                            loss_fn("poisson", torch.from_numpy(p), g.y).item()
                            for p, g in zip(preds, val_set)
                        ]
                    )
                )
            )
            if scheduler is not None and epoch + 1 > options.min_epochs:
                scheduler.step(val_loss)  # no decay while the graph layers warm up
            if val_loss < best:
                best, best_epoch, since_best = val_loss, epoch + 1, 0
                best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            else:
                since_best += 1
            with open(log_path, "a") as handle:
                handle.write(
                    f"{epoch + 1}\t{np.mean(losses):.6g}\t{val_mse:.6g}\t"
                    f"{val_loss:.6g}\t{time.perf_counter() - clock:.2f}\n"
                )
            done = epoch + 1
            if on_epoch:
                on_epoch(epoch + 1, options.epochs, float(np.mean(losses)), val_mse, best)
            if (epoch + 1) % options.checkpoint_every == 0:
                _checkpoint(
                    out, model, optimiser, scheduler, epoch + 1, best, best_epoch, best_state
                )
            if since_best >= options.patience and epoch + 1 >= options.min_epochs:
                logger.info(
                    f"early stop at epoch {epoch + 1}: no improvement for {options.patience} epochs"
                )
                break
    except KeyboardInterrupt:
        _checkpoint(out, model, optimiser, scheduler, done, best, best_epoch, best_state)
        logger.info(f"interrupted: checkpoint at epoch {done} saved in {out}; resume to continue")
        raise
    _checkpoint(out, model, optimiser, scheduler, done, best, best_epoch, best_state)
    config["result"] = {
        "epochs_run": done,
        "best_epoch": best_epoch,
        "best_val_loss": best,
        "seconds": round(time.perf_counter() - clock, 2),
        "device": str(device),
    }
    save_json(config, out / CONFIG)
    return config


def _checkpoint(out, model, optimiser, scheduler, epoch, best, best_epoch, best_state) -> None:
    if best_state is not None:
        save_tensors(best_state, out / WEIGHTS)
    save_tensors(
        {
            "model": model.state_dict(),
            "optimiser": optimiser.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else {},
            "epoch": epoch,
            "best": best,
            "best_epoch": best_epoch,
        },
        out / CHECKPOINT,
    )


def _resume(out: Path, config: dict, model, optimiser, scheduler):
    checkpoint = out / CHECKPOINT
    if not checkpoint.exists():
        raise SettingError(
            f"{checkpoint} is missing: nothing to resume; drop {{resume}} to start afresh",
            resume=NAME_ONLY,
        )
    previous = open_run(out).config
    for key in ("model", "features", "inputs"):
        if previous.get(key) != config[key]:
            raise SettingError(
                f"{{resume}} with different {key} settings than {out} was started with; use "
                "the same settings or a new {out}",
                resume=NAME_ONLY,
                out=out,
            )
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"])
    optimiser.load_state_dict(state["optimiser"])
    if scheduler is not None and state.get("scheduler"):
        scheduler.load_state_dict(state["scheduler"])
    best_state = None
    if (out / WEIGHTS).exists():
        best_state = torch.load(out / WEIGHTS, map_location="cpu", weights_only=True)
    return int(state["epoch"]), float(state["best"]), int(state["best_epoch"]), best_state
