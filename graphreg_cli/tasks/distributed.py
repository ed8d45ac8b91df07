"""Data-parallel training on ``torch.distributed``: which processes, which devices, and what
each rank does differently from a single process.

A training process is in one of three situations:

- alone (:class:`Solo`): ``graphreg train`` as always;
- the launcher of ``--devices N`` (``TrainOptions(devices=N)``): :func:`train_in_workers`
  starts N local workers through torch's elastic launcher (:mod:`graphreg_cli.tasks.workers`),
  one per GPU or N CPU processes, and returns the run rank 0 wrote;
- one rank of a process group (:class:`Group`): a worker of ``--devices N``, or a process
  started by ``torchrun --nnodes M --nproc-per-node N -m graphreg_cli train ...`` or by
  ``srun``, which finds its rank in the environment (:func:`environment`) and :func:`join`\\ s.

In a group, DDP all-reduces the gradients (NCCL on GPUs, Gloo on CPUs); each rank trains on
its share of the windows (``DistributedSampler``: the global batch is N x ``batch_size``);
validation sums are all-reduced, so every rank takes the same early-stopping decision; only
rank 0 writes the checkpoint, config and log.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from graphreg_cli.errors import NAME_ONLY, RunError, SettingError
from graphreg_cli.tasks.inference import pick_device

logger = logging.getLogger(__name__)

DEFAULT_PORT = "29500"  # torchrun's default rendezvous port, for srun without MASTER_PORT


@dataclass(frozen=True)
class Place:
    """Where this process sits: global ``rank`` of ``world_size``, ``local_rank`` of
    ``local_world_size`` processes on this machine."""

    rank: int
    world_size: int
    local_rank: int
    local_world_size: int


def environment() -> Place | None:
    """This process's place when it was started as one of several: by torchrun or torch's
    elastic launcher (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``) or by
    an ``srun`` step of several tasks (``SLURM_PROCID``, ``SLURM_STEP_NUM_TASKS``,
    ``SLURM_LOCALID``; needs ``MASTER_ADDR``); None for a process on its own."""
    env = os.environ
    if int(env.get("WORLD_SIZE", "1")) > 1:
        world = int(env["WORLD_SIZE"])
        return Place(
            int(env["RANK"]),
            world,
            int(env.get("LOCAL_RANK", "0")),
            int(env.get("LOCAL_WORLD_SIZE", str(world))),
        )
    tasks = int(env.get("SLURM_STEP_NUM_TASKS", "1"))
    if tasks > 1:
        if "MASTER_ADDR" not in env:
            raise SettingError(
                f"srun started {tasks} tasks but MASTER_ADDR is not set: export "
                'MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1) '
                "before srun (docs/scaling.md), or launch with torchrun"
            )
        per_node = env.get("SLURM_STEP_TASKS_PER_NODE", "1").split("(")[0].split(",")[0]
        return Place(
            int(env["SLURM_PROCID"]), tasks, int(env.get("SLURM_LOCALID", "0")), int(per_node)
        )
    return None


def device_kind(devices: int, name: str) -> str:
    """The device type ``devices`` processes train or predict on: ``cuda`` (one GPU each,
    NCCL) or ``cpu`` (Gloo); every reason it cannot work is a one-line :class:`SettingError`
    with the fix."""
    if devices < 1:
        raise SettingError("{devices} must be 1 or more", devices=devices)
    kind = pick_device(name).type
    if devices == 1:
        return kind
    if not dist.is_available():
        raise SettingError(
            "{devices}: this PyTorch build has no torch.distributed; use {devices} 1",
            devices=devices,
        )
    count = torch.cuda.device_count() if kind == "cuda" else devices
    if count < devices:
        raise SettingError(
            f"{{devices}}: only {count} GPU(s) visible to PyTorch; use --devices {count} or "
            "fewer (check CUDA_VISIBLE_DEVICES), or {device} for CPU processes",
            devices=devices,
            device="cpu",
        )
    _need_nccl(kind)
    return kind


def _need_nccl(kind: str) -> None:
    if kind == "cuda" and not dist.is_nccl_available():
        raise SettingError(
            "several GPUs need NCCL, which this PyTorch build lacks: install a CUDA build of "
            "PyTorch (pytorch.org), or use {device} (Gloo)",
            device="cpu",
        )


def rank_device(kind: str, local_rank: int) -> torch.device:
    """The device of the process with ``local_rank`` on its machine: its own GPU
    (``cuda:local_rank``, made current) or the CPU."""
    if kind != "cuda":
        return torch.device("cpu")
    if local_rank >= torch.cuda.device_count():
        raise SettingError(
            f"this machine runs process {local_rank} but has only {torch.cuda.device_count()} "
            "GPU(s): start at most that many processes per node (--nproc-per-node)"
        )
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)
    return device


def parameter_digest(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's names and exact bytes, in order: equal digests, equal
    weights."""
    digest = hashlib.sha256()
    for name, tensor in state.items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


