"""Running a trained model: the device, and predictions for whole chromosomes (window by
window when the model was trained on windows, stitched back exactly)."""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.data.tiles import Tiling, tile
from graphreg_cli.errors import SettingError

DEVICES = ("auto", "cpu", "cuda")
PRECISIONS = ("fp32", "bf16")


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


@torch.no_grad()
def predict_graphs(
    model, graphs: list[Data], device, tiling: Tiling | None = None, batch_size: int = 16
) -> list[np.ndarray]:
    """The model's CAGE per chromosome graph, ``[(n_bins,) float32, ...]`` in the order
    given; chromosomes longer than the tiling's window are predicted window by window and
    stitched from the nodes each window owns."""
    model.eval()
    out = [np.zeros(g.num_nodes, np.float32) for g in graphs]
    windows = [(i, w) for i, g in enumerate(graphs) for w in tile(g, tiling or Tiling())]
    for j in range(0, len(windows), batch_size):
        chunk = windows[j : j + batch_size]
        batch = Batch.from_data_list([w for _, w in chunk]).to(device)
        pred = model(batch)["cage"].cpu()
        sizes = [w.num_nodes for _, w in chunk]
        for (i, w), p in zip(chunk, torch.split(pred, sizes)):
            own = w.own.numpy()
            out[i][w.start + np.flatnonzero(own)] = p.numpy()[own]
    return out
