"""IGV desktop session files (XML) that show bigWig, BED and BEDPE tracks over an indexed FASTA.

How IGV 2.16 reads a session (``IGVSessionReader``, checked against IGV 2.16.0):

* a relative ``Resource path`` (and the ``genome`` attribute, when no such file exists relative
  to IGV's working directory) is resolved against the session file's folder, so a dataset folder
  holding its session can be moved or copied whole;
* each ``<Track id=...>`` is matched to the track its Resource made, by the track's id (the
  resolved path) or by the id itself resolved the same way. We write the id as the Resource
  path string verbatim, so they always match. An unmatched Track is ignored and, since the
  session has a Panel, the Resource's track is then silently dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from graphreg_cli.io.atomic import atomic_text

KINDS = {".bw": "bigwig", ".bigwig": "bigwig", ".bed": "bed", ".bedpe": "bedpe"}
RESOURCE_TYPES = {"bigwig": "bw", "bed": "bed", "bedpe": "bedpe"}
ARC_TYPES = ("NESTED_ARC", "PROPORTIONAL_ARC", "BLOCK")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_RGB = re.compile(r"^\d{1,3},\d{1,3},\d{1,3}$")


@dataclass(frozen=True)
class IgvTrack:
    """One track of an IGV session.

    ``kind`` (``"bigwig"``, ``"bed"`` or ``"bedpe"``) defaults from the file suffix. bigWig
    tracks draw as bar charts in ``color`` (``alt_color`` below zero), autoscaled unless
    ``autoscale`` is false; tracks sharing an ``autoscale_group`` number share one scale. BED
    tracks draw expanded. BEDPE tracks draw as arcs (``arc_type``: NESTED_ARC,
    PROPORTIONAL_ARC or BLOCK) pointing up, ``arc_thickness`` pixels wide.
    """

    path: str | Path
    name: str
    color: str = "0,0,178"
    height: int | None = None
    autoscale: bool = True
    alt_color: str | None = None
    autoscale_group: int | None = None
    kind: str | None = None
    arc_type: str = "NESTED_ARC"
    arc_thickness: int = 2

    def track_kind(self) -> str:
        """The track's kind: ``kind`` if set, else from the suffix, ``.gz`` ignored (else bed)."""
        name = Path(str(self.path)).name.lower().removesuffix(".gz")
        kind = self.kind or KINDS.get(Path(name).suffix, "bed")
        if kind not in RESOURCE_TYPES:
            raise ValueError(f"IGV track {self.name!r}: unknown kind {kind!r}")
        return kind


LOCUS_BINS = 400  # bins shown when a session opens


def igv_locus(chrom: str, size: int, bin_size: int) -> str:
    """The locus a session opens on: the first ``LOCUS_BINS`` bins of ``chrom``."""
    return f"{chrom}:1-{min(size, LOCUS_BINS * bin_size)}"


def session_path(path: str | Path, folder: Path) -> str:
    """``path`` as written in a session in ``folder``: relative when inside it, else absolute.

    URLs pass through. Folders are resolved (symlinks, ``..``) but the file name is kept, so a
    symlinked file inside ``folder`` stays relative.
    """
    text = str(path)
    if _URL.match(text):
        return text
    target = Path(text).absolute()
    target = target.parent.resolve() / target.name
    try:
        return target.relative_to(folder).as_posix()
    except ValueError:
        return str(target)


def _check_color(color: str, name: str) -> str:
    """``color`` if it is an ``R,G,B`` string with each value 0-255; else ValueError."""
    if not _RGB.match(color) or max(int(c) for c in color.split(",")) > 255:
        raise ValueError(f"IGV track {name!r}: colour {color!r} is not 'R,G,B' (0-255)")
    return color


def _track_element(track: IgvTrack, track_id: str) -> ET.Element:
    """The ``<Track>`` element carrying the display options for one resource."""
    kind = track.track_kind()
    attrs = {"id": track_id, "name": track.name, "visible": "true", "fontSize": "10"}
    attrs["color"] = _check_color(track.color, track.name)
    if track.height is not None:
        attrs["height"] = str(int(track.height))
    if kind == "bigwig":
        attrs.update(renderer="BAR_CHART", autoScale=str(track.autoscale).lower())
        attrs["windowFunction"] = "mean"
        if track.alt_color is not None:
            attrs["altColor"] = _check_color(track.alt_color, track.name)
        if track.autoscale_group is not None:
            attrs["autoscaleGroup"] = str(int(track.autoscale_group))
    elif kind == "bed":
        attrs["displayMode"] = "EXPANDED"
    else:
        if track.arc_type.upper() not in ARC_TYPES:
            raise ValueError(f"IGV track {track.name!r}: arc_type must be one of {ARC_TYPES}")
        attrs.update(graphType=track.arc_type.upper(), direction="UP", showBlocks="true")
        attrs.update(thickness=str(int(track.arc_thickness)), autoscale="true")
    return ET.Element("Track", attrs)


def build_igv_session(
    session_file: str | Path, genome: str | Path, tracks: list[IgvTrack], locus: str
) -> ET.Element:
    """The session's root element for a file at ``session_file`` (paths are made relative to it)."""
    folder = Path(session_file).absolute().parent.resolve()
    root = ET.Element("Session", genome=session_path(genome, folder), locus=locus, version="8")
    resources = ET.SubElement(root, "Resources")
    panel = ET.SubElement(root, "Panel", name="DataPanel")
    seen: set[str] = set()
    for track in tracks:
        path = session_path(track.path, folder)
        if path in seen:
            raise ValueError(f"IGV session: {path} is listed twice; IGV would merge the tracks")
        seen.add(path)
        kind = RESOURCE_TYPES[track.track_kind()]
        ET.SubElement(resources, "Resource", path=path, name=track.name, type=kind)
        panel.append(_track_element(track, path))
    hidden = ET.SubElement(root, "HiddenAttributes")  # IGV's defaults, plus the autoscale group
    for attribute in ("DATA FILE", "DATA TYPE", "NAME", "AUTOSCALE GROUP"):
        ET.SubElement(hidden, "Attribute", name=attribute)
    ET.indent(root, space="    ")
    return root


def write_igv_session(
    path: str | Path, genome: str | Path, tracks: list[IgvTrack], locus: str
) -> None:
    """Write an IGV session to ``path`` atomically.

    ``genome`` is an indexed FASTA (e.g. bgzip ``genome.fa.gz`` with ``.fai`` and ``.gzi``),
    ``locus`` an IGV locus such as ``chr1:1-2000000``. Files in ``path``'s folder or below are
    written relative to it; others absolute. Open with IGV: File > Open Session.
    """
    root = build_igv_session(path, genome, tracks, locus)
    # ASCII with character references: safe whatever the locale's encoding of the text handle.
    text = ET.tostring(root, encoding="us-ascii", xml_declaration=True).decode("ascii")
    with atomic_text(path) as handle:
        handle.write(text + "\n")
