"""``graphreg train``: fit a model on tracks + contacts, select it on validation chromosomes."""

from __future__ import annotations

from pathlib import Path

import typer

from graphreg_cli.cli.console import console, progress_bar
from graphreg_cli.cli.options import (
    ContactFormat,
    Device,
    EdgeMode,
    Loss,
    ModelName,
    Precision,
    Transform,
    device_option,
    devices_option,
)
from graphreg_cli.data.edges import ContactOptions
from graphreg_cli.data.inputs import Inputs
from graphreg_cli.errors import NAME_ONLY, SettingError
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.runs import DEFAULT_RUN
from graphreg_cli.tasks.train import TrainOptions
from graphreg_cli.tasks.train import train as run_training

DEFAULT_DATA = Path("graphreg_data")
M, T = ModelConfig(), TrainOptions()
INPUTS, MODEL, TRAINING, HARDWARE = "Inputs", "Model", "Training", "Hardware"


def _chroms(text: str | None) -> list[str] | None:
    return None if text is None else [c for c in text.split(",") if c]


def resolve_inputs(
    files: list[Path] | None,
    target: Path | None,
    genes: Path | None,
    bin_size: int | None,
    input_bin_size: int | None = None,
    contact_options: ContactOptions | None = None,
) -> Inputs:
    """TRACK... CONTACTS (last), filling target/genes/bin size from a simulate folder's
    ``dataset.json`` beside the contacts; no files at all means ``./graphreg_data``."""
    if not files:
        if not (DEFAULT_DATA / "dataset.json").exists():
            raise typer.BadParameter(
                "give TRACK.bw [TRACK.bw ...] CONTACTS.bedpe (or run graphreg simulate first)",
                param_hint="FILES",
            )
        default = Inputs.from_folder(DEFAULT_DATA)
        files = [*default.tracks, default.contacts]
    if len(files) < 2:
        raise typer.BadParameter(
            "need at least one track and the contacts: TRACK.bw CONTACTS.bedpe", param_hint="FILES"
        )
    *tracks, contacts = files
    return Inputs.from_files(
        tracks, contacts, target, genes, bin_size, input_bin_size, contact_options
    )


