"""The ``graphreg`` command line: thin Typer commands over the library."""

from __future__ import annotations

import typer
from rich.markup import escape
from typer.core import TyperGroup

from graphreg_cli import __version__
from graphreg_cli.cli import cv as cv_cmd
from graphreg_cli.cli import evaluate as evaluate_cmd
from graphreg_cli.cli import explain as explain_cmd
from graphreg_cli.cli import predict as predict_cmd
from graphreg_cli.cli import prepare as prepare_cmd
from graphreg_cli.cli import simulate as simulate_cmd
from graphreg_cli.cli import train as train_cmd
from graphreg_cli.cli import variants as variants_cmd
from graphreg_cli.cli.console import console, show_library_log
from graphreg_cli.errors import GraphregError


class _Group(TyperGroup):
    """Turns :class:`GraphregError` into one red line on stderr and exit code 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GraphregError as err:
            console.print(
                f"[bold red]graphreg: error:[/] {escape(err.cli_message())}", soft_wrap=True
            )
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            console.print("[yellow]graphreg: interrupted[/]")
            raise typer.Exit(130) from None


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
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Predict gene expression from epigenomic tracks and chromatin contacts."""
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
app.add_typer(prepare_cmd.app, name="prepare")


def main() -> None:
    """Console-script entry point."""
    app()
