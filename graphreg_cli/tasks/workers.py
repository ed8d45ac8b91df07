"""Local worker processes through torch's own launcher (``elastic_launch``, the engine of
``torchrun``): start N, relay what they report, and turn a failure into one line.

:func:`launch` runs ``task(channel, *args)`` in N processes on this machine with the usual
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` environment (so a task may join a process group) and
returns their results in rank order. Workers fork from a server that has imported torch once
(``forkserver``), so a second launch in the same process starts in well under a second.
A worker reports through its :class:`Channel` (progress, rank 0's epochs) and its library
log records reach this process's ``graphreg_cli`` loggers. A :class:`GraphregError` raised
in a worker is raised here as it was; a worker that dies stops the others (the launcher
terminates them; they unwind, so atomic writes leave no temp file) and raises
:class:`WorkerFailed`. :func:`map_parts` spreads independent work (chromosomes) over
workers, for inference.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphreg_cli.errors import GraphregError, RunError

PRELOAD = ["torch", "torch_geometric", "graphreg_cli.tasks.train", "graphreg_cli.tasks.explain"]
_QUIET = (  # the launcher's own chatter: tracebacks of failed workers, event records
    "torch.distributed.elastic",
    "torch.multiprocessing",
    "torchelastic-events-null",
)
OUTCOMES = (".done", ".error", ".crash", ".stopped")  # what each worker leaves; none: killed


class WorkerFailed(RunError):
    """A worker stopped without a result (killed, or an unexpected exception): ``what``
    says which and how, e.g. ``rank 1 of 2 was killed (SIGKILL)``."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(f"{what}; the other workers were stopped")


@dataclass
class Channel:
    """A worker's line back to the launching process: ``send(kind, *payload)``."""

    rank: int
    queue: Any

    def send(self, kind: str, *payload) -> None:
        self.queue.put((kind, payload))


class _RelayLog(logging.Handler):
    """A worker's ``graphreg_cli`` records, sent to the launching process."""

    def __init__(self, channel: Channel):
        super().__init__()
        self.channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        self.channel.send("log", record.name, record.levelno, record.getMessage())


def launch(n: int, task: Callable, args: tuple = (), on_message: Callable | None = None) -> list:
    """``task(channel, *args)`` in ``n`` local workers; their results in rank order.

    ``on_message(kind, payload)`` is called here, from a helper thread, for what the workers
    ``send``. ``task`` and ``args`` must pickle (a module-level function, plain data).
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    queue = context.SimpleQueue()
    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=n,
        rdzv_backend="c10d",
        rdzv_endpoint="localhost:0",  # a free port, as torchrun --standalone
        run_id=str(uuid.uuid4()),
        max_restarts=0,
        monitor_interval=0.1,
        start_method=method,
    )
    level = logging.getLogger("graphreg_cli").getEffectiveLevel()
    with tempfile.TemporaryDirectory() as errors, _quiet(), _relay(queue, on_message):
        try:
            results = elastic_launch(config, _worker)(task, args, queue, errors, level)
        except ChildFailedError as failed:
            raise _failure(failed, Path(errors), n) from None
        except SignalException:
            raise KeyboardInterrupt from None
    return [results[rank] for rank in range(n)]


def _worker(task: Callable, args: tuple, queue, errors: str, level: int):
    """Runs in each worker: threads shared out, log relayed, errors kept for the launcher."""
    import torch

    from graphreg_cli.tasks.distributed import leave

    signal.signal(signal.SIGTERM, _stop)  # the launcher stopping us: unwind, clean up
    channel = Channel(int(os.environ["RANK"]), queue)
    _name_process(f"graphreg r{channel.rank}")
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(max(1, (cores or 1) // local))
    library = logging.getLogger("graphreg_cli")
    library.setLevel(level)
    library.addHandler(_RelayLog(channel))
    outcome = Path(errors) / str(channel.rank)
    try:
        result = task(channel, *args)
        _keep(outcome.with_suffix(".done"), None)
        return result
    except GraphregError as err:
        _keep(outcome.with_suffix(".error"), _portable(err))
        raise SystemExit(1) from None
    except Exception as err:
        _keep(outcome.with_suffix(".crash"), f"{type(err).__name__}: {err}")
        raise
    except SystemExit:
        _keep(outcome.with_suffix(".stopped"), None)
        raise
    finally:
        leave()


def _stop(signum, frame):
    raise SystemExit(128 + signum)


def _name_process(name: str) -> None:
    """Show ``name`` in ps, top and kernel messages (an out-of-memory kill names the rank);
    Linux only, silently nothing elsewhere."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def _keep(path: Path, value) -> None:
    with contextlib.suppress(OSError):
        path.write_bytes(pickle.dumps(value))


