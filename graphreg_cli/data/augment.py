"""Sequence augmentation for training: reverse complement and small shifts.

Both act on a batch of windows (a PyG ``Batch`` or one ``Data``) carrying ``seq: (N, bin_size)
uint8`` and return a new batch, the input left as it was (the trainer may reuse it).

- :func:`reverse_complement_batch`: every window read from the other strand: its DNA reverse
  complemented, its nodes (and the input bins inside them) in reverse order, its edges
  renumbered; targets follow their bins.
- :func:`shift_batch`: the DNA of every window moved by a few bases (N fills the gap),
  targets unchanged, as GraphReg's and Basenji's shift augmentation.
"""

from __future__ import annotations

import torch

from graphreg_cli.data.dna import N_CODE, reverse_complement

NODE_FIELDS = ("x", "y", "own", "gene_mask")


def _offsets(batch) -> torch.Tensor:
    """Node offsets of the windows: ``(windows + 1,)``."""
    ptr = getattr(batch, "ptr", None)
    if ptr is None:
        return torch.tensor([0, batch.num_nodes], device=batch.seq.device)
    return ptr


def reversed_order(batch) -> torch.Tensor:
    """``(N,)``: for each node, the node that takes its place when every window is reversed."""
    ptr = _offsets(batch)
    counts = ptr[1:] - ptr[:-1]
    start = torch.repeat_interleave(ptr[:-1], counts)
    end = torch.repeat_interleave(ptr[1:], counts)
    index = torch.arange(int(ptr[-1]), device=ptr.device)
    return start + end - 1 - index


def reverse_complement_batch(batch):
    """The batch read from the reverse strand (see module)."""
    out = batch.clone()
    order = reversed_order(batch)
    out.seq = reverse_complement(batch.seq[order])
    for key in NODE_FIELDS:
        if key in batch:
            value = batch[key][order]
            out[key] = value.flip(1) if value.dim() == 3 else value  # input bins inside nodes
    out.edge_index = order[batch.edge_index]
    return out


def shift_batch(batch, shift: int):
    """The batch with each window's DNA moved ``shift`` bases (right when positive), N-filled."""
    if not shift:
        return batch
    out = batch.clone()
    ptr = _offsets(batch)
    n, bases = batch.seq.shape
    flat = batch.seq.reshape(-1)
    moved = torch.full_like(flat, N_CODE)
    for a, b in zip(ptr[:-1].tolist(), ptr[1:].tolist()):
        lo, hi = a * bases, b * bases
        if shift > 0:
            moved[lo + shift : hi] = flat[lo : hi - shift]
        else:
            moved[lo : hi + shift] = flat[lo - shift : hi]
    out.seq = moved.reshape(n, bases)
    return out


def augment(batch, generator: torch.Generator, flip: bool, max_shift: int):
    """A random strand (with ``flip``) and a random shift in ``[-max_shift, max_shift]``."""
    if max_shift:
        shift = int(torch.randint(-max_shift, max_shift + 1, (1,), generator=generator))
        batch = shift_batch(batch, shift)
    if flip and bool(torch.rand(1, generator=generator) < 0.5):
        batch = reverse_complement_batch(batch)
    return batch
