#!/usr/bin/env bash
# The GPU path checked in one command: train, predict and explain on cuda (and with
# --devices 2 where two GPUs exist) beside the CPU (1 and 2 processes), on the study's seed
# data; prints throughput, peak GPU memory and test MSE per mode (benchmarks/gpu_check.py).
# Without a GPU it runs the CPU modes only and says so. Results: docs/benchmarks.md.
#   benchmarks/gpu_check.sh [--data DIR] [--json FILE]    (CPU mode: minutes on 2 cores)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
else
  echo "nvidia-smi not found: no NVIDIA driver here"
fi
echo "uptime: $(uptime)"
exec "${PYTHON:-.venv/bin/python}" benchmarks/gpu_check.py "$@"
