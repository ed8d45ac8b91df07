"""Running a trained model: the device, and predictions for whole chromosomes.

Models trained on windows are run window by window and stitched back from the nodes each
window owns. A *local* model (no InstanceNorm, see :mod:`graphreg_cli.models.blocks`) runs in
two stages instead: its trunk once over each chromosome, in chunks that read ``margin``
nodes of context each side, then its graph layers and decoder window by window on those
features — the same result as the windowed path (a test checks it), reading each input bin
through the trunk once instead of ``window / stride`` times.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.data.tiles import Tiling, tile
from graphreg_cli.errors import NAME_ONLY, SettingError

DEVICES = ("auto", "cpu", "cuda")
PATHS = ("auto", "once", "windows")  # how predictions are run: see predict_graphs
PRECISIONS = ("fp32", "bf16")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "SLURM_CPUS_PER_TASK")
TRUNK_CHUNK = 1000  # nodes per trunk chunk: bounded memory on any chromosome


def allotted_cpus() -> int:
    """The CPUs this process may use: ``OMP_NUM_THREADS`` or ``SLURM_CPUS_PER_TASK`` when
    set, else the CPUs of its affinity mask (a container's or a batch job's share), else all."""
    for name in THREAD_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_threads(threads: int | None = None) -> int:
    """Give PyTorch ``threads`` CPU threads (default :func:`allotted_cpus`); returns them."""
    if threads is not None and threads < 1:
        raise SettingError("{threads} must be at least 1", threads=threads)
    threads = threads or allotted_cpus()
    torch.set_num_threads(threads)
    return threads


def pick_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name not in DEVICES:
        raise SettingError(f"{{device}}: choose {', '.join(DEVICES)}", device=name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SettingError("{device}: no CUDA GPU is visible to PyTorch; use cpu", device=name)
    return torch.device(name)


def check_precision(precision: str, kind: str) -> None:
    """``fp32``, or ``bf16`` where the device has it (CPUs, CUDA GPUs from Ampere on)."""
    if precision not in PRECISIONS:
        raise SettingError(f"{{precision}}: choose {', '.join(PRECISIONS)}", precision=precision)
    if precision == "bf16" and kind == "cuda" and not torch.cuda.is_bf16_supported():
        raise SettingError(
            "{precision}: this GPU has no bfloat16 (Ampere and newer have it); use fp32",
            precision=precision,
        )


def autocast(precision: str, device: torch.device):
    """The context a training forward pass runs in: bfloat16 autocast on ``device``'s type
    for ``bf16`` (weights, gradients and the loss stay float32), nothing for ``fp32``."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


SEQUENCE_BASES_PER_BATCH = 8_000_000  # sequence models: DNA per forward pass


def predict_graphs(
    model,
    graphs: list[Data],
    device,
    tiling: Tiling | None = None,
    batch_size: int = 16,
    inference: str = "auto",
) -> list[np.ndarray]:
    """The model's CAGE per chromosome graph, ``[(n_bins,) float32, ...]`` in the order
    given; see :func:`predict_heads`."""
    preds = predict_heads(model, graphs, device, tiling, batch_size, ("cage",), inference)
    return [p["cage"] for p in preds]


def predict_windows(
    model, graphs: list[Data], device, tiling: Tiling | None = None, batch_size: int = 16
) -> list[np.ndarray]:
    """The whole model on each window (with its trunk's margins), stitched from the nodes
    each window owns."""
    return predict_graphs(model, graphs, device, tiling, batch_size, inference="windows")


def predict_heads(
    model,
    graphs: list[Data],
    device,
    tiling: Tiling | None = None,
    batch_size: int = 16,
    heads: tuple[str, ...] | None = None,
    inference: str = "auto",
) -> list[dict[str, np.ndarray]]:
    """Every head of the model (or ``heads``) per chromosome graph, in the order given:
    ``{head: array}`` with ``(n_bins,) float32`` for node heads (``cage``) and ``(n_bins,
    pool, tracks) float32`` for input-resolution heads (``epigenome``).

    ``inference``: ``once`` (the trunk once per chromosome, then graph layers and decoder
    window by window: local models with a trunk over tracks), ``windows`` (the whole model
    window by window, stitched from the nodes each window owns) or ``auto`` (``once`` where
    the model allows it). Both give the same numbers for a local model. Sequence models run
    at most ``SEQUENCE_BASES_PER_BATCH`` bases a pass.
    """
    if inference not in PATHS:
        raise SettingError(f"{{inference}}: choose {', '.join(PATHS)}", inference=inference)
    heads = heads or tuple(model.outputs)
    once = bool(getattr(model, "margin", 0))
    if inference == "once" and not once:
        raise SettingError(
            "{inference}: this model's outputs depend on whole windows (InstanceNorm, or no "
            "trunk), so its trunk cannot run once per chromosome; use windows, or train with "
            "a local {norm} (batch, layer, none)",
            inference="once",
            norm=NAME_ONLY,
        )
    if once and inference != "windows":
        return [{"cage": p} for p in predict_two_stage(model, graphs, device, tiling, batch_size)]
    return _windowed_heads(model, graphs, device, tiling, batch_size, heads)


