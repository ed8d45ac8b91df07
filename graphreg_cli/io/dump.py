"""Juicer ``dump`` text: one chromosome's contact matrix as ``bin1 bin2 value`` lines (bin
starts in bp, the upper triangle; tab- or space-separated, plain or gzip), as ``juicer_tools
dump observed NONE file.hic chr22 chr22 BP 5000`` writes it and ABC reads it
(``chr22.RAWobserved.gz``).

:class:`DumpMatrix` serves the same pixel queries as a hictkpy file
(:func:`graphreg_cli.io.matrix.fetch_pixels`), so a dump is read exactly like the same
matrix as a ``.cool``: the same contacts, the same top-k. The file holds no chromosome name:
it is the one its file name names (``chr22_5kb.RAWobserved.gz``), or given. Its resolution is
the grid its bins lie on, and must be the resolution it is read at.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli.errors import NAME_ONLY, InputError, preview
from graphreg_cli.io.chromsizes import alias
from graphreg_cli.io.text import open_text

DUMP_SUFFIXES = (".rawobserved", ".krobserved", ".vcobserved", ".scaleobserved", ".observed")


def looks_like_dump(path: str | Path) -> bool:
    """Whether a text file is a Juicer dump: named ``*observed`` (``.RAWobserved``, ...), or
    its first data line holds exactly three numbers."""
    name = str(path).lower().removesuffix(".gz")
    if name.endswith(DUMP_SUFFIXES):
        return True
    try:
        with open_text(path) as handle:
            for line in handle:
                if line.strip() and not line.startswith("#"):
                    fields = line.split()
                    return len(fields) == 3 and all(map(_is_number, fields))
    except (EOFError, OSError, UnicodeDecodeError):
        return False
    return False


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def chrom_from_name(path: str | Path, chroms) -> str | None:
    """The chromosome of ``chroms`` that the file name names (``chr22_5kb.RAWobserved.gz``
    → chr22; ``1`` and ``chr1`` match), or None."""
    tokens = re.split(r"[._\-\s]+", Path(path).name)
    by_alias = {alias(c): c for c in chroms}
    for token in tokens:
        if token in chroms:
            return token
        if token.lower().startswith("chr") and alias(token) in by_alias:
            return by_alias[alias(token)]
    return None


class DumpMatrix:
    """A Juicer dump in memory: pixels ``i <= j`` (bins of ``resolution`` bp, sorted by
    ``i`` then ``j``) and their values, for chromosome ``chrom`` of ``length`` bp."""

    def __init__(self, path: Path, chrom: str, length: int, resolution: int):
        self.path, self.chrom, self.length = Path(path), chrom, length
        self.resolution = resolution
        self.i, self.j, self.count = _read(self.path, resolution, length)

    def chromosomes(self) -> dict[str, int]:
        return {self.chrom: self.length}

    def fetch(self, rows: tuple[int, int], columns: tuple[int, int]):
        """``(i, j, count)`` of the pixels with row bins in ``rows`` and column bins in
        ``columns`` (bp ``(start, end)``), as a hictkpy query of the upper triangle."""
        res = self.resolution
        r0, r1 = rows[0] // res, -(-rows[1] // res)
        c0, c1 = columns[0] // res, -(-columns[1] // res)
        a, b = np.searchsorted(self.i, [r0, r1])
        keep = (self.j[a:b] >= c0) & (self.j[a:b] < c1)
        return self.i[a:b][keep], self.j[a:b][keep], self.count[a:b][keep]


def _read(path: Path, res: int, length: int):
    try:
        with open_text(path) as handle:
            frame = pd.read_csv(handle, sep=r"\s+", header=None, comment="#", dtype=str, engine="c")
    except pd.errors.EmptyDataError:
        raise InputError("holds no pixels (bin1 bin2 value)", path) from None
    except (pd.errors.ParserError, EOFError, OSError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"cannot be read as a Juicer dump ({first})", path) from None
    if frame.shape[1] != 3:
        raise InputError(
            f"has {frame.shape[1]} columns; a Juicer dump has 3 (bin1 bin2 value)", path, 1
        )
    values = [pd.to_numeric(frame[k], errors="coerce").to_numpy(np.float64) for k in range(3)]
    for k, what in enumerate(("bin1", "bin2", "value")):
        bad = ~np.isfinite(values[k]) | ((values[k] % 1 != 0) if k < 2 else False)
        if k < 2:
            bad |= values[k] < 0
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            kind = "a bin start (bp)" if k < 2 else "a finite count"
            raise InputError(f"{what} '{frame[k].iat[row]}' is not {kind}", path, row + 1)
    pos1, pos2 = values[0].astype(np.int64), values[1].astype(np.int64)
    grid = int(np.gcd.reduce(np.concatenate([pos1, pos2]))) if len(pos1) else res
    if grid != res and len(pos1) > 1:
        raise InputError(
            f"its bins lie on a {grid:,} bp grid: it is a {grid:,} bp matrix, not {res:,} bp; "
            f"read it at its resolution ({{bin_size}} {grid})",
            path,
            bin_size=NAME_ONLY,
        )
    past = np.maximum(pos1, pos2) >= length
    if past.any():
        row = int(np.flatnonzero(past)[0])
        raise InputError(
            f"bin {max(pos1[row], pos2[row])} lies past the chromosome's end ({length:,} bp); "
            "is this dump for another chromosome or assembly?",
            path,
            row + 1,
        )
    i, j = np.minimum(pos1, pos2) // res, np.maximum(pos1, pos2) // res
    count = values[2]
    order = np.lexsort((j, i))
    i, j, count = i[order], j[order], count[order]
    first = np.r_[True, (i[1:] != i[:-1]) | (j[1:] != j[:-1])]
    if not first.all():  # a pixel listed twice: its values add up
        starts = np.flatnonzero(first)
        count = np.add.reduceat(count, starts)
        i, j = i[starts], j[starts]
    return i, j, count


def open_dump(
    path: Path, resolution: int, sizes: dict[str, int], chrom: str | None = None
) -> DumpMatrix:
    """A dump of chromosome ``chrom`` (default: the one its file name names) among ``sizes``
    (the tracks' or a chrom.sizes'), read at ``resolution``."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path", path)
    if chrom is None:
        chrom = chrom_from_name(path, sizes)
        if chrom is None:
            raise InputError(
                f"a Juicer dump holds one chromosome, and its name names none of "
                f"{preview(sizes)}; give it with {{contacts_chrom}}",
                path,
                contacts_chrom=NAME_ONLY,
            )
    else:
        by_alias = {alias(c): c for c in sizes}
        if chrom not in sizes and alias(chrom) not in by_alias:
            raise InputError(
                f"{chrom} is not among the chromosomes ({preview(sizes)})",
                path,
            )
        chrom = chrom if chrom in sizes else by_alias[alias(chrom)]
    return DumpMatrix(path, chrom, sizes[chrom], resolution)
