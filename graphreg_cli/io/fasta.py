"""Genome FASTA files: written for IGV and simulated genomes, read with pyfaidx.

- :func:`write_n_genome`: an N-filled genome IGV desktop accepts, BGZF-compressed with
  ``.fai`` and ``.gzi``. IGV will not take a bare chrom.sizes as a genome, and the plain FASTA
  of a 150 Mb synthetic genome is 150 MB; BGZF (blocked gzip, as ``bgzip`` writes) shrinks it
  to a few hundred KB while keeping random access through the ``.gzi`` block index.
- :func:`write_fasta`: a real sequence (``simulate --sequence``) as plain FASTA + ``.fai``.
- :func:`open_fasta`, :func:`fasta_sizes`, :func:`read_sequence`: reading through pyfaidx,
  one chromosome at a time as integer codes (:mod:`graphreg_cli.data.dna`).
"""

from __future__ import annotations

import logging
import struct
import zlib
from pathlib import Path

import numpy as np

from graphreg_cli.errors import InputError
from graphreg_cli.io.atomic import atomic_binary, atomic_bytes, atomic_text

logger = logging.getLogger(__name__)

LINE_BASES = 60
BGZF_MAX_BLOCK = 0xFF00  # uncompressed bytes per block, as htslib
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def _bgzf_block(data: bytes) -> bytes:
    """One BGZF block: a gzip member with the 'BC' extra field giving its size."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = compressor.compress(data) + compressor.flush()
    size = len(payload) + 25  # header 18 + trailer 8, minus 1
    header = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + struct.pack("<H", size)
    return header + payload + struct.pack("<II", zlib.crc32(data), len(data))


def write_n_genome(sizes: dict[str, int], path: str | Path, line_bases: int = LINE_BASES) -> None:
    """Write ``path`` (BGZF FASTA of N), ``path.fai`` and ``path.gzi``, each atomically."""
    path = Path(path)
    line_width = line_bases + 1
    chunk_lines = BGZF_MAX_BLOCK // line_width
    full_line = b"N" * line_bases + b"\n"
    cache: dict[bytes, bytes] = {}
    fai_rows: list[str] = []
    index: list[tuple[int, int]] = []  # (compressed, uncompressed) offset of each block
    compressed = uncompressed = 0

    def emit(out, data: bytes) -> None:
        nonlocal compressed, uncompressed
        block = cache.get(data)
        if block is None:
            block = cache.setdefault(data, _bgzf_block(data))
        index.append((compressed, uncompressed))
        out.write(block)
        compressed += len(block)
        uncompressed += len(data)

    with atomic_binary(path) as out:
        for chrom, length in sizes.items():
            emit(out, f">{chrom}\n".encode())
            fai_rows.append(f"{chrom}\t{length}\t{uncompressed}\t{line_bases}\t{line_width}\n")
            whole, rest = divmod(length, line_bases)
            for first in range(0, whole, chunk_lines):
                emit(out, full_line * min(chunk_lines, whole - first))
            if rest:
                emit(out, b"N" * rest + b"\n")
        out.write(BGZF_EOF)

    with atomic_text(f"{path}.fai") as handle:
        handle.write("".join(fai_rows))
    entries = index[1:]  # htslib omits the first block (offset 0, 0)
    data = struct.pack("<Q", len(entries))
    data += b"".join(struct.pack("<QQ", c, u) for c, u in entries)
    atomic_bytes(f"{path}.gzi", data)


FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz")


def is_fasta(path: str | Path) -> bool:
    """Whether ``path`` is named like a FASTA file (``.fa``, ``.fasta``, ``.fna``, ``.gz``)."""
    return str(path).lower().endswith(FASTA_SUFFIXES)


def write_fasta(sequences: dict[str, np.ndarray], path: str | Path) -> None:
    """Write ``{name: (length,) uint8 codes}`` as a plain FASTA of ``LINE_BASES`` bases a line
    with its ``.fai`` index (samtools faidx layout), each atomically."""
    from graphreg_cli.data.dna import decode

    path = Path(path)
    rows, offset = [], 0
    with atomic_binary(path) as out:
        for name, codes in sequences.items():
            header = f">{name}\n".encode()
            out.write(header)
            offset += len(header)
            text = decode(codes).encode()
            lines = [text[i : i + LINE_BASES] for i in range(0, len(text), LINE_BASES)]
            body = b"\n".join(lines) + b"\n" if lines else b""
            out.write(body)
            rows.append(f"{name}\t{len(codes)}\t{offset}\t{LINE_BASES}\t{LINE_BASES + 1}\n")
            offset += len(body)
    with atomic_text(f"{path}.fai") as handle:
        handle.write("".join(rows))


def open_fasta(path: str | Path):
    """Open an indexed FASTA with pyfaidx (plain, or bgzip with Biopython installed); the
    index is built beside it when missing. Problems are one-line :class:`InputError` s."""
    import pyfaidx

    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path", path)
    try:
        return pyfaidx.Fasta(str(path), as_raw=True, sequence_always_upper=True)
    except (ImportError, pyfaidx.UnsupportedCompressionFormat):
        # plain gzip (or bgzip without Biopython): no random access; read it whole
        return _read_gzip_fasta(path)
    except (pyfaidx.FastaIndexingError, ValueError, OSError) as err:
        raise InputError(f"is not a readable FASTA ({err}); check the file", path) from None


class MemoryFasta:
    """A FASTA held in memory, read as pyfaidx's ``Fasta(as_raw=True)`` is:
    ``records`` ``{name: sequence}``, ``fasta[name][:]`` the upper-case sequence."""

    def __init__(self, records: dict[str, str]):
        self.records = records

    def __getitem__(self, name: str) -> str:
        return self.records[name]

    def close(self) -> None:
        """Nothing to close (kept for pyfaidx's interface)."""


_GZIP_CACHE: dict[tuple, MemoryFasta] = {}


def _read_gzip_fasta(path: Path) -> MemoryFasta:
    """A gzip FASTA that pyfaidx cannot index (plain gzip; bgzip without Biopython), read
    whole into memory once per file version, with a note saying how to read it lazily."""
    import gzip

    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _GZIP_CACHE:
        return _GZIP_CACHE[key]
    records: dict[str, list[str]] = {}
    current = None
    try:
        with gzip.open(path, "rt", encoding="ascii") as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith(">"):
                    name = line[1:].split(maxsplit=1)[0] if line[1:].strip() else ""
                    if not name or name in records:
                        why = "has no name" if not name else f"repeats the name {name}"
                        raise InputError(f"FASTA header {why}", path, number)
                    current = records.setdefault(name, [])
                elif line.strip():
                    if current is None:
                        raise InputError("sequence before the first '>' header", path, number)
                    current.append(line.strip().upper())
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise InputError(f"is cut short or damaged ({err}); download it again", path) from None
    except UnicodeDecodeError:
        raise InputError("is not a text FASTA inside its gzip", path) from None
    if not records:
        raise InputError("holds no sequence ('>' header lines); is it a FASTA?", path)
    fasta = MemoryFasta({name: "".join(parts) for name, parts in records.items()})
    total = sum(len(v) for v in fasta.records.values())
    logger.info(
        f"{path.name}: gzip (not indexable here), read whole: {total:,} bases in memory; "
        "bgzip it (with Biopython installed) or gunzip it to read it lazily"
    )
    _GZIP_CACHE.clear()
    _GZIP_CACHE[key] = fasta
    return fasta


def fasta_sizes(path: str | Path) -> dict[str, int]:
    """``{name: length}`` of a FASTA, in file order."""
    fasta = open_fasta(path)
    try:
        return {name: len(record) for name, record in fasta.records.items()}
    finally:
        fasta.close()


def read_sequence(fasta, name: str) -> np.ndarray:
    """One sequence of an open FASTA as ``(length,) uint8`` codes (A=0 C=1 G=2 T=3, else 4)."""
    from graphreg_cli.data.dna import encode

    return encode(fasta[name][:])