@torch.no_grad()
def _windowed_heads(model, graphs, device, tiling, batch_size, heads):
    model.eval()
    windows = _windows(graphs, tiling, getattr(model, "margin", 0))
    if windows and "seq" in windows[0][1]:
        bases = windows[0][1].seq.numel()
        batch_size = max(1, min(batch_size, SEQUENCE_BASES_PER_BATCH // max(bases, 1)))
    out: list[dict[str, np.ndarray]] = [{} for _ in graphs]
    for j in range(0, len(windows), batch_size):
        chunk = windows[j : j + batch_size]
        batch = Batch.from_data_list([w for _, w in chunk]).to(device)
        pred = model(batch)
        sizes = [w.num_nodes for _, w in chunk]
        for name in heads:
            parts = torch.split(pred[name].float().cpu(), sizes)
            for (i, w), p in zip(chunk, parts):
                whole = out[i].setdefault(
                    name, np.zeros((graphs[i].num_nodes, *p.shape[1:]), np.float32)
                )
                own = w.own.numpy()
                whole[w.start + np.flatnonzero(own)] = p.numpy()[own]
    return out


@torch.no_grad()
def predict_two_stage(
    model, graphs: list[Data], device, tiling: Tiling | None = None, batch_size: int = 16
) -> list[np.ndarray]:
    """The trunk once per chromosome (:func:`trunk_features`), then graph layers and
    decoder window by window."""
    model.eval()
    ready = []
    for g in graphs:
        h = trunk_features(model, g, device)
        keep = {k: g[k] for k in ("edge_index", "edge_weight", "chrom") if k in g}
        ready.append(Data(h=h, num_nodes=g.num_nodes, **keep))
    windows = _windows(ready, tiling, 0)
    return _stitch(graphs, windows, batch_size, device, lambda b: model.propagate(b.h, b)["cage"])


@torch.no_grad()
def trunk_features(model, g: Data, device, chunk: int = TRUNK_CHUNK) -> torch.Tensor:
    """A local model's trunk over chromosome ``g``: ``(n_bins, C)``, computed in chunks of
    ``chunk`` nodes that each read ``model.margin`` nodes of real input each side."""
    chunks = _windows([g], Tiling(chunk, chunk), model.margin)
    out = torch.zeros(g.num_nodes, 0)
    for batch_chunks in (chunks[i : i + 8] for i in range(0, len(chunks), 8)):
        batch = Batch.from_data_list([w for _, w in batch_chunks]).to(device)
        h = model.encode(batch).cpu()
        if out.shape[1] == 0:
            out = torch.zeros(g.num_nodes, h.shape[1])
        sizes = [w.num_nodes for _, w in batch_chunks]
        for (_, w), part in zip(batch_chunks, torch.split(h, sizes)):
            own = w.own
            out[w.start + torch.nonzero(own).flatten()] = part[own]
    return out


def _windows(graphs: list[Data], tiling: Tiling | None, margin: int) -> list[tuple[int, Data]]:
    return [(i, w) for i, g in enumerate(graphs) for w in tile(g, tiling or Tiling(), margin)]


def _stitch(graphs, windows, batch_size, device, run) -> list[np.ndarray]:
    """Run ``run(batch) -> (N,)`` over ``windows`` in batches; keep each window's owned
    nodes in its chromosome's output."""
    out = [np.zeros(g.num_nodes, np.float32) for g in graphs]
    for j in range(0, len(windows), batch_size):
        chunk = windows[j : j + batch_size]
        batch = Batch.from_data_list([w for _, w in chunk]).to(device)
        pred = run(batch).cpu()
        sizes = [w.num_nodes for _, w in chunk]
        for (i, w), p in zip(chunk, torch.split(pred, sizes)):
            own = w.own.numpy()
            out[i][w.start + np.flatnonzero(own)] = p.numpy()[own]
    return out
