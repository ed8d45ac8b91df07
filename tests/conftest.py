"""Shared fixtures: tiny datasets generated on the fly, never read from the working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEED_DATA = REPO.parent / "shared" / "seed-data"


@pytest.fixture(autouse=True)
def _in_a_scratch_folder(tmp_path_factory, monkeypatch):
    """Every test runs in an empty folder of its own: commands' default outputs
    (``graphreg_run``, ``graphreg_data``) land there, and a user's or the demo's folders in the
    working directory cannot change a test's outcome."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory) -> Path:
    """A small simulated dataset folder (6 chromosomes x 200 bins, with silencers, decoys)."""
    from graphreg_cli.simulation.generator import SimulationParams, simulate
    from graphreg_cli.simulation.writer import write_dataset

    out = tmp_path_factory.mktemp("tiny") / "data"
    params = SimulationParams(
        chromosomes=6,
        bins=200,
        genes=6,
        regulators=8,
        silencers=3,
        split=(4, 1, 1),
        decoy_contacts=4,
        seed=7,
    )
    write_dataset(simulate(params), out)
    return out


@pytest.fixture(scope="session")
def seed_data() -> Path:
    """The study's own dataset as files (``../shared/seed-data`` beside the checkout)."""
    if not SEED_DATA.exists():
        pytest.skip(f"{SEED_DATA} not present")
    return SEED_DATA


@pytest.fixture
def notes():
    """The messages the library logs (``graphreg_cli`` loggers, INFO and up), as a list."""
    import logging

    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    logger = logging.getLogger("graphreg_cli")
    handler, level = Collect(logging.INFO), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield messages
    logger.removeHandler(handler)
    logger.setLevel(level)
