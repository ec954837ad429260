"""Chapter 05's simulated asynchronous device and clock, to check timing code without a GPU.

Only the `time_it` exercise uses it; the course's one timing helper for real work is
``labkit.measure``. On a GPU, ``fn()`` only queues work and returns at once; the time
passes while ``torch.accelerator.synchronize()`` (or ``torch.cuda.synchronize()``) waits
for the queue. ``SimulatedDevice`` behaves the same way with a clock that moves only
when work is done, and records every call, so a check can tell whether timing code
warmed up, synchronised before reading the clock, and reported the median.
``simulation`` replaces ``time.perf_counter`` (and friends) and both synchronize
functions by the simulation while a learner's timing function runs; ``simulated_timing``
runs one call inside it. On "cpu" the simulation is a machine without a GPU, wherever
it runs: both synchronize functions raise there.
"""

from __future__ import annotations

import contextlib
import time
import timeit

import torch


class SimulatedDevice:
    """A clock and a device queue: on "cuda", ``fn()`` only queues its work, and time
    passes when ``synchronize`` waits for the queue; on "cpu", ``fn()`` takes its time."""

    def __init__(self, device_type: str, durations: list[float]):
        self.asynchronous = device_type == "cuda"
        self.durations = durations
        self.now, self.queued, self.events = 1000.0, 0.0, []

    def fn(self):
        duration = self.durations[min(self.events.count("call"), len(self.durations) - 1)]
        self.events.append("call")
        if self.asynchronous:
            self.now += 1e-5  # launching the work takes a moment, the rest runs later
            self.queued += duration - 1e-5
        else:
            self.now += duration

    def synchronize(self, *args, **kwargs):
        self.events.append("sync")
        self.now += self.queued
        self.queued = 0.0

    def clock(self):
        self.events.append("clock")
        return self.now

    def clock_ns(self):
        return int(self.clock() * 1e9)


def _no_gpu(*args, **kwargs):
    """Synchronising on a machine without a GPU (a RuntimeError, as torch's)."""
    raise RuntimeError("synchronize() needs a CUDA GPU, and this machine has none")


@contextlib.contextmanager
def simulation(time_it, device_type: str, durations: list[float]):
    """The simulated device and clock, in place while the block runs; yields the
    ``SimulatedDevice`` (pass ``sim.fn`` to the timing function, read ``sim.events``)."""
    sim = SimulatedDevice(device_type, durations)
    clocks = {"perf_counter": sim.clock, "monotonic": sim.clock, "time": sim.clock,
              "perf_counter_ns": sim.clock_ns, "monotonic_ns": sim.clock_ns,
              "time_ns": sim.clock_ns}
    patches = [(time, name, fake) for name, fake in clocks.items()]
    patches.append((timeit, "default_timer", sim.clock))
    if sim.asynchronous:
        patches += [(torch.cuda, "synchronize", sim.synchronize),
                    (torch.cuda, "is_available", lambda: True),
                    (torch.accelerator, "synchronize", sim.synchronize),
                    (torch.accelerator, "is_available", lambda: True)]
    else:  # the same answer on a laptop and on a machine with a GPU
        patches += [(torch.cuda, "synchronize", _no_gpu),
                    (torch.cuda, "is_available", lambda: False),
                    (torch.accelerator, "synchronize", _no_gpu),
                    (torch.accelerator, "is_available", lambda: False)]
    # Names the learner imported directly (`from time import perf_counter`).
    originals = {id(getattr(obj, name)): fake for obj, name, fake in patches}
    namespace = getattr(time_it, "__globals__", {})
    patches += [(namespace, key, originals[id(value)]) for key, value in list(namespace.items())
                if id(value) in originals and not isinstance(value, type(time))]
    saved = []
    try:
        for target, name, fake in patches:
            if isinstance(target, dict):
                saved.append((target, name, target[name]))
                target[name] = fake
            else:
                saved.append((target, name, getattr(target, name)))
                setattr(target, name, fake)
        yield sim
    finally:
        for target, name, original in reversed(saved):
            if isinstance(target, dict):
                target[name] = original
            else:
                setattr(target, name, original)


def simulated_timing(time_it, device_type, durations, warmup, repeats) -> dict:
    """Run ``time_it`` with a simulated clock (and, for "cuda", a simulated GPU)."""
    if not callable(time_it):
        from labkit.check.host import NotCallable

        raise NotCallable(type(time_it).__name__)
    with simulation(time_it, device_type, durations) as sim:
        result = time_it(sim.fn, torch.device(device_type), warmup=warmup, repeats=repeats)
    return {"result": result, "events": sim.events}
