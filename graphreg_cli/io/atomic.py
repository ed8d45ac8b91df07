"""Atomic output: write a temp file beside the target, check it, then rename it over the target.

Every file graphreg writes goes through :func:`atomic_path`. The bytes go to
``.NAME.graphreg-PID.XXXXXXXX.tmp`` in the target's folder; when the writer returns, the
temp file is checked (the size written, for :func:`atomic_binary`/:func:`atomic_text`; a ``verify``
callback, e.g. a bigWig read back), flushed to the disk (fsync), and only then renamed over
the target. Any failure removes the temp file, leaves the target as it was and raises
:class:`~graphreg_cli.errors.OutputError` (one line). A process killed mid-write (SIGKILL)
leaves its temp file; the PID in its name tells it from a live writer's, and the next write
in that folder sweeps it up (:func:`sweep_temp_files`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from graphreg_cli.errors import OutputError, os_reason

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"
TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.graphreg-(?P<pid>\d+)\.(?P<tag>[A-Za-z0-9_]+)\.tmp$")
ASIDE_TAG = (
    "old"  # .NAME.graphreg-PID.old.tmp: a run folder moved aside while a new one replaces it
)


def temp_prefix(target: Path) -> str:
    """The start of a temp file's name for ``target``: ``.NAME.graphreg-PID.``."""
    return f".{target.name}.graphreg-{os.getpid()}."


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's live process, or not a PID we can ask about
    return True


def sweep_temp_files(folder: Path) -> int:
    """Remove temp files and folders (``.NAME.graphreg-PID.XXXX.tmp``) left in ``folder`` by
    graphreg processes that no longer run; returns how many were removed. A run folder moved
    aside (``.NAME.graphreg-PID.old.tmp``) by a process that died before its replacement
    arrived is put back as ``NAME`` instead."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = TEMP_NAME.match(entry.name)
        if not match or _alive(int(match["pid"])):
            continue
        original = Path(folder) / match["name"]
        if match["tag"] == ASIDE_TAG and not original.exists():
            with contextlib.suppress(OSError):
                os.rename(entry.path, original)
                logger.warning(f"{original}: put back; a replacement was interrupted")
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
    if removed:
        logger.info(f"{folder}: removed {removed} temp file(s) left by an interrupted write")
    return removed


def _fsync(path: Path, directory: bool = False) -> None:
    """Flush a file (or a folder's entries) to the disk."""
    try:
        fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    except OSError:
        if directory:
            return  # some file systems cannot open folders; the rename stands
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:  # folders of some file systems refuse fsync (EINVAL)
            raise
    finally:
        os.close(fd)


def output_error(err: OSError, target: Path) -> OutputError:
    """An OSError met while writing ``target`` as a one-line :class:`OutputError`."""
    reason, fix = os_reason(err)
    return OutputError(target, reason, fix)


def make_folder(folder: str | Path) -> Path:
    """Create ``folder`` (and its parents) for output; OutputError when it cannot be."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(folder, "exists and is not a folder", "choose another name") from None
    except OSError as err:
        raise output_error(err, folder) from None
    return folder


def check_writable(target: str | Path) -> None:
    """Fail early, before long work, when ``target`` could not be written: its folder cannot
    be created or written to, or the target is a folder."""
    target = Path(target)
    if target.is_dir():
        raise OutputError(target, "is a folder, not a file", "give a file name")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(target, f"{folder} is a file, not a folder", "check the path")
    if not os.access(folder, os.W_OK | os.X_OK):
        reason = "the file system is read-only" if _read_only(folder) else "permission denied"
        raise OutputError(target, f"{reason} ({folder})", "choose a writable location")


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


@contextlib.contextmanager
def atomic_path(target: str | Path, verify: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temp path in the target's folder; on success rename it to ``target``.

    After the body: ``verify(temp)`` (raise to refuse the file), fsync, rename, fsync of the
    folder. On any exception the temp file is removed and ``target`` is left as it was;
    OSErrors (full disk, read-only folder) become a one-line OutputError naming ``target``.
    A symbolic link is followed (the file it points to is replaced); a device, FIFO or
    socket (``/dev/null``) is written in place, as nothing can be renamed over it.
    """
    target = Path(target)
    if target.is_symlink() and Path(os.path.realpath(target)).exists():
        target = Path(os.path.realpath(target))  # (/dev/stdout on a pipe resolves to no path)
    if is_special(target):
        yield from _through_temp(target, verify)
        return
    folder = make_folder(target.parent)
    sweep_temp_files(folder)
    try:
        fd, name = tempfile.mkstemp(prefix=temp_prefix(target), suffix=TEMP_SUFFIX, dir=folder)
    except OSError as err:
        raise output_error(err, target) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _check_written(tmp, target, verify)
        os.chmod(tmp, 0o644)
        _fsync(tmp)
        os.replace(tmp, target)
        _fsync(folder, directory=True)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise output_error(err, target) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_written(tmp: Path, target: Path, verify) -> None:
    """The writer left a file at ``tmp``, and ``verify`` (when given) accepts it."""
    if not tmp.is_file():
        raise OutputError(target, "the writer left no file", "report this")
    if verify is not None:
        verify(tmp)


def _through_temp(target: Path, verify) -> Iterator[Path]:
    """A device, FIFO or socket (``/dev/stdout`` on a pipe, ``/dev/null``): the writer writes a
    temp file (pyBigWig cannot write to a pipe), checked, then its bytes are copied in."""
    with tempfile.TemporaryDirectory(prefix="graphreg-") as folder:
        tmp = Path(folder) / target.name
        try:
            yield tmp
            _check_written(tmp, target, verify)
            with open(tmp, "rb") as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
        except OSError as err:
            raise output_error(err, target) from None


def is_special(path: Path) -> bool:
    """Whether ``path`` is a device, FIFO or socket (not a file, not a folder)."""
    return path.exists() and not path.is_file() and not path.is_dir()


def check_size(path: Path, expected: int, target: Path) -> None:
    """OutputError unless ``path`` (a regular file) holds exactly ``expected`` bytes."""
    if is_special(path):
        return
    actual = path.stat().st_size
    if actual != expected:
        raise OutputError(
            target, f"{actual} of {expected} bytes reached the disk", "free some space or retry"
        )


@contextlib.contextmanager
def atomic_binary(target: str | Path) -> Iterator[BinaryIO]:
    """A binary file handle written atomically (see :func:`atomic_path`); the bytes on disk
    are checked against the bytes written before the rename."""
    target = Path(target)
    with atomic_path(target) as tmp:
        handle = open(tmp, "wb")  # noqa: SIM115 (closed below: its errors count)
        try:
            yield handle
            handle.flush()
            written = handle.tell()
        except BaseException:
            with contextlib.suppress(OSError):
                handle.close()  # the first error is the one to report
            raise
        handle.close()
        check_size(tmp, written, target)


@contextlib.contextmanager
def atomic_text(target: str | Path) -> Iterator[TextIO]:
    """A UTF-8 text file handle (``\\n`` line ends) written atomically, size checked."""
    with atomic_binary(target) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        try:
            yield text
            text.flush()
        finally:
            with contextlib.suppress(OSError, ValueError):
                text.detach()  # leave closing (and its errors) to atomic_binary


def atomic_bytes(target: str | Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically, size checked."""
    with atomic_binary(target) as handle:
        handle.write(data)
