"""``graphreg train``: fit a model on tracks + contacts, select it on validation chromosomes."""

from __future__ import annotations

import json
from dataclasses import replace
from enum import Enum
from pathlib import Path

import typer

from graphreg_cli.cli.console import console, progress_bar
from graphreg_cli.cli.options import device_option
from graphreg_cli.data.edges import ContactOptions
from graphreg_cli.data.features import EDGE_MODES, TRANSFORMS
from graphreg_cli.data.graphs import Inputs
from graphreg_cli.errors import NAME_ONLY, GraphregError, SettingError
from graphreg_cli.io.contacts import CONTACT_FORMATS
from graphreg_cli.models import MODEL_NAMES, ModelConfig
from graphreg_cli.tasks.runs import DEFAULT_RUN
from graphreg_cli.tasks.train import LOSSES, TrainOptions
from graphreg_cli.tasks.train import train as run_training

DEFAULT_DATA = Path("graphreg_data")
M, T = ModelConfig(), TrainOptions()


def _chroms(text: str | None) -> list[str] | None:
    return None if text is None else [c for c in text.split(",") if c]


class TssLevel(str, Enum):
    gene = "gene"
    transcript = "transcript"


def split_options(inputs: Inputs, fold, val_chroms, test_chroms):
    """``(val, test)`` chromosome lists from --fold or --val-chroms/--test-chroms."""
    if fold is None:
        return _chroms(val_chroms), _chroms(test_chroms)
    if val_chroms or test_chroms:
        raise SettingError(
            "give {fold} or {val_chroms}/{test_chroms}, not both",
            fold=fold,
            val_chroms=NAME_ONLY,
            test_chroms=NAME_ONLY,
        )
    from graphreg_cli.data.folds import fold_split

    return fold_split(inputs, fold)


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
        manifest = json.loads((DEFAULT_DATA / "dataset.json").read_text())["files"]
        files = [DEFAULT_DATA / manifest["dnase"], DEFAULT_DATA / manifest["contacts"]]
    if len(files) < 2:
        raise typer.BadParameter(
            "need at least one track and the contacts: TRACK.bw CONTACTS.bedpe", param_hint="FILES"
        )
    *tracks, contacts = files
    for track in tracks:
        if track.suffix.lower() not in (".bw", ".bigwig"):
            raise typer.BadParameter(
                f"{track}: tracks must be bigWig (.bw) files, and the contacts BEDPE comes last",
                param_hint="FILES",
            )
    folder_manifest = contacts.parent / "dataset.json"
    if folder_manifest.exists():
        manifest = json.loads(folder_manifest.read_text())
        target = target or contacts.parent / manifest["files"]["cage"]
        genes = genes or contacts.parent / manifest["files"]["genes"]
        bin_size = bin_size or int(manifest["bin_size"])
        input_bin_size = input_bin_size or manifest.get("input_bin_size")
    return Inputs(
        tracks,
        contacts,
        target,
        genes,
        bin_size or 5000,
        input_bin_size,
        contact_options or ContactOptions(),
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
    model: str = typer.Option(
        "gat",
        "--model",
        "-m",
        help=f"Model: {', '.join(MODEL_NAMES)} (gat = Epi-GraphReg, cnn = Epi-CNN).",
    ),
    target: list[Path] = typer.Option(
        None,
        "--target",
        "-t",
        exists=True,
        dir_okay=False,
        help="CAGE bigWig to predict (found automatically in a graphreg simulate folder). "
        "Give it twice for ENCODE's plus and minus strands: they are summed, negative values "
        "taken as positive.",
    ),
    genes: Path = typer.Option(
        None,
        "--genes",
        "-g",
        exists=True,
        dir_okay=False,
        help="Genes BED6 or GTF/GFF (TSS = start on +, end on -); marks gene bins.",
    ),
    gene_types: str = typer.Option(
        None,
        help="GTF/GFF: comma-separated gene types to mark, e.g. protein_coding (gene_type or "
        "gene_biotype; default: all).",
    ),
    tss: TssLevel = typer.Option(
        TssLevel.gene,
        help="GTF/GFF: one TSS per gene, or every transcript's TSS (as GraphReg marks them).",
    ),
    out: Path = typer.Option(
        DEFAULT_RUN, "--out", "-o", file_okay=False, help="Run folder for weights, config and log."
    ),
    bin_size: int = typer.Option(
        None,
        help="Graph bin size in bp, where CAGE is predicted (default: from dataset.json, "
        "else 5000).",
    ),
    input_bin_size: int = typer.Option(
        None,
        help="Read the tracks at this finer resolution (e.g. 100) and let the CNN pool them "
        "into graph bins, as GraphReg (100 bp → 5 kb); must divide --bin-size "
        "(default: --bin-size).",
    ),
    contacts_format: str = typer.Option(
        "auto",
        help=f"Contacts file format: {', '.join(CONTACT_FORMATS)} (auto: from the header or "
        "the .cool/.mcool/.hic suffix).",
    ),
    max_fdr: float = typer.Option(
        None, help="Keep loop calls with FDR/q-value at most this (HiCCUPS, FitHiChIP, ...)."
    ),
    min_score: float = typer.Option(
        None, help="Keep contacts with score (counts for matrices) at least this."
    ),
    top_k: int = typer.Option(
        None, help=".cool/.hic matrices: keep each bin's K strongest contacts (default 10)."
    ),
    transform: str = typer.Option(
        T.transform,
        help="Track normalisation: scale (divide by the mean) or log1p (log(1 + x/mean), "
        "for real tracks of different depth).",
    ),
    window: int = typer.Option(
        T.window,
        help="Chromosomes longer than this (bp) are trained and predicted in windows of "
        "this size (GraphReg: 6 Mb); 0 = whole chromosomes.",
    ),
    stride: int = typer.Option(
        T.stride, help="bp between window starts; each window scores its central part."
    ),
    val_chroms: str = typer.Option(None, help="Comma-separated validation chromosomes."),
    test_chroms: str = typer.Option(None, help="Comma-separated test chromosomes."),
    fold: int = typer.Option(
        None,
        min=1,
        max=10,
        help="GraphReg's 10-fold cross-validation by chromosome: fold K validates on chrK, "
        "chrK+10 and tests on chrK+1, chrK+11 (graphreg cv trains them all).",
    ),
    epochs: int = typer.Option(T.epochs, help="Maximum epochs."),
    lr: float = typer.Option(T.lr, help="Adam learning rate."),
    batch_size: int = typer.Option(
        T.batch_size, help="Chromosomes (or windows of long ones) per step (0 = all)."
    ),
    patience: int = typer.Option(
        T.patience, help="Stop after this many epochs without a better validation loss."
    ),
    min_epochs: int = typer.Option(
        T.min_epochs, help="Train at least this many epochs before early stopping."
    ),
    lr_patience: int = typer.Option(
        T.lr_patience,
        help="After --min-epochs, halve the lr after this many epochs without a "
        "better validation loss (0 = constant lr).",
    ),
    loss: str = typer.Option(T.loss, help=f"Loss: {' or '.join(LOSSES)}."),
    channels: int = typer.Option(M.channels, help="Hidden channels."),
    cnn_layers: int = typer.Option(M.cnn_layers, help="Conv blocks in the CNN trunk."),
    graph_layers: int = typer.Option(M.graph_layers, help="Graph layers (gat, gcn)."),
    heads: int = typer.Option(M.heads, help="Attention heads (gat)."),
    dropout: float = typer.Option(M.dropout, help="Dropout rate."),
    gene_input: bool = typer.Option(
        T.gene_input, help="Give the model the gene bins as an input channel (needs --genes)."
    ),
    edges: str = typer.Option(
        T.edges,
        help=f"Contact edges: {' or '.join(EDGE_MODES)} (to-genes: only edges into gene bins).",
    ),
    seed: int = typer.Option(T.seed, help="Random seed (same seed: same metrics on CPU)."),
    device: str = device_option(),
    resume: bool = typer.Option(False, help="Continue an interrupted run in --out."),
) -> None:
    """Train Epi-GraphReg (or a baseline) to predict CAGE from tracks and contacts.

    Keeps the model with the best validation loss (early stopping) in OUT/model.pt, with
    OUT/config.json (absolute input paths, normalisation, split) and OUT/train_log.tsv.
    Ctrl-C saves a checkpoint; run again with --resume to continue.
    """
    if model not in MODEL_NAMES:
        raise typer.BadParameter(f"choose from {', '.join(MODEL_NAMES)}", param_hint="--model")
    if edges not in EDGE_MODES:
        raise typer.BadParameter(f"choose {' or '.join(EDGE_MODES)}", param_hint="--edges")
    if contacts_format not in CONTACT_FORMATS:
        raise typer.BadParameter(
            f"choose from {', '.join(CONTACT_FORMATS)}", param_hint="--contacts-format"
        )
    if transform not in TRANSFORMS:
        raise typer.BadParameter(f"choose {' or '.join(TRANSFORMS)}", param_hint="--transform")
    contact_options = ContactOptions(contacts_format, max_fdr, min_score, top_k)
    inputs = resolve_inputs(
        files, target[0] if target else None, genes, bin_size, input_bin_size, contact_options
    )
    inputs = replace(
        inputs,
        extra_targets=list(target or [])[1:],
        gene_types=_chroms(gene_types),
        tss=tss.value,
    )
    val, test = split_options(inputs, fold, val_chroms, test_chroms)
    if inputs.target is None:
        raise GraphregError("no target: give the CAGE bigWig with --target CAGE.bw")
    config = ModelConfig(
        name=model,
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
        loss=loss,
        seed=seed,
        device=device,
        gene_input=gene_input,
        edges=edges,
        transform=transform,
        window=window,
        stride=stride,
    )
    console.print(
        f"training [bold]{model}[/] on {len(inputs.tracks)} track(s), "
        f"contacts {inputs.contacts}, target {', '.join(map(str, inputs.targets))}"
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

        result = run_training(
            inputs,
            out,
            config,
            options,
            val=val,
            test=test,
            resume=resume,
            on_epoch=on_epoch,
        )
    r = result["result"]
    console.print(
        f"best validation loss {r['best_val_loss']:.4f} at epoch {r['best_epoch']} "
        f"of {r['epochs_run']} ({r['seconds']:.1f} s on {r['device']}); run saved "
        f"in [bold]{out}/[/]. Next: graphreg evaluate --model {out}"
    )
