"""Running a trained model: the device, and predictions for whole chromosomes (window by
window when the model was trained on windows, stitched back exactly)."""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.data.tiles import Tiling, tile
from graphreg_cli.errors import SettingError

DEVICES = ("auto", "cpu", "cuda")


def pick_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cuda`` without a GPU is an error."""
    if name not in DEVICES:
        raise SettingError(f"{{device}}: choose {', '.join(DEVICES)}", device=name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SettingError("{device}: no CUDA GPU is visible to PyTorch; use cpu", device=name)
    return torch.device(name)


SEQUENCE_BASES_PER_BATCH = 8_000_000  # sequence models: DNA per forward pass


def predict_graphs(
    model, graphs: list[Data], device, tiling: Tiling | None = None, batch_size: int = 16
) -> list[np.ndarray]:
    """The model's CAGE per chromosome graph, ``[(n_bins,) float32, ...]`` in the order
    given; chromosomes longer than the tiling's window are predicted window by window and
    stitched from the nodes each window owns."""
    preds = predict_heads(model, graphs, device, tiling, batch_size, heads=("cage",))
    return [p["cage"] for p in preds]


@torch.no_grad()
def predict_heads(
    model,
    graphs: list[Data],
    device,
    tiling: Tiling | None = None,
    batch_size: int = 16,
    heads: tuple[str, ...] | None = None,
) -> list[dict[str, np.ndarray]]:
    """Every head of the model (or ``heads``) per chromosome graph, in the order given:
    ``{head: array}`` with ``(n_bins,) float32`` for node heads (``cage``) and ``(n_bins,
    pool, tracks) float32`` for input-resolution heads (``epigenome``); windows stitched as
    :func:`predict_graphs`. Sequence models run at most ``SEQUENCE_BASES_PER_BATCH`` bases a
    pass."""
    model.eval()
    heads = heads or tuple(model.outputs)
    windows = [(i, w) for i, g in enumerate(graphs) for w in tile(g, tiling or Tiling())]
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
