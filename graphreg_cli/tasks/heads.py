"""Training models with several heads: the loss, GraphReg's two stages and its α schedule.

A model's ``outputs`` name its heads; each head is compared with a batch field
(:data:`TARGETS`): ``cage`` with ``y`` on graph bins, ``epigenome`` with the tracks ``x`` on
input bins. Sequence models (``seq-cnn``, ``seq-gat``) train in one of :data:`STAGES`:

- ``end-to-end``: loss = α·CAGE + (1 − α)·epigenome, α rising linearly from ``alpha_start``
  to ``alpha_end`` over ``alpha_epochs`` epochs (GraphReg's end-to-end Seq-GraphReg);
- ``epigenome``: the trunk and the epigenome head alone (GraphReg's first stage);
- ``cage``: the trunk (from ``init``, a run of the first stage) frozen, BatchNorm statistics
  included, while the graph layers and decoder learn CAGE (the second stage).

Models with the CAGE head alone train exactly as before (no augmentation, no α).
"""

from __future__ import annotations

import torch
from torch import nn

from graphreg_cli.errors import NAME_ONLY, SettingError

TARGETS = {"cage": "y", "epigenome": "x"}
STAGES = ("end-to-end", "epigenome", "cage")
FROZEN_IN_CAGE_STAGE = ("tower", "context", "epigenome_head", "bottleneck")


def is_multihead(model) -> bool:
    return len(model.outputs) > 1


def head_weights(options, epoch: int | None = None) -> dict[str, float]:
    """The weight of each head's loss at ``epoch`` (1-based; None: the final weights)."""
    if options.stage == "epigenome":
        return {"epigenome": 1.0}
    if options.stage == "cage":
        return {"cage": 1.0}
    start, end, span = options.alpha_start, options.alpha_end, options.alpha_epochs
    if epoch is None or span <= 1 or epoch >= span:
        alpha = end
    else:
        alpha = start + (end - start) * (epoch - 1) / (span - 1)
    return {"cage": alpha, "epigenome": 1.0 - alpha}


def check_options(options) -> None:
    """SettingErrors for stage and α settings that cannot work."""
    if options.stage not in STAGES:
        raise SettingError(f"{{stage}}: choose {', '.join(STAGES)}", stage=options.stage)
    for name in ("alpha_start", "alpha_end"):
        if not 0 <= getattr(options, name) <= 1:
            raise SettingError(
                f"{{{name}}} must be between 0 and 1", **{name: getattr(options, name)}
            )
    if options.shift < 0:
        raise SettingError("{shift} cannot be negative", shift=options.shift)
    if options.stage == "cage" and not options.init:
        raise SettingError(
            "{stage} trains the graph part on a trunk trained before: give {init} RUN, a run "
            "trained with the epigenome stage",
            stage="cage",
            init=NAME_ONLY,
        )


def head_loss(name: str, loss_fn, pred: dict, batch, own: torch.Tensor) -> torch.Tensor:
    """One head's loss on the nodes each window owns (and the input bins inside them); 0
    (with gradients) when the batch owns no scored node."""
    if not bool(own.any()):
        return pred[name].sum() * 0.0
    return loss_fn(pred[name][own], batch[TARGETS[name]][own])


def batch_loss(
    model, batch, options, epoch: int, generator: torch.Generator, loss_fn, forward=None
):
    """The training loss of one batch: CAGE alone for single-head models, else the stage's
    weighted heads on an augmented batch (reverse complement, shift). ``forward(batch)``:
    how the heads are computed (default ``model(batch)``)."""
    loss = lambda p, t: loss_fn(options.loss, p, t)  # noqa: E731
    forward = forward or model
    if not is_multihead(model):
        return head_loss("cage", loss, forward(batch), batch, scored_bins(batch))
    batch = _augmented(batch, options, generator)
    pred = forward(batch)
    weights = {k: w for k, w in head_weights(options, epoch).items() if w > 0}
    return sum(w * head_loss(k, loss, pred, batch, batch.own) for k, w in weights.items())


def scored_bins(batch) -> torch.Tensor:
    """Bins the CAGE loss is taken on: owned by their window, and with a known target."""
    from graphreg_cli.data.graphs import known

    return batch.own & known(batch).to(batch.own.device)


def _augmented(batch, options, generator):
    from graphreg_cli.data.augment import augment

    if not (options.augment or options.shift):
        return batch
    return augment(batch, generator, options.augment, options.shift)


def validate(model, graphs, device, tiling, options, loss_fn) -> tuple[list, list]:
    """``(CAGE MSEs, losses)`` on validation chromosomes, one each per chromosome, the loss
    with the final head weights (so that epochs compare while α rises)."""
    from graphreg_cli.tasks.inference import predict_heads

    weights = head_weights(options)
    preds = predict_heads(model, graphs, device, tiling, heads=tuple(weights) + ("cage",))
    mses = [((p["cage"] - g.y.numpy()) ** 2).mean() for p, g in zip(preds, graphs)]
    per_graph = []
    for p, g in zip(preds, graphs):
        total = 0.0
        for name, weight in weights.items():
            truth = g[TARGETS[name]]
            total += weight * loss_fn(options.loss, torch.from_numpy(p[name]), truth).item()
        per_graph.append(total)
    return mses, per_graph


def prepare(model: nn.Module, options) -> None:
    """Start from ``options.init`` (a run folder's best weights) and freeze what the stage
    keeps fixed. In the ``cage`` stage only the trunk must come from ``init``, so one
    first-stage run serves ``seq-gat`` and ``seq-cnn`` alike; otherwise every weight must."""
    if options.init:
        from graphreg_cli.tasks.runs import Run

        source = Run.open(options.init)
        state = torch.load(source.folder / "model.pt", map_location="cpu", weights_only=True)
        own, frozen = model.state_dict(), _frozen(model, options)
        fits = {k: v for k, v in state.items() if k in own and v.shape == own[k].shape}
        needed = [k for k in own if k.split(".")[0] in frozen] if frozen else list(own)
        left_over = [] if frozen else [k for k in state if k not in fits]
        if left_over or any(k not in fits for k in needed):
            trunk = " (for its trunk: the same --channels and --cnn-layers)" if frozen else ""
            raise SettingError(
                f"{{init}}: its model ({source.model_config.name}) does not fit this one; "
                f"use a run of the same model and sizes{trunk}",
                init=str(options.init),
            )
        model.load_state_dict(fits, strict=False)
    for name in _frozen(model, options):
        for parameter in getattr(model, name).parameters():
            parameter.requires_grad_(False)


def _frozen(model, options) -> list[str]:
    if options.stage != "cage" or not is_multihead(model):
        return []
    return [n for n in FROZEN_IN_CAGE_STAGE if hasattr(model, n)]


def training_mode(model: nn.Module, options) -> None:
    """``model.train()``, but frozen parts stay in eval mode (BatchNorm statistics fixed)."""
    model.train()
    for name in _frozen(model, options):
        getattr(model, name).eval()
