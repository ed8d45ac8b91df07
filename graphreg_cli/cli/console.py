"""One Rich console on stderr for all progress and logs, so stdout can carry a bigWig."""

from rich.console import Console

console = Console(stderr=True, highlight=False)


def progress_bar():
    """A Rich progress bar on stderr: description, bar, count, elapsed and remaining time."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def note(message: str) -> None:
    """Log a one-line note on stderr (the ``log`` callback the library functions take)."""
    console.print(f"[yellow]note:[/] {message}")
