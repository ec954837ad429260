"""Measuring a model for deployment: latency done properly, and bytes on disk.

A latency measurement that means something warms up first (the first calls allocate
memory and pick kernels), repeats the call many times, and reports the *median*, which
one slow call (another program, the garbage collector) does not move::

    timing = latency(model, x, threads=1)   # times model(x)
    print(f"{timing.median_ms:.2f} ms")

To compare several models, time them *in turns* with ``latencies``: when the machine
gets busier for a while, every model is slowed alike, instead of whichever came last::

    found = latencies({"float32": (model, x), "int8": (quantized, x)}, threads=1)
    print(found["int8"].median_ms / found["float32"].median_ms)
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class Latency:
    """Milliseconds per call over ``runs`` timed calls."""

    median_ms: float
    min_ms: float
    max_ms: float
    runs: int

    def __str__(self) -> str:
        return f"{self.median_ms:.3f} ms (median of {self.runs}, min {self.min_ms:.3f})"


@contextmanager
def torch_threads(count: int | None):
    """Run a block with ``count`` PyTorch CPU threads (None: leave it), then restore."""
    before = torch.get_num_threads()
    if count is not None:
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"threads must be a whole number >= 1 or None, got {count!r}")
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def all_threads() -> int:
    """The number of CPU cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def latency(fn: Callable[..., object], *args, warmup: int = 5, runs: int = 30,
            threads: int | None = None) -> Latency:
    """Time ``fn(*args)``: ``warmup`` untimed calls, then ``runs`` timed ones, without
    gradients.

    ``threads`` sets PyTorch's CPU threads for the measurement (restored afterwards); it
    does not change other runtimes such as ONNX Runtime, which take their own setting.
    """
    if not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a whole number >= 1, got {runs!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a whole number >= 0, got {warmup!r}")
    times = []
    with torch_threads(threads), torch.inference_mode():
        for _ in range(warmup):
            fn(*args)
        for _ in range(runs):
            start = time.perf_counter()
            fn(*args)
            times.append((time.perf_counter() - start) * 1000)
    return Latency(statistics.median(times), min(times), max(times), runs)


def latencies(calls: Mapping[str, tuple], *, warmup: int = 5, runs: int = 30, rounds: int = 5,
              threads: int | None = None) -> dict[str, Latency]:
    """Time several calls fairly: ``calls`` maps a name to ``(fn, *args)``.

    Each call is warmed up, then they take turns: ``rounds`` rounds in which each call is
    timed ``runs / rounds`` times, the order shifted by one every round. A slow spell of
    the machine then falls on all of them alike. Returns a ``Latency`` per name (the
    median over all its timed calls), in the order of ``calls``.
    """
    if not isinstance(runs, int) or runs < 1:
        raise ValueError(f"runs must be a whole number >= 1, got {runs!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a whole number >= 0, got {warmup!r}")
    if not isinstance(rounds, int) or rounds < 1:
        raise ValueError(f"rounds must be a whole number >= 1, got {rounds!r}")
    names = list(calls)
    for name in names:
        if not isinstance(calls[name], tuple) or not calls[name] or not callable(calls[name][0]):
            raise ValueError(f"calls[{name!r}] must be a tuple (fn, *args), got "
                             f"{type(calls[name]).__name__}")
    rounds = min(rounds, runs)
    times: dict[str, list[float]] = {name: [] for name in names}
    with torch_threads(threads), torch.inference_mode():
        for name in names:
            fn, *args = calls[name]
            for _ in range(warmup):
                fn(*args)
        for turn in range(rounds):
            share = runs // rounds + (turn < runs % rounds)  # `runs` timed calls in all
            shift = turn % len(names) if names else 0
            for name in names[shift:] + names[:shift]:
                fn, *args = calls[name]
                for _ in range(share):
                    start = time.perf_counter()
                    fn(*args)
                    times[name].append((time.perf_counter() - start) * 1000)
    return {name: Latency(statistics.median(t), min(t), max(t), len(t))
            for name, t in times.items()}


def file_bytes(path: str | os.PathLike) -> int:
    """Size on disk of a saved model: a file, or every file in a folder.

    An ONNX file saved with its weights outside (``model.onnx`` + ``model.onnx.data``)
    counts both.
    """
    path = Path(path)
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    if not path.exists():
        raise FileNotFoundError(f"no file {path}: save the model first")
    extra = path.with_name(path.name + ".data")
    return path.stat().st_size + (extra.stat().st_size if extra.exists() else 0)
