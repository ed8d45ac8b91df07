"""Errors a user can fix: one line naming the file, the line or the setting, and the fix.

The library raises them in its own terms (``window=-5``); the CLI prints the same message in
its terms (``--window -5``) on one line, with exit code 1 for bad input files and 2 for bad
settings, and never a traceback.
"""

from __future__ import annotations

from pathlib import Path

NAME_ONLY = object()  # a setting named without a value: "drop {resume}" → "drop --resume"


def preview(names, k: int = 3) -> str:
    """The first ``k`` names for a message, with the count when there are more:
    ``chr1, chr2, chr3, ... (24 in all)``."""
    names = list(names)
    more = f", ... ({len(names)} in all)" if len(names) > k else ""
    return ", ".join(map(str, names[:k])) + more


class GraphregError(Exception):
    """An error the user can fix. ``str(err)`` is one line; the CLI exits with ``exit_code``.

    The message may name settings as ``{name}`` fields filled from keyword arguments:
    ``GraphregError("{window} must be positive", window=-5)`` reads ``window=-5 must be
    positive`` from Python and ``--window -5 must be positive`` on the command line; a value
    of :data:`NAME_ONLY` names the setting alone (``use {resume}`` → ``use --resume``).
    """

    exit_code = 1

    def __init__(self, message: str, **settings):
        self.message, self.settings = message, settings
        super().__init__(self._render(cli=False))

    def cli_message(self) -> str:
        """The message as the command line shows it."""
        return self._render(cli=True)

    def _render(self, cli: bool) -> str:
        if not self.settings:
            return self.message

        def show(name: str, value) -> str:
            label = f"--{name.replace('_', '-')}" if cli else name
            if value is NAME_ONLY:
                return label
            if not cli:
                return f"{name}={value!r}"
            return f"{label} {','.join(map(str, value)) if isinstance(value, list) else value}"

        return self.message.format(**{k: show(k, v) for k, v in self.settings.items()})


class InputError(GraphregError):
    """Bad content in an input file.

    ``InputError("chr7 is not found in chromosome sizes file", path, line=12)`` renders as
    ``contacts.bedpe line 12: chr7 is not found in chromosome sizes file``.
    """

    def __init__(
        self, problem: str, path: str | Path | None = None, line: int | None = None, **settings
    ):
        self.problem = problem
        self.path = None if path is None else Path(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = str(self.path)
            if line is not None:
                where += f" line {line}"
            where += ": "
        if settings:  # the file name is not a template
            where = where.replace("{", "{{").replace("}", "}}")
        super().__init__(where + problem, **settings)


class SettingError(GraphregError):
    """A setting (a keyword argument of the library, an option of the CLI) that cannot work."""

    exit_code = 2


class RunError(GraphregError):
    """A run folder that cannot be used: missing, incomplete, damaged or from elsewhere."""


class OutputError(GraphregError):
    """A file that could not be written (full disk, read-only folder, ...); nothing was
    replaced: the previous file, if any, is as it was."""

    def __init__(
        self, target: str | Path, reason: str, fix: str = "write elsewhere", kept: bool = True
    ):
        self.target = Path(target)
        message = f"cannot write {target}: {reason}; {fix}"
        if kept:
            message += " (the previous file, if any, is intact)"
        super().__init__(message.replace("{", "{{").replace("}", "}}"))


OS_REASONS = {  # errno name -> (what happened, what to do)
    "ENOSPC": ("no space left on the device", "free some space or write elsewhere"),
    "EDQUOT": ("disk quota exceeded", "free some space or write elsewhere"),
    "EROFS": ("the file system is read-only", "choose a writable location"),
    "EACCES": ("permission denied", "choose a writable location or fix the permissions"),
    "EPERM": ("operation not permitted", "choose a writable location or fix the permissions"),
    "ENOTDIR": ("a part of the path is a file, not a folder", "check the path"),
    "EISDIR": ("is a folder, not a file", "give a file name"),
    "ENOENT": ("no such file or folder", "check the path"),
    "ENAMETOOLONG": ("the file name is too long", "use a shorter name"),
    "EPIPE": ("the reader went away (broken pipe)", "keep the reading command open"),
    "EIO": ("input/output error from the device", "check the disk"),
}


def os_reason(err: OSError) -> tuple[str, str]:
    """``(what happened, what to do)`` for an OSError, in words."""
    import errno

    name = errno.errorcode.get(err.errno or 0, "")
    if name in OS_REASONS:
        return OS_REASONS[name]
    return (err.strerror or str(err)).lower(), "check the path and the device"


def describe_range(low=None, high=None, low_open=False, high_open=False) -> str:
    """``0<=x<1``-style text of a range (as Typer shows ranges in ``--help``)."""
    if low is None and high is None:
        return "a finite number"
    if high is None:
        return f"x{'>' if low_open else '>='}{low:g}"
    if low is None:
        return f"x{'<' if high_open else '<='}{high:g}"
    return f"{low:g}{'<' if low_open else '<='}x{'<' if high_open else '<='}{high:g}"


def in_range(value, low=None, high=None, low_open=False, high_open=False) -> bool:
    """Whether ``value`` is a finite number within the range (ends as for describe_range)."""
    import math

    try:
        if not math.isfinite(value):
            return False
    except TypeError:
        return False
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    return not (below or above)


def check_range(name: str, value, low=None, high=None, low_open=False, high_open=False) -> None:
    """SettingError naming the setting ``name`` unless ``value`` is in the range:
    ``check_range("lr", 0, low=0, low_open=True)`` → ``lr=0 is outside 0<x``."""
    if not in_range(value, low, high, low_open, high_open):
        allowed = describe_range(low, high, low_open, high_open)
        raise SettingError(f"{{{name}}} is outside {allowed}", **{name: value})
