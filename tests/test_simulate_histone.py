"""graphreg simulate (Epi) --histone and --decoy-partners inactive: the tracks, the inactive
decoy partners, and that neither moves what the same seed gives without them."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyBigWig
import pytest
from typer.testing import CliRunner

from graphreg_cli import api
from graphreg_cli.cli import app
from graphreg_cli.errors import GraphregError
from graphreg_cli.io.bed import read_bed
from graphreg_cli.io.bedpe import read_bedpe
from graphreg_cli.io.bigwig import read_bigwig
from graphreg_cli.simulation.params import SimulationParams

runner = CliRunner()
TINY = dict(chromosomes=3, bins=200, split=(1, 1, 1), genes=5, regulators=10, silencers=4)
CENTRE = 0.199  # a peak's centre bin holds at least its +1 smoothed over 5 bins: 0.2
NOISE = 0.5  # --dnase-noise: the most noise alone puts on a bin


def _digest(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def _isolated(bins: np.ndarray, others: np.ndarray, apart: int = 6) -> np.ndarray:
    """``bins`` with none of ``others`` within ``apart - 1`` bins: out of reach of their
    peaks (3 bins each side) smoothed over 5 bins (2 each side)."""
    if not len(others):
        return bins
    return np.array([b for b in bins if np.abs(others - b).min() >= apart], dtype=np.int64)


def _values(folder, name: str, chrom: str, bins: np.ndarray) -> np.ndarray:
    return read_bigwig(folder / name, 5000)[chrom][bins]


def test_h3k27ac_marks_genes_and_enhancers_and_h3k27me3_silencers(tmp_path):
    data = api.simulate(**TINY, histone=True, seed=2)
    data.write(tmp_path)
    active_seen = repressed_seen = 0
    for c in data.chromosomes:
        active = np.sort(np.concatenate([c.gene_bins, c.enhancer_bins]))
        ac = _values(tmp_path, "h3k27ac.bw", c.name, np.arange(200))
        me3 = _values(tmp_path, "h3k27me3.bw", c.name, np.arange(200))
        np.testing.assert_array_equal(ac, c.marks["h3k27ac"])
        np.testing.assert_array_equal(me3, c.marks["h3k27me3"])
        assert (ac[active] > 0).all() and (me3[c.silencer_bins] > 0).all()
        quiet_silencers = _isolated(c.silencer_bins, active)
        quiet_active = _isolated(active, c.silencer_bins)
        assert (ac[quiet_silencers] < NOISE).all()  # background: noise at most
        assert (me3[quiet_active] < NOISE).all()
        active_seen += len(quiet_active)
        repressed_seen += len(quiet_silencers)
        # as strong as their elements (H3K27ac scales with activity), but not DNase's copy
        assert not np.allclose(ac[active], c.dnase[active], rtol=0.05)
        strength = np.r_[c.dnase[active], c.dnase[c.silencer_bins]]
        height = np.r_[ac[active], me3[c.silencer_bins]]
        assert np.corrcoef(strength, height)[0, 1] > 0.5
    assert active_seen > 10 and repressed_seen > 3
    marks = [
        np.concatenate([c.marks[m] for c in data.chromosomes]) for m in ("h3k27ac", "h3k27me3")
    ]
    silencers = np.concatenate([c.marks["h3k27ac"][c.silencer_bins] for c in data.chromosomes])
    active = np.concatenate(
        [c.marks["h3k27ac"][np.r_[c.gene_bins, c.enhancer_bins]] for c in data.chromosomes]
    )
    assert active.mean() > 3 * silencers.mean()
    assert all(m.min() >= 0 for m in marks)


def test_histone_leaves_every_other_file_unchanged(tmp_path):
    """The marks come from a stream of their own: DNase (coarse and fine), CAGE, contacts
    are what the same seed gives without --histone, byte for byte."""
    for fine in (None, 500):
        plain, marked = tmp_path / f"plain{fine}", tmp_path / f"marked{fine}"
        common = dict(**TINY, decoy_contacts=3, input_bin_size=fine, seed=4)
        api.simulate(**common).write(plain)
        with_marks = api.simulate(**common, histone=True)
        with_marks.write(marked)
        a, b = _digest(plain), _digest(marked)
        assert set(b) - set(a) == {"h3k27ac.bw", "h3k27me3.bw"}
        assert {k for k in a if a[k] != b[k]} == {"dataset.json", "igv_session.xml"}
        if fine is None:  # DNase read back is the marked run's, exactly
            dnase = read_bigwig(plain / "dnase.bw", 5000)
            for c in with_marks.chromosomes:
                np.testing.assert_array_equal(dnase[c.name], c.dnase)
        manifest = json.loads((marked / "dataset.json").read_text())
        assert manifest["files"]["epigenome"] == ["dnase.bw", "h3k27ac.bw", "h3k27me3.bw"]
        assert manifest["parameters"]["histone"] is True
        session = (marked / "igv_session.xml").read_text()
        assert 'path="h3k27ac.bw"' in session and 'path="h3k27me3.bw"' in session
    # without the options, dataset.json is what it always was
    plain = json.loads((tmp_path / "plainNone" / "dataset.json").read_text())
    assert "epigenome" not in plain["files"] and "inactive_elements" not in plain["counts"]
    assert "histone" not in plain["parameters"] and "decoy_partners" not in plain["parameters"]


def test_fine_marks_keep_each_bin_mean_and_are_read_as_input_tracks(tmp_path):
    from graphreg_cli.data.inputs import Inputs

    data = api.simulate(**TINY, histone=True, input_bin_size=500, seed=6)
    data.write(tmp_path)
    for mark in ("h3k27ac", "h3k27me3"):
        means = read_bigwig(tmp_path / f"{mark}.bw", 5000)
        for c in data.chromosomes:
            np.testing.assert_allclose(means[c.name], c.marks[mark], rtol=1e-5, atol=1e-7)
        with pyBigWig.open(str(tmp_path / f"{mark}.bw")) as handle:
            assert {end - start for start, end, _ in handle.intervals("chr1")} == {500}
    inputs = Inputs.from_folder(tmp_path)
    assert [t.name for t in inputs.tracks] == ["dnase.bw", "h3k27ac.bw", "h3k27me3.bw"]
    assert inputs.input_bin_size == 500


def test_inactive_decoy_partners_are_open_unmarked_and_regulate_nothing(tmp_path):
    common = dict(**TINY, decoy_contacts=6, max_link_distance=100_000, seed=8)  # 20 bins
    plain = api.simulate(**common, histone=True)
    data = api.simulate(**common, histone=True, decoy_partners="inactive")
    data.write(tmp_path)
    regulators = read_bed(tmp_path / "regulators.bed")
    links = read_bedpe(tmp_path / "links.bedpe")
    assert not links["name"].str.contains("inactive").any()
    for c, p in zip(data.chromosomes, plain.chromosomes):
        inactive = c.inactive_bins
        elements = np.r_[c.gene_bins, c.enhancer_bins, c.silencer_bins]
        assert len(inactive) == c.n_decoys == 6 and len(set(inactive.tolist())) == 6
        assert not set(inactive.tolist()) & set(elements.tolist())
        # the truth, CAGE and every element are those of regulator decoys
        for name in ("gene_bins", "enhancer_bins", "silencer_bins", "links", "cage"):
            np.testing.assert_array_equal(getattr(c, name), getattr(p, name))
        np.testing.assert_array_equal(c.contact_scores, p.contact_scores)
        np.testing.assert_array_equal(c.marks["h3k27ac"], p.marks["h3k27ac"])
        n_true = len(c.contacts) - c.n_decoys
        np.testing.assert_array_equal(c.contacts[:n_true], p.contacts[:n_true])
        genes = set(c.gene_bins.tolist())
        partners = []
        for a, b in c.contacts[n_true:].tolist():
            gene, other = (a, b) if a in genes else (b, a)
            assert gene in genes and abs(other - gene) <= 20
            partners.append(other)
        assert sorted(partners) == inactive.tolist()  # one decoy each
        assert not np.isin(c.links[:, :2], inactive).any()  # in no true link
        # a DNase peak drawn as an enhancer's: at least the +1 at its centre, smoothed
        assert ((c.dnase - p.dnase)[inactive] >= CENTRE).all()
        assert ((c.dnase - p.dnase) >= -1e-6).all()
        # no histone mark of its own: only what a nearby element spills, or noise
        quiet = _isolated(inactive, elements)
        assert len(quiet)
        assert (c.marks["h3k27ac"][quiet] < NOISE).all()
        assert (c.marks["h3k27me3"][quiet] < NOISE).all()
        named = regulators[(regulators["chrom"] == c.name)]
        names = {f"{c.name}_inactive{b}" for b in inactive.tolist()}
        assert names <= set(named["name"])
    manifest = json.loads((tmp_path / "dataset.json").read_text())
    assert manifest["counts"]["inactive_elements"] == 18
    assert manifest["parameters"]["decoy_partners"] == "inactive"


def _gaps(bins: np.ndarray, elements: np.ndarray) -> np.ndarray:
    """Each of ``bins``' distance to the nearest of ``elements``, in bins."""
    return np.abs(bins[:, None] - elements[None, :]).min(1)


