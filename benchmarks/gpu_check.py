"""The GPU path checked: train, predict and explain on ``cuda`` beside the CPU.

Epi-GraphReg on the study's enhancers-only dataset with graphreg's defaults, once per mode:

- ``cpu``: one process; ``cpu x2``: ``--devices 2`` on the CPU (Gloo);
- with a GPU: ``cuda`` and ``cuda bf16`` (``--precision bf16``, where the card has it);
- with two GPUs: ``cuda x2`` (``--devices 2``, NCCL).

Per mode: training throughput (chromosome windows per second over the epochs, after
loading), epochs, test MSE (the study's), peak GPU memory (training; predict and explain in
one process), and predict and explain wall times (all chromosomes; the test chromosomes).
Without a GPU only the CPU modes run, and the output says so.

    python benchmarks/gpu_check.py [--data DIR] [--json gpu_check.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from graphreg_cli.data.inputs import Inputs
from graphreg_cli.models import ModelConfig
from graphreg_cli.tasks.train import TrainOptions, train

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared/seed-data/enhancers_only"


def modes() -> list[tuple[str, str, int, str]]:
    """``(label, device, devices, precision)`` for the hardware here."""
    found = [("cpu", "cpu", 1, "fp32"), ("cpu x2", "cpu", 2, "fp32")]
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if gpus >= 1:
        found.append(("cuda", "cuda", 1, "fp32"))
        if torch.cuda.is_bf16_supported():
            found.append(("cuda bf16", "cuda", 1, "bf16"))
    if gpus >= 2:
        found.append(("cuda x2", "cuda", 2, "fp32"))
    return found


def timed(step):
    """``(result, seconds, peak GPU memory in GB or None)`` of ``step()`` in this process."""
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 1e9 if torch.cuda.is_available() else None
    return result, seconds, peak


def check(data: Path, label: str, device: str, devices: int, precision: str, out: Path) -> dict:
    inputs = Inputs(
        [data / "dnase.bw"], data / "contacts.bedpe", data / "cage.bw", data / "genes.bed", 5000
    )
    options = TrainOptions(device=device, devices=devices, precision=precision)
    run, train_s, _ = timed(lambda: train(inputs, out, ModelConfig(name="gat"), options))
    result = run.result
    windows = result["epochs_run"] * len(run.chromosomes("train"))
    mse = run.evaluate("test", device=device).metrics["mse"]
    preds, predict_s, predict_gb = timed(lambda: run.predict(device=device, devices=devices))
    scores, explain_s, explain_gb = timed(
        lambda: run.explain("test", device=device, devices=devices)
    )
    one_process = devices == 1 and device == "cuda"
    return {
        "mode": label,
        "train_s": train_s,
        "epochs": result["epochs_run"],
        "windows_per_s": windows / result["seconds"],
        "test_mse": mse,
        "train_peak_gb": result.get("peak_gpu_memory_gb"),
        "predict_s": predict_s,
        "predict_peak_gb": predict_gb if one_process else None,
        "explain_s": explain_s,
        "explain_pairs": len(scores),
        "explain_peak_gb": explain_gb if one_process else None,
        "chromosomes": len(preds),
    }


def _gb(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    cuda = torch.cuda.is_available()
    names = (
        [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []
    )
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {os.cpu_count()} CPUs")
    print(f"GPUs: {', '.join(names) if names else 'none visible: CPU mode only'}")
    print(f"load average before: {os.getloadavg()}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, device, devices, precision in modes():
            out = Path(tmp) / label.replace(" ", "_")
            rows.append(check(args.data, label, device, devices, precision, out))
            print(f"{label}: {json.dumps(rows[-1])}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    print(
        "| mode | train (s) | epochs | windows/s | test MSE | train peak GPU (GB) | "
        "predict (s) | predict peak GPU (GB) | explain test (s) | explain peak GPU (GB) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['mode']} | {r['train_s']:.1f} | {r['epochs']} | {r['windows_per_s']:.0f} | "
            f"{r['test_mse']:.4f} | {_gb(r['train_peak_gb'])} | {r['predict_s']:.1f} | "
            f"{_gb(r['predict_peak_gb'])} | {r['explain_s']:.1f} | {_gb(r['explain_peak_gb'])} |"
        )
    if not cuda:
        print("No GPU here: the cuda modes did not run (CPU mode).")
    if args.json:
        args.json.write_text(json.dumps({"gpus": names, "rows": rows}, indent=2))


if __name__ == "__main__":  # workers of --devices import this module again
    main()
