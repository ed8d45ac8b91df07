"""Write a :class:`~graphreg_cli.simulation.sequence.SequenceDataset` as a folder: the genome
FASTA, epigenome and CAGE bigWigs, contacts, genes, motif hits, variants and an IGV session."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from graphreg_cli.data.dna import decode
from graphreg_cli.data.inputs import MANIFEST
from graphreg_cli.errors import SettingError
from graphreg_cli.io.atomic import atomic_text
from graphreg_cli.io.bed import write_bed
from graphreg_cli.io.bedpe import write_bedpe
from graphreg_cli.io.bigwig import write_bigwig
from graphreg_cli.io.chromsizes import write_chromsizes
from graphreg_cli.io.fasta import write_fasta
from graphreg_cli.io.igv import IgvTrack, igv_locus, write_igv_session
from graphreg_cli.io.vcf import write_vcf
from graphreg_cli.simulation.motifs import MOTIFS
from graphreg_cli.simulation.writer import (
    contacts_frame,
    genes_frame,
    links_frame,
    manifest,
    regulators_frame,
)
from graphreg_cli.simulation.writer import session_tracks as epi_session_tracks

FILES = {
    "chrom_sizes": "chrom.sizes",
    "genome": "genome.fa",
    "dnase": "dnase.bw",
    "h3k27ac": "h3k27ac.bw",
    "h3k4me3": "h3k4me3.bw",
    "h3k27me3": "h3k27me3.bw",
    "cage": "cage.bw",
    "contacts": "contacts.bedpe",
    "genes": "genes.bed",
    "regulators": "regulators.bed",
    "links": "links.bedpe",
    "motifs": "motifs.bed",
    "variants": "variants.vcf",
    "igv_session": "igv_session.xml",
}
TRACK_LABELS = {
    "dnase": "DNase-seq",
    "h3k27ac": "H3K27ac",
    "h3k4me3": "H3K4me3",
    "h3k27me3": "H3K27me3",
}
PLANTED_SCORE, BACKGROUND_SCORE = 1000, 300


def motifs_frame(data) -> pd.DataFrame:
    """Every motif hit as BED6: name = motif, score 1000 planted / 300 background, strand."""
    parts = []
    for c in data.chromosomes:
        planted = {(i.start, i.motif) for i in c.instances}
        h = c.hits
        lengths = [len(MOTIFS[m].consensus) for m in h.motif]
        parts.append(
            pd.DataFrame(
                {
                    "chrom": c.name,
                    "start": h.start,
                    "end": h.start + lengths,
                    "name": [MOTIFS[m].name for m in h.motif],
                    "score": [
                        PLANTED_SCORE if (int(s), int(m)) in planted else BACKGROUND_SCORE
                        for s, m in zip(h.start, h.motif)
                    ],
                    "strand": ["+" if s > 0 else "-" for s in h.strand],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def variants_frame(data) -> pd.DataFrame:
    """The simulated SNVs with their truth, as :func:`~graphreg_cli.io.vcf.write_vcf` takes."""
    rows = [
        {
            "chrom": v.chrom,
            "pos": v.pos,
            "id": f"{v.chrom}_{v.pos + 1}_{decode([v.ref])}_{decode([v.alt])}",
            "ref": decode([v.ref]),
            "alt": decode([v.alt]),
            "kind": v.kind,
            "motif": v.motif,
            "sign": v.sign,
            "effect": v.effect,
            "gene": v.gene,
        }
        for v in data.variants
    ]
    columns = ["chrom", "pos", "id", "ref", "alt", "kind", "motif", "sign", "effect", "gene"]
    return pd.DataFrame(rows, columns=columns)


def sequence_manifest(data) -> dict:
    """``dataset.json``: the Epi manifest's fields, the files of this folder, the epigenome
    tracks in order (``epigenome``) and ``sequence: true``."""
    out = manifest(data)
    tracks = list(data.params.tracks)
    out["files"] = {k: v for k, v in FILES.items() if k not in ("h3k27ac", "h3k4me3", "h3k27me3")}
    out["files"]["epigenome"] = [FILES[t] for t in tracks]
    out["sequence"] = True
    out["counts"]["variants"] = len(data.variants)
    out["counts"]["effect_variants"] = sum(v.sign != 0 for v in data.variants)
    out["counts"]["motif_hits"] = sum(len(c.hits) for c in data.chromosomes)
    return out


def session_tracks(folder: Path, tracks: list[str]) -> list[IgvTrack]:
    """The Epi dataset's session tracks with every epigenome track for DNase, and the motif
    hits after the elements."""
    _, cage, genes, regulators, *arcs = epi_session_tracks(folder)
    shown = [IgvTrack(folder / FILES[t], TRACK_LABELS[t], color="31,119,180") for t in tracks]
    motifs = IgvTrack(folder / FILES["motifs"], "Motif hits", color="120,60,0")
    return [*shown, cage, genes, regulators, motifs, *arcs]


def file_count(params) -> int:
    """How many files :func:`write_sequence_dataset` writes (``step`` calls)."""
    return len(FILES) - 3 + len(params.tracks) + 1  # the tracks asked for, and dataset.json


def write_sequence_dataset(data, out: str | Path, step=None) -> list[Path]:
    """Write every file of a sequence dataset into ``out`` (each atomically);
    ``step(name)`` is called per file. Returns the paths written, in order."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SettingError("{out}: exists and is not a folder; choose another", out=out)
    out.mkdir(parents=True, exist_ok=True)
    p, sizes, written = data.params, data.sizes, []

    def done(key: str) -> None:
        written.append(out / FILES[key])
        if step:
            step(FILES[key])

    write_chromsizes(sizes, out / FILES["chrom_sizes"])
    done("chrom_sizes")
    write_fasta({c.name: c.sequence for c in data.chromosomes}, out / FILES["genome"])
    done("genome")
    for track in p.tracks:
        values = {c.name: c.tracks[track] for c in data.chromosomes}
        write_bigwig(out / FILES[track], sizes, values, p.input_bin_size)
        done(track)
    write_bigwig(out / FILES["cage"], sizes, {c.name: c.cage for c in data.chromosomes}, p.bin_size)
    done("cage")
    for key, frame, writer in (
        ("contacts", contacts_frame(data), write_bedpe),
        ("genes", genes_frame(data), write_bed),
        ("regulators", regulators_frame(data), write_bed),
        ("links", links_frame(data), write_bedpe),
        ("motifs", motifs_frame(data), write_bed),
    ):
        writer(frame, out / FILES[key])
        done(key)
    write_vcf(
        variants_frame(data),
        sizes,
        out / FILES["variants"],
        "graphreg simulate --sequence",
        FILES["genome"],
    )
    done("variants")
    first = data.chromosomes[0].name
    locus = igv_locus(first, sizes[first], p.bin_size)
    write_igv_session(
        out / FILES["igv_session"],
        out / FILES["genome"],
        session_tracks(out, list(p.tracks)),
        locus,
    )
    done("igv_session")
    with atomic_text(out / MANIFEST) as handle:
        json.dump(sequence_manifest(data), handle, indent=2)
        handle.write("\n")
    written.append(out / MANIFEST)
    if step:
        step(MANIFEST)
    return written
