"""An N-filled genome FASTA that IGV desktop accepts: BGZF-compressed with ``.fai`` and ``.gzi``.

IGV will not take a bare chrom.sizes as a genome, and the plain FASTA of a 150 Mb synthetic
genome is 150 MB; BGZF (blocked gzip, as ``bgzip`` writes) shrinks it to a few hundred KB while
keeping random access through the ``.gzi`` block index.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from graphreg_cli.io.atomic import atomic_binary, atomic_bytes, atomic_text

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