def test_decoy_spacing_keeps_inactive_peaks_off_every_element(tmp_path):
    common = dict(**TINY, decoy_contacts=6, max_link_distance=100_000, seed=8, histone=True)
    near = api.simulate(**common, decoy_partners="inactive")
    apart = api.simulate(**common, decoy_partners="inactive", decoy_spacing=4)
    apart.write(tmp_path)
    gaps = []
    for c, p in zip(apart.chromosomes, near.chromosomes):
        elements = np.r_[c.gene_bins, c.enhancer_bins, c.silencer_bins]
        assert (_gaps(c.inactive_bins, elements) > 4).all() and len(c.inactive_bins) == 6
        gaps.append(_gaps(p.inactive_bins, elements).min())
        # only the inactive elements move: the truth, CAGE and the true contacts stay
        for name in ("gene_bins", "enhancer_bins", "silencer_bins", "links", "cage"):
            np.testing.assert_array_equal(getattr(c, name), getattr(p, name))
        n_true = len(c.contacts) - c.n_decoys
        np.testing.assert_array_equal(c.contacts[:n_true], p.contacts[:n_true])
        np.testing.assert_array_equal(c.contact_scores, p.contact_scores)
    assert min(gaps) <= 2  # without spacing, this seed puts one within a regulator's peak
    assert json.loads((tmp_path / "dataset.json").read_text())["parameters"]["decoy_spacing"] == 4
    assert "decoy_spacing" not in near.params.to_json()


