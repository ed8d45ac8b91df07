"""bigWig tracks as per-bin arrays (pyBigWig, and pybigtools for fast reading).

Reading sums bins through pybigtools where it can (:mod:`graphreg_cli.io.bigwig_sums`, about
3x faster), else from pyBigWig's intervals or ``values(numpy=True)`` + reshape
(``stats(nBins=)`` is ~60x slower). pyBigWig writes NaN/inf, ends past the chromosome and
out-of-order entries without complaint and readers then crash, so :func:`write_bigwig`
validates everything before the first byte is written.
"""

from __future__ import annotations

import contextlib
import faulthandler
import itertools
import math
import os
import pickle
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyBigWig

from graphreg_cli.errors import GraphregError, InputError, OutputError, os_reason, preview
from graphreg_cli.io.atomic import atomic_path
from graphreg_cli.io.bigwig_sums import bin_sums, open_sums

LIBBIGWIG_LINE = re.compile(r"^\[\w+\]")  # libBigWig prefixes its messages with [function]

BASE_SLICE = 10_000_000  # bp of per-base values read at a time


def n_bins(length: int, bin_size: int) -> int:
    """Number of bins covering a chromosome of ``length`` bp (the last may be partial)."""
    return math.ceil(length / bin_size)


def open_bigwig(path: str | Path):
    """Open a bigWig for reading, with a clear error when it is missing or not a bigWig."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path", path)
    if path.is_dir():
        raise InputError("is a folder, expected a bigWig file", path)
    handle = _open_quietly(path)
    if handle is None:
        raise InputError("is not a bigWig file (a bigBed or a bedGraph?) or is truncated", path)
    return handle


def _open_quietly(path: Path):
    """A pyBigWig handle for reading, or None when the file is not a readable bigWig;
    libBigWig's own complaints ("[bwHdrRead] ...") are kept off the terminal."""
    with libbigwig_messages():
        try:
            handle = pyBigWig.open(str(path))
        except RuntimeError:
            return None
    if handle is not None and not handle.isBigWig():
        handle.close()
        return None
    return handle


def bigwig_chroms(path: str | Path) -> dict[str, int]:
    """The ``{chrom: length}`` header of a bigWig, in file order."""
    with open_bigwig(path) as handle:
        return dict(handle.chroms())


