"""Where a training run writes, so that an earlier run is never damaged.

A new run trains in a staging folder beside ``out`` (``.OUT.graphreg-PID.XXXX.tmp``) and replaces
``out`` only once it has its first checkpoint; a run that fails before that leaves ``out`` as
it was. A run already in ``out`` is replaced only with ``overwrite``; ``resume`` continues it
in place (its log cut back to the checkpoint's epoch).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from graphreg_cli.errors import NAME_ONLY, SettingError
from graphreg_cli.io.atomic import (
    ASIDE_TAG,
    TEMP_SUFFIX,
    atomic_text,
    check_writable,
    make_folder,
    output_error,
    sweep_temp_files,
    temp_prefix,
)

logger = logging.getLogger(__name__)

RUN_FILES = ("config.json", "model.pt", "checkpoint.pt")  # any of them: a run is there


@contextlib.contextmanager
def run_lock(out: Path, take: bool = True):
    """Hold ``.OUT.graphreg.lock`` (beside ``out``, removed after) while a run writes
    ``out``: a second ``train`` into the same folder is refused at once instead of racing the
    first. A folder where no lock file can be made (read-only: refused later with its own
    message), or a system without ``fcntl``, goes without."""
    out = Path(out)
    lock = out.parent / f".{out.name}.graphreg.lock"
    handle = _take_lock(lock, out) if take and fcntl is not None else None
    try:
        yield
    finally:
        if handle is not None:
            with contextlib.suppress(OSError):
                lock.unlink()  # while held: a process that opened it sees another inode
            handle.close()  # (closing releases the lock)


def _take_lock(lock: Path, out: Path):
    """The open, locked lock file (None where none can be made); SettingError when held."""
    while True:
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock, "a+")  # noqa: SIM115 (held for the whole run)
        except OSError:
            return None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise SettingError(
                f"{{out}} is being written by another graphreg train ({holder}); wait for it "
                "to finish or choose another {out}",
                out=out,
            ) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino
        except OSError:
            same = False
        if same:  # (else its holder removed it as we opened it: take the new one)
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            return handle
        handle.close()


def holds_run(out: Path) -> bool:
    return out.is_dir() and any((out / name).exists() for name in RUN_FILES)


def check_out(out: Path, resume: bool, overwrite: bool) -> None:
    """Refuse, before any work, what would damage a run or cannot be written."""
    if resume and overwrite:
        raise SettingError(
            "{resume} continues the run in {out}, {overwrite} replaces it: give one",
            resume=NAME_ONLY,
            overwrite=NAME_ONLY,
            out=out,
        )
    if out.exists() and not out.is_dir():
        raise SettingError("{out} is a file, not a run folder; choose another", out=out)
    check_writable(out / "config.json")
    if resume:
        if not (out / "checkpoint.pt").exists():
            raise SettingError(
                f"{out / 'checkpoint.pt'} is missing: nothing to resume; drop {{resume}} to "
                "start afresh",
                resume=NAME_ONLY,
            )
        return
    if holds_run(out) and not overwrite:
        raise SettingError(
            "{out} already holds a run; continue it with {resume}, replace it with "
            "{overwrite}, or choose another {out}",
            out=out,
            resume=NAME_ONLY,
            overwrite=NAME_ONLY,
        )
    if out.is_dir() and not holds_run(out) and any(out.iterdir()):
        raise SettingError(
            "{out} is a folder with other files but no run; choose a new or empty one", out=out
        )


class RunFolder:
    """The folder a run writes into now (``path``): ``out`` itself when resuming, else a
    staging folder until :meth:`promote` moves it to ``out``."""

    def __init__(self, out: Path, resume: bool):
        self.out = Path(out)
        self.promoted = resume
        if resume:
            self.path = self.out
            return
        parent = make_folder(self.out.parent)
        sweep_temp_files(parent)
        try:
            staging = tempfile.mkdtemp(prefix=temp_prefix(self.out), suffix=TEMP_SUFFIX, dir=parent)
            os.chmod(staging, 0o777 & ~_umask())  # mkdtemp's 0o700 would stay after the move
        except OSError as err:
            raise output_error(err, self.out) from None
        self.path = Path(staging)

    def start(self, config: dict, log_header: str, epoch: int) -> None:
        """Write the config and start the log (a resumed log is cut back to ``epoch``)."""
        from graphreg_cli.tasks.runs import save_json

        save_json(config, self.path / "config.json")
        if self.promoted:
            truncate_log(self.path / "train_log.tsv", log_header, epoch)
        else:
            with atomic_text(self.path / "train_log.tsv") as handle:
                handle.write(log_header)

    def log(self, line: str) -> None:
        """Append ``line`` to the training log."""
        with open(self.path / "train_log.tsv", "a") as handle:
            handle.write(line)

    def promote(self) -> None:
        """Make the staging folder the run folder ``out`` (once, after the first checkpoint):
        an earlier run there is renamed aside, the new one renamed in, the old removed."""
        if self.promoted:
            return
        try:
            if self.out.exists():
                _replace(self.path, self.out)
            else:
                os.rename(self.path, self.out)
        except OSError as err:
            raise output_error(err, self.out) from None
        self.path, self.promoted = self.out, True

    def discard(self) -> None:
        """Remove the staging folder of a run that never reached a checkpoint."""
        if not self.promoted:
            shutil.rmtree(self.path, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _replace(new: Path, out: Path) -> None:
    """Rename ``new`` over the folder ``out``; an earlier run goes aside to
    ``.OUT.graphreg-PID.old.tmp`` first (put back by :func:`sweep_temp_files` should the process die
    between the two renames) and is removed after."""
    try:
        os.rename(new, out)  # out is an empty folder
        return
    except OSError:
        pass
    aside = out.parent / f"{temp_prefix(out)}{ASIDE_TAG}{TEMP_SUFFIX}"
    os.rename(out, aside)
    try:
        os.rename(new, out)
    except OSError:
        os.rename(aside, out)
        raise
    shutil.rmtree(aside, ignore_errors=True)
    logger.info(f"{out}: the earlier run was replaced (--overwrite)")


def truncate_log(path: Path, header: str, epoch: int) -> None:
    """Keep the header and the lines of epochs up to ``epoch`` (a checkpoint's), dropping
    later or half-written lines, so that a resumed run logs each epoch once."""
    kept = [header]
    if path.exists():
        try:
            lines = path.read_text().splitlines(keepends=True)
        except (OSError, UnicodeDecodeError):
            lines = []
        width = header.count("\t") + 1
        for line in lines[1:]:
            fields = line.rstrip("\n").split("\t")
            complete = line.endswith("\n") and len(fields) == width
            if complete and fields[0].isdigit() and int(fields[0]) <= epoch:
                kept.append(line)
    with atomic_text(path) as handle:
        handle.write("".join(kept))


class NoFolder:
    """What ranks other than 0 of a data-parallel run write: nothing (rank 0 keeps the run
    folder)."""

    def __init__(self, out: Path):
        self.out = self.path = Path(out)

    def start(self, config: dict, log_header: str, epoch: int) -> None:
        pass

    def log(self, line: str) -> None:
        pass

    def promote(self) -> None:
        pass

    def discard(self) -> None:
        pass
