"""Notes printed before long work: settings a command's user should know about."""

from __future__ import annotations

from graphreg_cli.models import SEQUENCE_MODELS, ModelConfig
from graphreg_cli.tasks.train import TrainOptions

M, T = ModelConfig(), TrainOptions()


def training_notes(model: str, stage: str, init: bool, dropout: float, min_epochs: int):
    """What to know before training ``model`` with these settings, one line each."""
    if model in SEQUENCE_MODELS and stage == "end-to-end" and not init:
        yield (
            "end to end, the sequence models learn the motif grammar poorly (measured in "
            "docs/sequence.md); GraphReg's two stages do: --stage epigenome, then --stage "
            "cage --init THAT_RUN"
        )
    if model == "additive" and (dropout, min_epochs) == (M.dropout, T.min_epochs):
        yield (
            "the additive model signed elements best with --dropout 0.3 --min-epochs 600 "
            "(docs/explain.md); give accessibility as the first track: alone, it is each "
            "element's activity; given histone marks after it, the activity reads every track "
            "and the sign the marks and how much of each bin's signal is accessibility alone"
        )
