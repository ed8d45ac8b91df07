"""User-facing errors: one line naming the file, the line and the fix; never a traceback."""

from __future__ import annotations

from pathlib import Path


class GraphregError(Exception):
    """An error the user can fix. The CLI prints ``str(err)`` on one line and exits 1."""


class InputError(GraphregError):
    """Bad content in an input file.

    ``InputError("chr7 is not found in chromosome sizes file", path, line=12)`` renders as
    ``contacts.bedpe line 12: chr7 is not found in chromosome sizes file``.
    """

    def __init__(self, problem: str, path: str | Path | None = None, line: int | None = None):
        self.problem = problem
        self.path = None if path is None else Path(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = str(self.path)
            if line is not None:
                where += f" line {line}"
            where += ": "
        super().__init__(where + problem)
