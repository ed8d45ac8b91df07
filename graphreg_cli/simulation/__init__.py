"""The study's synthetic data: the generator, its fine-resolution DNase, and how a simulated
dataset is written as files."""

from graphreg_cli.simulation.generator import Chromosome, Dataset, SimulationParams, simulate

__all__ = ["Chromosome", "Dataset", "SimulationParams", "simulate"]
