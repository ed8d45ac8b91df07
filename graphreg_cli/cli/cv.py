"""``graphreg cv``: GraphReg's 10-fold cross-validation by chromosome, one table.

Takes every option of ``graphreg train`` (the same inputs, model and training settings for
each fold) except the split, which the folds set, and the run folder, which is one per fold.
"""

from __future__ import annotations

import inspect
from dataclasses import fields, replace
from pathlib import Path

import typer
from rich.table import Table

from graphreg_cli.cli import train as train_cmd
from graphreg_cli.cli.console import console, progress_bar
from graphreg_cli.cli.inputs import chroms, resolve_inputs
from graphreg_cli.data.edges import ContactOptions
from graphreg_cli.errors import GraphregError, SettingError
from graphreg_cli.models import MODEL_NAMES, ModelConfig
from graphreg_cli.tasks.cv import CV_TABLE, MIN_EXPRESSION, cross_validate, parse_folds
from graphreg_cli.tasks.train import TrainOptions

NOT_PER_FOLD = ("out", "resume", "val_chroms", "test_chroms", "fold")


def _cv(folds: str, out: Path, min_expression: float, **settings) -> None:
    """Train GraphReg's 10 cross-validation folds and tabulate their test scores.

    Fold K validates on chrK, chrK+10 and tests on chrK+1, chrK+11 (human; mouse wraps), so
    chr2-chr21 are each tested once. Each fold is a run folder OUT/fold_K (evaluate, predict
    and explain work on it); OUT/cv.tsv has per-fold and pooled Pearson r of log CAGE at
    expressed TSS bins (GraphReg's headline), at all TSS bins, and the study's test MSE.
    """
    chosen = parse_folds(folds)
    inputs, model_config, options = _settings(settings)
    table = None
    with progress_bar() as progress:
        task = progress.add_task("cross-validation", total=options.epochs * len(chosen))
        state = {"fold": 0, "done": 0}

        def on_fold(k: int, stage: str) -> None:
            if stage == "training":
                state["fold"] = k
            else:
                state["done"] += 1
                progress.update(task, completed=state["done"] * options.epochs)

        def on_epoch(epoch, total, train_loss, val_mse, best):
            progress.update(
                task,
                completed=state["done"] * options.epochs + epoch,
                description=f"fold {state['fold']}, epoch {epoch}: val MSE {val_mse:.4f}",
            )

        table = cross_validate(
            inputs, out, model_config, options, chosen, min_expression, on_fold, on_epoch
        )
    shown = Table(title=f"{model_config.name}: test chromosomes of each fold", title_justify="left")
    labels = {
        "fold": "fold",
        "test": "test",
        "expressed": f"TSS bins ≥ {min_expression:g}",
        "r_expressed": "r log CAGE, expressed",
        "r_all": "r, all TSS bins",
        "mse": "MSE",
    }
    for label in labels.values():
        shown.add_column(label, justify="right")
    for row in table.to_dict("records"):
        shown.add_row(
            *(f"{row[k]:.4f}" if isinstance(row[k], float) else str(row[k]) for k in labels)
        )
    console.print(shown)
    console.print(f"written: {out / CV_TABLE} and one run folder per fold in {out}/")


def _settings(given: dict) -> tuple:
    """``graphreg train``'s options → ``(Inputs, ModelConfig, TrainOptions)``, as it does."""
    if given["model"] not in MODEL_NAMES:
        raise typer.BadParameter(f"choose from {', '.join(MODEL_NAMES)}", param_hint="--model")
    contact_options = ContactOptions(
        given["contacts_format"], given["max_fdr"], given["min_score"], given["top_k"]
    )
    targets = list(given["target"] or [])
    inputs = resolve_inputs(
        given["files"],
        targets[0] if targets else None,
        given["genes"],
        given["bin_size"],
        given["input_bin_size"],
        contact_options,
    )
    gene_types = given["gene_types"]  # comma-separated, as chromosomes are
    inputs = replace(
        inputs,
        extra_targets=targets[1:],
        gene_types=chroms(gene_types),
        tss=given["tss"].value,
    )
    if inputs.target is None:
        raise GraphregError("no target: give the CAGE bigWig with --target CAGE.bw")
    model = {f.name: given[f.name] for f in fields(ModelConfig) if f.name in given}
    model_config = ModelConfig(**dict(model, name=given["model"]))
    options = TrainOptions(
        **{f.name: given[f.name] for f in fields(TrainOptions) if f.name in given}
    )
    if options.epochs < 1:
        raise SettingError("{epochs} must be at least 1", epochs=options.epochs)
    return inputs, model_config, options


def _build():
    """``_cv`` with ``graphreg train``'s parameters (less the split and run folder) added."""
    own = [
        inspect.Parameter(
            "folds",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option("1-10", help="Folds to run: 1-10 (all), or e.g. 1,2 or 3-5."),
            annotation=str,
        ),
        inspect.Parameter(
            "out",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                Path("graphreg_cv"),
                "--out",
                "-o",
                file_okay=False,
                help="Folder for cv.tsv and one run folder per fold (fold_01, ...).",
            ),
            annotation=Path,
        ),
        inspect.Parameter(
            "min_expression",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                MIN_EXPRESSION,
                min=0.0,
                help="TSS bins with true CAGE at least this are 'expressed' (GraphReg: 5, "
                "in the target's units).",
            ),
            annotation=float,
        ),
    ]
    inherited = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for name, p in inspect.signature(train_cmd.train, eval_str=True).parameters.items()
        if name not in NOT_PER_FOLD
    ]
    files, rest = inherited[0], inherited[1:]  # FILES stays the positional argument

    def cv(**kwargs) -> None:
        _cv(**kwargs)

    cv.__doc__ = _cv.__doc__
    parameters = [files, *rest, *own]
    cv.__signature__ = inspect.Signature(parameters)
    cv.__annotations__ = {p.name: p.annotation for p in parameters}
    return cv


cv = _build()
