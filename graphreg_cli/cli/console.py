"""One Rich console on stderr for all progress and logs, so stdout can carry a bigWig."""

import logging

from rich.console import Console
from rich.markup import escape

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


def error(message: str) -> None:
    """Print a one-line error on stderr (never wrapped)."""
    console.print(f"[bold red]graphreg: error:[/] {escape(message)}", soft_wrap=True)


def note(message: str) -> None:
    """Print a one-line note on stderr."""
    console.print(f"[yellow]note:[/] {escape(message)}")


class _Notes(logging.Handler):
    """The library's log records as one-line notes (INFO) and warnings on the console."""

    def emit(self, record: logging.LogRecord) -> None:
        label = "[yellow]note:[/]" if record.levelno < logging.WARNING else "[red]warning:[/]"
        console.print(f"{label} {escape(record.getMessage())}", soft_wrap=True)


def show_library_log() -> None:
    """Send the library's ``graphreg_cli`` log (silent by default) to the console, once."""
    logger = logging.getLogger("graphreg_cli")
    if not any(isinstance(h, _Notes) for h in logger.handlers):
        logger.addHandler(_Notes())
    logger.setLevel(logging.INFO)


class EpochBar:
    """A progress bar that appears with the first epoch, so that what fails while the inputs
    are read is a single error line."""

    def __init__(self, epochs: int):
        self.epochs, self.bar, self.task = epochs, None, None

    def update(self, epoch, total, train_loss, val_mse, best) -> None:
        if self.bar is None:
            self.bar = progress_bar()
            self.bar.start()
            self.task = self.bar.add_task("training", total=self.epochs)
        losses = f"loss {train_loss:.4f}  val MSE {val_mse:.4f}  best {best:.4f}"
        self.bar.update(self.task, completed=epoch, description=f"epoch {epoch}: {losses}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
