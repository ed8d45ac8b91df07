"""Predict CAGE for every chromosome and write it as a bigWig."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from graphreg_cli.data.graphs import load_graphs
from graphreg_cli.errors import GraphregError
from graphreg_cli.io.bigwig import bigwig_chroms, write_bigwig
from graphreg_cli.tasks.runs import open_run
from graphreg_cli.tasks.train import pick_device, predict_graphs

logger = logging.getLogger(__name__)


def predict_run(
    run_dir: Path | None,
    tracks: list[Path] | None = None,
    contacts: Path | None = None,
    genes: Path | None = None,
    device: str = "auto",
) -> tuple[dict[str, int], dict[str, np.ndarray], int]:
    """Predictions of a run's best model: ``(chrom sizes, {chrom: (n_bins,) float32}, bin size)``.

    Without ``tracks``/``contacts`` the inputs recorded in the run are used.
    """
    run = open_run(run_dir)
    recorded = run.inputs
    if (tracks is None) != (contacts is None):
        raise GraphregError("give both TRACKS and CONTACTS, or neither to use the run's inputs")
    if tracks is not None:
        if len(tracks) != len(recorded.tracks):
            raise GraphregError(
                f"the model was trained on {len(recorded.tracks)} track(s) but {len(tracks)} "
                "were given; give them in the same order as for training"
            )
        inputs = replace(recorded, tracks=list(tracks), contacts=contacts, target=None)
    else:
        inputs = replace(recorded, target=None)
    inputs = replace(inputs, genes=genes or recorded.genes)
    dev = pick_device(device)
    graphs = load_graphs(inputs, split={})
    spec = run.features
    preds = predict_graphs(run.model(dev), [spec.apply(g) for g in graphs], dev, run.tiling)
    sizes = bigwig_chroms(inputs.tracks[0])
    return sizes, {g.chrom: p for g, p in zip(graphs, preds)}, inputs.bin_size


def write_prediction(
    path: Path, sizes: dict[str, int], preds: dict[str, np.ndarray], bin_size: int
) -> None:
    """Write predictions as a bigWig (atomically); header lists the predicted chromosomes."""
    header = {c: n for c, n in sizes.items() if c in preds}
    write_bigwig(path, header, preds, bin_size)


def write_session(run_dir: Path | None, prediction: Path) -> Path | None:
    """Write ``RUN/igv_session.xml``: tracks, true CAGE, the prediction, genes, contacts.

    Needs a genome IGV accepts: ``genome.fa.gz`` (as ``graphreg simulate`` writes) beside the
    contacts or the first track; without one, says so and writes nothing.
    """
    from graphreg_cli.io.igv import IgvTrack, write_igv_session

    run = open_run(run_dir)
    inputs = run.inputs
    folders = dict.fromkeys([inputs.contacts.parent, inputs.tracks[0].parent])
    genome = next((f / "genome.fa.gz" for f in folders if (f / "genome.fa.gz").exists()), None)
    if genome is None:
        logger.info(
            "no genome.fa.gz beside the inputs: no IGV session written; load the bigWig in "
            "IGV with your assembly"
        )
        return None
    tracks = [IgvTrack(t, f"input: {t.name}", color="31,119,180") for t in inputs.tracks]
    if inputs.target:  # truth and prediction share one scale (autoscale group 1)
        tracks.append(IgvTrack(inputs.target, "CAGE (true)", color="0,0,0", autoscale_group=1))
    tracks.append(
        IgvTrack(
            Path(prediction).resolve(),
            f"CAGE predicted ({run.model_config.name})",
            color="214,39,40",
            autoscale_group=1,
        )
    )
    if inputs.genes:
        tracks.append(IgvTrack(inputs.genes, "Genes", color="0,0,0"))
    tracks.append(IgvTrack(inputs.contacts, "Contacts", color="120,60,160"))
    sizes = bigwig_chroms(inputs.tracks[0])
    tested = [c for c, part in run.split.items() if part == "test" and c in sizes]
    first = tested[0] if tested else next(iter(sizes))
    locus = f"{first}:1-{min(sizes[first], 400 * inputs.bin_size)}"
    path = run.folder / "igv_session.xml"
    write_igv_session(path, genome, tracks, locus)
    return path
