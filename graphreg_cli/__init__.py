"""graphreg: gene expression from epigenomic tracks and chromatin contacts (Epi-GraphReg).

The Python API (the CLI is a thin layer over it)::

    import graphreg_cli as gr

    data = gr.simulate(seed=0)                      # the study's synthetic data
    data.write("graphreg_data")                     # bigWig, BEDPE, BED, dataset.json
    inputs = gr.Inputs.from_folder("graphreg_data")
    run = gr.train(inputs, model="gat", out="graphreg_run")
    run.evaluate("test").metrics["mse"]             # the study's test MSE
    cage = run.predict()                            # {chrom: (n_bins,) float32}
    links = run.explain(split="test")               # DataFrame: gene-element scores

    gr.simulate_sequence(seed=0).write("seq_data")   # DNA, motifs, variants.vcf
    seq = gr.train(gr.Inputs.from_folder("seq_data"), model="seq-gat", out="seq_run")
    effects = seq.variants("seq_data/variants.vcf")  # SNV -> gene effects

Library messages go to the ``graphreg_cli`` logger (silent until you configure logging);
errors a user can fix are :class:`GraphregError` subclasses with one-line messages.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"
logging.getLogger(__name__).addHandler(logging.NullHandler())  # silent unless configured

__all__ = [
    "Dataset",
    "GraphregError",
    "Inputs",
    "InputError",
    "ModelConfig",
    "Run",
    "SettingError",
    "SimulationParams",
    "TrainOptions",
    "simulate",
    "simulate_sequence",
    "train",
]

_WHERE = {  # name -> module, imported on first use (torch loads only when needed)
    "Dataset": "graphreg_cli.simulation.generator",
    "SimulationParams": "graphreg_cli.simulation.generator",
    "Inputs": "graphreg_cli.data.inputs",
    "ModelConfig": "graphreg_cli.models",
    "Run": "graphreg_cli.tasks.runs",
    "TrainOptions": "graphreg_cli.tasks.train",
    "GraphregError": "graphreg_cli.errors",
    "InputError": "graphreg_cli.errors",
    "SettingError": "graphreg_cli.errors",
    "simulate": "graphreg_cli.api",
    "simulate_sequence": "graphreg_cli.api",
    "train": "graphreg_cli.api",
}


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'graphreg_cli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
