#!/usr/bin/env bash
# Run the test suite (lint + pytest) in ./.venv, creating it if needed.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ruff check graphreg_cli tests benchmarks examples
ruff format --check graphreg_cli tests benchmarks examples
python -m pytest "$@"