def _binned_sums(handle, chrom: str, length: int, bin_size: int) -> np.ndarray:
    """Per-bin sums of a chromosome's signal (missing data = 0), ``(n_bins,) float64``.

    Tracks stored as intervals of tens of bp or more (binned tracks) are summed from their
    intervals through the running integral of the signal, without expanding to bases; base
    resolution tracks go through ``values(numpy=True)`` + reshape, ``BASE_SLICE`` bp at a time.
    """
    count = n_bins(length, bin_size)
    probe = handle.intervals(chrom, 0, min(length, 1_000_000)) or []
    wide = len(probe) < 20_000  # under 1 interval per 50 bp in the first Mb
    if wide:
        intervals = handle.intervals(chrom, 0, length) or []
        if not intervals:
            return np.zeros(count)
        flat = itertools.chain.from_iterable(intervals)  # faster than np.asarray
        table = np.fromiter(flat, np.float64, 3 * len(intervals)).reshape(-1, 3)
        return interval_sums(table[:, 0], table[:, 1], table[:, 2], length, bin_size)
    # base resolution: per-base values a slice at a time (memory: one slice, not chr1's 1 GB)
    sums = np.zeros(count)
    step = max(1, BASE_SLICE // bin_size) * bin_size
    for first in range(0, length, step):
        last = min(first + step, length)
        values = handle.values(chrom, first, last, numpy=True)
        values[~np.isfinite(values)] = 0.0  # missing data (NaN) counts as 0
        full = (last - first) // bin_size  # whole bins of the slice: no padded copy
        at = first // bin_size
        part = values[: full * bin_size].reshape(full, bin_size)
        sums[at : at + full] = part.sum(axis=1, dtype=np.float64)
        if full * bin_size < last - first:  # the chromosome's partial last bin
            sums[at + full] = values[full * bin_size :].sum(dtype=np.float64)
    return sums


def interval_sums(
    start: np.ndarray, end: np.ndarray, value: np.ndarray, length: int, bin_size: int
) -> np.ndarray:
    """Per-bin sums of a signal given as sorted, non-overlapping intervals of per-base
    ``value`` (``(k,)`` each; NaN and infinities count as 0, gaps as 0) over a chromosome of
    ``length`` bp: ``(ceil(length / bin_size),) float64``. Computed through the running
    integral of the signal, without expanding to bases; intervals need not lie on the grid."""
    count = n_bins(length, bin_size)
    if not len(start):
        return np.zeros(count)
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    value = np.nan_to_num(np.asarray(value, np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    cumulative = np.concatenate([[0.0], np.cumsum(value * (end - start))])
    edges = np.minimum(np.arange(count + 1, dtype=np.float64) * bin_size, length)
    at = np.searchsorted(start, edges, side="right") - 1
    i = np.clip(at, 0, None)
    integral = cumulative[i] + value[i] * np.clip(edges - start[i], 0, end[i] - start[i])
    integral[at < 0] = 0.0
    return np.diff(integral)


def read_bins(
    handle, chrom: str, bin_size: int, stat: str = "mean", sums_reader=None
) -> np.ndarray:
    """Per-bin values of one chromosome from an open bigWig handle.

    Returns ``(n_bins,)`` float32; bases without data count as 0. ``stat`` is ``"mean"``
    (over the bin's bases; the last, partial bin over its own length) or ``"sum"``.
    ``sums_reader``: the same file opened by :func:`graphreg_cli.io.bigwig_sums.open_sums`,
    the fast path (pyBigWig's where it cannot serve).
    """
    length = handle.chroms(chrom)
    if length is None:
        raise GraphregError(f"{chrom} is not in this bigWig")
    if stat not in ("mean", "sum"):
        raise ValueError(f"unknown stat {stat!r}")
    sums = None if sums_reader is None else bin_sums(sums_reader, chrom, length, bin_size)
    if sums is None:
        sums = _binned_sums(handle, chrom, length, bin_size)
    if stat == "sum":
        return sums.astype(np.float32)
    widths = np.full(len(sums), bin_size, dtype=np.float64)
    widths[-1] = length - (len(sums) - 1) * bin_size
    return (sums / widths).astype(np.float32)


def missing_bins(handle, chrom: str, bin_size: int) -> np.ndarray:
    """Bins holding a NaN value on any base (no data, as some pipelines write it),
    ``(n_bins,) bool``; :func:`read_bins` reads those bases as 0."""
    length = handle.chroms(chrom)
    missing = np.zeros(n_bins(length, bin_size), bool)
    intervals = handle.intervals(chrom, 0, length) or []
    if not intervals:
        return missing
    flat = itertools.chain.from_iterable(intervals)
    table = np.fromiter(flat, np.float64, 3 * len(intervals)).reshape(-1, 3)
    nan = table[np.isnan(table[:, 2])]
    if len(nan):
        first = (nan[:, 0] // bin_size).astype(np.int64)
        last = ((nan[:, 1] - 1) // bin_size).astype(np.int64)
        change = np.zeros(len(missing) + 1, np.int64)  # mark [first, last] of each interval
        np.add.at(change, first, 1)
        np.add.at(change, last + 1, -1)
        missing = np.cumsum(change[:-1]) > 0
    return missing


def bigwig_grid(handle) -> int | None:
    """The grid (bp) a bigWig's intervals lie on: the greatest common divisor of the
    interval boundaries on the first chromosome with data (chromosome ends excepted);
    None when the file holds no data."""
    for chrom, size in handle.chroms().items():
        for start in range(0, size, 5_000_000):  # the first 5 Mb with data suffice
            intervals = handle.intervals(chrom, start, min(size, start + 5_000_000)) or []
            bounds = [x for s, e, _ in intervals[:2000] for x in (s, e) if x != size]
            if bounds:
                return math.gcd(*bounds)
    return None


def read_bigwig(
    path: str | Path, bin_size: int, chroms: list[str] | None = None, stat: str = "mean"
) -> dict[str, np.ndarray]:
    """Read a bigWig as ``{chrom: (n_bins,) float32}`` for ``chroms`` (default: all)."""
    with open_bigwig(path) as handle:
        present = handle.chroms()
        wanted = list(present) if chroms is None else chroms
        missing = [c for c in wanted if c not in present]
        if missing:
            raise InputError(
                f"{missing[0]} is not found in this bigWig (it has {preview(present, 4)}); "
                "check the chromosome names",
                path,
            )
        sums_reader = open_sums(path)
        try:
            return {c: read_bins(handle, c, bin_size, stat, sums_reader) for c in wanted}
        finally:
            if sums_reader is not None:
                sums_reader.close()


def validate_track(
    sizes: dict[str, int], tracks: dict[str, np.ndarray], bin_size: int, target: str | Path
) -> None:
    """Check per-bin tracks against chromosome sizes before anything is written."""
    for chrom, values in tracks.items():
        if chrom not in sizes:
            raise InputError(f"{chrom} is not found in chromosome sizes file", target)
        expected = n_bins(sizes[chrom], bin_size)
        if len(values) != expected:
            raise GraphregError(
                f"{target}: {chrom} has {len(values)} values but {expected} bins of "
                f"{bin_size} bp cover its {sizes[chrom]} bp; is the bin size right?"
            )
        finite = np.isfinite(values)
        if not finite.all():
            i = int(np.flatnonzero(~finite)[0])
            raise GraphregError(
                f"{target}: {chrom} bin {i} ({i * bin_size}-{(i + 1) * bin_size}) is "
                f"{values[i]}; bigWig values must be finite"
            )


def write_bigwig(
    path: str | Path,
    sizes: dict[str, int],
    tracks: dict[str, np.ndarray],
    bin_size: int,
    gaps: bool = False,
) -> None:
    """Write per-bin values ``{chrom: (n_bins,) array}`` as a bigWig, atomically.

    The header lists every chromosome of ``sizes`` in its order; entries follow that order;
    the last bin of each chromosome ends at the chromosome's size. ``gaps``: leave bins of
    value 0 out (read back as 0) — one fixed-span ``addEntries`` per chromosome over the
    non-zero bins, for fine, sparse tracks. Before it replaces ``path``, the file is read back
    (:func:`verify_bigwig`); libBigWig's complaints (a full disk: "[bwClose] ... likely
    truncated") become one OutputError and ``path`` is left as it was.
    """
    validate_track(sizes, tracks, bin_size, path)
    written = Written()
    with atomic_path(path, verify=lambda tmp: verify_bigwig(tmp, sizes, written, path)) as tmp:
        with libbigwig_messages() as messages:
            try:
                _guarded(_write_entries, tmp, sizes, tracks, bin_size, gaps, written)
            except RuntimeError as err:  # pyBigWig: "Received an error while writing ..."
                raise _write_failure(path, tmp, str(err)) from None
        if messages:
            raise _write_failure(path, tmp, messages[0])


@dataclass
class Written:
    """What a bigWig writer wrote, to check the file against: bases covered by entries, and
    the last entry ``(chrom, start, end, value)`` of each chromosome."""

    bases: int = 0
    last: list[tuple[str, int, int, float]] = field(default_factory=list)

    def add(self, chrom: str, start: int, end: int, value: float, bases: int) -> None:
        self.bases += bases
        self.last.append((chrom, start, end, value))


def _write_entries(
    tmp: Path,
    sizes: dict[str, int],
    tracks: dict[str, np.ndarray],
    bin_size: int,
    gaps: bool,
    written: Written,
) -> None:
    """Write the bigWig at ``tmp``, recording what was written in ``written``."""
    handle = pyBigWig.open(str(tmp), "w")
    try:
        handle.addHeader(list(sizes.items()), maxZooms=10)
        for chrom, length in sizes.items():
            if chrom not in tracks:
                continue
            values = np.asarray(tracks[chrom], dtype=np.float64)
            full = length // bin_size  # bins ending inside the chromosome
            if gaps:
                starts = np.flatnonzero(values[:full])
                if starts.size:
                    handle.addEntries(
                        chrom, starts * bin_size, values=values[starts], span=bin_size
                    )
            else:
                starts = np.arange(full)
                if full:
                    handle.addEntries(chrom, 0, values=values[:full], span=bin_size, step=bin_size)
            if starts.size:
                end = int(starts[-1] + 1) * bin_size
                value = float(values[starts[-1]])
                written.add(chrom, end - bin_size, end, value, starts.size * bin_size)
            if full < len(values) and not (gaps and values[full] == 0):
                start, value = full * bin_size, float(values[full])
                handle.addEntries([chrom], [start], ends=[length], values=[value])
                written.add(chrom, start, length, value, length - start)
    finally:
        handle.close()


def _guarded(write, tmp: Path, *args) -> None:
    """Run ``write(tmp, *args)`` in a forked child where the OS allows: libBigWig aborts the
    whole process when a write fails (a full disk: SIGABRT, nothing printed), which the
    parent then reports as a one-line error. ``args[-1]`` (a :class:`Written`) is filled in as
    the child filled it; what the child printed on stderr is passed on unless it crashed."""
    if not hasattr(os, "fork"):
        write(tmp, *args)
        return
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as errors:
        with warnings.catch_warnings():  # (3.12+ warns of threads; the child takes no lock)
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _child_write(write, tmp, args, write_end, errors.fileno())
        os.close(write_end)
        chunks: list[bytes] = []
        reader = threading.Thread(target=_drain, args=(read_end, chunks), daemon=True)
        reader.start()
        status = _wait_writer(pid, tmp.parent)
        reader.join()
        os.close(read_end)
        if status is not None and not os.WIFSIGNALED(status):
            errors.seek(0)
            with contextlib.suppress(OSError):
                os.write(2, errors.read())  # (libBigWig's lines: the caller captures them)
    message = b"".join(chunks)
    if status is None:
        raise RuntimeError("libBigWig stalled on a full disk")
    if os.WIFSIGNALED(status) or not message:
        how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else "no result"
        raise RuntimeError(f"libBigWig stopped the writer ({how})")
    kind, value = pickle.loads(message)
    if kind == "error":
        raise RuntimeError(value)
    args[-1].__dict__.update(value.__dict__)


def _child_write(write, tmp: Path, args: tuple, out_fd: int, errors_fd: int) -> None:
    """The forked child: write, send back what was written, leave without any cleanup."""
    code = 0
    try:
        faulthandler.disable()  # (a crash is reported by the parent, in one line)
        os.dup2(errors_fd, 2)
        try:
            write(tmp, *args)
            message = pickle.dumps(("ok", args[-1]))
        except RuntimeError as err:
            message = pickle.dumps(("error", str(err)))
        with os.fdopen(out_fd, "wb") as out:
            out.write(message)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _wait_writer(pid: int, folder: Path, stall_s: float = 2.0) -> int | None:
    """The child's exit status; None when it was killed for making no progress on a full
    disk (libBigWig may loop, rather than fail, when its writes are refused)."""
    pause, stalled = 0.002, 0.0
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(pause)
        try:
            full = shutil.disk_usage(folder).free == 0
        except OSError:
            full = False
        stalled = stalled + pause if full else 0.0
        if stalled >= stall_s:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        pause = min(2 * pause, 0.1)


def _write_failure(target: str | Path, tmp: Path, detail: str) -> OutputError:
    """An OutputError for a bigWig libBigWig could not finish (``detail``: its message)."""
    try:
        usage = shutil.disk_usage(tmp.parent)
        full = usage.free < max(1 << 20, usage.total // 100)
    except OSError:
        full = False
    if full:
        return OutputError(
            target, "no space left on the device", "free some space or write elsewhere"
        )
    detail = detail.strip().rstrip(".")
    return OutputError(target, f"libBigWig failed ({detail})", "check the disk and the folder")


def verify_bigwig(tmp: Path, sizes: dict[str, int], written: Written, target: str | Path) -> None:
    """Read a freshly written bigWig back: it opens as a bigWig, its header lists ``sizes``
    and the bases written, and the last entry of each chromosome reads back with its value."""
    handle = _open_quietly(tmp)
    if handle is None:
        raise _write_failure(target, tmp, "the file written is not a readable bigWig (truncated)")
    with handle:
        if dict(handle.chroms()) != dict(sizes):
            raise _write_failure(target, tmp, "the header read back lists other chromosomes")
        covered = handle.header()["nBasesCovered"]
        if covered != written.bases:
            raise _write_failure(
                target, tmp, f"the header read back covers {covered} bp, not {written.bases}"
            )
        for chrom, start, end, value in written.last:
            back = handle.intervals(chrom, start, end) or []
            if not back or np.float32(back[-1][2]) != np.float32(value):
                raise _write_failure(
                    target, tmp, f"{chrom}:{start}-{end} reads back as {back[-1:] or 'nothing'}"
                )


@contextlib.contextmanager
def libbigwig_messages() -> Iterator[list[str]]:
    """Keep libBigWig's own lines ("[bwClose] ...", "[bwHdrRead] ...") off the user's
    terminal: what C code prints on file descriptor 2 while the block runs is captured; the
    list yielded then holds libBigWig's lines, and anything else (a progress bar refresh) is
    passed on to stderr."""
    lines: list[str] = []
    with contextlib.suppress(AttributeError, ValueError, OSError):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
        read_end, write_end = os.pipe()
    except OSError:  # no stderr at all: nothing to keep quiet
        yield lines
        return
    chunks: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(read_end, chunks), daemon=True)
    reader.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield lines
    finally:
        with contextlib.suppress(AttributeError, ValueError, OSError):
            sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last write end closes: the reader sees its end
        os.close(saved)
        reader.join()
        os.close(read_end)
        other = []
        for line in b"".join(chunks).decode(errors="replace").splitlines(keepends=True):
            if LIBBIGWIG_LINE.match(line):
                lines.append(line.strip())
            else:
                other.append(line)
        if other:
            with contextlib.suppress(OSError):
                os.write(2, "".join(other).encode())


def _drain(fd: int, chunks: list[bytes]) -> None:
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)


def copy_to_stdout(path: str | Path) -> None:
    """Copy a finished file's bytes to stdout (pyBigWig cannot write to a pipe); a closed,
    full or broken stdout is an OutputError, and stdout is then muted so that Python's exit
    adds no second complaint."""
    stdout = getattr(sys.stdout, "buffer", None)
    if stdout is None:
        raise OutputError("stdout", "it is closed", "write to a file with -o FILE", kept=False)
    try:
        with open(path, "rb") as source:
            shutil.copyfileobj(source, stdout)
        stdout.flush()
    except OSError as err:
        _mute_stdout()
        reason = os_reason(err)[0]
        raise OutputError("stdout", reason, "write to a file with -o FILE", kept=False) from None


def _mute_stdout() -> None:
    """Point stdout at /dev/null (what is buffered is dropped, unflushable as it is)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def write_region_bigwig(
    path: str | Path, sizes: dict[str, int], chrom: str, start: int, values: np.ndarray
) -> None:
    """Write per-base ``values`` from 0-based ``start`` on ``chrom`` as a bigWig (atomically),
    the header listing every chromosome of ``sizes`` (so it loads beside the genome)."""
    values = np.asarray(values, dtype=np.float64)
    if chrom not in sizes or start < 0 or start + len(values) > sizes[chrom]:
        raise GraphregError(f"{path}: {chrom}:{start}+{len(values)} is off the chromosome sizes")
    if not np.isfinite(values).all():
        raise GraphregError(f"{path}: values must be finite")
    with atomic_path(path) as tmp:
        handle = pyBigWig.open(str(tmp), "w")
        try:
            handle.addHeader(list(sizes.items()), maxZooms=10)
            if len(values):
                handle.addEntries(chrom, int(start), values=values, span=1, step=1)
        finally:
            handle.close()
