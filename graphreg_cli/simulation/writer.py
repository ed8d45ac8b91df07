"""Write a simulated :class:`~graphreg_cli.simulation.Dataset` as a folder IGV opens directly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from graphreg_cli import __version__
from graphreg_cli.data.inputs import MANIFEST
from graphreg_cli.errors import SettingError
from graphreg_cli.io.atomic import atomic_text, check_writable, make_folder
from graphreg_cli.io.bed import write_bed
from graphreg_cli.io.bedpe import write_bedpe
from graphreg_cli.io.bigwig import write_bigwig
from graphreg_cli.io.chromsizes import write_chromsizes
from graphreg_cli.io.fasta import write_n_genome
from graphreg_cli.io.igv import IgvTrack, igv_locus, write_igv_session
from graphreg_cli.io.schemas import BEDPE_COLUMNS
from graphreg_cli.simulation.generator import Dataset
from graphreg_cli.simulation.histone import MARK_COLORS, MARK_FILES, MARK_LABELS
from graphreg_cli.simulation.params import SimulationParams

FILES = {
    "chrom_sizes": "chrom.sizes",
    "genome": "genome.fa.gz",
    "dnase": "dnase.bw",
    "cage": "cage.bw",
    "contacts": "contacts.bedpe",
    "genes": "genes.bed",
    "regulators": "regulators.bed",
    "links": "links.bedpe",
    "igv_session": "igv_session.xml",
    "manifest": MANIFEST,
}
ENHANCER_RGB = "0,150,0"
SILENCER_RGB = "200,0,0"
INACTIVE_RGB = "150,150,150"


def gene_name(chrom: str, b: int) -> str:
    return f"{chrom}_gene{b}"


def regulator_name(chrom: str, b: int, kind: str) -> str:
    return f"{chrom}_{kind}{b}"


def _end(b: int, size: int, length: int) -> int:
    """End of bin ``b``: the chromosome's end for a last, partial bin."""
    return min((b + 1) * size, length)


def genes_frame(data: Dataset) -> pd.DataFrame:
    """Genes as BED6: one bin each, named ``chrN_gene<bin>``."""
    size = data.params.bin_size
    parts = []
    for c in data.chromosomes:
        bins = c.gene_bins
        ends = np.minimum((bins + 1) * size, c.length)
        frame = pd.DataFrame({"chrom": c.name, "start": bins * size, "end": ends})
        frame["name"] = [gene_name(c.name, b) for b in c.gene_bins]
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    out["score"], out["strand"] = 0, "+"
    return out


def regulators_frame(data: Dataset) -> pd.DataFrame:
    """Enhancers, silencers and inactive decoy partners as BED9, by position (itemRgb: green
    enhancers, red silencers, grey inactive elements)."""
    size = data.params.bin_size
    rows = []
    for c in data.chromosomes:
        elements = [(b, "enhancer", ENHANCER_RGB) for b in c.enhancer_bins.tolist()]
        elements += [(b, "silencer", SILENCER_RGB) for b in c.silencer_bins.tolist()]
        elements += [(b, "inactive", INACTIVE_RGB) for b in c.inactive_bins.tolist()]
        for b, kind, rgb in sorted(elements):
            start, end = b * size, _end(b, size, c.length)
            rows.append(
                (c.name, start, end, regulator_name(c.name, b, kind), 0, ".", start, end, rgb)
            )
    columns = ["chrom", "start", "end", "name", "score", "strand", "extra1", "extra2", "extra3"]
    return pd.DataFrame(rows, columns=columns)


def contacts_frame(data: Dataset) -> pd.DataFrame:
    """Every contact (true links and decoys alike, undistinguished) as BEDPE, sorted; the
    score is the simulated count when the dataset has decoys, else 1."""
    size = data.params.bin_size
    rows = []
    for c in data.chromosomes:
        n = c.length
        scores = c.contact_scores if c.contact_scores is not None else np.ones(len(c.contacts))
        for (a, b), score in sorted(zip(map(tuple, c.contacts.tolist()), scores.tolist())):
            rows.append(
                (c.name, a * size, _end(a, size, n), c.name, b * size, _end(b, size, n), score)
            )
    columns = ["chrom1", "start1", "end1", "chrom2", "start2", "end2", "score"]
    frame = pd.DataFrame(rows, columns=columns)
    frame.insert(6, "name", ".")
    frame["score"] = frame["score"].round().astype(np.int64)
    return frame


def links_frame(data: Dataset) -> pd.DataFrame:
    """True regulator→gene links: regulator anchor first, score = sign (+1 / -1), kind."""
    size = data.params.bin_size
    rows = []
    for c in data.chromosomes:
        for reg, gene, sign in c.links.tolist():
            kind = "enhancer" if sign > 0 else "silencer"
            name = f"{regulator_name(c.name, reg, kind)}->{gene_name(c.name, gene)}"
            rows.append(
                (
                    c.name,
                    reg * size,
                    _end(reg, size, c.length),
                    c.name,
                    gene * size,
                    _end(gene, size, c.length),
                    name,
                    sign,
                    ".",
                    ".",
                    kind,
                )
            )
    columns = [*BEDPE_COLUMNS, "extra1"]
    return pd.DataFrame(rows, columns=columns)


