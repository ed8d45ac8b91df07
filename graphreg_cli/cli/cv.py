"""``graphreg cv``: GraphReg's 10-fold cross-validation by chromosome, one table.

Takes every option of ``graphreg train`` (the same inputs, model and training settings for
each fold) except the split, which the folds set, and the run folder, which is one per fold.
"""

from __future__ import annotations

import inspect
from dataclasses import fields
from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from graphreg_cli.cli import train as train_cmd
from graphreg_cli.cli.console import console, progress_bar
from graphreg_cli.cli.inputs import training_inputs
from graphreg_cli.cli.options import ModelName
from graphreg_cli.data.folds import FOLDS
from graphreg_cli.errors import SettingError
from graphreg_cli.models import MODEL_NAMES, ModelConfig
from graphreg_cli.tasks.cv import CV_TABLE, MIN_EXPRESSION, cross_validate, parse_folds
from graphreg_cli.tasks.train import TrainOptions

NOT_PER_FOLD = (
    "out",
    "resume",
    "val_chroms",
    "test_chroms",
    "fold",
    "val_regions",
    "test_regions",
)


def _cv(folds: str | None, out: Path, min_expression: float, blocks: int | None, **settings):
    """Train GraphReg's 10 cross-validation folds and tabulate their test scores.

    Fold K validates on chrK, chrK+10 and tests on chrK+1, chrK+11 (human; mouse wraps), so
    chr2-chr21 are each tested once. With --blocks K (data with one or a few chromosomes):
    the genes in genome order are cut into K contiguous blocks; fold k tests on block k and
    validates on the next. Each fold is a run folder OUT/fold_K (evaluate, predict and explain
    work on it); OUT/cv.tsv has per-fold and pooled Pearson r of log CAGE at expressed TSS
    bins (GraphReg's headline), at all TSS bins, the study's test MSE, and Pearson and
    Spearman r in the target's own units (a gene table's column).
    """
    count = blocks or FOLDS
    chosen = parse_folds(folds or f"1-{count}", count)
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
            inputs,
            out,
            model_config,
            options,
            chosen,
            min_expression,
            on_fold,
            on_epoch,
            blocks,
        )
    held = "blocks of genes" if blocks else "chromosomes"
    shown = Table(title=f"{model_config.name}: test {held} of each fold", title_justify="left")
    if inputs.target_is_table:
        units = inputs.target_units
        labels = {
            "fold": "fold",
            "test": "test",
            "tss_bins": "TSS bins",
            "pearson": f"Pearson r, {units}",
            "spearman": "Spearman r",
            "mse": "MSE",
        }
    else:
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
    inputs, _, _ = training_inputs({**given, "fold": None, "val_chroms": None, "test_chroms": None})
    # the model's options as train routes them ("window" is the training window, in bp,
    # not the linear model's kernel)
    model = {name: given[name] for name in train_cmd.MODEL_OPTIONS}
    model = {k: v.value if isinstance(v, Enum) else v for k, v in model.items()}
    model_config = ModelConfig(**dict(model, name=ModelName(given["model"]).value))
    training = {f.name: given[f.name] for f in fields(TrainOptions) if f.name in given}
    training = {k: v.value if isinstance(v, Enum) else v for k, v in training.items()}
    options = TrainOptions(**training)
    if options.epochs < 1:
        raise SettingError("{epochs} must be at least 1", epochs=options.epochs)
    return inputs, model_config, options


def _build():
    """``_cv`` with ``graphreg train``'s parameters (less the split and run folder) added."""
    own = [
        inspect.Parameter(
            "folds",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                None,
                help="Folds to run: 1-10 (all, the default), or e.g. 1,2 or 3-5; with "
                "--blocks K, 1-K.",
            ),
            annotation=str,
        ),
        inspect.Parameter(
            "blocks",
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(
                None,
                min=2,
                help="K-fold over K contiguous blocks of genes instead of chromosomes, for "
                "data with one or a few chromosomes (e.g. one chromosome's genes: 5).",
            ),
            annotation=int,
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