def train(
    files: list[Path] = typer.Argument(
        None,
        help="TRACK.bw [TRACK.bw ...] CONTACTS: input tracks (DNase/ATAC, H3K27ac, ...) then "
        "contacts: a BEDPE from any common loop caller, or a .cool/.mcool/.hic matrix "
        "(default: the graphreg_data/ folder of graphreg simulate).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
    model: ModelName = typer.Option(
        "gat",
        "--model",
        "-m",
        help="Model: gat = Epi-GraphReg, cnn = Epi-CNN, gcn, linear.",
        rich_help_panel=MODEL,
    ),
    target: Path = typer.Option(
        None,
        "--target",
        "-t",
        exists=True,
        dir_okay=False,
        help="CAGE bigWig to predict (found automatically in a graphreg simulate folder).",
        rich_help_panel=INPUTS,
    ),
    genes: Path = typer.Option(
        None,
        "--genes",
        "-g",
        exists=True,
        dir_okay=False,
        help="Genes BED6 or GTF/GFF (TSS = start on +, end on -); marks gene bins.",
        rich_help_panel=INPUTS,
    ),
    out: Path = typer.Option(
        DEFAULT_RUN, "--out", "-o", file_okay=False, help="Run folder for weights, config and log."
    ),
    bin_size: int = typer.Option(
        None,
        help="Graph bin size in bp, where CAGE is predicted (default: from dataset.json, "
        "else 5000).",
        rich_help_panel=INPUTS,
    ),
    input_bin_size: int = typer.Option(
        None,
        help="Read the tracks at this finer resolution (e.g. 100) and let the CNN pool them "
        "into graph bins, as GraphReg (100 bp → 5 kb); must divide --bin-size "
        "(default: --bin-size).",
        rich_help_panel=INPUTS,
    ),
    contacts_format: ContactFormat = typer.Option(
        "auto",
        help="Contacts file format (auto: from the header or the .cool/.mcool/.hic suffix).",
        rich_help_panel=INPUTS,
    ),
    max_fdr: float = typer.Option(
        None,
        help="Keep loop calls with FDR/q-value at most this (HiCCUPS, FitHiChIP, ...).",
        rich_help_panel=INPUTS,
    ),
    min_score: float = typer.Option(
        None,
        help="Keep contacts with score (counts for matrices) at least this.",
        rich_help_panel=INPUTS,
    ),
    top_k: int = typer.Option(
        None,
        help=".cool/.hic matrices: keep each bin's K strongest contacts (default 10).",
        rich_help_panel=INPUTS,
    ),
    transform: Transform = typer.Option(
        T.transform,
        help="Track normalisation: scale (divide by the mean) or log1p (log(1 + x/mean), "
        "for real tracks of different depth).",
        rich_help_panel=INPUTS,
    ),
    val_chroms: str = typer.Option(
        None, help="Comma-separated validation chromosomes.", rich_help_panel=INPUTS
    ),
    test_chroms: str = typer.Option(
        None, help="Comma-separated test chromosomes.", rich_help_panel=INPUTS
    ),
    gene_input: bool = typer.Option(
        T.gene_input,
        help="Give the model the gene bins as an input channel (needs --genes).",
        rich_help_panel=MODEL,
    ),
    edges: EdgeMode = typer.Option(
        T.edges,
        help="Contact edges: both directions, or to-genes (only edges into gene bins).",
        rich_help_panel=MODEL,
    ),
    channels: int = typer.Option(M.channels, help="Hidden channels.", rich_help_panel=MODEL),
    cnn_layers: int = typer.Option(
        M.cnn_layers, help="Conv blocks in the CNN trunk.", rich_help_panel=MODEL
    ),
    graph_layers: int = typer.Option(
        M.graph_layers, help="Graph layers (gat, gcn).", rich_help_panel=MODEL
    ),
    heads: int = typer.Option(M.heads, help="Attention heads (gat).", rich_help_panel=MODEL),
    dropout: float = typer.Option(M.dropout, help="Dropout rate.", rich_help_panel=MODEL),
    window: int = typer.Option(
        T.window,
        help="Chromosomes longer than this (bp) are trained and predicted in windows of "
        "this size (GraphReg: 6 Mb); 0 = whole chromosomes.",
        rich_help_panel=TRAINING,
    ),
    stride: int = typer.Option(
        T.stride,
        help="bp between window starts; each window scores its central part.",
        rich_help_panel=TRAINING,
    ),
    epochs: int = typer.Option(T.epochs, help="Maximum epochs.", rich_help_panel=TRAINING),
    lr: float = typer.Option(T.lr, help="Adam learning rate.", rich_help_panel=TRAINING),
    batch_size: int = typer.Option(
        T.batch_size,
        help="Chromosomes (or windows of long ones) per step (0 = all).",
        rich_help_panel=TRAINING,
    ),
    patience: int = typer.Option(
        T.patience,
        help="Stop after this many epochs without a better validation loss.",
        rich_help_panel=TRAINING,
    ),
    min_epochs: int = typer.Option(
        T.min_epochs,
        help="Train at least this many epochs before early stopping.",
        rich_help_panel=TRAINING,
    ),
    lr_patience: int = typer.Option(
        T.lr_patience,
        help="After --min-epochs, halve the lr after this many epochs without a "
        "better validation loss (0 = constant lr).",
        rich_help_panel=TRAINING,
    ),
    loss: Loss = typer.Option(T.loss, help="Loss.", rich_help_panel=TRAINING),
    seed: int = typer.Option(
        T.seed, help="Random seed (same seed: same metrics on CPU).", rich_help_panel=TRAINING
    ),
    resume: bool = typer.Option(
        False, help="Continue an interrupted run in --out.", rich_help_panel=TRAINING
    ),
    device: Device = device_option(HARDWARE),
    devices: int = devices_option("Train data-parallel (global batch N x --batch-size)", HARDWARE),
    precision: Precision = typer.Option(
        T.precision,
        help="bf16: the forward pass in bfloat16 autocast (GPUs from Ampere on; CPUs), "
        "weights and loss in float32.",
        rich_help_panel=HARDWARE,
    ),
) -> None:
    """Train Epi-GraphReg (or a baseline) to predict CAGE from tracks and contacts.

    Keeps the model with the best validation loss (early stopping) in OUT/model.pt, with
    OUT/config.json (absolute input paths, normalisation, split) and OUT/train_log.tsv.
    Ctrl-C saves a checkpoint; run again with --resume to continue.

    --devices N trains on N GPUs (or N CPU processes), each on its share of the chromosomes:
    the global batch is N x --batch-size. Several machines: torchrun --nnodes M
    --nproc-per-node N -m graphreg_cli train ... (docs/scaling.md).
    """
    from graphreg_cli.tasks.distributed import environment

    place = environment()
    if place is not None and place.rank != 0:
        console.quiet = True  # under torchrun/srun, rank 0 speaks for the group
    contact_options = ContactOptions(contacts_format.value, max_fdr, min_score, top_k)
    inputs = resolve_inputs(files, target, genes, bin_size, input_bin_size, contact_options)
    if inputs.target is None:
        raise SettingError("no target: give the CAGE bigWig as {target}", target=NAME_ONLY)
    config = ModelConfig(
        name=model.value,
        channels=channels,
        cnn_layers=cnn_layers,
        graph_layers=graph_layers,
        heads=heads,
        dropout=dropout,
    )
    options = TrainOptions(
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        patience=patience,
        lr_patience=lr_patience,
        min_epochs=min_epochs,
        loss=loss.value,
        seed=seed,
        device=device.value,
        gene_input=gene_input,
        edges=edges.value,
        transform=transform.value,
        window=window,
        stride=stride,
        devices=devices,
        precision=precision.value,
    )
    console.print(
        f"training [bold]{model.value}[/] on {len(inputs.tracks)} track(s), "
        f"contacts {inputs.contacts}, target {inputs.target}"
        + (f", {devices} processes" if devices > 1 and place is None else "")
    )
    with progress_bar() as progress:
        task = progress.add_task("training", total=epochs)

        def on_epoch(epoch, total, train_loss, val_mse, best):
            progress.update(
                task,
                completed=epoch,
                description=(
                    f"epoch {epoch}: loss {train_loss:.4f}  val MSE {val_mse:.4f}  best {best:.4f}"
                ),
            )

        run = run_training(
            inputs,
            out,
            config,
            options,
            val=_chroms(val_chroms),
            test=_chroms(test_chroms),
            resume=resume,
            on_epoch=on_epoch,
        )
    r = run.result
    console.print(
        f"best validation loss {r['best_val_loss']:.4f} at epoch {r['best_epoch']} "
        f"of {r['epochs_run']} ({r['seconds']:.1f} s on {_hardware(r)}); run saved "
        f"in [bold]{out}/[/]. Next: graphreg evaluate --model {out}"
    )


def _hardware(result: dict) -> str:
    """``cpu``, ``cuda:0``, or ``2 x cpu (gloo)`` for a data-parallel run."""
    if result.get("devices", 1) > 1:
        kind = result["device"].split(":")[0]
        return f"{result['devices']} x {kind} ({result['backend']})"
    return result["device"]
