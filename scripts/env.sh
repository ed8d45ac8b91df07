# Sourced by demo.sh and test.sh: create or reuse ./.venv and install graphreg into it.
# torch is pinned by constraints.txt (a CPU build; an unpinned torch pulls GBs of CUDA).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "Creating virtual environment in $ROOT/.venv" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.graphreg-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  echo "Installing graphreg and its dependencies (first run: about a minute)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check \
    -c constraints.txt -e ".[test]" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  .venv/bin/python -c "import graphreg_cli, torch, torch_geometric, pyBigWig, bbi" \
    || { echo "installation failed; see the messages above" >&2; exit 1; }
  touch "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
