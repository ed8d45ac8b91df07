"""The ``graphreg`` command line: thin Typer commands over the library."""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

try:  # Typer 0.26+ carries its own copy of Click
    from typer._click import exceptions as click
except ImportError:  # pragma: no cover - older Typer on Click
    from click import exceptions as click

from graphreg_cli import __version__
from graphreg_cli.cli import benchmark as benchmark_cmd
from graphreg_cli.cli import cv as cv_cmd
from graphreg_cli.cli import evaluate as evaluate_cmd
from graphreg_cli.cli import explain as explain_cmd
from graphreg_cli.cli import predict as predict_cmd
from graphreg_cli.cli import prepare as prepare_cmd
from graphreg_cli.cli import simulate as simulate_cmd
from graphreg_cli.cli import train as train_cmd
from graphreg_cli.cli import variants as variants_cmd
from graphreg_cli.cli.console import console, error, show_library_log
from graphreg_cli.errors import GraphregError, os_reason

DEBUG = "graphreg.debug"  # ctx.meta key: --debug was given


class _Group(TyperGroup):
    """Every failure as one red line on stderr and an exit code, never a traceback:
    GraphregError (1 for input, 2 for settings), Click's own usage errors (2), OS errors and,
    as a last resort, anything unexpected (1, with a hint to rerun with ``--debug``)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as err:
            if type(err).__name__ == "NoArgsIsHelpError":  # the help is already printed
                return _exit(err.exit_code, standalone_mode)
            error(usage_message(err))
            code = err.exit_code
        except typer.Abort:
            console.print("[yellow]graphreg: interrupted[/]")
            code = 130
        return _exit(code if isinstance(code, int) else 0, standalone_mode)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click.ClickException):
            raise  # Click's own: handled in main
        except GraphregError as err:
            error(err.cli_message())
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            console.print("[yellow]graphreg: interrupted[/]")
            raise typer.Exit(130) from None
        except Exception as err:
            if ctx.meta.get(DEBUG):
                raise
            error(unexpected_message(err, ctx.invoked_subcommand))
            raise typer.Exit(1) from None


def _exit(code: int, standalone_mode: bool) -> int:
    if not standalone_mode:
        return code
    sys.exit(code)


def usage_message(err: click.ClickException) -> str:
    """Click's error as one line, pointing at the command's --help."""
    message = " ".join(err.format_message().split())
    ctx = getattr(err, "ctx", None)
    if ctx is not None:
        message += f" (see {ctx.command_path} --help)"
    return message


def unexpected_message(err: Exception, command: str | None) -> str:
    """One line for an exception graphreg did not expect: the file an OS error names (and
    what to do), else the exception itself; and how to see the traceback."""
    command = f" {command}" if command else ""
    debug = f"graphreg --debug{command} ... shows the traceback"
    if isinstance(err, OSError):
        reason, fix = os_reason(err)
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{reason}; {fix} ({debug})"
    text = " ".join(str(err).split())[:300] or "(no message)"
    return f"graphreg{command} failed: {type(err).__name__}: {text}; {debug}; please report it"


app = typer.Typer(
    cls=_Group,
    name="graphreg",
    help=(
        "Predict gene expression (CAGE) from epigenomic tracks (DNase-seq, ...) and 3D "
        "chromatin contacts with graph neural networks (Epi-GraphReg).\n\n"
        "Typical use: [bold]graphreg simulate[/] (a synthetic dataset IGV opens), "
        "[bold]graphreg train --model gat[/], [bold]graphreg evaluate[/], "
        "[bold]graphreg predict > cage.bw[/]. From DNA (Seq-GraphReg): [bold]graphreg simulate "
        "--sequence[/], [bold]graphreg train --model seq-gat[/], [bold]graphreg variants[/]."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"graphreg {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(
        False,
        "--debug",
        help="Show the full traceback of an unexpected error (graphreg --debug train ...).",
    ),
) -> None:
    """Predict gene expression from epigenomic tracks and chromatin contacts."""
    ctx.meta[DEBUG] = debug
    show_library_log()


app.command("simulate")(simulate_cmd.simulate)
app.command("train")(train_cmd.train)
app.command("evaluate")(evaluate_cmd.evaluate)
app.command("predict")(predict_cmd.predict)
app.command("explain")(explain_cmd.explain)
app.command("perturb")(explain_cmd.perturb)
app.command("variants")(variants_cmd.variants)
app.command("ism")(variants_cmd.ism)
app.command("cv")(cv_cmd.cv)
app.command("benchmark")(benchmark_cmd.benchmark)
app.add_typer(prepare_cmd.app, name="prepare")


def main() -> None:
    """Console-script entry point."""
    app()
