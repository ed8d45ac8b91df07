"""Built-in chromosome sizes for ``graphreg simulate --genome``, and the default split on them.

``hg38`` is UCSC's hg38 primary assembly: chr1..chr22, chrX, chrY (chrM, alts, randoms and
chrUn left out), lengths as in ``hg38.chrom.sizes``: 3,088,269,832 bp in 24 chromosomes.
"""

from __future__ import annotations

from graphreg_cli.data.inputs import last_sixths
from graphreg_cli.errors import GraphregError

HG38: dict[str, int] = {
    "chr1": 248_956_422,
    "chr2": 242_193_529,
    "chr3": 198_295_559,
    "chr4": 190_214_555,
    "chr5": 181_538_259,
    "chr6": 170_805_979,
    "chr7": 159_345_973,
    "chr8": 145_138_636,
    "chr9": 138_394_717,
    "chr10": 133_797_422,
    "chr11": 135_086_622,
    "chr12": 133_275_309,
    "chr13": 114_364_328,
    "chr14": 107_043_718,
    "chr15": 101_991_189,
    "chr16": 90_338_345,
    "chr17": 83_257_441,
    "chr18": 80_373_285,
    "chr19": 58_617_616,
    "chr20": 64_444_167,
    "chr21": 46_709_983,
    "chr22": 50_818_468,
    "chrX": 156_040_895,
    "chrY": 57_227_415,
}

GENOMES: dict[str, dict[str, int]] = {"hg38": HG38}

# Epi-GraphReg's first cross-validation fold (its train/run_epi_models_*.sh: -v chr1,chr11
# -t chr2,chr12; later folds rotate to chr2,chr12 / chr3,chr13 and so on).
NAMED_SPLITS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "hg38": (("chr1", "chr11"), ("chr2", "chr12")),
}


def genome_sizes(name: str) -> dict[str, int]:
    """The ``{chrom: length}`` table of a built-in genome, in karyotype order."""
    if name not in GENOMES:
        raise GraphregError(f"unknown genome '{name}'; built in: {', '.join(GENOMES)}")
    return dict(GENOMES[name])


def default_split(
    names: list[str], genome: str | None = None
) -> tuple[tuple[int, int, int], tuple[str, ...], tuple[str, ...]]:
    """``((train, val, test) counts, val names, test names)`` for simulating on ``names``.

    A built-in genome with a named split uses it (hg38: val chr1, chr11; test chr2, chr12);
    any other list the rule ``graphreg train`` applies without a split: the last 1/6 of the
    chromosomes (in file order) test, the 1/6 before them val, none with fewer than 3.
    """
    if genome in NAMED_SPLITS:
        val, test = NAMED_SPLITS[genome]
        return (len(names) - len(val) - len(test), len(val), len(test)), val, test
    return last_sixths(len(names)), (), ()
