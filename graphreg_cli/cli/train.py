"""``graphreg train``: fit a model on tracks + contacts, select it on validation chromosomes."""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from pathlib import Path

import typer

from graphreg_cli.cli.advice import training_notes
from graphreg_cli.cli.console import EpochBar, console
from graphreg_cli.cli.inputs import TssLevel, training_inputs
from graphreg_cli.cli.options import (
    Attention,
    BedGraphValues,
    ContactFormat,
    Device,
    EdgeMode,
    Loss,
    ModelName,
    Norm,
    Precision,
    Stage,
    TargetScale,
    TargetTransform,
    Transform,
    device_option,
    devices_option,
    float_option,
    threads_option,
)
from graphreg_cli.data.edges import DISTANCE_BP
from graphreg_cli.data.regions import read_regions
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.inference import set_threads
from graphreg_cli.tasks.run_folder import check_out
from graphreg_cli.tasks.runs import DEFAULT_RUN
from graphreg_cli.tasks.train import MAX_SEED, TrainOptions
from graphreg_cli.tasks.train import train as run_training

M, T = ModelConfig(), TrainOptions()
INPUTS, MODEL, TRAINING, HARDWARE = "Inputs", "Model", "Training", "Hardware"
SEQUENCE = "Sequence models (seq-gat, seq-cnn)"
# options that are ModelConfig fields (TrainOptions takes every option named as its fields)
MODEL_OPTIONS = (
    "channels",
    "cnn_layers",
    "graph_layers",
    "heads",
    "dropout",
    "norm",
    "attention",
    "edge_scores",
)


