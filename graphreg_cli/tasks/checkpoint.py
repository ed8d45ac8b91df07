"""What a checkpoint holds besides the weights: the random-number state, so that a resumed run
continues exactly as an uninterrupted one; and loading ``.pt`` files with one-line errors.

Everything is stored as tensors, numbers and lists, so checkpoints load with
``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch

from graphreg_cli.errors import RunError


def seed_everything(seed: int) -> None:
    """Seed torch, numpy and Python's random numbers."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def rng_state(generator: torch.Generator) -> dict:
    """The random-number state of torch (CPU and CUDA), of ``generator`` (batch order), of
    numpy's and of Python's global generators."""
    _, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, python_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "generator": generator.get_state(),
        "numpy": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
        "numpy_rest": [int(pos), int(has_gauss), float(gauss)],
        "python": torch.tensor(internal, dtype=torch.int64),
        "python_rest": [int(version), python_gauss],
    }


def restore_rng(state: dict, generator: torch.Generator) -> None:
    """Put back what :func:`rng_state` saved (CUDA states only onto as many GPUs)."""
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    generator.set_state(state["generator"])
    pos, has_gauss, gauss = state["numpy_rest"]
    keys = state["numpy"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, int(pos), int(has_gauss), float(gauss)))
    version, python_gauss = state["python_rest"]
    random.setstate((int(version), tuple(int(v) for v in state["python"].tolist()), python_gauss))


def load_pt(path: Path, what: str = "weights") -> dict:
    """``torch.load(path, weights_only=True)`` of a dict of tensors/numbers, or a RunError
    (one line) for a truncated, corrupt or foreign file."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise RunError(f"{path}: missing; the run has no {what}") from None
    except Exception as err:  # torch.load fails in many ways on a damaged or foreign file
        reason = " ".join(str(err).split())[:80]
        raise RunError(
            f"{path}: cannot be read as graphreg {what} (truncated, corrupt or from another "
            f"program: {type(err).__name__}: {reason}); retrain or restore the file"
        ) from None
    if not isinstance(data, dict):
        raise RunError(
            f"{path}: holds a {type(data).__name__}, not graphreg {what}; retrain or restore "
            "the file"
        )
    return data


def load_weights(model: torch.nn.Module, state: dict, path: Path) -> None:
    """``model.load_state_dict(state)``; a RunError naming ``path`` when the weights are of
    another model (other layers or shapes)."""
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, TypeError, AttributeError) as err:
        first = " ".join(str(err).split())[:100]
        raise RunError(
            f"{path}: weights of another model, not of the one config.json describes "
            f"({first}); retrain or restore the run's files"
        ) from None
