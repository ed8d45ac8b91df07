"""Resolutions across input files: the graph bin size, the tracks' bin size, and the grid each
file's data lie on. Resolutions that cannot fit together are errors, odd ones notes."""

from __future__ import annotations

import logging
from pathlib import Path

from graphreg_cli.errors import InputError, SettingError
from graphreg_cli.io.tracks import TrackFormat, open_track

logger = logging.getLogger(__name__)


def data_grid(path: Path, fmt: TrackFormat | None = None) -> int | None:
    """The grid (bp) a track's data lie on (:meth:`graphreg_cli.io.tracks.Track.grid`);
    None when the file holds no data; 1 for counts per region, which spread over any grid."""
    with open_track(path, fmt) as track:
        return track.grid()


def check_resolutions(
    tracks: list[Path],
    target: Path | None,
    bin_size: int,
    input_bin_size: int,
    fmt: TrackFormat | None = None,
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
        grid = data_grid(path, fmt)
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
