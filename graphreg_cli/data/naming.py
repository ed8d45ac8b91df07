"""Chromosome names across input files.

Real inputs come from different pipelines: one bigWig says ``chr1``, a loop caller ``1``, an
annotation ``MT`` for ``chrM``. Names are matched to the first track's naming with a one-line
note.
"""

from __future__ import annotations

import difflib
import logging
import re
from pathlib import Path

from graphreg_cli.errors import InputError, preview
from graphreg_cli.io.chromsizes import alias
from graphreg_cli.io.tracks import TrackFormat, track_chroms

logger = logging.getLogger(__name__)


def reconcile_names(names, reference, what: str) -> dict[str, str]:
    """Map the chromosome names of a file onto the tracks' names ('1' → 'chr1', 'MT' →
    'chrM'). Returns ``{name in file: track name}`` for names that differ; logs one note."""
    reference = list(reference)
    by_alias = {alias(r): r for r in reference}
    mapping = {}
    for name in dict.fromkeys(names):
        if name not in reference and alias(name) in by_alias:
            mapping[name] = by_alias[alias(name)]
    if mapping:
        first = next(iter(mapping.items()))
        logger.info(
            f"{what}: {len(mapping)} chromosome name(s) matched to the tracks' naming "
            f"({first[0]} → {first[1]})"
        )
    return mapping


def did_you_mean(name: str, choices) -> str:
    """`` (did you mean chr1?)`` for the closest of ``choices`` (same name up to case,
    punctuation and a 'chr' prefix, else the most similar), or ''."""

    def plain(text: str) -> str:
        bare = re.sub(r"[^0-9a-z]", "", str(text).lower())
        return bare[3:] if bare.startswith("chr") else bare

    choices = list(choices)
    same = [c for c in choices if plain(c) == plain(name)]
    close = same or difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    return f" (did you mean {close[0]}?)" if close else ""


def chromosomes_of(
    tracks: list[Path], target: Path | None = None, fmt: TrackFormat | None = None
) -> tuple[dict[str, int], dict[Path, dict[str, str]]]:
    """Chromosomes present in every track (and the target), in the first track's order.

    Returns ``(sizes, names)``: ``sizes`` ``{chrom: length}`` under the first track's names,
    ``names[path]`` ``{chrom: the name that file uses}`` (``chr1`` in one bigWig may be ``1``
    in another). Chromosomes missing from some files are dropped with a note. ``fmt``: how
    bedGraphs among them are read (:class:`graphreg_cli.io.tracks.TrackFormat`).
    """
    first = tracks[0]
    sizes = track_chroms(first, fmt)
    names: dict[Path, dict[str, str]] = {first: {c: c for c in sizes}}
    for other in [*tracks[1:], *([target] if target else [])]:
        theirs = track_chroms(other, fmt)
        mapping = reconcile_names(theirs, sizes, other.name)
        own = {mapping.get(c, c): c for c in theirs}
        common = {c: n for c, n in sizes.items() if c in own}
        if not common:
            hint = did_you_mean(next(iter(theirs), ""), sizes)
            raise InputError(
                f"shares no chromosome with {first.name} (it has {preview(theirs)}; "
                f"{first.name} has {preview(sizes)}){hint}; are the files from the same "
                "assembly?",
                other,
            )
        for c, n in common.items():
            if theirs[own[c]] != n:
                raise InputError(
                    f"{own[c]} is {theirs[own[c]]} bp here but {n} bp in {first.name}; "
                    "are these files from the same assembly?",
                    other,
                )
        missing = [c for c in sizes if c not in common]
        if missing:
            logger.info(
                f"{other.name}: lacks {len(missing)} chromosome(s) of {first.name} "
                f"({preview(missing)}); using the {len(common)} they share"
            )
        sizes = common
        names[other] = {c: own[c] for c in common}
    for path in names:
        names[path] = {c: names[path][c] for c in sizes}
    return sizes, names
