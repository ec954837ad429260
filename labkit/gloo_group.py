"""Run a function in a small process group on the CPU (``gloo``), from anywhere.

``run_in_group(task, world_size=2, ...)`` starts ``world_size`` fresh Python processes,
joins them into one ``torch.distributed`` group over ``gloo`` (through a rendezvous
file, so no network port is needed) and runs ``task(rank, world_size, *args)`` on every
rank. It returns each rank's result, in rank order, or raises ``GroupError`` naming the
rank that failed.

A notebook's functions live in ``__main__``, which a fresh process cannot import, so
``ship(fn)`` packs a function as its source text (or, without source, as a reference
to its module and name); ``unship`` turns it back into a function on the other
side. Source text is run in a namespace that holds ``torch``, ``dist``
(``torch.distributed``), ``nn``, ``F`` and ``math``.

Exercise checks use this to run a learner's ``all_reduce`` code on two ranks. The
chapter on data parallelism launches its own demo with ``torchrun``, the usual tool.
"""

from __future__ import annotations

import importlib
import inspect
import math
import multiprocessing
import shutil
import tempfile
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import torch


class GroupError(RuntimeError):
    """A rank failed, or the group did not finish in time."""

    def __init__(self, message: str, *, rank: int | None = None, type_name: str = "",
                 where: str = "", stub: bool = False):
        super().__init__(message)
        self.rank, self.type_name, self.where, self.stub = rank, type_name, where, stub


def ship(fn) -> tuple:
    """``("source", text, name)`` for a function defined with ``def``; for one without
    source text, ``("ref", module, qualname)`` when a fresh process can import it."""
    name = getattr(fn, "__name__", "")
    try:
        text = textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        text = None
    if text is not None:
        if not name.isidentifier():
            raise ValueError("a lambda cannot be sent to other processes: define a function "
                             "with `def`")
        return ("source", text, name)
    module = getattr(fn, "__module__", None)
    qualname = getattr(fn, "__qualname__", "")
    if module and module != "__main__" and "<" not in qualname:
        return ("ref", module, qualname)
    raise ValueError(f"cannot find the source of `{name or fn}`: define it with `def` in a "
                     "notebook cell or a file")


def unship(packed: tuple):
    """The function that ``ship`` packed."""
    if packed[0] == "ref":
        target = importlib.import_module(packed[1])
        for part in packed[2].split("."):
            target = getattr(target, part)
        return target
    import torch.distributed as dist
    import torch.nn.functional as F  # noqa: N812
    from torch import nn

    namespace = {"torch": torch, "dist": dist, "nn": nn, "F": F, "math": math,
                 "__name__": "__group_task__"}
    exec(compile(packed[1], "<notebook cell>", "exec"), namespace)  # noqa: S102
    return namespace[packed[2]]


def _worker(rank: int, world_size: int, init_file: str, task, args, out: str,
            collective_timeout: float):
    import torch.distributed as dist

    torch.set_num_threads(1)
    reply: dict
    try:
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank,
                                world_size=world_size,
                                timeout=timedelta(seconds=collective_timeout))
        reply = {"ok": task(rank, world_size, *args)}
    except BaseException as err:  # noqa: BLE001 - reported to the parent, never lost
        from labkit.check.host import learner_line
        from labkit.check.signals import is_stub_error

        reply = {"error": (type(err).__name__, " ".join(str(err).split())[:300],
                           learner_line(err) or "", is_stub_error(err))}
    # The result is on disk before the group is torn down: a rank that dies while
    # leaving cannot lose what it computed.
    partial = Path(out + ".partial")
    torch.save(reply, partial)
    partial.rename(out)
    if dist.is_initialized():
        try:
            if "ok" in reply:
                dist.barrier()  # leave together, so no rank closes a connection in use
            dist.destroy_process_group()
        except RuntimeError:
            pass  # a peer already failed; its error is the one reported


def _context():
    """A fork server where there is one (Linux, macOS): it imports torch once, and later
    groups start in a fraction of a second; elsewhere, fresh interpreters (spawn)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "labkit.gloo_group"])
    return context


def run_in_group(task, args: tuple = (), *, world_size: int = 2, timeout: float = 90.0,
                 collective_timeout: float = 60.0):
    """``[task(rank, world_size, *args) for each rank]``, each in its own process.

    ``timeout`` bounds the whole run; ``collective_timeout`` how long one collective
    (or joining the group) may wait for the other ranks.
    ``task`` must be importable (a module-level function); pass learner functions
    inside ``args`` as ``ship(fn)``. Results travel back with ``torch.save``.
    """
    folder = Path(tempfile.mkdtemp(prefix="labkit-group-"))
    context = _context()
    processes, grace = [], 0.0
    try:
        for rank in range(world_size):
            process = context.Process(
                target=_worker, daemon=True,
                args=(rank, world_size, str(folder / "rendezvous"), task, args,
                      str(folder / f"rank{rank}.pt"), collective_timeout))
            process.start()
            processes.append(process)
        paths = [folder / f"rank{rank}.pt" for rank in range(world_size)]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(p.is_alive() for p in processes):
            if all(path.exists() for path in paths) or any(
                    "error" in torch.load(path, weights_only=True)
                    for path in paths if path.exists()):
                break  # every result is in, or one rank failed: no need to wait longer
            time.sleep(0.05)
        # The first error written is the cause; a peer's later one is a consequence.
        errors = sorted((path.stat().st_mtime_ns, rank, reply["error"])
                        for rank, path in enumerate(paths) if path.exists()
                        for reply in [torch.load(path, weights_only=True)] if "error" in reply)
        if errors:
            _, rank, (type_name, message, where, stub) = errors[0]
            raise GroupError(message, rank=rank, type_name=type_name, where=where, stub=stub)
        if not all(path.exists() for path in paths):
            if any(p.is_alive() for p in processes):
                raise GroupError(f"the {world_size} processes did not finish within "
                                 f"{timeout:.0f} s (does every rank call the same collectives "
                                 "in the same order?)", type_name="TimeoutError")
        grace = 5.0  # every rank has its result: give them a moment to leave the group
        results = []
        for rank, path in enumerate(paths):
            if not path.exists():
                raise GroupError(f"rank {rank} ended without a result (exit code "
                                 f"{processes[rank].exitcode})", rank=rank,
                                 type_name="ProcessError")
            results.append(torch.load(path, weights_only=True)["ok"])
        return results
    finally:
        for process in processes:
            process.join(grace)
            if process.is_alive():
                process.terminate()
                process.join(5)
        shutil.rmtree(folder, ignore_errors=True)
