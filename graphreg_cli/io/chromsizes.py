"""chrom.sizes: ``chrom<TAB>length`` per line, as UCSC's fetchChromSizes writes; and the
one rule by which chromosome names from different sources are matched."""

from __future__ import annotations

from pathlib import Path

from graphreg_cli.errors import InputError
from graphreg_cli.io.atomic import atomic_text
from graphreg_cli.io.text import data_lines


def alias(name: str) -> str:
    """A chromosome name as names are matched across files: lower case, without a 'chr'
    prefix, mitochondria as 'm' (``chr1``/``1`` → ``1``, ``chrM``/``MT`` → ``m``)."""
    bare = str(name).lower().removeprefix("chr")
    return "m" if bare == "mt" else bare


def read_chromsizes(path: str | Path) -> dict[str, int]:
    """Read a chrom.sizes file into an ordered ``{chrom: length}``."""
    sizes: dict[str, int] = {}
    for number, fields in data_lines(path):
        if len(fields) < 2:
            raise InputError(
                "expecting 'chrom<TAB>length'; is this a chrom.sizes file?", path, number
            )
        chrom, length = fields[0], fields[1]
        if not length.isdigit() or int(length) <= 0:
            raise InputError(
                f"length '{length}' of {chrom} is not a positive integer", path, number
            )
        if chrom in sizes:
            raise InputError(f"{chrom} is listed twice", path, number)
        sizes[chrom] = int(length)
    if not sizes:
        raise InputError("no chromosomes listed; the file is empty", path)
    return sizes


def write_chromsizes(sizes: dict[str, int], path: str | Path) -> None:
    """Write ``{chrom: length}`` in its order."""
    with atomic_text(path) as handle:
        for chrom, length in sizes.items():
            handle.write(f"{chrom}\t{length}\n")
