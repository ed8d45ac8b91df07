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
