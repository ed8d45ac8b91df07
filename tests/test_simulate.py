"""graphreg simulate: the study's generative model, its files, and its guard rails."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from graphreg_cli.cli import app
from graphreg_cli.errors import GraphregError
from graphreg_cli.io.bed import read_bed
from graphreg_cli.io.bedpe import read_bedpe
from graphreg_cli.io.bigwig import read_bigwig
from graphreg_cli.io.chromsizes import read_chromsizes
from graphreg_cli.simulation.generator import SimulationParams, simulate

runner = CliRunner()


def _stats(dnase: np.ndarray, cage: np.ndarray, contacts: int, genes: int) -> dict:
    return {
        "mean_dnase": float(dnase.mean()),
        "mean_cage": float(cage.mean()),
        "nonzero_cage": float((cage > 0).mean()),
        "contacts_per_gene": contacts / genes,
    }


def _seed_stats(folder) -> dict:
    dnase = np.concatenate(list(read_bigwig(folder / "dnase.bw", 5000).values()))
    cage = np.concatenate(list(read_bigwig(folder / "cage.bw", 5000).values()))
    contacts = len(read_bedpe(folder / "contacts.bedpe"))
    genes = len(read_bed(folder / "genes.bed"))
    return _stats(dnase, cage, contacts, genes)


@pytest.mark.parametrize(
    "variant, silencers, tolerance",
    # Averaged over 5 seeds: one draw of enhancer strengths moves mean CAGE by up to 10%
    # (more with silencers: 10 enhancers per chromosome, each shared by ~6 genes). The
    # silencer variant's mean CAGE runs ~15% below the study's file (docs/simulation.md).
    [("enhancers_only", 0, 0.05), ("enhancers_and_silencers", 10, 0.2)],
)
def test_default_statistics_match_the_study_dataset(seed_data, variant, silencers, tolerance):
    runs = []
    for seed in range(5):
        data = simulate(SimulationParams(silencers=silencers, seed=seed))
        dnase = np.concatenate([c.dnase for c in data.chromosomes])
        cage = np.concatenate([c.cage for c in data.chromosomes])
        contacts = sum(len(c.contacts) for c in data.chromosomes)
        genes = sum(len(c.gene_bins) for c in data.chromosomes)
        runs.append(_stats(dnase, cage, contacts, genes))
    ours = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
    seed = _seed_stats(seed_data / variant)
    assert ours["contacts_per_gene"] == seed["contacts_per_gene"]
    for key in ("mean_dnase", "mean_cage"):
        assert ours[key] == pytest.approx(seed[key], rel=tolerance), key
    assert ours["nonzero_cage"] == pytest.approx(seed["nonzero_cage"], abs=0.02)


def test_cage_is_the_sum_of_linked_regulator_dnase():
    params = SimulationParams(chromosomes=1, split=(1, 0, 0), noise_fraction=0.0, silencers=5)
    chrom = simulate(params).chromosomes[0]
    expected = np.zeros(params.bins)
    for reg, gene, sign in chrom.links:
        for o in range(-params.cage_window, params.cage_window + 1):
            if 0 <= gene + o < params.bins and 0 <= reg + o < params.bins:
                expected[gene + o] += sign * chrom.dnase[reg + o]
    np.testing.assert_allclose(chrom.cage, np.clip(expected, 0, None), rtol=1e-5, atol=1e-6)
    # without noise, CAGE is zero away from genes
    far = np.ones(params.bins, bool)
    for g in chrom.gene_bins:
        far[max(0, g - params.cage_window) : g + params.cage_window + 1] = False
    assert not chrom.cage[far].any()


def test_elements_links_and_silencer_signal():
    p = SimulationParams(chromosomes=2, split=(2, 0, 0), silencers=10, decoy_contacts=15)
    chrom = simulate(p).chromosomes[0]
    assert len(chrom.gene_bins) == 20 and len(chrom.enhancer_bins) == 10
    assert len(set(chrom.gene_bins) | set(chrom.enhancer_bins) | set(chrom.silencer_bins)) == 40
    per_gene = {g: (chrom.links[:, 1] == g).sum() for g in chrom.gene_bins}
    assert set(per_gene.values()) == {5}
    assert (chrom.links[:, 2] == -1).sum() == 40
    assert chrom.n_decoys == 15 and len(chrom.contacts) == 100 + 15
    assert len({tuple(c) for c in chrom.contacts.tolist()}) == 115
    linked = {tuple(sorted((r, g))) for r, g, _ in chrom.links.tolist()}
    assert not linked & {tuple(c) for c in chrom.contacts[-15:].tolist()}

    weak = [simulate(SimulationParams(silencers=10, seed=s)).chromosomes for s in (1, 2)]
    same = [
        simulate(SimulationParams(silencers=10, seed=s, silencer_signal="same")).chromosomes
        for s in (1, 2)
    ]

    def ratio(chroms):
        sil = np.mean([c.dnase[c.silencer_bins].mean() for cs in chroms for c in cs])
        enh = np.mean([c.dnase[c.enhancer_bins].mean() for cs in chroms for c in cs])
        return sil / enh

    assert ratio(weak) < 0.45  # the study: silencers ~4x weaker in DNase
    assert 0.85 < ratio(same) < 1.15


def test_visible_silencers_put_the_study_peaks_on_a_summit():
    """``visible``: the study's weaker silencer peaks on the +1 summit enhancers have, so no
    silencer is lost in the noise; every other element and link is drawn as in the study."""
    study = simulate(SimulationParams(chromosomes=3, split=(1, 1, 1), silencers=10, seed=4))
    shown = simulate(
        SimulationParams(
            chromosomes=3, split=(1, 1, 1), silencers=10, seed=4, silencer_signal="visible"
        )
    )
    for a, b in zip(study.chromosomes, shown.chromosomes):
        for name in ("gene_bins", "enhancer_bins", "silencer_bins", "links", "contacts"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert (b.dnase[b.silencer_bins] >= 0.2).all()  # the summit, smoothed over 5 bins
        assert (b.dnase[b.silencer_bins] > a.dnase[a.silencer_bins]).all()
        assert (a.dnase[a.silencer_bins] < 0.05).any()  # the study's: some near nothing
        enhancers = a.dnase[a.enhancer_bins].mean()
        assert b.dnase[b.silencer_bins].mean() < 0.8 * enhancers  # still weaker than enhancers


@pytest.mark.parametrize(
    "change, message",
    [
        ({"silencers": 21}, "--silencers 21 is more than --regulators 20"),
        ({"peak_width": 2000}, "--peak-width 2000 is wider than the chromosome"),
        ({"split": (20, 5, 4)}, "must be three counts .* adding up to --chromosomes 30"),
        ({"genes": 990}, "do not fit on --bins 1000"),
        ({"silencers": 18}, "--enhancers-per-gene 3 but only 2 enhancers"),
        ({"silencers": 1}, "--silencers-per-gene 2 but only 1 silencers"),
        ({"bin_size": 0}, "--bin-size 0 must be at least 1"),
    ],
)
def test_impossible_requests_fail_before_writing(tmp_path, change, message):
    with pytest.raises(GraphregError) as info:
        SimulationParams(**change).check()
    assert re.search(message, info.value.cli_message())  # the CLI's wording
    assert "--" not in str(info.value)  # the library's: settings by their Python names
    args = {
        "silencers": ["--silencers", "21"],
        "peak_width": ["--peak-width", "2000"],
        "split": ["--split", "20,5,4"],
        "genes": ["--genes", "990"],
        "bin_size": ["--bin-size", "0"],
    }
    if next(iter(change)) in args:
        out = tmp_path / "never"
        result = runner.invoke(app, ["simulate", "--out", str(out), *args[next(iter(change))]])
        assert result.exit_code == 2  # a bad setting: a usage error
        assert "graphreg: error:" in result.output
        assert not out.exists()


def test_bad_split_syntax_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "x"), "--split", "20-5-5"])
    assert result.exit_code == 2
    assert "three comma-separated counts" in result.output


def _digest(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_cli_writes_every_file_and_same_seed_is_byte_identical(tmp_path):
    args = [
        "simulate",
        "--chromosomes",
        "4",
        "--bins",
        "300",
        "--split",
        "2,1,1",
        "--genes",
        "5",
        "--regulators",
        "6",
        "--silencers",
        "2",
        "--decoy-contacts",
        "3",
    ]
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((first, "5"), (second, "5"), (other, "6")):
        result = runner.invoke(app, [*args, "--seed", seed, "--out", str(out)])
        assert result.exit_code == 0, result.output
    names = {
        "chrom.sizes",
        "genome.fa.gz",
        "genome.fa.gz.fai",
        "genome.fa.gz.gzi",
        "dnase.bw",
        "cage.bw",
        "contacts.bedpe",
        "genes.bed",
        "regulators.bed",
        "links.bedpe",
        "igv_session.xml",
        "dataset.json",
    }
    assert set(_digest(first)) == names
    assert _digest(first) == _digest(second)
    assert _digest(first)["dnase.bw"] != _digest(other)["dnase.bw"]

    sizes = read_chromsizes(first / "chrom.sizes")
    assert sizes == {f"chr{i}": 300 * 5000 for i in range(1, 5)}
    genes = read_bed(first / "genes.bed", sizes)
    assert len(genes) == 20 and set(genes["strand"]) == {"+"}
    regulators = read_bed(first / "regulators.bed", sizes)
    kinds = regulators["name"].str.extract(r"_(enhancer|silencer)\d+$")[0]
    assert (kinds == "silencer").sum() == 8 and (kinds == "enhancer").sum() == 16
    links = read_bedpe(first / "links.bedpe")
    assert len(links) == 20 * 5 and set(links["score"]) == {"1", "-1"}
    assert set(links["extra1"]) == {"enhancer", "silencer"}
    contacts = read_bedpe(first / "contacts.bedpe")
    assert len(contacts) == 4 * (25 + 3)
    cage = read_bigwig(first / "cage.bw", 5000)
    assert set(cage) == set(sizes) and all(len(v) == 300 for v in cage.values())
    manifest = json.loads((first / "dataset.json").read_text())
    assert manifest["split"] == {"train": ["chr1", "chr2"], "val": ["chr3"], "test": ["chr4"]}
    assert manifest["parameters"]["silencers"] == 2 and manifest["seed"] == 5
    assert manifest["graphreg_version"]
    assert "Simulated dataset" in result.output


def test_genome_fasta_is_valid_bgzf_with_index(tiny_dataset):
    import gzip
    import struct

    fai = (tiny_dataset / "genome.fa.gz.fai").read_text().splitlines()
    assert len(fai) == 6
    chrom, length, offset, bases, width = fai[1].split("\t")
    text = gzip.decompress((tiny_dataset / "genome.fa.gz").read_bytes())
    assert text[int(offset) - len(">chr2\n") : int(offset)] == b">chr2\n"
    assert int(length) == 200 * 5000 and text.count(b"N") == 6 * 200 * 5000
    gzi = (tiny_dataset / "genome.fa.gz.gzi").read_bytes()
    (count,) = struct.unpack("<Q", gzi[:8])
    assert len(gzi) == 8 + 16 * count and count > 6
    raw = (tiny_dataset / "genome.fa.gz").read_bytes()
    for i in range(count):  # every indexed block starts a BGZF member
        compressed, _ = struct.unpack("<QQ", gzi[8 + 16 * i : 24 + 16 * i])
        assert raw[compressed : compressed + 4] == b"\x1f\x8b\x08\x04"


# --- --input-bin-size: DNase finer than the graph bins -------------------------------------


def test_arrays_are_those_of_the_code_before_input_bin_size_and_genomes():
    """Pinned from the simulation before --input-bin-size/--chrom-sizes existed (same seed,
    same draws): element bins, links and contacts exactly, DNase and CAGE to float32."""
    params = SimulationParams(
        chromosomes=3,
        bins=300,
        split=(1, 1, 1),
        genes=5,
        regulators=8,
        silencers=3,
        decoy_contacts=4,
        seed=11,
    )
    data = simulate(params)
    digest = hashlib.sha256()
    for c in data.chromosomes:
        for a in (c.gene_bins, c.enhancer_bins, c.silencer_bins, c.links, c.contacts):
            digest.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
    assert digest.hexdigest().startswith("daba8bef262be397481b276a699427bb")
    dnase = np.concatenate([c.dnase for c in data.chromosomes])
    cage = np.concatenate([c.cage for c in data.chromosomes])
    assert float(dnase.sum()) == pytest.approx(126.68463897705078, rel=1e-6)
    assert float(cage.sum()) == pytest.approx(199.47476196289062, rel=1e-6)
    assert data.sizes == {f"chr{i}": 300 * 5000 for i in (1, 2, 3)}


SMALL = ["--chromosomes", "3", "--bins", "120", "--split", "1,1,1", "--genes", "4"]
SMALL += ["--regulators", "6", "--decoy-contacts", "2", "--seed", "4"]


def _run(*args) -> None:
    result = runner.invoke(app, ["simulate", *args])
    assert result.exit_code == 0, result.output


def test_input_bin_size_keeps_every_other_file_and_the_bin_means(tmp_path):
    coarse, same, fine = tmp_path / "coarse", tmp_path / "same", tmp_path / "fine"
    _run(*SMALL, "--out", str(coarse))
    _run(*SMALL, "--input-bin-size", "5000", "--out", str(same))
    _run(*SMALL, "--input-bin-size", "100", "--out", str(fine))
    assert _digest(same) == _digest(coarse)  # the default is --bin-size
    a, b = _digest(coarse), _digest(fine)
    assert {k for k in a if a[k] != b[k]} == {"dnase.bw", "dataset.json"}

    means = read_bigwig(fine / "dnase.bw", 5000)
    for chrom, values in read_bigwig(coarse / "dnase.bw", 5000).items():
        assert (values == 0).any()  # bins without DNase: gaps in the fine track
        np.testing.assert_allclose(means[chrom], values, rtol=1e-5, atol=1e-9)
    import pyBigWig

    with pyBigWig.open(str(fine / "dnase.bw")) as handle:
        intervals = handle.intervals("chr1")
        assert {end - start for start, end, _ in intervals} == {100}
        assert len(intervals) < 120 * 50 and all(v > 0 for _, _, v in intervals)
    manifest = json.loads((fine / "dataset.json").read_text())
    assert manifest["input_bin_size"] == 100 and manifest["bin_size"] == 5000
    assert json.loads((coarse / "dataset.json").read_text())["input_bin_size"] == 5000


def test_fine_dnase_keeps_each_bin_mean_up_to_a_partial_last_bin(tmp_path):
    from graphreg_cli.io.bigwig import open_bigwig, read_bins, write_bigwig
    from graphreg_cli.simulation.fine_dnase import fine_dnase

    length, bin_size, step = 12_345, 1000, 100
    dnase = np.random.default_rng(0).random(13).astype(np.float32) + 0.1
    dnase[3] = 0.0
    fine = fine_dnase(dnase, length, bin_size, step, np.random.default_rng(1))
    assert fine.shape == (124,) and fine.dtype == np.float32
    assert not fine[30:40].any() and fine[40:].all()
    peaks = fine[:30].reshape(3, 10)
    assert (peaks.max(axis=1) > 1.3 * peaks.mean(axis=1)).all()  # a peak, not a flat bin
    path = tmp_path / "fine.bw"
    write_bigwig(path, {"chrZ": length}, {"chrZ": fine}, step, gaps=True)
    with open_bigwig(path) as handle:
        np.testing.assert_allclose(read_bins(handle, "chrZ", bin_size), dnase, rtol=1e-6)
        last = handle.intervals("chrZ")[-1]
        assert last[:2] == (12_300, length)
        assert not handle.intervals("chrZ", 3000, 4000)


@pytest.mark.parametrize(
    "value, message",
    [
        ("300", "--input-bin-size 300 does not divide --bin-size 5000; pick a divisor such as"),
        ("10000", "--input-bin-size 10000 is larger than --bin-size 5000"),
        ("0", "Invalid value for '--input-bin-size': Input should be greater than or equal to 1"),
    ],
)
def test_input_bin_size_must_divide_the_bin_size(tmp_path, value, message):
    out = tmp_path / "never"
    result = runner.invoke(app, ["simulate", *SMALL, "--input-bin-size", value, "-o", str(out)])
    assert result.exit_code == 2 and message in " ".join(result.output.split())
    assert not out.exists()


# --- --chrom-sizes / --genome: real chromosome sizes ---------------------------------------


def test_hg38_table_is_ucsc_primary_assembly():
    from graphreg_cli.simulation.genomes import HG38, default_split

    assert len(HG38) == 24 and HG38["chr1"] == 248_956_422 and HG38["chrY"] == 57_227_415
    assert list(HG38)[-2:] == ["chrX", "chrY"] and "chrM" not in HG38
    assert sum(HG38.values()) == 3_088_269_832
    assert default_split(list(HG38), "hg38") == ((20, 2, 2), ("chr1", "chr11"), ("chr2", "chr12"))
    assert default_split([f"c{i}" for i in range(12)]) == ((8, 2, 2), (), ())


SIZES = {"chrA": 1_234_567, "chrB": 800_001, "chrC": 350_000, "chrD": 4_999}


def test_chrom_sizes_gives_real_lengths_and_densities_per_1000_bins(tmp_path):
    import pyBigWig

    sizes_file = tmp_path / "small.sizes"
    sizes_file.write_text("".join(f"{c}\t{n}\n" for c, n in SIZES.items()))
    common = ["--chrom-sizes", str(sizes_file), "--decoy-contacts", "10", "--silencers", "10"]
    coarse, fine = tmp_path / "coarse", tmp_path / "fine"
    _run(*common, "--out", str(coarse))
    _run(*common, "--input-bin-size", "500", "--out", str(fine))

    assert read_chromsizes(fine / "chrom.sizes") == SIZES
    for track in ("dnase", "cage"):  # entries never pass a chromosome's end
        with pyBigWig.open(str(fine / f"{track}.bw")) as handle:
            assert handle.chroms() == SIZES
            for chrom, length in SIZES.items():
                ends = [end for _, end, _ in handle.intervals(chrom) or []]
                assert max(ends, default=0) <= length
                assert track == "dnase" or ends[-1] == length  # CAGE has every bin
    cage = read_bigwig(fine / "cage.bw", 5000)
    assert {c: len(v) for c, v in cage.items()} == {"chrA": 247, "chrB": 161, "chrC": 70, "chrD": 1}
    means = read_bigwig(fine / "dnase.bw", 5000)
    for chrom, values in read_bigwig(coarse / "dnase.bw", 5000).items():
        np.testing.assert_allclose(means[chrom], values, rtol=1e-5, atol=1e-9)

    # per 1000 bins: chrA (247 bins) 5 genes, 5 regulators (2 silencers), 2 decoys; chrB (161)
    # 3 regulators, 2 of them silencers: one enhancer is short of --enhancers-per-gene 3, so
    # no genes (nor decoys); chrC (70) 1 silencer, no genes; chrD (1 bin) nothing
    genes = read_bed(fine / "genes.bed", SIZES)
    assert genes["chrom"].value_counts().to_dict() == {"chrA": 5}
    regulators = read_bed(fine / "regulators.bed", SIZES)
    assert (regulators["end"] <= regulators["chrom"].map(SIZES)).all()
    manifest = json.loads((fine / "dataset.json").read_text())
    assert manifest["split"] == {"train": ["chrA", "chrB"], "val": ["chrC"], "test": ["chrD"]}
    assert manifest["chromosome_sizes"] == SIZES and manifest["genome"] == str(sizes_file)
    assert manifest["counts"]["decoy_contacts"] == 2 and manifest["counts"]["silencers"] == 5


def test_layout_scales_per_1000_bins():
    p = SimulationParams(chromosomes=1, split=(1, 0, 0), silencers=10, sizes=(("c", 5_000_000),))
    assert p.layout(1000) == (20, 10, 10, 0)
    assert p.layout(2500) == (50, 25, 25, 0)
    assert p.layout(100) == (0, 1, 1, 0)  # one enhancer cannot serve --enhancers-per-gene 3
    assert SimulationParams().layout(77) == (20, 20, 0, 0)  # counts per chromosome otherwise


def test_genome_hg38_end_to_end_with_graphreg_split(tmp_path):
    from graphreg_cli.simulation.genomes import HG38

    out = tmp_path / "hg38"
    _run("--genome", "hg38", "--bin-size", "1000000", "--input-bin-size", "200000", "-o", str(out))
    assert read_chromsizes(out / "chrom.sizes") == HG38
    manifest = json.loads((out / "dataset.json").read_text())
    assert manifest["split"]["val"] == ["chr1", "chr11"]
    assert manifest["split"]["test"] == ["chr2", "chr12"]
    assert manifest["genome"] == "hg38" and manifest["input_bin_size"] == 200_000
    # 249 bins of chr1 at 1 Mb: round(20 * 0.249) = 5 genes
    genes = read_bed(out / "genes.bed", HG38)
    assert (genes["chrom"] == "chr1").sum() == 5
    assert (out / "genome.fa.gz.fai").read_text().count("\n") == 24
    assert 'genome="genome.fa.gz"' in (out / "igv_session.xml").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--genome", "hg38", "--bins", "300"],
            "--bins cannot be used with --chrom-sizes/--genome",
        ),
        (["--genome", "hg38", "--chromosomes", "3"], "--chromosomes cannot be used with"),
        (
            ["--genome", "hg38", "--chrom-sizes", "SIZES"],
            "give --chrom-sizes or --genome, not both",
        ),
        (["--chrom-sizes", "SIZES", "--split", "3,0,0"], "adding up to the 4 chromosomes given"),
        (["--chrom-sizes", "SIZES", "--genes", "990"], "per 1000 bins do not fit"),
        (["--chrom-sizes", "SIZES", "--regulators", "5"], "no chromosome is long enough"),
    ],
)
def test_chrom_sizes_guard_rails(tmp_path, args, message):
    sizes_file = tmp_path / "small.sizes"
    sizes_file.write_text("".join(f"{c}\t{n}\n" for c, n in SIZES.items()))
    args = [str(sizes_file) if a == "SIZES" else a for a in args]
    out = tmp_path / "never"
    result = runner.invoke(app, ["simulate", *args, "-o", str(out)])
    assert result.exit_code == 2, result.output  # bad settings: usage errors
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_max_link_distance_keeps_links_and_decoys_near_their_gene():
    base = dict(chromosomes=3, bins=1000, split=(1, 1, 1), regulators=60, silencers=20)
    base.update(decoy_contacts=30, seed=5)
    anywhere = simulate(SimulationParams(**base))
    near = simulate(SimulationParams(**base, max_link_distance=500_000))  # 100 bins
    reach = 100
    far = max(int(np.abs(c.links[:, 0] - c.links[:, 1]).max()) for c in anywhere.chromosomes)
    assert far > 3 * reach  # without the limit links span the chromosome
    for c in near.chromosomes:
        for sign, elements, per_gene in ((1, c.enhancer_bins, 3), (-1, c.silencer_bins, 2)):
            for gene in c.gene_bins:
                regs = c.links[(c.links[:, 1] == gene) & (c.links[:, 2] == sign), 0]
                assert len(regs) == per_gene
                distance = np.abs(elements - gene)
                if (distance <= reach).sum() >= per_gene:
                    assert (np.abs(regs - gene) <= reach).all()
                else:  # too few within reach: the nearest ones
                    nearest = np.sort(distance)[:per_gene]
                    assert sorted(np.abs(regs - gene)) == sorted(nearest)
        regulators = np.concatenate([c.enhancer_bins, c.silencer_bins])
        genes = set(c.gene_bins.tolist())
        linked = {(int(r), int(g)) for r, g, _ in c.links}
        for a, b in c.contacts[len(c.contacts) - c.n_decoys :]:
            gene, other = (a, b) if a in genes else (b, a)
            free = [r for r in regulators if (int(r), int(gene)) not in linked]
            if any(abs(r - gene) <= reach for r in free):
                assert abs(other - gene) <= reach
    assert SimulationParams().max_link_distance == 0  # the study: anywhere


def test_real_genomes_default_to_links_within_2_mb(tmp_path):
    sizes_file = tmp_path / "two.sizes"
    sizes_file.write_text("chrA\t60000000\nchrB\t40000000\n")
    common = ["--chrom-sizes", str(sizes_file), "--split", "1,1,0"]
    _run(*common, "-o", str(tmp_path / "near"))
    _run(*common, "--max-link-distance", "0", "-o", str(tmp_path / "anywhere"))
    within = {}
    for name in ("near", "anywhere"):
        links = read_bedpe(tmp_path / name / "links.bedpe")
        within[name] = float(((links["start2"] - links["start1"]).abs() <= 2_000_000).mean())
        params = json.loads((tmp_path / name / "dataset.json").read_text())["parameters"]
        assert params["max_link_distance"] == (2_000_000 if name == "near" else 0)
    # a gene with fewer than 3 enhancers within 2 Mb takes the nearest ones
    assert within["near"] > 0.95 and within["anywhere"] < 0.2


def test_decoys_score_weaker_than_true_links_but_overlap(tmp_path):
    """--decoy-score-ratio: decoy contacts' median count is that share of true links'; the
    two distributions overlap; everything else is what the same seed gives without scores."""
    params = dict(chromosomes=4, bins=400, split=(2, 1, 1), decoy_contacts=60, seed=3)
    data = simulate(SimulationParams(**params, decoy_score_ratio=0.5))
    links = np.concatenate(
        [c.contact_scores[: len(c.contacts) - c.n_decoys] for c in data.chromosomes]
    )
    decoys = np.concatenate(
        [c.contact_scores[len(c.contacts) - c.n_decoys :] for c in data.chromosomes]
    )
    assert 0.4 < np.median(decoys) / np.median(links) < 0.6
    assert decoys.max() > np.median(links)  # overlapping, not separable by a threshold
    other = simulate(SimulationParams(**params, decoy_score_ratio=1.0))
    for a, b in zip(data.chromosomes, other.chromosomes):
        np.testing.assert_array_equal(a.cage, b.cage)
        np.testing.assert_array_equal(a.contacts, b.contacts)
    data.write(tmp_path)
    scores = read_bedpe(tmp_path / "contacts.bedpe")["score"].astype(int)
    assert scores.min() >= 1 and scores.nunique() > 10
    with pytest.raises(GraphregError, match=r"decoy_score_ratio=0 must be in \(0, 1\]"):
        SimulationParams(decoy_score_ratio=0).check()