def peak_memory(device: torch.device) -> dict:
    """``{"peak_gpu_memory_gb": ...}`` allocated on ``device`` so far; nothing on the CPU."""
    if device.type != "cuda":
        return {}
    return {"peak_gpu_memory_gb": round(torch.cuda.max_memory_allocated(device) / 1e9, 3)}


class Solo:
    """Training in one process: every window, no reductions, this process writes."""

    rank, world_size, is_main = 0, 1, True

    def __init__(self, device: torch.device):
        self.device = device

    def wrap(self, model, seed: int, find_unused: bool = False):
        return model

    def shard(self, n: int, epoch: int, seed: int) -> list[int] | None:
        """This rank's windows this epoch; None: all of them, in the trainer's own order."""
        return None

    def part(self, items: list) -> list:
        return items

    def mean(self, values: list[float]) -> float:
        return float(np.mean(values))

    def sync_buffers(self, model) -> None:
        """Make the model's buffers (BatchNorm running statistics) the same on every rank."""

    def summary(self, model) -> dict:
        """For the run's config: the peak GPU memory, on a GPU."""
        return peak_memory(self.device)


class Group(Solo):
    """One rank of a process group: DDP gradients, sharded windows, reduced metrics, and
    writes on rank 0 only."""

    def __init__(self, place: Place, device: torch.device, backend: str):
        super().__init__(device)
        self.place, self.backend = place, backend
        self.rank, self.world_size = place.rank, place.world_size
        self.is_main = place.rank == 0

    def wrap(self, model, seed: int, find_unused: bool = False):
        """``model`` in DDP (rank 0's initial weights broadcast to all); dropout then draws
        differently on each rank. ``find_unused``: some parameters may get no gradient in a
        step (a head the training stage does not score)."""
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        wrapped = DistributedDataParallel(model, device_ids=ids, find_unused_parameters=find_unused)
        torch.manual_seed(seed + self.rank)
        return wrapped

    def shard(self, n: int, epoch: int, seed: int) -> list[int]:
        """This rank's share of ``n`` windows, reshuffled each epoch (the same permutation on
        every rank, padded so every rank takes the same number of steps)."""
        from torch.utils.data.distributed import DistributedSampler

        sampler = DistributedSampler(
            range(n), num_replicas=self.world_size, rank=self.rank, shuffle=True, seed=seed
        )
        sampler.set_epoch(epoch)
        return list(sampler)

    def part(self, items: list) -> list:
        """This rank's share of ``items`` (validation chromosomes): every world_size-th."""
        return items[self.rank :: self.world_size]

    def mean(self, values: list[float]) -> float:
        """The mean of every rank's ``values`` together (float64 sums, all-reduced)."""
        total = torch.tensor(
            [np.sum(values, dtype=np.float64), len(values)], dtype=torch.float64, device=self.device
        )
        dist.all_reduce(total)
        return float(total[0] / total[1])

    def sync_buffers(self, model) -> None:
        """Average the floating-point buffers over the ranks: each rank's BatchNorm keeps
        running statistics of its own batches, so that after an epoch they differ; their
        mean is the same on every rank (and estimates the statistics of all batches)."""
        with torch.no_grad():
            for buffer in model.buffers():
                if buffer.is_floating_point():
                    dist.all_reduce(buffer)
                    buffer /= self.world_size

    def summary(self, model) -> dict:
        """For the run's config: the group, and every rank's final-weights digest (a
        collective: every rank calls it)."""
        mine = (parameter_digest(model.state_dict()), peak_memory(self.device))
        ranks: list = [None] * self.world_size
        dist.all_gather_object(ranks, mine)
        memory = [m["peak_gpu_memory_gb"] for _, m in ranks if m]
        return {
            "devices": self.world_size,
            "backend": self.backend,
            "parameters_sha256": [digest for digest, _ in ranks],
            **({"peak_gpu_memory_gb": max(memory)} if memory else {}),
        }