def _portable(err: GraphregError) -> tuple:
    """``err`` as plain data: its class, its two renderings and its other attributes."""
    state = {k: v for k, v in vars(err).items() if k not in ("message", "settings")}
    return type(err), str(err), err.cli_message(), state


def _rebuilt(kind: type, text: str, cli: str, state: dict) -> GraphregError:
    """The worker's error, raised here: same class, same message in Python and the CLI."""
    err = kind.__new__(kind)
    Exception.__init__(err, text)
    vars(err).update(state)
    err.message, err.settings = cli, {}  # cli_message() renders the worker's CLI text
    return err


def _failure(failed, errors: Path, n: int) -> GraphregError:
    """The error to raise for failed workers: a worker's own :class:`GraphregError` (the
    user's to fix) first; else a worker that was killed (it left no outcome: the others'
    errors, such as a closed connection, follow from its death); else the first crash."""
    for rank in range(n):
        path = errors / f"{rank}.error"
        if path.exists():
            return _rebuilt(*pickle.loads(path.read_bytes()))
    signals = {r: f.signal_name() for r, f in failed.failures.items() if f.exitcode < 0}
    killed = [r for r in range(n) if not any((errors / f"{r}{o}").exists() for o in OUTCOMES)]
    if killed:
        rank = min(killed, key=lambda r: (r not in signals, r))
        how = f" ({signals[rank]})" if rank in signals else " (out of memory, or a signal)"
        return WorkerFailed(f"rank {rank} of {n} was killed{how}")
    rank, failure = min(failed.failures.items(), key=lambda item: (item[1].timestamp, item[0]))
    crash = errors / f"{rank}.crash"
    why = pickle.loads(crash.read_bytes()) if crash.exists() else f"exit code {failure.exitcode}"
    return WorkerFailed(f"rank {rank} of {n} failed ({why.splitlines()[0]})")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the launcher's own loggers (each sets its level, so one by one) while it runs:
    tracebacks of failed workers, shutdown warnings, event records."""
    known = logging.Logger.manager.loggerDict.items()
    loggers = [lg for name, lg in known if name.startswith(_QUIET) and hasattr(lg, "disabled")]
    states = [lg.disabled for lg in loggers]
    for lg in loggers:
        lg.disabled = True
    try:
        yield
    finally:
        for lg, state in zip(loggers, states):
            lg.disabled = state


@contextlib.contextmanager
def _relay(queue, on_message: Callable | None) -> Iterator[None]:
    """A thread that hands the workers' messages to ``on_message`` and their log records to
    this process's loggers (each distinct record once: ranks often log the same note)."""
    seen: set = set()

    def serve() -> None:
        for kind, payload in iter(queue.get, None):
            if kind == "log":
                if payload not in seen:
                    seen.add(payload)
                    name, level, message = payload
                    logging.getLogger(name).log(level, message)
            elif on_message is not None:
                on_message(kind, payload)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        queue.put(None)
        thread.join()


def counter(progress: Callable | None, total: int) -> Callable[[], None]:
    """A ``step()`` that counts units done and calls ``progress(done, total)``."""
    done = [0]

    def step() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], total)

    return step


def balance(sizes: dict[str, int], n: int) -> list[list[str]]:
    """``sizes``' names in at most ``n`` non-empty parts of similar total size (largest
    first to the lightest part); each part keeps the names' order."""
    loads: list[list] = [[0, []] for _ in range(min(n, len(sizes)))]
    for name in sorted(sizes, key=lambda c: -sizes[c]):
        lightest = min(loads, key=lambda part: part[0])
        lightest[0] += sizes[name]
        lightest[1].append(name)
    order = {name: i for i, name in enumerate(sizes)}
    return [sorted(names, key=order.get) for _, names in loads]


def map_parts(
    task: Callable, parts: list, kind: str, args: tuple = (), progress=None, total: int = 0
) -> list:
    """``task(part, device, *args, step=step)`` for each of ``parts`` in its own worker (on
    its own GPU for ``kind`` ``cuda``, else the CPU); results in the order of ``parts``.
    ``step()`` in a worker reaches ``progress(done, total)`` here."""
    step = counter(progress, total)

    def relay(message: str, payload: tuple) -> None:
        if message == "step":
            step()

    return launch(len(parts), _part, (task, parts, kind, args), on_message=relay)


def _part(channel: Channel, task: Callable, parts: list, kind: str, args: tuple):
    from graphreg_cli.tasks.distributed import rank_device

    device = rank_device(kind, int(os.environ.get("LOCAL_RANK", "0")))
    return task(parts[channel.rank], device, *args, step=lambda: channel.send("step"))
