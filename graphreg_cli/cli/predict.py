"""``graphreg predict``: predicted CAGE as a bigWig, to a file or to stdout."""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import typer

from graphreg_cli.cli.console import console
from graphreg_cli.cli.options import (
    Device,
    Inference,
    device_option,
    devices_option,
    genes_option,
    run_option,
    threads_option,
)
from graphreg_cli.errors import GraphregError, OutputError
from graphreg_cli.io.atomic import check_writable


def stdout_closed() -> bool:
    """Whether there is no stdout to write to (``graphreg predict >&-``)."""
    try:
        return sys.stdout is None or sys.stdout.closed or sys.stdout.fileno() < 0
    except io.UnsupportedOperation:  # a stream without a descriptor (tests): writable
        return False
    except (AttributeError, ValueError, OSError):
        return True


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (False when it is closed: the write then says so)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def predict(
    files: list[Path] = typer.Argument(
        None,
        help="TRACK.bw [TRACK.bw ...] CONTACTS.bedpe, or GENOME.fa CONTACTS.bedpe for a "
        "sequence model (default: the run's own inputs).",
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
    inference: Inference = typer.Option(
        "auto",
        help="once: the CNN trunk once per chromosome, then graph layers per window (local "
        "models: fastest); windows: the whole model on 6 Mb windows every 2 Mb, as GraphReg "
        "(the only way for --norm instance runs); auto: once where the model allows it. "
        "Both give the same numbers.",
    ),
    epigenome_out: Path = typer.Option(
        None,
        file_okay=False,
        help="Sequence models: also write every predicted epigenome track as DIR/<track>.bw "
        "(e.g. dnase.bw, at the tracks' resolution); the IGV session then shows each true "
        "track beside its prediction.",
    ),
    device: Device = device_option(),
    threads: int = threads_option(),
    devices: int = devices_option("Predict the chromosomes"),
) -> None:
    """Predict CAGE on every chromosome and write it as a bigWig.

    [bold]graphreg predict > cage.bw[/] writes to stdout; -o FILE also writes MODEL/
    igv_session.xml showing prediction beside truth when a genome FASTA is beside the inputs
    (or is the run's genome). Sequence models: [bold]--epigenome-out DIR[/] writes the
    predicted DNase (and histone) tracks too.
    """
    from dataclasses import replace

    from graphreg_cli.io.bigwig import copy_to_stdout
    from graphreg_cli.io.fasta import is_fasta
    from graphreg_cli.tasks.inference import set_threads
    from graphreg_cli.tasks.predict import (
        new_inputs,
        predict_tracks,
        write_epigenome,
        write_prediction,
        write_session,
    )
    from graphreg_cli.tasks.runs import Run

    if output is None and stdout_is_terminal():
        raise GraphregError(
            "refusing to write a binary bigWig to the terminal; use -o cage.bw or redirect: "
            "graphreg predict > cage.bw"
        )
    if output is None and stdout_closed():
        raise OutputError("stdout", "it is closed", "write to a file with -o FILE", kept=False)
    if output is not None:
        check_writable(output)
    tracks = contacts = None
    if files:
        if len(files) < 2:
            raise typer.BadParameter("give TRACK.bw ... CONTACTS.bedpe", param_hint="FILES")
        *tracks, contacts = files
    set_threads(threads)
    run = Run.open(model)
    if tracks and is_fasta(tracks[0]):  # a sequence model on another genome or contacts
        inputs = replace(run.inputs, genome=tracks[0], contacts=contacts, target=None)
        inputs = replace(inputs, genes=genes or inputs.genes)
    else:
        inputs = new_inputs(run, tracks, contacts, genes)
    sizes, bin_size = (inputs or run.inputs).sizes(), run.inputs.bin_size
    predicted = None
    if epigenome_out is not None:
        preds, epigenome = predict_tracks(run, inputs=inputs, device=device.value)
        predicted = write_epigenome(epigenome_out, sizes, epigenome, run.inputs.fine)
        for track, path in predicted.items():
            console.print(f"wrote {path} (predicted {track}, {run.inputs.fine} bp bins)")
    else:
        preds = run.predict(
            inputs=inputs, device=device.value, inference=inference.value, devices=devices
        )
    if output is not None:
        write_prediction(output, sizes, preds, bin_size)
        console.print(
            f"wrote {output} ({len(preds)} chromosomes, {bin_size} bp bins, values: "
            f"{run.target_units})"
        )
        session = write_session(run, output, predicted)
        if session:
            console.print(f"IGV session: {session}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prediction.bw"
        write_prediction(path, sizes, preds, bin_size)
        copy_to_stdout(path)
    console.print(
        f"wrote bigWig to stdout ({len(preds)} chromosomes, {bin_size} bp bins, values: "
        f"{run.target_units})"
    )
