"""Does the simulated device behave like an asynchronous GPU, and is everything restored?"""

import statistics
import time

import torch

from labkit.exercises.ch05_gpu_and_ddp.simulated_device import SimulatedDevice, simulated_timing


def test_gpu_work_takes_time_only_when_synchronised():
    """On "cuda", does fn() return at once and synchronize() wait for the queued work?"""
    sim = SimulatedDevice("cuda", [0.5, 0.25])
    t0 = sim.clock()
    sim.fn()
    sim.fn()
    t1 = sim.clock()
    sim.synchronize()
    t2 = sim.clock()
    assert t1 - t0 < 1e-3
    assert abs((t2 - t0) - 0.75) < 1e-9
    assert sim.events == ["clock", "call", "call", "clock", "sync", "clock"]


def test_cpu_work_takes_time_at_once():
    """On "cpu", does fn() itself take its time?"""
    sim = SimulatedDevice("cpu", [0.5])
    t0 = sim.clock()
    sim.fn()
    assert abs(sim.clock() - t0 - 0.5) < 1e-9


def naive_time_it(fn, device, *, warmup, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_clock_and_synchronize_are_restored():
    """After a simulated run, are time.perf_counter and torch.cuda.synchronize the real ones?"""
    real_clock, real_sync = time.perf_counter, torch.cuda.synchronize
    found = simulated_timing(naive_time_it, "cuda", [0.1, 0.2, 0.3], 0, 3)
    assert found["result"] < 1e-3  # no synchronisation: only the launch was timed
    assert time.perf_counter is real_clock and torch.cuda.synchronize is real_sync
    assert "labkit" not in getattr(torch.cuda.is_available, "__module__", "")


def test_a_cpu_simulation_has_no_gpu():
    """On "cpu", does torch.cuda.synchronize raise, as on a laptop, whatever the machine?"""
    import pytest

    from labkit.exercises.ch05_gpu_and_ddp.simulated_device import simulation

    no_gpu = pytest.raises(RuntimeError, match="needs a CUDA GPU")
    with simulation(naive_time_it, "cpu", [0.1]) as sim, no_gpu:
        sim.fn()
        torch.cuda.synchronize()
    assert torch.cuda.synchronize is not None and "labkit" not in getattr(
        torch.cuda.synchronize, "__module__", "")
