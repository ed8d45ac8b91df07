"""DNA codes, one-hot, reverse complement, motif scanning, FASTA and VCF files, and the
sequence simulator's truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Batch, Data

from graphreg_cli.data.augment import reverse_complement_batch, shift_batch
from graphreg_cli.data.dna import decode, encode, one_hot, reverse_complement
from graphreg_cli.errors import InputError
from graphreg_cli.io.fasta import fasta_sizes, open_fasta, read_sequence, write_fasta
from graphreg_cli.io.vcf import read_vcf, write_vcf
from graphreg_cli.simulation.motifs import MOTIFS, binding_sites, find_hits, scan
from graphreg_cli.simulation.sequence import (
    SequenceParams,
    activity,
    cage_from,
    simulate_sequence,
)
from graphreg_cli.simulation.variants import log2_change

TINY = SequenceParams(
    chromosomes=3, length=60_000, genes=3, enhancers=4, silencers=2, split=(1, 1, 1), variants=4
)


def test_encode_and_one_hot():
    codes = encode("ACGTNacgtnRY")
    assert codes.tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 4, 4]
    assert decode(codes) == "ACGTNACGTNNN"
    hot = one_hot(torch.from_numpy(codes))
    assert hot.shape == (12, 4) and hot.dtype == torch.float32
    assert hot[:4].equal(torch.eye(4)) and hot[5:9].equal(torch.eye(4))
    assert hot[4].sum() == 0 and hot[10:].sum() == 0  # N and IUPAC codes: no base


def test_reverse_complement_numpy_and_torch():
    codes = encode("AACGTNG")
    assert decode(reverse_complement(codes)) == "CNACGTT"
    assert decode(reverse_complement(reverse_complement(codes))) == "AACGTNG"
    as_tensor = reverse_complement(torch.from_numpy(codes))
    assert as_tensor.dtype == torch.uint8 and decode(as_tensor.numpy()) == "CNACGTT"


def _window(n=6, bases=4, pool=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Data(
        seq=torch.randint(0, 4, (n, bases), generator=g, dtype=torch.uint8),
        x=torch.rand(n, pool, 2, generator=g),
        y=torch.arange(n, dtype=torch.float32),
        own=torch.tensor([False] + [True] * (n - 1)),
        edge_index=torch.tensor([[0, n - 2], [n - 2, 0]]),
        num_nodes=n,
    )


def test_reverse_complement_batch_reads_each_window_from_the_other_strand():
    windows = [_window(6, seed=1), _window(4, seed=2)]
    batch = Batch.from_data_list(windows)
    flipped = reverse_complement_batch(batch)
    first = flipped.get_example(0)
    assert decode(first.seq.reshape(-1).numpy()) == decode(
        reverse_complement(windows[0].seq.reshape(-1).numpy())
    )
    assert first.y.tolist() == [5, 4, 3, 2, 1, 0]
    assert first.own.tolist() == [True] * 5 + [False]
    assert first.x.equal(windows[0].x.flip(0).flip(1))  # input bins reversed inside nodes too
    assert sorted(first.edge_index.T.tolist()) == [[1, 5], [5, 1]]
    assert flipped.get_example(1).y.tolist() == [3, 2, 1, 0]
    twice = reverse_complement_batch(flipped)
    assert twice.seq.equal(batch.seq) and twice.edge_index.equal(batch.edge_index)
    assert batch.y.tolist() == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3]  # the input is left as it was


def test_shift_moves_dna_within_each_window_and_fills_with_n():
    batch = Batch.from_data_list([_window(3, 4, seed=3), _window(2, 4, seed=4)])
    moved = shift_batch(batch, 2)
    first = batch.get_example(0).seq.reshape(-1)
    out = moved.get_example(0).seq.reshape(-1)
    assert out[:2].tolist() == [4, 4] and out[2:].equal(first[:-2])
    back = shift_batch(batch, -1).get_example(1).seq.reshape(-1)
    assert back[-1] == 4 and back[:-1].equal(batch.get_example(1).seq.reshape(-1)[1:])
    assert moved.y.equal(batch.y)


def test_scan_finds_forward_reverse_and_degenerate_hits():
    ap1 = MOTIFS[0]  # GTGASTCAGC: S = C or G
    text = "TT" + "GTGACTCAGC" + "AAA" + decode(reverse_complement(encode("GTGAGTCAGC"))) + "TT"
    starts, strands = scan(encode(text), ap1)
    assert starts.tolist() == [2, 15] and strands.tolist() == [1, -1]
    assert len(scan(encode("GTGAATCAGC"), ap1)[0]) == 0  # A is not S
    hits = find_hits(encode(text + "N" * 5))
    assert hits.motif.tolist() == [0, 0] and hits.centre.tolist() == [7, 20]


def test_fasta_written_is_read_back_by_pyfaidx_and_pysam(tmp_path):
    pysam = pytest.importorskip("pysam")
    rng = np.random.default_rng(0)
    sequences = {"chr1": rng.integers(0, 5, 1234).astype(np.uint8), "chr2": encode("ACGT" * 30)}
    path = tmp_path / "genome.fa"
    write_fasta(sequences, path)
    assert fasta_sizes(path) == {"chr1": 1234, "chr2": 120}
    fasta = open_fasta(path)
    assert np.array_equal(read_sequence(fasta, "chr1"), sequences["chr1"])
    fasta.close()
    with pysam.FastaFile(str(path)) as other:
        assert other.fetch("chr1", 100, 110) == decode(sequences["chr1"][100:110])


def test_unreadable_fasta_is_one_line(tmp_path):
    path = tmp_path / "genome.fa"
    path.write_text(">chr1\nACGT\nAC\nACGT\n")  # ragged lines cannot be indexed
    with pytest.raises(InputError, match=r"genome\.fa: is not a readable FASTA"):
        fasta_sizes(path)


def _snvs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "chrom": ["chr2", "chr1"],
            "pos": [9, 4],
            "id": ["b", "a"],
            "ref": ["A", "C"],
            "alt": ["G", "T"],
            "kind": ["enhancer", "neutral"],
            "motif": ["AP1", ""],
            "sign": [-1, 0],
            "effect": [-0.25, 0.0],
            "gene": ["g1", ""],
        }
    )


def test_vcf_written_is_read_by_pysam_and_our_reader(tmp_path):
    pysam = pytest.importorskip("pysam")
    path = tmp_path / "variants.vcf"
    write_vcf(_snvs(), {"chr1": 100, "chr2": 100}, path, "test", "genome.fa")
    with pysam.VariantFile(str(path)) as vcf:
        records = list(vcf)
    assert [(r.chrom, r.pos, r.ref, r.alts) for r in records] == [
        ("chr1", 5, "C", ("T",)),
        ("chr2", 10, "A", ("G",)),
    ]
    assert records[1].info["SIGN"] == -1 and records[1].info["GENE"] == "g1"
    frame = read_vcf(path)
    assert frame[["chrom", "pos", "ref", "alt"]].values.tolist() == [
        ["chr1", 4, "C", "T"],
        ["chr2", 9, "A", "G"],
    ]
    assert frame["info"][1]["EFFECT"] == "-0.25"
    assert frame["line"].tolist() == [12, 13]  # after 3 + 2 contig + 5 INFO + #CHROM lines


def test_vcf_reader_skips_non_snvs_with_a_count(tmp_path, notes):
    path = tmp_path / "v.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "chr1\t5\t.\tA\tG\t.\tPASS\t.\n"
        "chr1\t6\t.\tAT\tA\t.\tPASS\t.\n"
        "chr1\t7\t.\tA\tG,T\t.\tPASS\t.\n"
        "chr1\t8\t.\tA\t<DEL>\t.\tPASS\t.\n"
    )
    frame = read_vcf(path)
    assert frame["pos"].tolist() == [4]
    assert any(
        "3 record(s) that are not SNVs skipped (1 indels, 1 multi-allelic" in n for n in notes
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("chr1\t5\t.\tA\tG\t.\tPASS\t.\n", r"v\.vcf line 1: has no VCF header"),
        ("##fileformat=VCFv4.2\nchr1\t5\t.\tA\tG\n", r"v\.vcf line 2: record before the #CHROM"),
        (
            "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\tx\t.\tA\tG\t.\t.\t.\n",
            r"v\.vcf line 3: POS 'x' is not a positive integer",
        ),
    ],
)
def test_bad_vcf_is_one_line_naming_the_line(tmp_path, text, message):
    path = tmp_path / "v.vcf"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as err:
        read_vcf(path)
    assert "\n" not in str(err.value)


@pytest.fixture(scope="module")
def simulated():
    return simulate_sequence(TINY)


def test_same_seed_same_genome_and_variants(simulated):
    again = simulate_sequence(TINY)
    for a, b in zip(simulated.chromosomes, again.chromosomes):
        assert np.array_equal(a.sequence, b.sequence) and np.array_equal(a.cage, b.cage)
    assert [(v.pos, v.alt) for v in simulated.variants] == [(v.pos, v.alt) for v in again.variants]


def test_epigenome_and_cage_come_from_motif_hits(simulated):
    c = simulated.chromosomes[0]
    planted = {(i.start, i.motif) for i in c.instances}
    found = set(zip(c.hits.start.tolist(), c.hits.motif.tolist()))
    assert planted <= found  # every planted motif is a hit
    strong = c.sites.occupancy > 0.5  # and an occupied binding site; partial matches weaker
    assert planted <= set(zip(c.sites.start[strong].tolist(), c.sites.motif[strong].tolist()))
    assert np.allclose(c.activity, activity(c.sites, len(c.activity), TINY.bin_size))
    dnase = c.tracks["dnase"]
    peaks = c.hits.centre[c.hits.motif < 3] // TINY.input_bin_size
    assert dnase[peaks].mean() > 5 * np.median(dnase)  # activator hits make DNase peaks
    assert np.allclose(c.cage_clean, cage_from(c.activity, c.gene_bins, c.links))
    assert (c.cage[c.gene_bins] > 0).all()


def test_variant_truth_matches_the_rule_applied_to_the_changed_sequence(simulated):
    for v in simulated.variants:
        c = next(ch for ch in simulated.chromosomes if ch.name == v.chrom)
        changed = c.sequence.copy()
        assert changed[v.pos] == v.ref and v.alt != v.ref
        changed[v.pos] = v.alt
        n = len(c.activity)
        after = cage_from(activity(binding_sites(changed), n, TINY.bin_size), c.gene_bins, c.links)
        delta = log2_change(c.cage_clean, after)
        if v.sign == 0:
            assert np.abs(delta).max() == 0
        else:
            assert abs(delta).max() >= 0.1 and np.sign(delta[np.argmax(np.abs(delta))]) == v.sign
            assert np.isclose(delta[np.argmax(np.abs(delta))], v.effect)
    kinds = {v.kind for v in simulated.variants}
    assert "neutral" in kinds and kinds & {"enhancer", "promoter", "silencer"}


def test_bgzip_vcf_indexed_by_tabix_is_read(tmp_path):
    pysam = pytest.importorskip("pysam")
    path = tmp_path / "variants.vcf"
    write_vcf(_snvs(), {"chr1": 100, "chr2": 100}, path, "test", "genome.fa")
    compressed = pysam.tabix_index(str(path), preset="vcf", keep_original=True)
    frame = read_vcf(compressed)
    assert frame["id"].tolist() == ["a", "b"] and frame["info"][0]["KIND"] == "neutral"


def test_occupancy_is_high_at_a_consensus_and_falls_with_mismatches():
    from graphreg_cli.simulation.motifs import occupancy

    ap1 = MOTIFS[0]
    exact, one_off = encode("AAGTGACTCAGCAA"), encode("AAGTGACTCTGCAA")
    forward, reverse = occupancy(exact, ap1)
    assert forward[2] == pytest.approx(1 / (1 + np.exp(-2.0)))  # 0.88 at the consensus
    assert reverse[2] < 0.01  # the reverse strand is another sequence
    assert 0.1 < occupancy(one_off, ap1)[0][2] < 0.3


def test_histone_marks_follow_their_motif_families():
    """H3K27ac marks activator and promoter sites, H3K4me3 promoters, H3K27me3 repressors
    (REST); DNase all of them. A silencer is accessible but carries only H3K27me3."""
    from dataclasses import replace

    c = simulate_sequence(replace(TINY, histone=True)).chromosomes[0]
    assert list(c.tracks) == ["dnase", "h3k27ac", "h3k4me3", "h3k27me3"]
    role = np.array([m.role for m in MOTIFS])[c.hits.motif]
    at = c.hits.centre // TINY.input_bin_size
    background = {t: np.median(v) for t, v in c.tracks.items()}
    rest, active = at[role == "repressor"], at[role == "activator"]
    assert len(rest) and len(active)
    for track, marked, unmarked in (("h3k27me3", rest, active), ("h3k27ac", active, rest)):
        assert c.tracks[track][marked].mean() > 5 * background[track]
        assert c.tracks[track][unmarked].mean() < c.tracks[track][marked].mean() / 3
    assert c.tracks["dnase"][rest].mean() > 5 * background["dnase"]
