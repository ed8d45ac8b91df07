"""Sanity across input files: chromosome names and resolutions.

Real inputs come from different pipelines: one bigWig says ``chr1``, a loop caller ``1``, an
annotation ``MT`` for ``chrM``. Names are matched to the first track's naming with a one-line
note; resolutions that cannot fit together are errors, odd ones warnings.
"""

from __future__ import annotations

import difflib
import logging
import math
import re
from pathlib import Path

from graphreg_cli.errors import InputError, SettingError
from graphreg_cli.io.bigwig import bigwig_chroms, open_bigwig

logger = logging.getLogger(__name__)


def alias(name: str) -> str:
    """A chromosome name without its 'chr' prefix, mitochondria as 'M'."""
    bare = name[3:] if name.lower().startswith("chr") else name
    return "M" if bare.upper() in ("M", "MT") else bare


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


def _preview(names) -> str:
    names = list(names)
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def chromosomes_of(
    tracks: list[Path], target: Path | None = None
) -> tuple[dict[str, int], dict[Path, dict[str, str]]]:
    """Chromosomes present in every track (and the target), in the first track's order.

    Returns ``(sizes, names)``: ``sizes`` ``{chrom: length}`` under the first track's names,
    ``names[path]`` ``{chrom: the name that file uses}`` (``chr1`` in one bigWig may be ``1``
    in another). Chromosomes missing from some files are dropped with a note.
    """
    first = tracks[0]
    sizes = bigwig_chroms(first)
    names: dict[Path, dict[str, str]] = {first: {c: c for c in sizes}}
    for other in [*tracks[1:], *([target] if target else [])]:
        theirs = bigwig_chroms(other)
        mapping = reconcile_names(theirs, sizes, other.name)
        own = {mapping.get(c, c): c for c in theirs}
        common = {c: n for c, n in sizes.items() if c in own}
        if not common:
            hint = did_you_mean(next(iter(theirs), ""), sizes)
            raise InputError(
                f"shares no chromosome with {first.name} (it has {_preview(theirs)}; "
                f"{first.name} has {_preview(sizes)}){hint}; are the files from the same "
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
                f"({_preview(missing)}); using the {len(common)} they share"
            )
        sizes = common
        names[other] = {c: own[c] for c in common}
    for path in names:
        names[path] = {c: names[path][c] for c in sizes}
    return sizes, names


def data_grid(path: Path) -> int | None:
    """The grid (bp) a bigWig's intervals lie on: the greatest common divisor of the
    interval boundaries on the first chromosome with data (chromosome ends excepted);
    None when the file holds no data."""
    with open_bigwig(path) as handle:
        for chrom, size in handle.chroms().items():
            for start in range(0, size, 5_000_000):  # the first 5 Mb with data suffice
                intervals = handle.intervals(chrom, start, min(size, start + 5_000_000)) or []
                bounds = [x for s, e, _ in intervals[:2000] for x in (s, e) if x != size]
                if bounds:
                    return math.gcd(*bounds)
    return None


def check_resolutions(
    tracks: list[Path], target: Path | None, bin_size: int, input_bin_size: int
) -> None:
    """Errors for resolutions that cannot fit, notes for those that are merely unusual.

    - ``bin_size`` must be a multiple of ``input_bin_size``;
    - a track whose data lie on a grid that does not divide ``input_bin_size`` (a 2 kb track
      read at 5 kb) cannot be binned without splitting its intervals: error;
    - a track much finer than ``input_bin_size`` is averaged (note), a target finer than the
      graph is averaged into graph bins (note), and a target coarser than the graph is an
      error (the same rule as for tracks).
    """
    if input_bin_size < 1 or bin_size < 1:
        raise SettingError(
            "{bin_size} and {input_bin_size} must be positive",
            bin_size=bin_size,
            input_bin_size=input_bin_size,
        )
    if bin_size % input_bin_size:
        raise SettingError(
            "{bin_size} is not a multiple of {input_bin_size}; e.g. "
            f"{_divisor_near(bin_size, input_bin_size)}",
            bin_size=bin_size,
            input_bin_size=input_bin_size,
        )
    tracks_flag = "input_bin_size" if input_bin_size != bin_size else "bin_size"
    for path, size, what in [
        *((t, input_bin_size, tracks_flag) for t in tracks),
        *([(target, bin_size, "bin_size")] if target else []),
    ]:
        grid = data_grid(path)
        if grid is None:
            logger.info(f"{path.name}: holds no data at all; its bins are all zero")
            continue
        if size % grid:
            raise InputError(
                f"data lie on a {grid} bp grid, which does not divide {{{what}}}; use a "
                f"multiple of {grid}",
                path,
                **{what: size},
            )
        if path == target and grid < bin_size:
            logger.info(
                f"{path.name}: data at {grid} bp are averaged into {bin_size} bp graph bins"
            )


def _divisor_near(n: int, want: int) -> int:
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    return min(divisors, key=lambda d: (abs(d - want), d))
