"""DNA as small integers: A=0, C=1, G=2, T=3, anything else (N, IUPAC codes) 4.

A genome is held integer-coded (``uint8``, one byte a base) and turned into float one-hot
only per batch, inside the model (:func:`one_hot`), so a 3 Gb genome never becomes 48 GB of
floats. Reverse complement works on the codes (:func:`reverse_complement`).
"""

from __future__ import annotations

import numpy as np
import torch

BASES = "ACGT"
N_CODE = 4

_ASCII = np.full(256, N_CODE, dtype=np.uint8)
for _code, _base in enumerate(BASES):
    _ASCII[ord(_base)] = _ASCII[ord(_base.lower())] = _code

COMPLEMENT = np.array([3, 2, 1, 0, N_CODE], dtype=np.uint8)  # A<->T, C<->G, N->N


def encode(text: str | bytes) -> np.ndarray:
    """``"ACGTN"`` → ``(len,) uint8`` codes (case-insensitive; every other letter is 4)."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    return _ASCII[np.frombuffer(raw, dtype=np.uint8)]


def decode(codes: np.ndarray) -> str:
    """``(len,) uint8`` codes → ``"ACGTN"`` text."""
    return np.frombuffer(b"ACGTN", dtype=np.uint8)[np.asarray(codes)].tobytes().decode()


def reverse_complement(codes: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """The reverse complement of codes along the last axis (numpy or torch, N stays N)."""
    if isinstance(codes, torch.Tensor):
        table = torch.as_tensor(COMPLEMENT, device=codes.device)
        return table[codes.long()].to(codes.dtype).flip(-1)
    return COMPLEMENT[codes][..., ::-1]


def one_hot(codes: torch.Tensor) -> torch.Tensor:
    """``(..., L)`` integer codes → ``(..., L, 4)`` float32 one-hot, channels last (N and
    unknown codes: all zeros). 16 bytes a base: made per batch, never for a genome."""
    table = torch.eye(N_CODE + 1, N_CODE, device=codes.device)  # row 4 (N) is all zeros
    return table[codes.long().clamp_max(N_CODE)]