def join(device: str) -> Solo:
    """:class:`Solo` on ``device`` for a process on its own; in a launched group, this
    rank's :class:`Group`, joining the process group from the environment (``env://``)."""
    place = environment()
    if place is None:
        return Solo(pick_device(device))
    kind = pick_device(device).type
    _need_nccl(kind)
    here = rank_device(kind, place.local_rank)
    backend = "nccl" if kind == "cuda" else "gloo"
    if not dist.is_initialized():
        os.environ.setdefault("MASTER_PORT", DEFAULT_PORT)
        dist.init_process_group(backend, rank=place.rank, world_size=place.world_size)
        atexit.register(leave)
    return Group(place, here, backend)


def leave() -> None:
    """Leave the process group, if this process is in one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def train_in_workers(
    inputs, out, model_config, options, val, test, resume, on_epoch, overwrite=False
):
    """:func:`~graphreg_cli.tasks.train.train` in ``options.devices`` local workers (one
    per GPU, or CPU processes); ``on_epoch`` runs here with rank 0's figures. Returns the
    :class:`~graphreg_cli.tasks.runs.Run` rank 0 wrote, after checking every rank ended
    with the same weights."""
    from graphreg_cli.tasks.runs import CHECKPOINT, Run
    from graphreg_cli.tasks.workers import WorkerFailed, launch

    def relay(kind: str, payload: tuple) -> None:
        if kind == "epoch" and on_epoch is not None:
            on_epoch(*payload)

    args = (inputs, out, model_config, options, val, test, resume, overwrite)
    try:
        launch(options.devices, _train_rank, args, on_message=relay)
    except WorkerFailed as failed:
        raise RunError(
            f"training {_literal(failed.what)}; the other ranks were stopped. "
            f"{_last_checkpoint(out)}",
            resume=NAME_ONLY,
        ) from None
    run = Run.open(out)
    digests = run.result.get("parameters_sha256", [])
    if len(digests) != options.devices or len(set(digests)) != 1:
        raise RunError(
            f"{out}: the {options.devices} ranks ended with different weights "
            f"({out / CHECKPOINT} is rank 0's); please report this with {out}/config.json"
        )
    return run


def _train_rank(channel, inputs, out, model_config, options, val, test, resume, overwrite):
    """One worker of :func:`train_in_workers`: train in the group (rank 0 reports epochs)."""
    from graphreg_cli.tasks.train import train

    on_epoch = (lambda *figures: channel.send("epoch", *figures)) if channel.rank == 0 else None
    train(inputs, out, model_config, options, val, test, resume, on_epoch, overwrite)


def _last_checkpoint(out) -> str:
    """Where a stopped run can resume from, in words."""
    from graphreg_cli.tasks.runs import CHECKPOINT

    path = out / CHECKPOINT
    if not path.exists():
        return "No checkpoint was written yet: run the same command again."
    epoch = torch.load(path, map_location="cpu", weights_only=True)["epoch"]
    return (
        f"{_literal(path)} holds the last complete checkpoint (epoch {epoch}): run the same "
        "command with {resume} to continue."
    )


def _literal(text) -> str:
    """``text`` safe inside an error message template (braces doubled)."""
    return str(text).replace("{", "{{").replace("}", "}}")
