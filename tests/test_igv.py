"""IGV session XML: parsed back with ElementTree (IGV itself is not needed)."""

from __future__ import annotations

import contextlib
import os
import xml.etree.ElementTree as ET

import pytest

import graphreg_cli.io.igv as igv
from graphreg_cli.errors import OutputError
from graphreg_cli.io.igv import IgvTrack, write_igv_session

LOCUS = "chr1:1-2000000"


def _touch(*paths):
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x\n")


def _tracks(folder):
    return [
        IgvTrack(folder / "dnase.bw", "DNase", color="0,120,0", height=60),
        IgvTrack(folder / "tracks" / "cage.bw", "CAGE", color="200,0,0", autoscale=False),
        IgvTrack(folder / "genes.bed", "Genes"),
        IgvTrack(folder / "contacts.bedpe", "Contacts", color="120,0,160", height=200),
    ]


def _read(path):
    root = ET.parse(path).getroot()
    resources = root.findall("./Resources/Resource")
    tracks = root.findall("./Panel/Track")
    return root, resources, tracks


def test_session_paths_relative_and_ids_match(tmp_path):
    _touch(tmp_path / "genome.fa.gz")
    write_igv_session(tmp_path / "igv.xml", tmp_path / "genome.fa.gz", _tracks(tmp_path), LOCUS)
    root, resources, tracks = _read(tmp_path / "igv.xml")
    assert root.tag == "Session"
    assert root.get("genome") == "genome.fa.gz"
    assert root.get("locus") == LOCUS
    paths = [r.get("path") for r in resources]
    assert paths == ["dnase.bw", "tracks/cage.bw", "genes.bed", "contacts.bedpe"]
    assert [r.get("type") for r in resources] == ["bw", "bw", "bed", "bedpe"]
    # IGV applies a <Track>'s options only when its id matches its Resource.
    assert [t.get("id") for t in tracks] == paths


def test_track_names_colours_and_options(tmp_path):
    write_igv_session(tmp_path / "igv.xml", tmp_path / "g.fa.gz", _tracks(tmp_path), LOCUS)
    _, resources, tracks = _read(tmp_path / "igv.xml")
    assert [t.get("name") for t in tracks] == ["DNase", "CAGE", "Genes", "Contacts"]
    assert [r.get("name") for r in resources] == ["DNase", "CAGE", "Genes", "Contacts"]
    assert [t.get("color") for t in tracks] == ["0,120,0", "200,0,0", "0,0,178", "120,0,160"]
    dnase, cage, genes, contacts = tracks
    assert dnase.get("height") == "60" and genes.get("height") is None
    assert dnase.get("renderer") == "BAR_CHART" and dnase.get("autoScale") == "true"
    assert cage.get("autoScale") == "false"
    assert genes.get("displayMode") == "EXPANDED"
    assert contacts.get("graphType") == "NESTED_ARC" and contacts.get("height") == "200"


def test_paths_outside_folder_are_absolute(tmp_path):
    outside = tmp_path / "data"
    session = tmp_path / "views" / "igv.xml"
    tracks = [IgvTrack(outside / "dnase.bw", "DNase"), IgvTrack("https://x.org/a.bw", "Remote")]
    write_igv_session(session, outside / "genome.fa.gz", tracks, LOCUS)
    root, resources, tracks_xml = _read(session)
    assert root.get("genome") == str((outside / "genome.fa.gz").resolve())
    assert resources[0].get("path") == str((outside / "dnase.bw").resolve())
    assert resources[1].get("path") == "https://x.org/a.bw"
    assert [t.get("id") for t in tracks_xml] == [r.get("path") for r in resources]


def test_relative_inputs_and_symlinks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _touch(tmp_path / "store" / "real.bw")
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path / "store" / "real.bw", tmp_path / "out" / "link.bw")
    tracks = [IgvTrack("out/link.bw", "Linked"), IgvTrack("out/sub/../genes.bed", "Genes")]
    write_igv_session("out/igv.xml", "out/genome.fa.gz", tracks, LOCUS)
    root, resources, _ = _read(tmp_path / "out" / "igv.xml")
    assert root.get("genome") == "genome.fa.gz"
    assert [r.get("path") for r in resources] == ["link.bw", "genes.bed"]


def test_xml_is_ascii_and_escaped(tmp_path):
    tracks = [IgvTrack(tmp_path / "a&b.bed", 'Gènes <"x">', color="1,2,3")]
    write_igv_session(tmp_path / "igv.xml", tmp_path / "g.fa.gz", tracks, LOCUS)
    (tmp_path / "igv.xml").read_bytes().decode("ascii")
    _, resources, tracks_xml = _read(tmp_path / "igv.xml")
    assert tracks_xml[0].get("name") == 'Gènes <"x">'
    assert resources[0].get("path") == "a&b.bed"


@pytest.mark.parametrize(
    "tracks",
    [
        [IgvTrack("a.bw", "A", color="red")],
        [IgvTrack("a.bw", "A", color="0,0,300")],
        [IgvTrack("a.bedpe", "A", arc_type="SPIRAL")],
        [IgvTrack("a.txt", "A", kind="vcf")],
        [IgvTrack("a.bw", "A"), IgvTrack("./a.bw", "B")],
    ],
)
def test_bad_tracks_raise_and_write_nothing(tmp_path, monkeypatch, tracks):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError):
        write_igv_session(tmp_path / "igv.xml", tmp_path / "g.fa.gz", tracks, LOCUS)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_no_file_and_keeps_old(tmp_path, monkeypatch):
    session = tmp_path / "igv.xml"
    real_atomic_text = igv.atomic_text

    @contextlib.contextmanager
    def failing_atomic_text(path):
        with real_atomic_text(path) as handle:
            handle.write("<Session")
            raise OSError("disk full")
            yield handle

    monkeypatch.setattr(igv, "atomic_text", failing_atomic_text)
    with pytest.raises(OutputError, match="igv.xml: disk full"):  # one line, named
        write_igv_session(session, tmp_path / "g.fa.gz", _tracks(tmp_path), LOCUS)
    assert list(tmp_path.iterdir()) == []

    session.write_text("old\n")
    with pytest.raises(OutputError):
        write_igv_session(session, tmp_path / "g.fa.gz", _tracks(tmp_path), LOCUS)
    assert list(tmp_path.iterdir()) == [session]
    assert session.read_text() == "old\n"


@pytest.mark.parametrize(
    "name, kind",
    [("a.bw", "bigwig"), ("a.bigWig", "bigwig"), ("a.BED", "bed"), ("a.bedpe.gz", "bedpe")],
)
def test_kind_from_suffix(name, kind):
    assert IgvTrack(name, "A").track_kind() == kind
    assert IgvTrack(name, "A", kind="bed").track_kind() == "bed"
