"""Seq-CNN: the Seq-GraphReg trunk and a CAGE decoder along the chromosome, no graph."""

from __future__ import annotations

from graphreg_cli.models import register
from graphreg_cli.models.seq import SequenceModel


@register("seq-cnn")
class SeqCNN(SequenceModel):
    """DNA → epigenome tracks at the input resolution, and CAGE per graph bin from the node
    embeddings by ``decoder_layers`` convolutions along the chromosome (the baseline: it
    sees a few bins around each gene, never a distal contact)."""

    def cage(self, nodes, batch):
        return self.decode(nodes, batch)
