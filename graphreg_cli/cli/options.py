"""Options shared by several subcommands, defined once."""

from __future__ import annotations

from pathlib import Path

import typer

from graphreg_cli.tasks.runs import DEFAULT_RUN


def run_option() -> Path:
    """``--model/-m RUN_DIR``: a run folder written by ``graphreg train``."""
    return typer.Option(
        DEFAULT_RUN, "--model", "-m", file_okay=False, help="Run folder written by graphreg train."
    )


def genes_option(help: str = "Genes BED or GTF (default: the run's).") -> Path:
    """``--genes/-g FILE``: genes as BED or GTF/GFF."""
    return typer.Option(None, "--genes", "-g", exists=True, dir_okay=False, help=help)


def device_option() -> str:
    """``--device auto|cpu|cuda``."""
    return typer.Option("auto", help="auto, cpu or cuda (auto picks a GPU when present).")
