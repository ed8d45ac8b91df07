"""BAM alignments (SAM/BAM spec v1): checked with pysam, read as columns of numpy arrays.

pysam opens the file and reads its header; the records of one chromosome are then read
straight from the BGZF blocks that the index (``.bai`` or ``.csi``) points to and decoded in
bulk with numpy: one Python step per record (its length), none per field. That is what lets
``graphreg prepare coverage`` count several times faster than a loop over pysam's
``AlignedSegment`` objects (``benchmarks/bam_coverage.py``).
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from graphreg_cli.errors import GraphregError, InputError

try:  # ISA-L inflates BGZF blocks about twice as fast as zlib (the optional ``isal`` package)
    from isal.isal_zlib import decompress as _inflate
    from isal.isal_zlib import error as _InflateError
except ImportError:  # pragma: no cover - zlib is always there
    from zlib import decompress as _inflate
    from zlib import error as _InflateError

logger = logging.getLogger(__name__)

# The fixed 28-byte empty BGZF block every complete BAM ends with (SAM spec 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
BAI_PSEUDO_BIN = 37450
RAW_READ = 8 << 20  # compressed bytes read at a time
CHUNK = 16 << 20  # decompressed bytes decoded at a time

# FLAG bits
PAIRED, PROPER, UNMAPPED, MATE_UNMAPPED, REVERSE = 0x1, 0x2, 0x4, 0x8, 0x10
READ1, READ2, SECONDARY, QCFAIL, DUPLICATE, SUPPLEMENTARY = 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
CIGAR_N, CIGAR_SOFT_CLIP = 3, 4
REF_CONSUMING = np.zeros(16, bool)
REF_CONSUMING[[0, 2, 3, 7, 8]] = True  # M D N = X


def index_command(path: Path) -> str:
    """The shell line that sorts and indexes ``path``."""
    out = f"{path.stem}.sorted.bam"
    return f"samtools sort -o {out} {path.name} && samtools index {out}"


@dataclass
class BamInfo:
    """A checked, sorted and indexed BAM: ``references`` ``{name: length}`` in header order,
    ``mapped`` ``{name: mapped reads}`` from the index."""

    path: Path
    index: Path
    references: dict[str, int]
    mapped: dict[str, int]


def open_bam(path: str | Path) -> BamInfo:
    """Check a BAM for graphreg's bulk reader: present, complete, sorted, indexed.

    Each problem is an InputError naming the file and the fix (``samtools sort``/``index``).
    """
    try:
        import pysam
    except ImportError:
        raise GraphregError("reading BAMs needs pysam: pip install 'graphreg[prepare]'") from None
    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path", path)
    with open(path, "rb") as handle:
        magic = handle.read(4)
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - len(BGZF_EOF)))
        tail = handle.read()
    if magic != BGZF_EOF[:4]:
        raise InputError("is not a BAM file (no BGZF header; SAM or CRAM?)", path)
    if tail != BGZF_EOF:
        raise InputError(
            "is truncated (no BGZF end-of-file block); download or write it again", path
        )
    try:
        with pysam.AlignmentFile(str(path), "rb", check_sq=False) as bam:
            header = bam.header.to_dict()
            references = dict(zip(bam.references, bam.lengths))
    except (ValueError, OSError) as err:
        raise InputError(f"cannot be read as a BAM ({_first_line(err)})", path) from None
    order = header.get("HD", {}).get("SO", "unknown")
    if order in ("queryname", "unsorted"):
        raise InputError(
            f"is not sorted by coordinate (header says SO:{order}); sort and index it: "
            f"{index_command(path)}",
            path,
        )
    index = find_index(path)
    if index is None:
        raise InputError(
            f"has no index ({path.name}.bai or .csi beside it); index it: samtools index "
            f"{path.name} (if it is not sorted: {index_command(path)})",
            path,
        )
    if index.stat().st_mtime < path.stat().st_mtime - 1:
        logger.warning(f"{index.name} is older than {path.name}; re-index if the BAM changed")
    _check_index_fits(path, index, len(references))  # (htslib may crash on another's index)
    try:
        with pysam.AlignmentFile(str(path), "rb", index_filename=str(index)) as bam:
            mapped = {s.contig: int(s.mapped) for s in bam.get_index_statistics()}
    except (ValueError, OSError) as err:
        raise InputError(f"index {index.name} cannot be read ({_first_line(err)})", path) from None
    return BamInfo(path, index, references, mapped)


def _check_index_fits(path: Path, index: Path, n_references: int) -> None:
    """An InputError unless the index lists the BAM's number of references and points
    inside the BAM: an index of another BAM, read by htslib, can crash the process."""
    raw = _decompress_index(index)
    try:
        ranges = _parse_index(raw)
        start = 4 if raw[:4] == b"BAI\x01" else 16 + struct.unpack_from("<i", raw, 12)[0]
        (n_ref,) = struct.unpack_from("<i", raw, start)
    except (struct.error, IndexError, ValueError):
        raise InputError(f"index {index.name} is damaged; index the BAM again", path) from None
    size = path.stat().st_size
    end = max((high >> 16 for _, high in ranges.values()), default=0)
    if n_ref != n_references or end > size:
        why = (
            f"it lists {n_ref} reference(s), the BAM's header {n_references}"
            if n_ref != n_references
            else f"it points {end - size:,} bytes past the BAM's end"
        )
        raise InputError(
            f"does not match its index {index.name} ({why}: an index of another BAM?); "
            f"index it again: samtools index {path.name}",
            path,
        )


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def find_index(path: Path) -> Path | None:
    for candidate in (
        Path(f"{path}.bai"),
        path.with_suffix(".bai"),
        Path(f"{path}.csi"),
        path.with_suffix(".csi"),
    ):
        if candidate.exists():
            return candidate
    return None


def reference_ranges(info: BamInfo) -> dict[int, tuple[int, int]]:
    """``{reference id: (first, last) virtual file offsets}`` spanning its indexed records.

    Taken from every chunk of every bin of the BAI/CSI (the pseudo-bin's counts left out);
    references without reads are absent.
    """
    raw = _decompress_index(info.index)
    try:
        return _parse_index(raw)
    except (struct.error, IndexError, ValueError):
        raise InputError(
            f"index {info.index.name} is damaged; index the BAM again", info.path
        ) from None


def _decompress_index(index: Path) -> bytes:
    data = index.read_bytes()
    if data[:2] == b"\x1f\x8b":  # CSI is BGZF-compressed
        return b"".join(_inflate_all(data, index))
    return data


def _parse_index(raw: bytes) -> dict[int, tuple[int, int]]:
    magic = raw[:4]
    if magic == b"BAI\x01":
        offset, pseudo, csi = 4, BAI_PSEUDO_BIN, False
    elif magic == b"CSI\x01":
        min_shift, depth, l_aux = struct.unpack_from("<iii", raw, 4)
        offset, pseudo, csi = 16 + l_aux, ((1 << ((depth + 1) * 3)) - 1) // 7 + 1, True
        del min_shift
    else:
        raise ValueError("not a BAI/CSI index")
    (n_ref,) = struct.unpack_from("<i", raw, offset)
    offset += 4
    ranges = {}
    for ref in range(n_ref):
        (n_bin,) = struct.unpack_from("<i", raw, offset)
        offset += 4
        low, high = None, None
        for _ in range(n_bin):
            (bin_id,) = struct.unpack_from("<I", raw, offset)
            offset += 12 if csi else 4  # CSI: bin, loffset; BAI: bin
            (n_chunk,) = struct.unpack_from("<i", raw, offset)
            offset += 4
            chunks = np.frombuffer(raw, "<u8", 2 * n_chunk, offset)
            offset += 16 * n_chunk
            if bin_id == pseudo or not n_chunk:
                continue
            first, last = int(chunks[0::2].min()), int(chunks[1::2].max())
            low = first if low is None else min(low, first)
            high = last if high is None else max(high, last)
        if not csi:
            (n_intv,) = struct.unpack_from("<i", raw, offset)
            offset += 4 + 8 * n_intv
        if low is not None:
            ranges[ref] = (low, high)
    return ranges


def _inflate_all(data: bytes, path: Path) -> Iterator[bytes]:
    offset = 0
    while offset < len(data):
        block, size = _inflate_block(data, offset, path)
        yield block
        offset += size


def _inflate_block(data, offset: int, path: Path) -> tuple[bytes, int]:
    """One BGZF block at ``offset``: ``(decompressed bytes, compressed size)``."""
    if len(data) - offset < 18 or data[offset : offset + 4] != BGZF_EOF[:4]:
        raise InputError("is truncated or damaged (a BGZF block is cut short)", path)
    (xlen,) = struct.unpack_from("<H", data, offset + 10)
    bsize = None
    extra, end = offset + 12, offset + 12 + xlen
    while extra < end:
        si1, si2, slen = data[extra], data[extra + 1], struct.unpack_from("<H", data, extra + 2)[0]
        if si1 == 66 and si2 == 67:
            (bsize,) = struct.unpack_from("<H", data, extra + 4)
        extra += 4 + slen
    if bsize is None:
        raise InputError("is not BGZF-compressed (a block has no BC field)", path)
    size = bsize + 1
    if offset + size > len(data):
        raise InputError("is truncated (a BGZF block is cut short)", path)
    try:
        return _inflate(bytes(data[end : offset + size - 8]), -15), size
    except (zlib.error, _InflateError) as err:
        raise InputError(f"is damaged (a BGZF block does not decompress: {err})", path) from None


def _inflate_range(path: Path, first: int, last: int) -> Iterator[bytes]:
    """Decompressed bytes from virtual offset ``first`` up to ``last`` (exclusive).

    The file ends with a complete EOF block (checked when opened), so a block that cannot be
    read at the index's offsets means the index belongs to another version of the file.
    """
    try:
        yield from _inflate_blocks(path, first, last)
    except InputError:
        raise InputError(
            f"does not match its index (was it rewritten after indexing?); index it again: "
            f"samtools index {path.name}",
            path,
        ) from None


def _inflate_blocks(path: Path, first: int, last: int) -> Iterator[bytes]:
    coffset, skip = first >> 16, first & 0xFFFF
    end_coffset, end_skip = last >> 16, last & 0xFFFF
    with open(path, "rb") as handle:
        handle.seek(coffset)
        data, at = b"", 0
        while coffset <= end_coffset:
            if len(data) - at < 65536 + 26:
                data = data[at:] + handle.read(RAW_READ)
                at = 0
                if not data:
                    raise InputError("is truncated (ends inside a chromosome's reads)", path)
            block, size = _inflate_block(data, at, path)
            stop = end_skip if coffset == end_coffset else len(block)
            if stop > skip:
                yield block[skip:stop]
            skip = 0
            at += size
            coffset += size


@dataclass
class Records:
    """Alignment fields of a run of records, each ``(n,)``: ``ref`` (int32), ``pos``
    (0-based leftmost, int64), ``end`` (reference end, exclusive, int64), ``mapq`` (uint8),
    ``flag`` (uint16), ``next_ref`` (int32), ``next_pos`` (int64), ``tlen`` (int64),
    ``spliced`` (bool: the CIGAR skips reference, ``N``) and, for spliced records only,
    ``blocks[i]``: ``[(start, end), ...]`` of the aligned parts."""

    ref: np.ndarray
    pos: np.ndarray
    end: np.ndarray
    mapq: np.ndarray
    flag: np.ndarray
    next_ref: np.ndarray
    next_pos: np.ndarray
    tlen: np.ndarray
    spliced: np.ndarray
    blocks: dict[int, list[tuple[int, int]]]


def read_records(path: Path, first: int, last: int) -> Iterator[Records]:
    """The records between two virtual offsets, decoded chunk by chunk."""
    pending = bytearray()
    for block in _inflate_range(path, first, last):
        pending += block
        if len(pending) >= CHUNK:
            records, used = _decode(pending, path)
            del pending[:used]
            yield records
    if pending:
        records, used = _decode(pending, path)
        if used != len(pending):
            raise InputError("is truncated or damaged (a record is cut short)", path)
        yield records


def _record_starts(buf: bytearray, path: Path) -> tuple[np.ndarray, int]:
    """Offsets of the complete records in ``buf`` and the bytes they span (the one step
    per record in Python: each record's length gives the next one's offset)."""
    unpack = struct.Struct("<i").unpack_from
    starts: list[int] = []
    append = starts.append
    at, n = 0, len(buf) - 4
    while at <= n:
        (size,) = unpack(buf, at)
        if size < 32:
            raise InputError(
                "is damaged, or its index does not match it (a record of "
                f"{size} bytes); index it again: samtools index {path.name}",
                path,
            )
        following = at + 4 + size
        if following > n + 4:
            break
        append(at)
        at = following
    return np.asarray(starts, dtype=np.int64), at


def _decode(buf: bytearray, path: Path) -> tuple[Records, int]:
    starts, used = _record_starts(buf, path)
    if not len(starts):
        empty = np.zeros(0, np.int64)
        return Records(*(empty,) * 9, {}), used
    data = memoryview(buf)[:used]

    def field(dtype: str, offset: int, at: np.ndarray = starts) -> np.ndarray:
        """The field at ``offset`` bytes into each record (unaligned reads)."""
        width = np.dtype(dtype).itemsize
        view = np.ndarray((used - width + 1,), dtype, buffer=data, strides=(1,))
        return view[at + offset]

    n_cigar = field("<u2", 16).astype(np.int64)
    pos = field("<i4", 8).astype(np.int64)
    # CIGAR: every op of every record at once; its reference span and whether it has N
    owner = np.repeat(np.arange(len(starts)), n_cigar)
    op_index = np.arange(len(owner)) - np.repeat(np.cumsum(n_cigar) - n_cigar, n_cigar)
    cigar_at = np.repeat(starts + 36 + field("u1", 12), n_cigar) + 4 * op_index
    ops = field("<u4", 0, cigar_at)
    kind, length = (ops & 0xF).astype(np.int64), (ops >> 4).astype(np.int64)
    consumed = np.where(REF_CONSUMING[kind], length, 0)
    span = np.bincount(owner, weights=consumed, minlength=len(starts)).astype(np.int64)
    skips = np.bincount(owner, weights=kind == CIGAR_N, minlength=len(starts)) > 0
    # CIGARs over 65535 ops live in the CG tag; the record holds <l_seq>S<span>N instead
    two = np.flatnonzero(skips & (n_cigar == 2))
    if len(two):
        head_op = (np.cumsum(n_cigar) - n_cigar)[two]
        skips[two[kind[head_op] == CIGAR_SOFT_CLIP]] = False
    blocks = {}
    for i in np.flatnonzero(skips):
        rows = np.flatnonzero(owner == i)
        blocks[int(i)] = _blocks(int(pos[i]), kind[rows], length[rows])
    records = Records(
        ref=field("<i4", 4),
        pos=pos,
        end=pos + span,
        mapq=field("u1", 13),
        flag=field("<u2", 18),
        next_ref=field("<i4", 24),
        next_pos=field("<i4", 28).astype(np.int64),
        tlen=field("<i4", 32).astype(np.int64),
        spliced=skips,
        blocks=blocks,
    )
    return records, used


def _blocks(start: int, kinds: np.ndarray, lengths: np.ndarray) -> list[tuple[int, int]]:
    """Aligned parts of a spliced read: reference runs split at ``N`` (deletions kept)."""
    out, at, begin = [], start, None
    for kind, length in zip(kinds.tolist(), lengths.tolist()):
        if kind == CIGAR_N:
            if begin is not None and at > begin:
                out.append((begin, at))
            begin = None
            at += length
        elif REF_CONSUMING[kind]:
            begin = at if begin is None else begin
            at += length
    if begin is not None and at > begin:
        out.append((begin, at))
    return out
