"""GraphReg's 10-fold cross-validation by chromosome.

GraphReg trains ten models per cell type (``train/run_epi_models_*.sh`` and the loops of
``test/Epi-GraphReg_test_multiple_runs.py`` in karbalayghareh/GraphReg): fold ``k`` validates
on chromosomes ``k`` and ``k + 10`` and tests on ``k + 1`` and ``k + 11`` (human, 22
autosomes: chr2 to chr21 are each tested once); mouse (19 autosomes) wraps around: fold 9
validates on 9, 19 and tests on 10, 1; fold 10 validates on 10, 1 and tests on 11, 2.
GraphReg trained on the remaining autosomes; graphreg trains on every other chromosome of the
tracks (leave chrX/chrY out of the tracks to match exactly).
"""

from __future__ import annotations

from graphreg_cli.data.naming import alias
from graphreg_cli.errors import NAME_ONLY, SettingError

FOLDS = 10


def fold_numbers(k: int, autosomes: int) -> tuple[list[int], list[int]]:
    """``(validation, test)`` autosome numbers of fold ``k`` (1..10) for 22 or 19 autosomes."""
    if not 1 <= k <= FOLDS:
        raise SettingError(f"{{fold}} must be 1 to {FOLDS}", fold=k)
    if autosomes == 19 and k == 9:
        return [9, 19], [10, 1]
    if autosomes == 19 and k == 10:
        return [10, 1], [11, 2]
    return [k, k + 10], [k + 1, k + 11]


def fold_chromosomes(k: int, names: list[str]) -> tuple[list[str], list[str]]:
    """``(validation, test)`` chromosome names of fold ``k`` among ``names`` (``chr1`` or
    ``1`` style): human when autosomes 1..22 are all present, else mouse when 1..19 are."""
    by_number = {int(alias(n)): n for n in names if alias(n).isdigit()}
    if all(i in by_number for i in range(1, 23)):
        autosomes = 22
    elif all(i in by_number for i in range(1, 20)):
        autosomes = 19
    else:
        have = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        raise SettingError(
            "{fold} follows GraphReg's split of autosomes 1-22 (human) or 1-19 (mouse); the "
            f"tracks have {have}: give {{val_chroms}} and {{test_chroms}} instead",
            fold=k,
            val_chroms=NAME_ONLY,
            test_chroms=NAME_ONLY,
        )
    val, test = fold_numbers(k, autosomes)
    return [by_number[i] for i in val], [by_number[i] for i in test]


def fold_split(inputs, k: int) -> tuple[list[str], list[str]]:
    """Fold ``k``'s ``(validation, test)`` chromosomes among those of the first track."""
    return fold_chromosomes(k, list(inputs.sizes()))