def train(
    files: list[Path] = typer.Argument(
        None,
        help="TRACK [TRACK ...] CONTACTS: input tracks (DNase/ATAC, H3K27ac, ...: bigWig, or "
        "bedGraph plain or gzip) then contacts: a BEDPE from any common loop caller, a "
        ".cool/.mcool/.hic matrix or a Juicer dump (bin1 bin2 count); with --no-contacts "
        "tracks only (default: the graphreg_data/ folder of graphreg simulate). Sequence models: "
        "GENOME.fa CONTACTS, the tracks to learn given as --epigenome (found automatically "
        "in a graphreg simulate --sequence folder).",
        exists=True,
        dir_okay=False,
        show_default=False,
    ),
    model: ModelName = typer.Option(
        "gat",
        "--model",
        "-m",
        help="Model: gat = Epi-GraphReg, cnn = Epi-CNN, gcn, linear, additive (each contact "
        "adds gate x sign x activity to its gene, so `graphreg explain` deletions have "
        "the sign the model gives each element; give accessibility as the first track, "
        "histone marks after it for the signs); "
        "from DNA: seq-gat = Seq-GraphReg, seq-cnn = Seq-CNN (they predict the --epigenome "
        "tracks too).",
        rich_help_panel=MODEL,
    ),
    target: list[Path] = typer.Option(
        None,
        "--target",
        "-t",
        exists=True,
        dir_okay=False,
        help="What to predict: a CAGE bigWig (found automatically in a graphreg simulate "
        "folder; give it twice for ENCODE's plus and minus strands: they are summed, negative "
        "values taken as positive), or a gene table (TSV/CSV with a header: a gene column "
        "matching --genes by name or Ensembl id, and a value column such as TPM), learned "
        "at the genes' TSS bins only.",
        rich_help_panel=INPUTS,
    ),
    target_column: str = typer.Option(
        None,
        help="Gene table: the value column (default: its only numeric column).",
        rich_help_panel=INPUTS,
    ),
    target_scale: TargetScale = typer.Option(
        "linear",
        help="Gene table: the column's scale. Genes sharing a bin are summed on the linear "
        "scale, so a log column is turned back first: log1p = ln(x+1), log2p1, log10p1.",
        rich_help_panel=INPUTS,
    ),
    target_transform: TargetTransform = typer.Option(
        "none",
        help="Gene table: log1p learns log(1 + x) of a linear column (raw TPM or counts); "
        "predictions are then in those units.",
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
    bedgraph: BedGraphValues = typer.Option(
        "signal",
        help="What bedGraph tracks hold: signal = a value per base (MACS2, bedtools "
        "genomecov), binned like a bigWig; counts = a count per interval (ABC's "
        "CountReads.bedgraph), spread over the interval so that a bin sums its counts.",
        rich_help_panel=INPUTS,
    ),
    chrom_sizes: Path = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="chrom.sizes of the bedGraph tracks' assembly (default: chrom.sizes or "
        "*.chrom.sizes beside them).",
        rich_help_panel=INPUTS,
    ),
    gene_types: str = typer.Option(
        None,
        help="GTF/GFF: comma-separated gene types to mark, e.g. protein_coding (gene_type or "
        "gene_biotype; default: all).",
        rich_help_panel=INPUTS,
    ),
    tss: TssLevel = typer.Option(
        TssLevel.gene,
        help="GTF/GFF: one TSS per gene, or every transcript's TSS (as GraphReg marks them).",
        rich_help_panel=INPUTS,
    ),
    out: Path = typer.Option(
        DEFAULT_RUN, "--out", "-o", file_okay=False, help="Run folder for weights, config and log."
    ),
    bin_size: int = typer.Option(
        None,
        min=1,
        help="Graph bin size in bp, where CAGE is predicted (default: from dataset.json, "
        "else 5000).",
        rich_help_panel=INPUTS,
    ),
    input_bin_size: int = typer.Option(
        None,
        min=1,
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
    max_fdr: float = float_option(
        None,
        help="Keep loop calls with FDR/q-value at most this (HiCCUPS, FitHiChIP, ...).",
        low=0,
        high=1,
        rich_help_panel=INPUTS,
    ),
    min_score: float = float_option(
        None,
        help="Keep contacts with score (counts for matrices) at least this.",
        rich_help_panel=INPUTS,
    ),
    top_k: int = typer.Option(
        None,
        min=1,
        help=".cool/.hic matrices and Juicer dumps: keep each bin's K strongest contacts "
        "(default 10).",
        rich_help_panel=INPUTS,
    ),
    contacts_chrom: str = typer.Option(
        None,
        help="Juicer dump: its chromosome (default: the one its file name names, e.g. "
        "chr22_5kb.RAWobserved.gz).",
        rich_help_panel=INPUTS,
    ),
    no_contacts: bool = typer.Option(
        False,
        "--no-contacts",
        help="No contacts file: join bins within --max-distance, weighted by ABC's power law "
        "of distance (as ABC does without Hi-C).",
        rich_help_panel=INPUTS,
    ),
    max_distance: int = typer.Option(
        DISTANCE_BP,
        min=1,
        help="--no-contacts: join bins at most this far apart (bp); each bin gets "
        "2 x max-distance / bin-size edges.",
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
    val_regions: Path = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="BED: genes whose TSS lies in these regions (and the bins there) validate; "
        "for data with one or a few chromosomes. Chromosomes are then not split.",
        rich_help_panel=INPUTS,
    ),
    test_regions: Path = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="BED: genes whose TSS lies in these regions (and the bins there) are held out "
        "for testing; everything else trains.",
        rich_help_panel=INPUTS,
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
    channels: int = typer.Option(M.channels, min=1, help="Hidden channels.", rich_help_panel=MODEL),
    cnn_layers: int = typer.Option(
        M.cnn_layers, min=1, help="Conv blocks in the CNN trunk.", rich_help_panel=MODEL
    ),
    graph_layers: int = typer.Option(
        M.graph_layers, min=1, help="Graph layers (gat, gcn).", rich_help_panel=MODEL
    ),
    heads: int = typer.Option(
        M.heads, min=1, help="Attention heads (gat; must divide --channels).", rich_help_panel=MODEL
    ),
    dropout: float = float_option(
        M.dropout, help="Dropout rate.", low=0, high=1, high_open=True, rich_help_panel=MODEL
    ),
    norm: Norm = typer.Option(
        M.norm,
        help="Normalisation in the CNN and graph layers: instance (the study's; every bin then "
        "depends on the whole window), or a local one: batch (GraphReg's), layer, none. "
        "Local models predict each bin from its neighbourhood and contacts alone, so "
        "explanations and perturbations are local too (docs/reproduction.md).",
        rich_help_panel=MODEL,
    ),
    attention: Attention = typer.Option(
        M.attention,
        help="gat: softmax (GAT's attention, weights over a bin's contacts sum to 1) or "
        "sigmoid (each contact gated on its own and summed).",
        rich_help_panel=MODEL,
    ),
    edge_scores: bool = typer.Option(
        M.edge_scores,
        help="gat: give attention the contact scores as an edge feature, so weaker contacts "
        "can count for less.",
        rich_help_panel=MODEL,
    ),
    window: int = typer.Option(
        T.window,
        min=0,
        help="Chromosomes longer than this (bp) are trained and predicted in windows of "
        "this size (GraphReg: 6 Mb); 0 = whole chromosomes.",
        rich_help_panel=TRAINING,
    ),
    stride: int = typer.Option(
        T.stride,
        min=1,
        help="bp between window starts; each window scores its central part.",
        rich_help_panel=TRAINING,
    ),
    fold: int = typer.Option(
        None,
        min=1,
        max=10,
        help="GraphReg's 10-fold cross-validation by chromosome: fold K validates on chrK, "
        "chrK+10 and tests on chrK+1, chrK+11 (graphreg cv trains them all).",
        rich_help_panel=INPUTS,
    ),
    epochs: int = typer.Option(T.epochs, min=1, help="Maximum epochs.", rich_help_panel=TRAINING),
    lr: float = float_option(
        T.lr, help="Adam learning rate.", low=0, low_open=True, rich_help_panel=TRAINING
    ),
    batch_size: int = typer.Option(
        T.batch_size,
        min=0,
        help="Chromosomes (or windows of long ones) per step (0 = all).",
        rich_help_panel=TRAINING,
    ),
    patience: int = typer.Option(
        T.patience,
        min=0,
        help="Stop after this many epochs without a better validation loss.",
        rich_help_panel=TRAINING,
    ),
    min_epochs: int = typer.Option(
        T.min_epochs,
        min=0,
        help="Train at least this many epochs before early stopping.",
        rich_help_panel=TRAINING,
    ),
    lr_patience: int = typer.Option(
        T.lr_patience,
        min=0,
        help="After --min-epochs, halve the lr after this many epochs without a "
        "better validation loss (0 = constant lr).",
        rich_help_panel=TRAINING,
    ),
    loss: Loss = typer.Option(
        T.loss,
        help="Loss; auto: poisson for sequence models (every head), mse for the others.",
        rich_help_panel=TRAINING,
    ),
    seed: int = typer.Option(
        T.seed,
        min=0,
        max=MAX_SEED,
        help="Random seed (same seed: same metrics on CPU).",
        rich_help_panel=TRAINING,
    ),
    resume: bool = typer.Option(
        False,
        help="Continue an interrupted run in --out from its last checkpoint.",
        rich_help_panel=TRAINING,
    ),
    overwrite: bool = typer.Option(
        False,
        help="Replace the run already in --out; the old run stays until the new one has a "
        "first checkpoint.",
        rich_help_panel=TRAINING,
    ),
    epigenome: list[Path] = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="A track the sequence model learns to predict (repeat: --epigenome dnase.bw "
        "--epigenome h3k27ac.bw); default: a simulate --sequence folder's tracks.",
        rich_help_panel=SEQUENCE,
    ),
    stage: Stage = typer.Option(
        T.stage,
        help="end-to-end: loss = a*CAGE + (1-a)*epigenome, a rising; epigenome: the trunk "
        "alone (GraphReg's first stage); cage: the graph part on a frozen trunk from --init. "
        "The two stages are what learn the motif grammar (docs/sequence.md).",
        rich_help_panel=SEQUENCE,
    ),
    init: Path = typer.Option(
        None,
        exists=True,
        file_okay=False,
        help="Run folder whose weights to start from (for --stage cage: a --stage epigenome run).",
        rich_help_panel=SEQUENCE,
    ),
    alpha_start: float = typer.Option(
        T.alpha_start,
        min=0,
        max=1,
        help="End-to-end: CAGE weight a at epoch 1.",
        rich_help_panel=SEQUENCE,
    ),
    alpha_end: float = typer.Option(
        T.alpha_end,
        min=0,
        max=1,
        help="End-to-end: CAGE weight a from --alpha-epochs on.",
        rich_help_panel=SEQUENCE,
    ),
    alpha_epochs: int = typer.Option(
        T.alpha_epochs,
        min=1,
        help="End-to-end: epochs over which a rises linearly.",
        rich_help_panel=SEQUENCE,
    ),
    augment: bool = typer.Option(
        T.augment,
        help="Read each batch from a random strand (reverse complement).",
        rich_help_panel=SEQUENCE,
    ),
    shift: int = typer.Option(
        T.shift,
        min=0,
        help="Move each batch's DNA by a random shift up to this many bp.",
        rich_help_panel=SEQUENCE,
    ),
    device: Device = device_option(HARDWARE),
    threads: int = threads_option(HARDWARE),
    devices: int = devices_option("Train data-parallel (global batch N x --batch-size)", HARDWARE),
    precision: Precision = typer.Option(
        T.precision,
        help="bf16: the forward pass in bfloat16 autocast (GPUs from Ampere on; CPUs), "
        "weights and loss in float32.",
        rich_help_panel=HARDWARE,
    ),
) -> None:
    """Train a model to predict CAGE from tracks (Epi-GraphReg) or from DNA (Seq-GraphReg).

    Sequence models: --model seq-gat GENOME.fa CONTACTS --epigenome DNASE.bw (a simulate
    --sequence folder needs no more); they learn the epigenome tracks as well.

    Keeps the model with the best validation loss (early stopping) in OUT/model.pt, with
    OUT/config.json (absolute input paths, normalisation, split) and OUT/train_log.tsv.
    A checkpoint is saved whenever validation improves; Ctrl-C saves one too, and
    --resume continues exactly where it stopped. An existing run in OUT is never touched
    unless --overwrite (or --resume) is given.

    --devices N trains on N GPUs (or N CPU processes), each on its share of the chromosomes:
    the global batch is N x --batch-size. Several machines: torchrun --nnodes M
    --nproc-per-node N -m graphreg_cli train ... (docs/scaling.md).
    """
    values = dict(locals())  # the options, by name, for ModelConfig and TrainOptions
    from graphreg_cli.tasks.distributed import environment

    place = environment()
    if place is not None and place.rank != 0:
        console.quiet = True  # under torchrun/srun, rank 0 speaks for the group
    set_threads(threads)
    check_out(out, resume, overwrite)  # before reading anything
    inputs, val, test = training_inputs(values)
    regions = read_regions(val_regions, test_regions, inputs.sizes())
    config = ModelConfig(name=model.value, **_picked(values, MODEL_OPTIONS))
    training = [f.name for f in fields(TrainOptions) if f.name in values]
    options = TrainOptions(**{**_picked(values, training), "init": init and str(init)})
    console.print(
        f"training [bold]{model.value}[/] on {len(inputs.tracks)} track(s), "
        f"contacts {inputs.contacts or 'by distance'}, target "
        f"{', '.join(map(str, inputs.targets or [inputs.target]))}"
        + (f", {devices} processes" if devices > 1 and place is None else "")
    )
    for note in training_notes(model.value, stage.value, bool(init), dropout, min_epochs):
        console.print(f"note: {note}")
    progress = EpochBar(epochs)
    try:
        run = run_training(
            inputs,
            out,
            config,
            options,
            val=val,
            test=test,
            resume=resume,
            overwrite=overwrite,
            on_epoch=progress.update,
            regions=regions,
        )
    finally:
        progress.stop()
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


def _picked(values: dict, names) -> dict:
    """``values`` of ``names``, choices (Enums) by their value."""
    return {n: values[n].value if isinstance(values[n], Enum) else values[n] for n in names}
