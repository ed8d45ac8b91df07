"""``graphreg predict``: predicted CAGE as a bigWig, to a file or to stdout."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import typer

from graphreg_cli.cli.console import console
from graphreg_cli.cli.options import (
    Device,
    device_option,
    devices_option,
    genes_option,
    run_option,
)
from graphreg_cli.errors import GraphregError


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def predict(
    files: list[Path] = typer.Argument(
        None,
        help="TRACK.bw [TRACK.bw ...] CONTACTS.bedpe (default: the run's own inputs).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
    model: Path = run_option(),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        dir_okay=False,
        help="bigWig to write (default: stdout when redirected).",
    ),
    genes: Path = genes_option("Genes BED or GTF for new inputs (default: the run's)."),
    device: Device = device_option(),
    devices: int = devices_option("Predict the chromosomes"),
) -> None:
    """Predict CAGE on every chromosome and write it as a bigWig.

    [bold]graphreg predict > cage.bw[/] writes to stdout; -o FILE also writes MODEL/
    igv_session.xml showing prediction beside truth when a genome FASTA is beside the inputs.
    """
    from graphreg_cli.io.bigwig import copy_to_stdout
    from graphreg_cli.tasks.predict import new_inputs, write_prediction, write_session
    from graphreg_cli.tasks.runs import Run

    if output is None and stdout_is_terminal():
        raise GraphregError(
            "refusing to write a binary bigWig to the terminal; use -o cage.bw or redirect: "
            "graphreg predict > cage.bw"
        )
    tracks = contacts = None
    if files:
        if len(files) < 2:
            raise typer.BadParameter("give TRACK.bw ... CONTACTS.bedpe", param_hint="FILES")
        *tracks, contacts = files
    run = Run.open(model)
    inputs = new_inputs(run, tracks, contacts, genes)
    preds = run.predict(inputs=inputs, device=device.value, devices=devices)
    sizes, bin_size = (inputs or run.inputs).sizes(), run.inputs.bin_size
    if output is not None:
        write_prediction(output, sizes, preds, bin_size)
        console.print(f"wrote {output} ({len(preds)} chromosomes, {bin_size} bp bins)")
        session = write_session(run, output)
        if session:
            console.print(f"IGV session: {session}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prediction.bw"
        write_prediction(path, sizes, preds, bin_size)
        copy_to_stdout(path)
    console.print(f"wrote bigWig to stdout ({len(preds)} chromosomes, {bin_size} bp bins)")
