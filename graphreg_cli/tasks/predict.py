"""Predict CAGE for every chromosome, write it as a bigWig and an IGV session beside it."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.data.naming import chromosomes_of
from graphreg_cli.errors import SettingError
from graphreg_cli.io.bigwig import bigwig_chroms, write_bigwig
from graphreg_cli.tasks.distributed import device_kind
from graphreg_cli.tasks.inference import pick_device, predict_graphs
from graphreg_cli.tasks.workers import balance, map_parts

logger = logging.getLogger(__name__)


def new_inputs(run, tracks=None, contacts=None, genes=None) -> Inputs | None:
    """The run's inputs with other ``tracks`` (as many, in the training order) and
    ``contacts``, and/or other ``genes``; None when nothing is replaced."""
    recorded = run.inputs
    if (tracks is None) != (contacts is None):
        raise SettingError(
            "give both {tracks} and {contacts}, or neither to use the run's",
            tracks=tracks,
            contacts=contacts,
        )
    if tracks is not None and len(tracks) != len(recorded.tracks):
        raise SettingError(
            f"the model was trained on {len(recorded.tracks)} track(s) but {{tracks}} has "
            f"{len(tracks)}; give them in the same order as for training",
            tracks=[str(t) for t in tracks],
        )
    if tracks is None and genes is None:
        return None
    changes = {"genes": genes or recorded.genes, "target": None}
    if tracks is not None:
        changes.update(tracks=list(tracks), contacts=contacts)
    return replace(recorded, **changes)


def predict(run, chromosomes=None, inputs: Inputs | None = None, device="auto", devices=1):
    """Predictions of a run's best model: ``{chrom: (n_bins,) float32}`` for ``chromosomes``
    (default all) of ``inputs`` (default the run's own, without reading the target), in the
    tracks' order; ``devices > 1`` spreads the chromosomes over that many worker processes."""
    inputs = inputs or replace(run.inputs, target=None)
    kind = device_kind(devices, device)
    if devices == 1:
        return predict_part(chromosomes, pick_device(device), run, inputs)
    sizes, _ = chromosomes_of(inputs.tracks, None)
    wanted = {c: n for c, n in sizes.items() if chromosomes is None or c in chromosomes}
    parts = balance(wanted, devices)
    merged = {}
    for preds in map_parts(predict_part, parts, kind, (run, inputs)):
        merged.update(preds)
    return {c: merged[c] for c in wanted if c in merged}


def predict_part(chromosomes, device, run, inputs: Inputs, step=None) -> dict[str, np.ndarray]:
    """:func:`predict` of ``chromosomes`` on ``device`` in this process."""
    graphs, ready = run.load(chromosomes, inputs)
    preds = predict_graphs(run.model(device), ready, device, run.tiling)
    return {g.chrom: p for g, p in zip(graphs, preds)}


def write_prediction(
    path: Path, sizes: dict[str, int], preds: dict[str, np.ndarray], bin_size: int
) -> None:
    """Write predictions as a bigWig (atomically); header lists the predicted chromosomes."""
    header = {c: n for c, n in sizes.items() if c in preds}
    write_bigwig(path, header, preds, bin_size)


def write_session(run, prediction: Path) -> Path | None:
    """Write ``RUN/igv_session.xml``: tracks, true CAGE, the prediction, genes, contacts.

    Needs a genome IGV accepts: ``genome.fa.gz`` (as ``graphreg simulate`` writes) beside the
    contacts or the first track; without one, says so and writes nothing.
    """
    from graphreg_cli.io.igv import IgvTrack, igv_locus, write_igv_session

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
    tested = [c for c in run.chromosomes("test") if c in sizes]
    first = tested[0] if tested else next(iter(sizes))
    path = run.folder / "igv_session.xml"
    write_igv_session(path, genome, tracks, igv_locus(first, sizes[first], inputs.bin_size))
    return path