ARGS = ["simulate", "--chromosomes", "3", "--bins", "200", "--split", "1,1,1", "--genes", "5"]
ARGS += ["--regulators", "10", "--silencers", "4", "--decoy-contacts", "4"]
ARGS += ["--histone", "--decoy-partners", "inactive", "--input-bin-size", "1000"]


def test_same_seed_same_files_with_the_new_options(tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        result = runner.invoke(app, [*ARGS, "--seed", seed, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    a, b, c = (_digest(tmp_path / n) for n in "abc")
    assert a == b
    assert {"h3k27ac.bw", "h3k27me3.bw"} <= set(a)
    assert a["h3k27ac.bw"] != c["h3k27ac.bw"] and a["contacts.bedpe"] != c["contacts.bedpe"]


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--decoy-partners", "inactive"],
            "--decoy-partners inactive joins each decoy contact to an inactive element, but "
            "--decoy-contacts 0 asks for none; give a positive count",
        ),
        (
            ["--bins", "50", "--decoy-contacts", "20", "--decoy-partners", "inactive"],
            "--genes 20 + --regulators 20 + --decoy-contacts 20 do not fit on 50 bins",
        ),
        (["--decoy-partners", "others"], "'others' is not one of 'regulators', 'inactive'"),
        (
            ["--decoy-contacts", "4", "--decoy-spacing", "2"],
            "--decoy-spacing 2 keeps inactive decoy partners away from genes and regulators, "
            "but --decoy-partners regulators joins decoys to regulators; add --decoy-partners "
            "inactive",
        ),
        (["--decoy-spacing", "-1"], "--decoy-spacing': Input should be greater than or equal to 0"),
        (
            ["--sequence", "--decoy-contacts", "2", "--decoy-partners", "inactive"],
            "--decoy-partners has no meaning with --sequence",
        ),
    ],
)
def test_bad_options_are_one_line_usage_errors(tmp_path, args, message):
    out = tmp_path / "never"
    result = runner.invoke(app, ["simulate", "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_spacing_that_leaves_no_free_bin_is_a_one_line_error(tmp_path):
    out = tmp_path / "never"
    args = ["--bins", "50", "--decoy-contacts", "10", "--decoy-spacing", "10"]
    result = runner.invoke(app, [*ARGS, *args, "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "lower --decoy-contacts 10 or --decoy-spacing 10" in " ".join(result.output.split())
    assert "Traceback" not in result.output and not out.exists()


def test_histone_counts_toward_the_fine_value_limit(monkeypatch):
    from graphreg_cli.simulation import params as params_module

    monkeypatch.setattr(params_module, "MAX_FINE_VALUES", 20_000)
    small = dict(chromosomes=3, bins=100, split=(1, 1, 1), genes=2, regulators=4)
    SimulationParams(**small, input_bin_size=100).check()  # 15,000 DNase values
    with pytest.raises(GraphregError) as info:
        SimulationParams(**small, input_bin_size=100, histone=True).check()
    assert "--input-bin-size 100 with --histone makes 45,000 values" in info.value.cli_message()
    assert "drop --histone" in info.value.cli_message()
