"""Predict CAGE for every chromosome, write it as a bigWig and an IGV session beside it."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.data.naming import chromosomes_of, did_you_mean
from graphreg_cli.errors import NAME_ONLY, OutputError, SettingError, preview
from graphreg_cli.io.bigwig import n_bins, write_bigwig
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


def predict(
    run,
    chromosomes=None,
    inputs: Inputs | None = None,
    device="auto",
    inference="auto",
    devices=1,
):
    """Predictions of a run's best model: ``{chrom: (n_bins,) float32}`` for ``chromosomes``
    (default all) of ``inputs`` (default the run's own, without reading the target), in the
    tracks' order; ``inference``: see :func:`graphreg_cli.tasks.inference.predict_graphs`;
    ``devices > 1`` spreads the chromosomes over that many worker processes."""
    inputs = inputs or replace(run.inputs, target=None)
    if chromosomes is not None:
        if isinstance(chromosomes, str):
            chromosomes = [chromosomes]
        have = inputs.sizes()
        unknown = [c for c in chromosomes if c not in have]
        if unknown:
            raise SettingError(
                f"{{chromosomes}}: {preview(unknown)} not in the inputs (they have "
                f"{preview(have)}){did_you_mean(unknown[0], have)}",
                chromosomes=list(chromosomes),
            )
    kind = device_kind(devices, device)
    if devices == 1:
        return predict_part(chromosomes, pick_device(device), run, inputs, inference)
    sizes, _ = chromosomes_of(inputs.tracks, None, inputs.track_format)
    wanted = {c: n for c, n in sizes.items() if chromosomes is None or c in chromosomes}
    parts = balance(wanted, devices)
    merged = {}
    for preds in map_parts(predict_part, parts, kind, (run, inputs, inference)):
        merged.update(preds)
    return {c: merged[c] for c in wanted if c in merged}


def predict_part(
    chromosomes, device, run, inputs: Inputs, inference="auto", step=None
) -> dict[str, np.ndarray]:
    """:func:`predict` of ``chromosomes`` on ``device`` in this process."""
    model = run.model(device)  # a damaged run fails before the inputs are read
    graphs, ready = run.load(chromosomes, inputs)
    preds = predict_graphs(model, ready, device, run.tiling, inference=inference)
    return {g.chrom: p for g, p in zip(graphs, preds)}


def predict_tracks(run, chromosomes=None, inputs: Inputs | None = None, device="auto"):
    """A sequence model's predictions: ``(cage, epigenome)`` with ``cage`` ``{chrom: (n_bins,)
    float32}`` and ``epigenome`` ``{track: {chrom: (n_input_bins,) float32}}`` in the tracks'
    units, one value per input bin of the chromosome."""
    from graphreg_cli.tasks.evaluate import track_name
    from graphreg_cli.tasks.inference import predict_heads

    inputs = inputs or replace(run.inputs, target=None)
    dev = pick_device(device)
    model = run.model(dev)  # a damaged run fails before the inputs are read
    graphs, ready = run.load(chromosomes, inputs)
    if "epigenome" not in model.outputs:
        raise SettingError(
            "{epigenome_out}: the run's model predicts CAGE only; sequence models "
            "(seq-gat, seq-cnn) predict the epigenome",
            epigenome_out=NAME_ONLY,
        )
    heads = predict_heads(model, ready, dev, run.tiling)
    sizes, fine = inputs.sizes(), inputs.fine
    cage = {g.chrom: h["cage"] for g, h in zip(graphs, heads)}
    epigenome: dict[str, dict[str, np.ndarray]] = {}
    for g, h in zip(graphs, heads):
        values = run.features.unscale(h["epigenome"]).reshape(-1, len(inputs.tracks))
        for k, track in enumerate(inputs.tracks):
            per_chrom = epigenome.setdefault(track_name(track), {})
            per_chrom[g.chrom] = values[: n_bins(sizes[g.chrom], fine), k]
    return cage, epigenome


def write_epigenome(folder: Path, sizes: dict[str, int], epigenome: dict, fine: int) -> dict:
    """Write each predicted track as ``folder/<track>.bw``; returns ``{track: path}``."""
    written = {}
    for track, values in epigenome.items():
        path = Path(folder) / f"{track}.bw"
        write_prediction(path, sizes, values, fine)
        written[track] = path
    return written


def write_prediction(
    path: Path, sizes: dict[str, int], preds: dict[str, np.ndarray], bin_size: int
) -> None:
    """Write predictions as a bigWig (atomically); header lists the predicted chromosomes."""
    header = {c: n for c, n in sizes.items() if c in preds}
    write_bigwig(path, header, preds, bin_size)


def write_session(run, prediction: Path, epigenome: dict | None = None) -> Path | None:
    """Write ``RUN/igv_session.xml``: tracks, true CAGE, the prediction, genes, contacts;
    with ``epigenome`` (``{track: predicted bigWig}``), each true track beside its prediction.

    Needs a genome IGV accepts: the run's genome FASTA, or ``genome.fa.gz`` (as ``graphreg
    simulate`` writes) beside the contacts or the first track; without one, says so and
    writes nothing.
    """
    from graphreg_cli.io.igv import IgvTrack, igv_locus, write_igv_session

    inputs = run.inputs
    genome = _session_genome(inputs)
    if genome is None:
        logger.info(
            "no genome.fa.gz beside the inputs: no IGV session written; load the bigWig in "
            "IGV with your assembly"
        )
        return None
    tracks = _track_pairs(inputs.tracks, epigenome or {})
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
    sizes = inputs.sizes()
    tested = [c for c in run.chromosomes("test") if c in sizes]
    first = tested[0] if tested else next(iter(sizes))
    path = run.folder / "igv_session.xml"
    try:
        write_igv_session(path, genome, tracks, igv_locus(first, sizes[first], inputs.bin_size))
    except OutputError as err:  # the prediction is written; the session is a convenience
        logger.warning(f"no IGV session: {err}")
        return None
    return path


def _session_genome(inputs) -> Path | None:
    if inputs.genome is not None and Path(inputs.genome).exists():
        return Path(inputs.genome)
    folders = dict.fromkeys([inputs.contacts.parent, inputs.tracks[0].parent])
    return next((f / "genome.fa.gz" for f in folders if (f / "genome.fa.gz").exists()), None)


def _track_pairs(tracks: list[Path], predicted: dict) -> list:
    """Input tracks; with predictions, each true track and its prediction on one scale."""
    from graphreg_cli.io.igv import IgvTrack
    from graphreg_cli.tasks.evaluate import track_name

    out = []
    for group, track in enumerate(tracks, start=2):
        name = track_name(track)
        if name not in predicted:
            out.append(IgvTrack(track, f"input: {track.name}", color="31,119,180"))
            continue
        out.append(IgvTrack(track, f"{name} (true)", color="31,119,180", autoscale_group=group))
        out.append(
            IgvTrack(
                Path(predicted[name]).resolve(),
                f"{name} predicted",
                color="255,127,14",
                autoscale_group=group,
            )
        )
    return out