def manifest(data: Dataset) -> dict:
    """Everything needed to reproduce and to read the dataset: ``dataset.json``."""
    split = data.split_of()
    p = data.params
    out = {
        "created_by": "graphreg simulate",
        "graphreg_version": __version__,
        "seed": p.seed,
        "bin_size": p.bin_size,
        "input_bin_size": p.dnase_bin_size,
        "genome": p.genome or None,
        "parameters": p.to_json(),
        "chromosome_sizes": data.sizes,
        "split": {
            part: [c for c, s in split.items() if s == part] for part in ("train", "val", "test")
        },
        "files": {k: v for k, v in FILES.items() if k != "manifest"},
        "counts": {
            "genes": int(sum(len(c.gene_bins) for c in data.chromosomes)),
            "enhancers": int(sum(len(c.enhancer_bins) for c in data.chromosomes)),
            "silencers": int(sum(len(c.silencer_bins) for c in data.chromosomes)),
            "links": int(sum(len(c.links) for c in data.chromosomes)),
            "contacts": int(sum(len(c.contacts) for c in data.chromosomes)),
            "decoy_contacts": int(sum(c.n_decoys for c in data.chromosomes)),
        },
    }
    # only with the options, so that a dataset without them is the file it always was
    if getattr(p, "decoy_partners", "regulators") == "inactive":
        inactive = sum(len(c.inactive_bins) for c in data.chromosomes)
        out["counts"]["inactive_elements"] = int(inactive)
    if isinstance(p, SimulationParams) and p.histone:  # --sequence lists its own tracks
        out["files"]["epigenome"] = [track_file(t) for t in p.tracks]
    return out


def track_file(track: str) -> str:
    """The file of input track ``track`` (``dnase``, ``h3k27ac``, ``h3k27me3``)."""
    return FILES.get(track) or MARK_FILES[track]


def file_count(params: SimulationParams) -> int:
    """How many files :func:`write_dataset` writes (``step`` calls)."""
    return len(FILES) + len(params.tracks) - 1


def session_tracks(folder: Path, marks=(), inactive: bool = False) -> list[IgvTrack]:
    """The dataset's tracks in display order with names and colours; the histone ``marks``
    (``h3k27ac``, ``h3k27me3``) below DNase."""
    elements = "Enhancers / silencers" + (" / inactive" if inactive else "")
    return [
        IgvTrack(folder / FILES["dnase"], "DNase-seq (input)", color="31,119,180"),
        *(IgvTrack(folder / MARK_FILES[m], MARK_LABELS[m], color=MARK_COLORS[m]) for m in marks),
        IgvTrack(folder / FILES["cage"], "CAGE-seq (target)", color="214,39,40"),
        IgvTrack(folder / FILES["genes"], "Genes", color="0,0,0"),
        IgvTrack(folder / FILES["regulators"], elements, color="0,150,0"),
        IgvTrack(folder / FILES["contacts"], "Contacts (BEDPE)", color="120,60,160"),
        IgvTrack(folder / FILES["links"], "True links (regulator->gene)", color="0,150,0"),
    ]


def _values(c, track: str, fine: bool = False):
    """Chromosome ``c``'s values of ``track`` (``dnase``, ``cage`` or a histone mark), at the
    DNase resolution when ``fine``."""
    if track in MARK_FILES:
        return (c.marks_fine if fine else c.marks)[track]
    return c.dnase_fine if fine else getattr(c, track)


def check_out(out: str | Path) -> Path:
    """SettingError when ``out`` cannot take a dataset (a file is there); OutputError when it
    cannot be written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SettingError("{out}: exists and is not a folder; choose another", out=out)
    check_writable(out / MANIFEST)
    return out


def write_dataset(data: Dataset, out: str | Path, step=None) -> list[Path]:
    """Write every file of the dataset into ``out``; ``step(name)`` is called per file.

    Each file is written atomically, so an interrupted run never leaves a partial file.
    Returns the paths written, in order.
    """
    out = check_out(out)
    make_folder(out)
    p = data.params
    sizes = data.sizes
    written: list[Path] = []

    def done(key: str) -> Path:
        path = out / track_file(key)
        written.append(path)
        if step:
            step(path.name)
        return path

    write_chromsizes(sizes, out / FILES["chrom_sizes"])
    done("chrom_sizes")
    write_n_genome(sizes, out / FILES["genome"])
    done("genome")
    for key in (*p.tracks, "cage"):
        if key != "cage" and p.dnase_bin_size < p.bin_size:
            fine = {c.name: _values(c, key, fine=True) for c in data.chromosomes}
            write_bigwig(out / track_file(key), sizes, fine, p.dnase_bin_size, gaps=True)
        else:
            tracks = {c.name: _values(c, key) for c in data.chromosomes}
            write_bigwig(out / track_file(key), sizes, tracks, p.bin_size)
        done(key)
    write_bedpe(contacts_frame(data), out / FILES["contacts"])
    done("contacts")
    write_bed(genes_frame(data), out / FILES["genes"])
    done("genes")
    write_bed(regulators_frame(data), out / FILES["regulators"])
    done("regulators")
    write_bedpe(links_frame(data), out / FILES["links"])
    done("links")
    first = data.chromosomes[0].name
    locus = igv_locus(first, sizes[first], p.bin_size)
    shown = session_tracks(out, p.tracks[1:], p.decoy_partners == "inactive")
    write_igv_session(out / FILES["igv_session"], out / FILES["genome"], shown, locus)
    done("igv_session")
    with atomic_text(out / FILES["manifest"]) as handle:
        json.dump(manifest(data), handle, indent=2)
        handle.write("\n")
    done("manifest")
    return written
