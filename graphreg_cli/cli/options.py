"""Options and choices shared by several subcommands, defined once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from graphreg_cli.data.features import EDGE_MODES, TRANSFORMS
from graphreg_cli.io.contacts import CONTACT_FORMATS
from graphreg_cli.models import MODEL_NAMES
from graphreg_cli.tasks.inference import DEVICES, PRECISIONS
from graphreg_cli.tasks.ranking import METHODS
from graphreg_cli.tasks.runs import DEFAULT_RUN, PARTS
from graphreg_cli.tasks.train import LOSSES


def _choices(name: str, values) -> type[Enum]:
    """A str Enum of ``values`` for Typer (``--help`` lists them, bad ones exit 2)."""
    return Enum(name, [(v.replace("-", "_"), v) for v in values], type=str)


ModelName = _choices("ModelName", MODEL_NAMES)
Loss = _choices("Loss", LOSSES)
EdgeMode = _choices("EdgeMode", EDGE_MODES)
Transform = _choices("Transform", TRANSFORMS)
ContactFormat = _choices("ContactFormat", CONTACT_FORMATS)
Device = _choices("Device", DEVICES)
Precision = _choices("Precision", PRECISIONS)
Part = _choices("Part", PARTS)
Method = _choices("Method", METHODS)


def run_option() -> Path:
    """``--model/-m RUN_DIR``: a run folder written by ``graphreg train``."""
    return typer.Option(
        DEFAULT_RUN, "--model", "-m", file_okay=False, help="Run folder written by graphreg train."
    )


def genes_option(help: str = "Genes BED or GTF (default: the run's).") -> Path:
    """``--genes/-g FILE``: genes as BED or GTF/GFF."""
    return typer.Option(None, "--genes", "-g", exists=True, dir_okay=False, help=help)


def device_option(panel: str | None = None) -> Device:
    """``--device auto|cpu|cuda``."""
    return typer.Option("auto", help="auto picks a GPU when present.", rich_help_panel=panel)


def devices_option(what: str, panel: str | None = None) -> int:
    """``--devices N``: worker processes on this machine, one per GPU (or CPU processes)."""
    return typer.Option(
        1,
        min=1,
        help=f"{what} in N processes on this machine: one per GPU, or N CPU processes "
        "without one (torch.distributed; docs/scaling.md).",
        rich_help_panel=panel,
    )
