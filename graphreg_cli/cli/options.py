"""Options and choices shared by several subcommands, defined once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from graphreg_cli.data.expression import TARGET_SCALES, TARGET_TRANSFORMS
from graphreg_cli.data.features import EDGE_MODES, TRANSFORMS
from graphreg_cli.errors import describe_range, in_range
from graphreg_cli.io.bedgraph import BEDGRAPH_VALUES
from graphreg_cli.io.contacts import CONTACT_FORMATS
from graphreg_cli.io.e2g import E2G_FORMATS
from graphreg_cli.models import MODEL_NAMES
from graphreg_cli.models.blocks import NORMS
from graphreg_cli.models.gat import ATTENTIONS
from graphreg_cli.tasks.attribution import BACKGROUNDS
from graphreg_cli.tasks.heads import STAGES
from graphreg_cli.tasks.inference import DEVICES, PATHS, PRECISIONS
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
Norm = _choices("Norm", NORMS)
Attention = _choices("Attention", ATTENTIONS)
Background = _choices("Background", BACKGROUNDS)
Inference = _choices("Inference", PATHS)
Stage = _choices("Stage", STAGES)
BedGraphValues = _choices("BedGraphValues", BEDGRAPH_VALUES)
TargetScale = _choices("TargetScale", TARGET_SCALES)
TargetTransform = _choices("TargetTransform", TARGET_TRANSFORMS)
E2gFormat = _choices("E2gFormat", E2G_FORMATS)


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


def threads_option(panel: str | None = None) -> int | None:
    """``--threads N``: CPU threads for PyTorch."""
    return typer.Option(
        None,
        min=1,
        show_default="the CPUs allotted: OMP_NUM_THREADS, SLURM_CPUS_PER_TASK or the affinity",
        help="CPU threads. On a machine shared with other jobs, 1 per process is often "
        "faster (docs/benchmarks.md).",
        rich_help_panel=panel,
    )


def float_option(
    default,
    *names: str,
    help: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    **kwargs,
):
    """A float option that refuses NaN, infinities and values outside the range (ends
    included unless ``low_open``/``high_open``) at parse time; ``--help`` shows the range."""
    allowed = describe_range(low, high, low_open, high_open)

    def check(value: float | None) -> float | None:
        if value is not None and not in_range(value, low, high, low_open, high_open):
            raise typer.BadParameter(f"{value} is not in the range {allowed}")
        return value

    return typer.Option(default, *names, help=f"{help} [{allowed}]", callback=check, **kwargs)


def devices_option(what: str, panel: str | None = None) -> int:
    """``--devices N``: worker processes on this machine, one per GPU (or CPU processes)."""
    return typer.Option(
        1,
        min=1,
        help=f"{what} in N processes on this machine: one per GPU, or N CPU processes "
        "without one (torch.distributed; docs/scaling.md).",
        rich_help_panel=panel,
    )
