"""The motifs of ``graphreg simulate --sequence`` and how they are found in a sequence.

A motif is an IUPAC consensus (``S`` = C or G, ``W`` = A or T, ``R`` = A or G, ...); a *hit*
is a window matching it exactly on either strand. What the epigenome sees is *occupancy*, as
for real transcription factors: each window's position-weight-matrix score (the allowed bases
share probability 0.9), ``sigmoid(score - best score + 2)`` per strand — 0.88 at a
consensus, about 0.2 with one mismatch, under 0.01 with two (left out).

Three activator motifs (AP-1-, GATA- and ETS-like) make enhancers and promoters accessible, a
promoter motif (TATA-like) marks promoters, and a repressor motif (REST-like) marks
silencers. At 10-11 bp with one or two
degenerate positions, random sequence holds a few hits per motif per Mb: the occasional
background hit of real genomes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphreg_cli.data.dna import BASES, COMPLEMENT

IUPAC = {
    "A": "A",
    "C": "C",
    "G": "G",
    "T": "T",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "N": "ACGT",
}
ROLES = ("activator", "promoter", "repressor")


@dataclass(frozen=True)
class Motif:
    """``name``, IUPAC ``consensus``, ``role`` (one of :data:`ROLES`) and ``weight``: the
    accessibility one hit adds (DNase at its centre, in the simulated track's units)."""

    name: str
    consensus: str
    role: str
    weight: float

    @property
    def allowed(self) -> np.ndarray:
        """``(len, 4) bool``: the bases allowed at each position, forward strand."""
        return np.array([[b in IUPAC[c] for b in BASES] for c in self.consensus])

    @property
    def fixed(self) -> np.ndarray:
        """Positions where the consensus allows a single base (a change there breaks it)."""
        return np.flatnonzero(self.allowed.sum(1) == 1)

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        """One instance, forward strand: ``(len,) uint8`` codes, degenerate positions drawn."""
        return np.array([rng.choice(np.flatnonzero(row)) for row in self.allowed], np.uint8)


MOTIFS: tuple[Motif, ...] = (
    Motif("AP1", "GTGASTCAGC", "activator", 1.0),
    Motif("GATA", "CWGATAAGGC", "activator", 1.0),
    Motif("ETS", "ACCGGAAGTR", "activator", 1.0),
    Motif("TATA", "CTATAWAAGG", "promoter", 0.8),
    Motif("REST", "CAGCACCATGG", "repressor", 0.8),
)


def motifs_of(role: str) -> list[Motif]:
    return [m for m in MOTIFS if m.role == role]


def kmer_index(codes: np.ndarray, k: int) -> np.ndarray:
    """``(L - k + 1,) int64``: each window of ``k`` bases as a base-4 number (first base most
    significant), -1 where the window holds an N."""
    n = len(codes) - k + 1
    if n <= 0:
        return np.zeros(0, np.int64)
    index = np.zeros(n, np.int64)
    unknown = np.zeros(n, bool)
    for j in range(k):
        window = codes[j : j + n]
        index = index * 4 + np.minimum(window, 3)
        unknown |= window > 3
    index[unknown] = -1
    return index


def motif_kmers(motif: Motif) -> tuple[np.ndarray, np.ndarray]:
    """The ``k``-mer numbers (as :func:`kmer_index`) matching ``motif`` on the forward strand
    and on the reverse strand."""
    choices = [np.flatnonzero(row) for row in motif.allowed]
    forward = np.zeros(1, np.int64)
    for allowed in choices:
        forward = (forward[:, None] * 4 + allowed[None, :]).reshape(-1)
    k = len(choices)
    digits = (forward[:, None] // 4 ** np.arange(k - 1, -1, -1)) % 4  # (kmers, k) codes
    reverse = (COMPLEMENT[digits[:, ::-1]].astype(np.int64) * 4 ** np.arange(k - 1, -1, -1)).sum(1)
    return forward, reverse


def scan(codes: np.ndarray, motif: Motif, index: np.ndarray | None = None):
    """Hits of ``motif`` in ``codes: (L,) uint8``: ``(starts, strands)``, strand +1 or -1,
    sorted by start (a palindromic window counts once, on +). ``index``: the
    :func:`kmer_index` of ``codes`` for the motif's length, when already computed."""
    index = kmer_index(codes, len(motif.consensus)) if index is None else index
    forward_kmers, reverse_kmers = motif_kmers(motif)
    forward = np.isin(index, forward_kmers)
    reverse = np.isin(index, reverse_kmers) & ~forward
    starts = np.concatenate([np.flatnonzero(forward), np.flatnonzero(reverse)])
    strands = np.concatenate(
        [np.ones(int(forward.sum()), np.int8), -np.ones(int(reverse.sum()), np.int8)]
    )
    order = np.argsort(starts, kind="stable")
    return starts[order], strands[order]


MATCH_PROBABILITY = 0.9  # the allowed bases of a position share this probability
OCCUPANCY_OFFSET = 2.0
MIN_OCCUPANCY = 0.01


@dataclass
class Hits:
    """Motif hits (or binding sites) on one chromosome, sorted by start: ``start (H,) int64``
    (0-based), ``strand (H,) int8`` (+1/-1), ``motif (H,) int16`` (index into
    :data:`MOTIFS`), ``occupancy (H,) float64`` (1 for exact hits)."""

    start: np.ndarray
    strand: np.ndarray
    motif: np.ndarray
    occupancy: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.start)

    @property
    def centre(self) -> np.ndarray:
        lengths = np.array([len(m.consensus) for m in MOTIFS])
        return self.start + lengths[self.motif] // 2

    @property
    def weight(self) -> np.ndarray:
        """Each hit's accessibility: its motif's weight times its occupancy."""
        weight = np.array([m.weight for m in MOTIFS])[self.motif]
        return weight if self.occupancy is None else weight * self.occupancy


def find_hits(codes: np.ndarray) -> Hits:
    """Every hit of every motif of :data:`MOTIFS` in ``codes``."""
    lengths = {len(m.consensus) for m in MOTIFS}
    indexes = {k: kmer_index(codes, k) for k in lengths}
    parts = [scan(codes, m, indexes[len(m.consensus)]) for m in MOTIFS]
    starts = np.concatenate([p[0] for p in parts])
    strands = np.concatenate([p[1] for p in parts])
    which = np.concatenate([np.full(len(p[0]), i, np.int16) for i, p in enumerate(parts)])
    order = np.argsort(starts, kind="stable")
    return Hits(starts[order], strands[order], which[order])


def pwm(motif: Motif) -> np.ndarray:
    """``(len, 5)`` log-odds against uniform bases (column 4, N: the worst score)."""
    allowed = motif.allowed
    counts = allowed.sum(1, keepdims=True)
    p = np.where(allowed, MATCH_PROBABILITY / counts, (1 - MATCH_PROBABILITY) / (4 - counts))
    scores = np.log(p / 0.25)
    return np.hstack([scores, scores.min(1, keepdims=True)])


def occupancy(codes: np.ndarray, motif: Motif) -> tuple[np.ndarray, np.ndarray]:
    """``(forward, reverse)`` occupancy of each window start, ``(L - len + 1,)`` each."""
    table = pwm(motif)
    k, n = len(table), len(codes) - len(table) + 1
    if n <= 0:
        return np.zeros(0), np.zeros(0)
    best = table[:, :4].max(1).sum()
    forward, reverse = np.zeros(n), np.zeros(n)
    for j in range(k):
        window = codes[j : j + n]
        forward += table[j][window]
        reverse += table[k - 1 - j][COMPLEMENT[window]]
    squash = lambda s: 1 / (1 + np.exp(-(s - best + OCCUPANCY_OFFSET)))  # noqa: E731
    return squash(forward), squash(reverse)


def binding_sites(codes: np.ndarray) -> Hits:
    """Every window of every motif occupied at least :data:`MIN_OCCUPANCY`, either strand."""
    starts, strands, which, occupied = [], [], [], []
    for i, motif in enumerate(MOTIFS):
        for strand, values in zip((1, -1), occupancy(codes, motif)):
            keep = np.flatnonzero(values >= MIN_OCCUPANCY)
            starts.append(keep)
            strands.append(np.full(len(keep), strand, np.int8))
            which.append(np.full(len(keep), i, np.int16))
            occupied.append(values[keep])
    start = np.concatenate(starts)
    order = np.argsort(start, kind="stable")
    return Hits(
        start[order],
        np.concatenate(strands)[order],
        np.concatenate(which)[order],
        np.concatenate(occupied)[order],
    )
