# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   labkit:
#     teaches: "GPUs, mixed precision with `torch.amp`, DistributedDataParallel"
#     accelerator: GPU
# ---

# %% [markdown]
# # 05 · GPUs, mixed precision and data parallelism
#
# Deep learning got fast because of hardware that runs thousands of multiply-adds at
# once, number formats with fewer bits, and many devices working on one model. This
# chapter shows the three, measured rather than promised, with code that runs on a
# laptop CPU and uses a GPU when there is one.
#
# **What you will learn**
# - device-agnostic code: pick a device, move models and batches, and read the classic
#   device errors;
# - how to time code honestly: asynchronous GPUs, `synchronize`, warm-up, the median;
#   and what matrix multiplication reaches, in GFLOP/s, on your hardware;
# - mixed precision with `torch.amp.autocast` and `torch.amp.GradScaler`: what float16
#   and bfloat16 can and cannot hold, and what the scaler does about it;
# - data parallelism: ranks, world size, the gradient all-reduce and `DistributedSampler`;
# - a real `DistributedDataParallel` run with `torchrun` (two processes on your CPU),
#   checked against ordinary training; and what changes on several machines.
#
# Run each cell with **Shift + Enter**, from top to bottom. Nothing here needs a GPU.
#
# **On Colab**, this notebook asks for a GPU runtime. If it opened on a CPU (no GPU was
# free, or you changed it), pick *Runtime > Change runtime type*, choose a GPU such as
# *T4 GPU*, click *Save*, then run the notebook again from the top: changing the runtime
# starts a new machine, so every variable is gone.

# %%
import json
import math
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.distributed as dist
import torch.nn.functional as F  # noqa: N812
import torchvision
from torch import nn
from torch.utils import benchmark
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from labkit import data, exercises, plot, settings
from labkit.measure import latencies

q = exercises.bind("05_gpu_and_ddp", globals())
torch.manual_seed(0)
print("PyTorch", torch.__version__)

# %% [markdown]
# ## 1. Which device, and device-agnostic code
#
# PyTorch calls any chip that speeds up tensor work an *accelerator*: an NVIDIA GPU
# (`cuda`; AMD GPUs with ROCm answer to `cuda` too), an Apple GPU (`mps`), an Intel GPU
# (`xpu`), and others. `torch.accelerator` (PyTorch 2.6 or newer) asks about whichever
# one is there, so one line covers them all. Older code tests `torch.cuda.is_available()`
# and then `torch.backends.mps.is_available()`; that still works.

# %%
def pick_device() -> torch.device:
    """The accelerator if one is usable, else the CPU."""
    if hasattr(torch, "accelerator") and torch.accelerator.is_available():
        return torch.accelerator.current_accelerator()
    return torch.device("cpu")


device = pick_device()
print("device:", device)  # i18n
print("CUDA GPUs:", torch.cuda.device_count(), "| MPS:", torch.backends.mps.is_available(),  # i18n
      "| CPU threads:", torch.get_num_threads())  # i18n

# %% [markdown]
# A careful detail: `torch.accelerator.current_accelerator()` says which kind of
# accelerator this *build* of PyTorch supports, even when no such device is present.
# Ask with `check_available=True`, or test `is_available()` first as above:

# %%
if hasattr(torch, "accelerator"):  # PyTorch 2.6 or newer
    print("built for:", torch.accelerator.current_accelerator(),  # i18n
          "| usable now:", torch.accelerator.current_accelerator(check_available=True))  # i18n

# %% [markdown]
# From here on, code never names a device; it uses `device`. Two rules:
# - `model.to(device)` moves a module's parameters and buffers **in place** and returns
#   the same module;
# - `tensor.to(device)` returns a tensor on that device and leaves the original where it
#   was (when nothing changes, it returns the very same tensor).

# %%
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
print("module moved in place:", model.to(device) is model)  # i18n
x = torch.randn(3, 4)  # (B, 4) on the CPU
x_dev = x.to(device)
print("tensor on", x_dev.device, "| same object:", x_dev is x)  # i18n
print("output:", model(x_dev).shape, "on", model(x_dev).device)  # i18n

# %% [markdown]
# **Batches from a `DataLoader`.** Copies from the CPU to a CUDA GPU are faster from
# *pinned* (page-locked) memory: the GPU reads it directly, without a staging copy.
# `non_blocking=True` makes `.to(device)` return before the copy is done, which frees the
# CPU to prepare the next batch; it is asynchronous only from pinned memory (from
# ordinary memory the copy still blocks). A copy that runs *at the same time as* the
# GPU's computation needs more: pinned memory and a second CUDA stream (a side queue of
# work), because everything on one stream runs in order. Both switches only matter with
# CUDA, so turn them on there only; the `DataLoader`'s `num_workers` and `pin_memory`
# come back at the end of section 2.

# %%
dataset = TensorDataset(torch.randn(64, 4), torch.randint(0, 2, (64,)))
loader = DataLoader(dataset, batch_size=16, pin_memory=device.type == "cuda")
for inputs, targets in loader:
    inputs = inputs.to(device, non_blocking=True)   # (16, 4)
    targets = targets.to(device, non_blocking=True)  # (16,)
print("last batch:", tuple(inputs.shape), inputs.device, "| pinned:",  # i18n
      loader.pin_memory)

# %% [markdown]
# ### The classic device errors
#
# **Two devices in one operation.** An operation never copies behind your back; inputs
# on different devices are an error. On a GPU machine the cell below mixes `cuda` and
# `cpu`; on a CPU-only machine it uses the `meta` device (shapes without data), which
# follows the same rule and gives the same kind of message:

# %%
other = torch.device("cuda") if device.type == "cuda" else torch.device("meta")
layer = nn.Linear(4, 2).to(other)
try:
    layer(torch.randn(3, 4))  # the input stays on the CPU
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# The fix is always the same: move the batch to the model's device, inside the loop.
#
# **Moving the model after building the optimizer.** An optimizer holds the parameter
# objects it was given, and its state (Adam's running averages) is created next to them.
# Between the CPU and a CUDA GPU, `model.to(device)` keeps the parameter objects and only
# swaps the data inside them, so the optimizer still finds them; but state it already
# has (after a first step, or after loading a saved optimizer) stays on the old device,
# and the next step fails. To some devices, such as the `meta` device, `.to()` builds
# *new* parameter objects instead, and the optimizer quietly keeps updating the old
# ones. The cell shows what happens on this machine:

# %%
torch.manual_seed(0)
net = nn.Linear(4, 2)
optimizer = torch.optim.Adam(net.parameters())
net(torch.randn(3, 4)).sum().backward()
optimizer.step()  # Adam's running averages now exist, on the CPU
weight = net.weight
if device.type == "cuda":
    net.to(device)
    print("same parameter objects after .to(cuda):", net.weight is weight)  # i18n
    net(torch.randn(3, 4, device=device)).sum().backward()
    try:
        optimizer.step()
        print("the step ran")  # i18n
    except RuntimeError as err:  # Adam's state is still on the CPU
        print("RuntimeError:", str(err).splitlines()[0])
else:
    net.to("meta")
    print("same parameter objects after .to('meta'):", net.weight is weight)  # i18n
    print("optimizer holds the model's weight:",  # i18n
          optimizer.param_groups[0]["params"][0] is net.weight)

# %% [markdown]
# Rule: **move the model first, then build the optimizer** (and load a saved optimizer
# state only after that).
#
# **`.item()` and `.cpu()` in the training loop.** On a GPU, `loss.item()` makes the CPU
# wait until every queued kernel has finished, so the GPU idles while Python prepares the
# next step. Keep running totals on the device and read them once per epoch:
#
# ```python
# total = torch.zeros((), device=device)
# for inputs, targets in loader:
#     ...
#     total += loss.detach()          # stays on the GPU, no waiting
# print(total.item() / len(loader))   # one synchronisation per epoch
# ```

# %% [markdown]
# ### Exercise 1: move a nested batch
# Batches are not always a pair of tensors: text models get dicts, detection models lists
# of targets per image. Write `to_device(batch, device)` that returns a **new** batch of
# the same structure where every tensor is moved with `.to(device)`, dicts, lists and
# tuples are rebuilt (a tuple stays a tuple, a namedtuple the same namedtuple), and
# anything else (numbers, strings, `None`) is kept as it is. Leave the input unchanged.
# The check moves batches to the `meta` device, so it can tell moved tensors from unmoved
# ones even without a GPU.

# %%
def to_device(batch, device):
    ### BEGIN SOLUTION
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):   # a namedtuple
        return type(batch)(*(to_device(value, device) for value in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch
    ### END SOLUTION


# %%
q.to_device.check()

# %% tags=["author-test"]
def one_level(batch, device):
    if isinstance(batch, dict):
        return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(v.to(device) if isinstance(v, torch.Tensor) else v for v in batch)
    return batch.to(device) if isinstance(batch, torch.Tensor) else batch


def lists_only(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: lists_only(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [lists_only(v, device) for v in batch]
    return batch


q.to_device.expect("incorrect", "a tensor on `meta`", to_device=one_level)
q.to_device.expect("incorrect", "a `tuple`", to_device=lists_only)
q.to_device.expect("passed")

# %% [markdown]
# Stuck? `q.to_device.hint()` gives a hint, `q.to_device.solution()` an answer; the same
# works for every exercise.
#
# ## 2. Timing done right
#
# A CUDA GPU works **asynchronously**: `c = a @ b` only puts the multiplication in a
# queue and returns at once, long before the result exists. A stopwatch around that line
# measures the queueing, not the work. Three rules give honest numbers:
# 1. **synchronise** before reading the clock: `torch.accelerator.synchronize()` waits
#    until the queue is empty (`torch.cuda.synchronize()` is the CUDA-only spelling);
# 2. **warm up** first: the first calls pay one-time costs (loading kernels, allocating
#    memory, choosing algorithms);
# 3. report the **median** of several runs: other programs disturb some runs, and one
#    slow run moves the mean a lot but the median hardly at all.
#
# With a CUDA GPU, the next cell shows rule 1 at work: how long `a @ b` takes to
# return, and how long until the product really exists.

# %%
if device.type == "cuda":
    a_gpu = torch.randn(4096, 4096, device=device)
    b_gpu = torch.randn(4096, 4096, device=device)
    a_gpu @ b_gpu  # warm-up
    torch.accelerator.synchronize(device)
    start = time.perf_counter()
    c_gpu = a_gpu @ b_gpu                      # only queued
    returned = time.perf_counter() - start
    torch.accelerator.synchronize(device)      # wait until the queue is empty
    finished = time.perf_counter() - start
    print(f"`a @ b` returned after {returned * 1e6:8.1f} µs")  # i18n
    print(f"the product existed after {finished * 1e6:8.1f} µs")  # i18n
else:
    print("No CUDA GPU here: on the CPU `a @ b` returns only when the product is done.")  # i18n

# %% [markdown]
# On the CPU the first call is often slower too. Ten runs of one multiplication:

# %%
torch.manual_seed(0)
a, b = torch.randn(256, 256), torch.randn(256, 256)
call_times = []
for _ in range(10):
    start = time.perf_counter()
    a @ b
    call_times.append(time.perf_counter() - start)
print(f"first call:           {call_times[0] * 1e6:8.1f} µs")  # i18n
print(f"median of the others: {statistics.median(call_times[1:]) * 1e6:8.1f} µs")  # i18n

# %% [markdown]
# The median shrugs off a disturbed run; the mean does not. Add to the nine ordinary
# runs one that took 20 times as long as their median (another program grabbed the
# core):

# %%
ordinary = call_times[1:]
disturbed = [*ordinary, 20 * statistics.median(ordinary)]
print(f"nine ordinary runs: mean {statistics.fmean(ordinary) * 1e6:8.1f} µs | "  # i18n
      f"median {statistics.median(ordinary) * 1e6:8.1f} µs")  # i18n
print(f"plus the disturbed: mean {statistics.fmean(disturbed) * 1e6:8.1f} µs | "  # i18n
      f"median {statistics.median(disturbed) * 1e6:8.1f} µs")  # i18n

# %% [markdown]
# `torch.utils.benchmark.Timer` does all of this for you: it synchronises CUDA, warms up,
# and repeats until enough time has passed. `blocked_autorange` runs the statement in
# blocks of many calls, takes one measurement per block (the block's time divided by its
# calls) and reports the median of those measurements and their spread (the
# interquartile range, which needs several measurements to mean anything):

# %%
timer = benchmark.Timer(stmt="a @ b", globals={"a": a, "b": b}, num_threads=1)
measurement = timer.blocked_autorange(min_run_time=0.2)
print(f"{len(measurement.times)} measurements of {measurement.number_per_run} calls each")  # i18n
spread = (f"interquartile range {measurement.iqr * 1e6:.1f} µs"  # i18n
          if len(measurement.times) >= 4 else "too few measurements for a spread")  # i18n
print(f"median {measurement.median * 1e6:.1f} µs per call, {spread}")  # i18n

# %% [markdown]
# ### Exercise 2: a timing function that is right on a GPU
# Write `time_it(fn, device, *, warmup=2, repeats=5)`: call `fn()` `warmup` times
# without timing; then time `repeats` single calls with `time.perf_counter()`,
# synchronising with `torch.accelerator.synchronize(device)` before each clock reading
# when `device.type != "cpu"` (and only then: on a machine without an accelerator it
# raises); return the median in seconds.
#
# The check runs your function on a *simulated* GPU, where `fn()` returns at once and the
# work is done only when you synchronise, with a simulated clock, so it can tell whether
# you warmed up, synchronised and took the median.

# %%
def time_it(fn, device, *, warmup=2, repeats=5):
    ### BEGIN SOLUTION
    def sync():
        if device.type != "cpu":  # an accelerator: wait for the work queued on it
            torch.accelerator.synchronize(device)

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()  # wait for the work fn() queued
        times.append(time.perf_counter() - start)
    return statistics.median(times)
    ### END SOLUTION


# %%
q.time_it.check()

# %% tags=["author-test"]
def time_it_without_sync(fn, device, *, warmup=2, repeats=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_it_mean(fn, device, *, warmup=2, repeats=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type != "cpu":
            torch.accelerator.synchronize()
        start = time.perf_counter()
        fn()
        if device.type != "cpu":
            torch.accelerator.synchronize()
        times.append(time.perf_counter() - start)
    return sum(times) / len(times)


q.time_it.expect("incorrect", "synchronize", time_it=time_it_without_sync)
q.time_it.expect("incorrect", "the mean", time_it=time_it_mean)
q.time_it.expect("passed")

# %% [markdown]
# ### How fast is a matrix multiplication?
#
# Multiplying two $n \times n$ matrices takes $n^3$ multiplications and $n^3$ additions
# (nearly), so $2n^3$ floating-point operations. Dividing by the median time gives the
# speed in GFLOP/s (billions of operations per second). We measure growing sizes on the
# CPU with one thread and with every core, and on the GPU when there is one.

# %%
sizes = [64, 128, 256, 512] if settings.fast() else [64, 128, 256, 512, 1024, 2048]
min_time = 0.05 if settings.fast() else 0.2
# All cores as well as one; the test suite runs one thread per notebook, so one only.
cpu_threads = [1] if settings.fast() else sorted({1, os.cpu_count() or 1})


def matmul_gflops(n, device, *, threads=1, dtype=torch.float32):
    """Speed of an (n, n) @ (n, n) multiplication in GFLOP/s (median run)."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    timer = benchmark.Timer(stmt="a @ b", globals={"a": a, "b": b}, num_threads=threads)
    return 2 * n**3 / timer.blocked_autorange(min_run_time=min_time).median / 1e9


speeds = {(f"CPU, {t} threads" if t > 1 else "CPU, 1 thread"):  # i18n
          [matmul_gflops(n, "cpu", threads=t) for n in sizes] for t in cpu_threads}
if device.type == "cuda":
    speeds["GPU, float32"] = [matmul_gflops(n, device) for n in sizes]  # i18n
    speeds["GPU, bfloat16"] = [matmul_gflops(n, device, dtype=torch.bfloat16) for n in sizes]  # i18n
else:
    print("No CUDA GPU here: the plot shows the CPU only.")  # i18n

fig, ax = plt.subplots(figsize=(5.5, 3.5))
for label, values in speeds.items():
    ax.loglog(sizes, values, "o-", label=label, base=2)
ax.set_xlabel("n (matrices n x n)")  # i18n
ax.set_ylabel("GFLOP/s")
ax.legend()
plt.show()
for label, values in speeds.items():
    print(f"{label:18s}", "  ".join(f"n={n}: {v:7.1f}" for n, v in zip(sizes, values,
                                                                        strict=True)))

# %% [markdown]
# Small multiplications are slow per operation: the fixed cost of a call dominates, and
# a GPU is not even busy. Speed grows with $n$ until the hardware is saturated. That is
# why GPUs want large batches, and why several threads help only for large enough
# matrices.
#
# ### Where the time goes: CUDA events and `torch.profiler`
#
# On a GPU there is a second clock: **CUDA events** are markers put in the GPU's queue,
# and `start.elapsed_time(end)` reads the GPU time between two of them, without making
# the CPU wait in between (CUDA only; the cell says so on a CPU). To see *which
# operations* take the time, on the CPU and the GPU alike, use `torch.profiler`: it
# records every operation while a block runs, and `key_averages()` sums them by name.

# %%
if device.type == "cuda":
    start_event = torch.cuda.Event(enable_timing=True)
    end_event = torch.cuda.Event(enable_timing=True)
    start_event.record()
    a_gpu @ b_gpu
    end_event.record()
    end_event.synchronize()  # wait until the GPU has passed the end marker
    print(f"a @ b by CUDA events: {start_event.elapsed_time(end_event):.3f} ms")  # i18n
else:
    print("No CUDA GPU here: CUDA events need one.")  # i18n

torch.manual_seed(0)
probe_model = nn.Sequential(nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, 512)).to(device)
probe_batch = torch.randn(256, 512, device=device)  # (B, 512)
probe_model(probe_batch).sum().backward()  # a warm-up step, outside the profile
os.environ.setdefault("KINETO_LOG_LEVEL", "5")  # keeps the profiler's own log quiet
activities = [torch.profiler.ProfilerActivity.CPU]
if device.type == "cuda":
    activities.append(torch.profiler.ProfilerActivity.CUDA)
with torch.profiler.profile(activities=activities) as profiler:
    for _ in range(5):
        probe_model(probe_batch).sum().backward()
busiest = sorted(profiler.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
for event in busiest[:5]:
    print(f"{event.key:28s} {event.count:3d} calls {event.self_cpu_time_total / 1000:7.2f} ms")  # i18n

# %% [markdown]
# The matrix multiplications (`aten::addmm` forward, `aten::mm` backward) lead: that is
# where the arithmetic is. In a real model, a list led by copies, `item` or
# data loading says the device is waiting for the rest of the program.
# `profiler.export_chrome_trace("trace.json")` saves a timeline to open in
# [Perfetto](https://ui.perfetto.dev).
#
# ### `torch.compile`: fewer, fused operations
#
# Each operation of an eager model is one call through Python and, on a GPU, one kernel
# launch, and each reads and writes memory. `torch.compile(model)` captures the model as
# a graph (with the same machinery as `torch.export`, chapter 06) and generates fused
# kernels for it: C++ on a CPU, Triton on a GPU. The first call compiles, which takes
# seconds to minutes; later calls reuse the code. It works on a CPU too, but the
# compilation takes longer than this quick test run allows, so the cell runs it only
# in a normal run.

# %%
if settings.fast():
    print("torch.compile: skipped in the quick test run (compiling takes tens of seconds).")  # i18n
else:
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(256, 512), nn.GELU(), nn.Linear(512, 512), nn.GELU(),
                        nn.Linear(512, 10))
    compiled = torch.compile(mlp)   # nothing compiled yet: that happens at the first call
    inputs256 = torch.randn(256, 256)  # (B, 256)
    with torch.inference_mode():
        difference = (compiled(inputs256) - mlp(inputs256)).abs().max().item()
    found = latencies({"eager": (mlp, inputs256), "compiled": (compiled, inputs256)},
                      threads=1)
    eager_ms, compiled_ms = found["eager"].median_ms, found["compiled"].median_ms
    print(f"largest difference from the eager model: {difference:.1e}")  # i18n
    print(f"eager {eager_ms:.3f} ms, compiled {compiled_ms:.3f} ms per batch "  # i18n
          "(median, 1 thread)")  # i18n

# %% [markdown]
# The outputs agree to float32 rounding; the speed-up depends on the model and the
# hardware (little or none on a CPU for a model made of large matrix products, like
# this one; often large on a GPU for models with many small element-wise operations).
# Measure before you keep it.
#
# ### Feeding the device: `num_workers` and `pin_memory`
#
# A fast GPU waits if batches come too slowly. `DataLoader(num_workers=n)` prepares
# batches in `n` worker processes (decoding images, augmenting) while the main process
# trains; `persistent_workers=True` keeps them alive between epochs. Workers pay off
# when preparing a batch takes real work; for tensors already in memory, as here, they
# only add the cost of sending batches between processes. Two traps: a `Dataset` class
# defined in the notebook cannot be sent to workers started with *spawn* or
# *forkserver* (the default on Windows and macOS, and on Linux from Python 3.14):
# define it in a `.py` file and import it. And `pin_memory=True` makes the loader put
# each batch in pinned memory, which the `non_blocking=True` copies of section 1 need;
# with CUDA only.

# %%
images = TensorDataset(torch.randn(256, 1, 28, 28), torch.randint(0, 10, (256,)))


def label_batches(workers):
    loader = DataLoader(images, batch_size=64, shuffle=True, num_workers=workers,
                        pin_memory=device.type == "cuda",
                        generator=torch.Generator().manual_seed(0))
    return [labels for _inputs, labels in loader]


same = all(torch.equal(a, b) for a, b in zip(label_batches(0), label_batches(2), strict=True))
print("the same batches, in the same order, with 0 and 2 workers:", same)  # i18n

# %% [markdown]
# The shuffle comes from the loader's generator, not from the workers, so the batches
# are the same. Start with `num_workers=0`, and raise it when the profiler shows the
# model waiting for data.
#
# ## 3. Mixed precision
#
# ### What the 16-bit formats can hold
#
# A float32 has 8 exponent bits and 23 mantissa bits. The two 16-bit formats split their
# bits differently: **float16** keeps precision (10 mantissa bits) but has a small range;
# **bfloat16** ("brain float") keeps float32's range (8 exponent bits) and gives up
# precision (7 mantissa bits). Below the smallest *normal* number each format still has
# a few *subnormal* ones, with fewer significant bits, down to the smallest subnormal;
# anything smaller rounds to 0. Each box below is one bit; the exponent bits set the
# range, the mantissa bits the precision:

# %%
plot.plot_float_layouts()

# %%
print("dtype          largest  smallest normal  smallest subnormal  eps (1 + eps > 1)")  # i18n
for dtype in (torch.float32, torch.float16, torch.bfloat16):
    info = torch.finfo(dtype)
    subnormal = info.smallest_normal * info.eps  # 2^(min exponent - mantissa bits)
    print(f"{str(dtype).removeprefix('torch.'):10s} {info.max:11.4g} "
          f"{info.smallest_normal:16.4g} {subnormal:19.4g} {info.eps:18.4g}")

# %% [markdown]
# What that means, in numbers. **Overflow:** 300 x 300 = 90,000 is above float16's
# largest value, so it becomes `inf`. **Underflow:** a small gradient such as
# $10^{-8}$ is below float16's smallest subnormal, so it becomes 0. bfloat16 keeps
# both, but rounds: the bfloat16 number after 1 is $1 + 1/128$ (its eps), so
# $1 + 1/256$, halfway between them, is stored as 1.

# %%
big = torch.tensor(300.0)
tiny = torch.tensor(1e-8)
for dtype in (torch.float16, torch.bfloat16):
    print(f"{str(dtype).removeprefix('torch.'):9s} 300 * 300 = {(big.to(dtype) * big.to(dtype)).item():<8g}"
          f" 1e-8 -> {tiny.to(dtype).item():<10.3g} 1 + 1/256 -> "
          f"{torch.tensor(1 + 1 / 256).to(dtype).item():.6f}")

# %% [markdown]
# ### TF32: float32 matrix products with fewer bits
#
# GPUs from Ampere on have a fourth format, **TF32**, for matrix products only: float32's
# 8 exponent bits with float16's 10 mantissa bits. The inputs are rounded to it, the
# products are summed in float32, and the tensor cores that do it are several times
# faster than true float32. PyTorch uses it for convolutions by default but not for
# matrix multiplications, whose default precision is `"highest"`;
# `torch.set_float32_matmul_precision("high")` allows TF32 (and `"medium"` even
# bfloat16). Your tensors stay float32 either way. What does the rounding cost? On a CPU
# we can round the inputs to TF32's 10 bits ourselves and compare with float64:

# %%
def round_to_tf32(t):
    """float32 values rounded to 10 mantissa bits, as TF32 keeps them."""
    bits = t.view(torch.int32)  # the float32's bits as an integer (sign, exponent, mantissa)
    return ((bits + 0x1000) & ~0x1FFF).view(torch.float32)  # round off the last 13 bits


torch.manual_seed(0)
a, b = torch.randn(512, 512), torch.randn(512, 512)  # (512, 512) each
exact = a.double() @ b.double()
for words, product in [("float32", a @ b),  # i18n
                       ("TF32 inputs", round_to_tf32(a) @ round_to_tf32(b))]:  # i18n
    error = ((product.double() - exact).abs().max() / exact.abs().max()).item()
    print(f"{words:12s} largest error, relative to the largest entry: {error:.1e}")  # i18n
print("matmul precision now:", torch.get_float32_matmul_precision())  # i18n

# %% [markdown]
# About a thousand times less precise than float32, and still a few $10^{-4}$: plenty
# for training most networks, which is why many training scripts start with
# `torch.set_float32_matmul_precision("high")`. Leave it at `"highest"` where you need
# float32's precision (a numerical check, a scientific computation).
#
# ### `autocast`: low precision where it is safe
#
# Under `torch.autocast(device_type, dtype)` every operation falls in one of three
# groups:
# - operations that gain most from fewer bits and tolerate them (matrix
#   multiplications, convolutions, `nn.Linear`) cast their inputs to the 16-bit type;
# - operations that need range or precision cast their inputs to float32: the losses,
#   on the CPU and on CUDA; on CUDA also `softmax`, `log_softmax`, `exp`, `sum` and the
#   norms (`layer_norm`, ...);
# - every other operation (`relu`, additions, ...) runs in the type of its inputs, so
#   after a 16-bit `nn.Linear` it stays 16-bit.
#
# The weights stay float32: only copies are cast. Below, each operation gets the 16-bit
# output `h` of an `nn.Linear`, so you can see which ones go back to float32. The CPU
# column uses bfloat16; with a CUDA GPU a column for CUDA with float16 appears, and
# there `softmax` and friends come out in float32.

# %%
def autocast_dtypes(device_type, dtype):
    """The dtype each operation returns under autocast on ``device_type``."""
    torch.manual_seed(0)
    lin = nn.Linear(16, 16).to(device_type)
    h32 = torch.randn(8, 16, device=device_type)  # (B, 16) float32
    labels8 = torch.zeros(8, dtype=torch.long, device=device_type)
    with torch.autocast(device_type=device_type, dtype=dtype):
        h = lin(h32)  # (B, 16) in the 16-bit type
        ops = {"nn.Linear": h, "a @ b (float32 in)": h32 @ h32.T, "relu": torch.relu(h),
               "softmax": torch.softmax(h, dim=1), "log_softmax": torch.log_softmax(h, dim=1),
               "exp": torch.exp(h), "sum": h.sum(), "layer_norm": F.layer_norm(h, (16,)),
               "cross_entropy": F.cross_entropy(h, labels8), "mse_loss": F.mse_loss(h, h32)}
    ops["(the Linear's weight)"] = lin.weight  # never cast in place # i18n
    return {name: str(out.dtype).removeprefix("torch.") for name, out in ops.items()}


columns = {"CPU, bfloat16": autocast_dtypes("cpu", torch.bfloat16)}
if device.type == "cuda":
    columns["CUDA, float16"] = autocast_dtypes("cuda", torch.float16)
print("operation           " + "".join(f"{title:>16s}" for title in columns))  # i18n
for name in columns["CPU, bfloat16"]:
    print(f"{name:20s}" + "".join(f"{column[name]:>16s}" for column in columns.values()))

# %% [markdown]
# Which 16-bit type? On NVIDIA GPUs from Ampere on (compute capability 8.0 or more:
# A100, RTX 30xx and newer) bfloat16 is the usual choice: it has float32's range and
# needs no scaler. Older GPUs (V100, T4) have fast float16 only, and float16 needs the
# `GradScaler` below. Careful: `torch.cuda.is_bf16_supported()` says `True` on a V100 or
# T4 too, because bfloat16 *runs* there, emulated and slow; ask for native support with
# `including_emulation=False`, or read the compute capability. On CPUs bfloat16 is the
# type autocast supports best.

# %%
capability = torch.cuda.get_device_capability(device) if device.type == "cuda" else None
print("compute capability:", capability or "no CUDA GPU")  # i18n

# %% [markdown]
# ### Exercise 3: which 16-bit type, and does it need a scaler?
# Write `amp_plan(device_type, capability)` that returns the pair `(dtype, needs_scaler)`
# for autocast on that machine: `device_type` is `"cpu"` or `"cuda"`, and `capability`
# is the GPU's compute capability as a `(major, minor)` tuple, such as `(7, 5)` for a T4
# (`None` on a CPU). Decide from these two arguments alone, without asking the machine
# you run on: the check asks about GPUs you do not have.

# %%
def amp_plan(device_type, capability):
    ### BEGIN SOLUTION
    if device_type == "cuda" and capability < (8, 0):   # before Ampere: no native bfloat16
        return torch.float16, True                       # float16 needs a GradScaler
    return torch.bfloat16, False
    ### END SOLUTION


# %%
q.amp_plan.check()

# %% tags=["author-test"]
q.amp_plan.expect("incorrect", "emulated",
                  amp_plan=lambda device_type, capability: (torch.bfloat16, False))
q.amp_plan.expect("incorrect", "no scaler",
                  amp_plan=lambda device_type, capability: (torch.bfloat16, True))
q.amp_plan.expect("passed")

# %% [markdown]
# The spelling `torch.cuda.amp.autocast(...)` and `torch.cuda.amp.GradScaler()` is
# **legacy**: use `torch.amp.autocast("cuda", ...)` (or `torch.autocast`) and
# `torch.amp.GradScaler("cuda")`.
#
# ### Why float16 needs a `GradScaler`
#
# Gradients are often tiny. In float16 many of them underflow to zero and those weights
# stop learning. The fix is to multiply the loss by a large *scale* $S$ before
# `backward` (so every gradient is $S$ times larger and representable), then divide the
# gradients by $S$ again, in float32, before the optimizer uses them:
#
# $$\nabla_w (S \cdot L) = S \cdot \nabla_w L .$$
#
# Take gradients spread between $10^{-10}$ and $10^{-3}$ and see how many survive in
# float16, with and without a scale of $2^{16}$:

# %%
torch.manual_seed(0)
grads = 10 ** torch.empty(10_000).uniform_(-10, -3)  # (10000,) magnitudes of gradients
scale = 2.0**16
lost_plain = (grads.half() == 0).float().mean().item()
lost_scaled = ((grads * scale).half() == 0).float().mean().item()
print(f"flushed to zero in float16: {lost_plain:.1%} unscaled, {lost_scaled:.1%} "  # i18n
      f"with scale 2^16")  # i18n

# %% [markdown]
# Too large a scale overflows instead. `GradScaler` adapts: when a gradient is `inf` or
# `NaN` it **skips** the optimizer step and halves the scale; after `growth_interval`
# good steps in a row (2000 by default; 1 in the demo, to see it at once) it doubles the
# scale. You can watch it on the CPU (bfloat16 does
# not need a scaler, but the mechanics are the same). A normal step, then a step whose
# scaled gradients overflow:

# %%
torch.manual_seed(0)
net = nn.Linear(8, 4)
optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0**16, growth_interval=1)
features, classes = torch.randn(6, 8), torch.randint(0, 4, (6,))
for words, inputs in [("ordinary batch", features), ("batch that overflows", features * 1e35)]:  # i18n
    before = net.weight.detach().clone()
    optimizer.zero_grad()
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        loss = F.cross_entropy(net(inputs), classes)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    print(f"{words:22s} weights changed: {not torch.equal(before, net.weight)!s:5s} "  # i18n
          f"scale now: {scaler.get_scale():g}")  # i18n

# %% [markdown]
# One more rule: anything that reads gradient *values* (gradient clipping, logging the
# gradient norm) must come after `scaler.unscale_(optimizer)`, or it sees gradients
# that are still multiplied by $S$.
#
# ### Exercise 4: a mixed-precision training step
# Write `amp_step(model, x, y, optimizer, scaler, *, amp_dtype, max_norm)` doing one
# training step with cross-entropy loss, in this order: zero the gradients; forward pass
# and loss under `torch.autocast(device_type=x.device.type, dtype=amp_dtype)`; backward
# on the scaled loss; unscale; clip the gradient norm to `max_norm` with
# `torch.nn.utils.clip_grad_norm_`; step through the scaler; update the scaler. Return
# the (unscaled) loss as a number. The check runs it on a CPU `GradScaler` and reads the
# scaler's state and the weights afterwards, also after an overflow.

# %%
def amp_step(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    ### BEGIN SOLUTION
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()       # gradients of S * loss
    scaler.unscale_(optimizer)          # divide them by S, in place
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)              # skipped when a gradient is inf or NaN
    scaler.update()                     # halve or grow the scale
    return loss.item()
    ### END SOLUTION


# %%
q.amp_step.check()

# %% tags=["author-test"]
def clip_before_unscale(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.unscale_(optimizer)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


def plain_optimizer_step(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    scaler.update()
    return loss.item()


q.amp_step.expect("incorrect", "clipped before", amp_step=clip_before_unscale)
q.amp_step.expect("incorrect", "`optimizer.step()` does not", amp_step=plain_optimizer_step)
q.amp_step.expect("passed")

# %% [markdown]
# ### Mixed precision on MNIST
#
# Now the course's MNIST network from chapter 03, trained the same way in float32 and
# under autocast: bfloat16 on the CPU and, with a CUDA GPU, also float16 with a
# `GradScaler`. The images are loaded once and kept on the device as one tensor, which
# saves the `DataLoader` overhead for a dataset this small.

# %%
root = data.ensure_mnist()
mnist_train = torchvision.datasets.MNIST(root, train=True)
mnist_test = torchvision.datasets.MNIST(root, train=False)
train_x = (mnist_train.data.float() / 255).unsqueeze(1)  # (N, 1, 28, 28) in [0, 1]
train_y = mnist_train.targets                             # (N,)
test_x = (mnist_test.data.float() / 255).unsqueeze(1)
test_y = mnist_test.targets
print(len(train_y), "training and", len(test_y), "test images")  # i18n


def mnist_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(),
                         nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def train_mixed(device, amp_dtype=None, *, epochs, batch_size=128):
    """Train a fresh MLP; return seconds per epoch (median, the first epoch left out as
    warm-up when there are several) and test accuracy."""
    torch.manual_seed(0)
    model = mnist_mlp().to(device)  # move first, then build the optimizer
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    use_scaler = amp_dtype == torch.float16
    scaler = torch.amp.GradScaler(device.type, enabled=use_scaler)
    xs, ys = train_x.to(device), train_y.to(device)
    epoch_times = []
    for epoch in range(epochs):
        if device.type != "cpu":
            torch.accelerator.synchronize(device)
        start = time.perf_counter()
        order = torch.randperm(len(ys), generator=torch.Generator().manual_seed(epoch))
        for i in range(0, len(ys), batch_size):
            index = order[i:i + batch_size].to(device)
            optimizer.zero_grad()
            with torch.autocast(device.type, dtype=amp_dtype or torch.float32,
                                enabled=amp_dtype is not None):
                loss = F.cross_entropy(model(xs[index]), ys[index])
            scaler.scale(loss).backward()  # without a scaler (enabled=False): loss.backward()
            scaler.step(optimizer)
            scaler.update()
        if device.type != "cpu":
            torch.accelerator.synchronize(device)
        epoch_times.append(time.perf_counter() - start)
    model.eval()
    with torch.no_grad(), torch.autocast(device.type, dtype=amp_dtype or torch.float32,
                                         enabled=amp_dtype is not None):
        predictions = model(test_x.to(device)).argmax(dim=1)
    accuracy = (predictions == test_y.to(device)).float().mean().item()
    return statistics.median(epoch_times[1:] or epoch_times), accuracy


epochs = 2 if settings.fast() else 6
runs = [("CPU", "float32", torch.device("cpu"), None),
        ("CPU", "bfloat16 autocast", torch.device("cpu"), torch.bfloat16)]
if device.type == "cuda":
    runs += [("GPU", "float32", device, None),
             ("GPU", "float16 autocast + GradScaler", device, torch.float16),
             ("GPU", "bfloat16 autocast", device, torch.bfloat16)]
amp_results = {}
print(f"{epochs} epochs each, time per epoch without the first, "  # i18n
      f"{torch.get_num_threads()} CPU thread(s)")  # i18n
print("device precision                         s / epoch  test accuracy")  # i18n
for where, words, dev, amp_dtype in runs:
    seconds, accuracy = train_mixed(dev, amp_dtype, epochs=epochs)
    amp_results[(where, words)] = (seconds, accuracy)
    print(f"{where:6s} {words:32s} {seconds:10.3f} {accuracy:14.3f}")

# %% [markdown]
# Read the table with care. The accuracies should be close: low precision barely
# changes what this network learns. The times, for a network this small, mostly measure
# overhead: launching many tiny operations, plus the casts autocast adds. So autocast is
# often *slower* here, on a CPU and even on a large GPU, and a GPU may be no faster than
# the CPU at all. Mixed precision pays off where the large matrix multiplications
# dominate, as in the GFLOP/s plot above, and it also halves the memory of activations.
#
# ### GPU memory, and running out of it
#
# Training keeps four things per parameter: the weight, its gradient and, with Adam, two
# running averages; in float32 that is $4 \times 4 = 16$ bytes per parameter before a
# single activation is stored. The activations of every layer are kept from the forward
# pass for the backward pass, and they grow with the batch size. The numbers for our MLP
# and for a model of one billion parameters:

# %%
mlp_parameters = sum(p.numel() for p in mnist_mlp().parameters())
for words, count in [("the MNIST MLP", mlp_parameters),  # i18n
                     ("a 1-billion-parameter model", 10**9)]:  # i18n
    print(f"{words:28s} {count:>13,} parameters -> {16 * count / 2**30:8.3f} GiB "  # i18n
          "for weights, gradients and Adam")  # i18n
if device.type == "cuda":
    print(f"allocated now {torch.cuda.memory_allocated(device) / 2**20:.1f} MiB, at most "  # i18n
          f"{torch.cuda.max_memory_allocated(device) / 2**20:.1f} MiB so far")  # i18n
else:
    print("No CUDA GPU here: torch.cuda.memory_allocated() needs one.")  # i18n

# %% [markdown]
# When a GPU runs out, PyTorch raises `torch.cuda.OutOfMemoryError` (a `RuntimeError`),
# and the message says how much was asked for and how much is in use. The remedies, in
# the order to try them: a smaller batch (with gradient accumulation, section 5, to keep
# the effective batch size); mixed precision; *activation checkpointing*
# (`torch.utils.checkpoint`), which recomputes activations during the backward pass
# instead of storing them; and, beyond one GPU, FSDP (section 5). Two things that do
# not help: `torch.cuda.empty_cache()` only hands memory that no tensor uses back to
# the driver, and memory stays in use as long as a variable (a stored loss with its
# graph, a list of outputs) still refers to it. `torch.cuda.memory_summary()` says
# where the memory went.
#
# ## 4. Data parallelism
#
# With $W$ devices, **data parallelism** runs one *process* per device, each with a full
# copy of the model. Every process has a **rank** $r \in \{0, \dots, W - 1\}$ and knows
# the **world size** $W$. Each step:
# 1. every rank takes its own shard of the batch, $B/W$ examples, and computes its
#    gradient $g_r$ of its mean loss;
# 2. an **all-reduce** sums the gradients across ranks and gives every rank the result;
#    dividing by $W$ gives the average $\bar g = \frac{1}{W}\sum_r g_r$;
# 3. every rank takes the same optimizer step with $\bar g$, so the copies stay identical.

# %%
plot.plot_all_reduce(world_size=3)

# %% [markdown]
# With equal shards, the average of the shard means **is** the mean over the whole
# batch, so $\bar g$ is exactly the gradient of one process on the full batch of
# $B$ examples (the *effective batch size*). Checked here in one process, two shards
# by hand:

# %%
torch.manual_seed(0)
toy = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
xb, yb = torch.randn(8, 5), torch.randint(0, 3, (8,))  # a batch of B = 8
full = torch.autograd.grad(F.cross_entropy(toy(xb), yb), toy.parameters())
shard_grads = [torch.autograd.grad(F.cross_entropy(toy(xb[s]), yb[s]), toy.parameters())
               for s in (slice(0, 4), slice(4, 8))]  # rank 0 and rank 1, 4 examples each
averaged = [(g0 + g1) / 2 for g0, g1 in zip(*shard_grads, strict=True)]
print("largest difference, averaged shards vs full batch:",  # i18n
      f"{max((a - f).abs().max().item() for a, f in zip(averaged, full, strict=True)):.2e}")  # i18n

# %% [markdown]
# ### `DistributedSampler`: who gets which examples
#
# Each rank must see different examples. `DistributedSampler` deals the dataset out like
# cards: rank $r$ gets indices $r, r + W, r + 2W, \dots$. So that every rank runs the same
# number of steps (a rank that stops early would leave the others waiting in the
# all-reduce), it pads the list by repeating indices from the start until its length is a
# multiple of $W$. With `shuffle=True` (the default) it shuffles first, with a seed that
# all ranks share, and `sampler.set_epoch(epoch)` gives a new order every epoch. Give it to
# the `DataLoader` as `sampler=` and leave the loader's own `shuffle` off: the two
# together are an error. Normally it reads
# rank and world size from the process group; here we pass them, for 10 examples and 3
# ranks:

# %%
numbers = list(range(10))
for shuffle in (False, True):
    for epoch in (0, 1) if shuffle else (0,):
        shards = []
        for rank in range(3):
            sampler = DistributedSampler(numbers, num_replicas=3, rank=rank, shuffle=shuffle,
                                         seed=0)
            sampler.set_epoch(epoch)
            shards.append(list(sampler))
        print(f"shuffle={shuffle!s:5s} epoch {epoch}: ", "  ".join(  # i18n
            f"rank {r}: {s}" for r, s in enumerate(shards)))  # i18n
dealt = [i for shard in shards for i in shard]
print(f"{len(dealt)} indices dealt for {len(numbers)} examples; appearing twice:",  # i18n
      sorted(i for i in set(dealt) if dealt.count(i) > 1))

# %% [markdown]
# The indices that appear twice are the padding: $3 \lceil 10 / 3 \rceil - 10 = 2$ of
# them. (`drop_last=True` drops the tail instead.) Forgetting `set_epoch` is a classic bug: every epoch then repeats the same
# order.
#
# ### Exercise 5: the sampler's arithmetic
# Write `shard_indices(n, rank, world_size)` returning the list of indices rank `rank`
# receives for a dataset of `n` examples, exactly as
# `list(DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=False))`:
# every rank gets $\lceil n / W \rceil$ indices; pad `0, 1, ..., n-1` by repeating it
# from the start up to $W \lceil n / W \rceil$ indices, then deal them out.

# %%
def shard_indices(n, rank, world_size):
    ### BEGIN SOLUTION
    num_samples = math.ceil(n / world_size)              # the same for every rank
    total = num_samples * world_size
    indices = list(range(n))
    indices = (indices * math.ceil(total / n))[:total]   # pad by repeating from the start
    return indices[rank:total:world_size]                # every world_size-th, from rank
    ### END SOLUTION


# %%
q.shard_indices.check()

# %% tags=["author-test"]
q.shard_indices.expect("incorrect", "padding repeats",
                       shard_indices=lambda n, rank, world_size: list(range(n))[rank::world_size])
q.shard_indices.expect("passed")

# %% [markdown]
# ### Exercise 6: average the gradients yourself
# `DistributedDataParallel` does step 2 for you, overlapped with the backward pass. Here
# you write it by hand. `average_gradients(model)` is called on every rank right after
# `loss.backward()`; afterwards each parameter's `.grad` must hold the average over all
# ranks. Use `dist.all_reduce(tensor, op=dist.ReduceOp.SUM)`, which replaces `tensor` on
# every rank with the sum over ranks, and `dist.get_world_size()`.
#
# The check starts two groups of processes joined over `gloo`, of two to four ranks each,
# gives every rank its share of a batch, runs your function on all of them, and compares
# with the gradient of one process on the whole batch. Your function runs there from its
# source text, where `torch`, `dist`, `nn`, `F` and `math` are defined and nothing else
# from this notebook.

# %%
def average_gradients(model):
    ### BEGIN SOLUTION
    world_size = dist.get_world_size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)  # the sum over ranks, in place
            p.grad /= world_size
    ### END SOLUTION


# %%
q.average_gradients.check()

# %% tags=["author-test"]
def sum_only(model):
    for p in model.parameters():
        dist.all_reduce(p.grad)


def to_rank_zero(model):
    for p in model.parameters():
        dist.reduce(p.grad, dst=0)
        p.grad /= dist.get_world_size()


q.average_gradients.expect("incorrect", "Divide by the world size", average_gradients=sum_only)
q.average_gradients.expect("incorrect", "on rank 1", average_gradients=to_rank_zero)
q.average_gradients.expect("passed")

# %% [markdown]
# ### Why not `DataParallel`?
#
# `nn.DataParallel(model)` is one line and still exists, but it is **legacy**, and
# PyTorch's documentation recommends `DistributedDataParallel` even on one machine.
# `DataParallel` runs one Python process with a thread per GPU, so the threads fight over
# Python's global interpreter lock; it copies the model to every GPU in every forward
# pass; and it gathers all outputs on GPU 0, which runs out of memory first.
# `DistributedDataParallel` runs one process per device, copies the model once, and
# overlaps the all-reduce with the backward pass.
#
# ## 5. DistributedDataParallel that actually runs
#
# A DDP program is an ordinary training script that a launcher starts $W$ times.
# `torchrun` is that launcher: it starts the processes and gives each, in environment
# variables, its `RANK` (0 to $W - 1$ over all machines), its `LOCAL_RANK` (its number on
# this machine, which picks its GPU), `WORLD_SIZE` ($W$), `LOCAL_WORLD_SIZE` (processes
# on this machine) and a place to meet (`MASTER_ADDR`, `MASTER_PORT`). The script then:
# 1. on GPUs, `torch.cuda.set_device(local_rank)`, so each process has its own GPU; then
#    `dist.init_process_group(backend, device_id=...)`: **`nccl`** between NVIDIA GPUs,
#    **`gloo`** on CPUs; `device_id` (a GPU, or `None` on a CPU) binds the group to this
#    process's GPU, so `nccl` connects at once instead of at the first collective;
# 2. wraps the model: `DDP(model, device_ids=[local_rank])` on GPUs, `DDP(model)` on CPU;
# 3. feeds each rank its shard with a `DistributedSampler`;
# 4. trains as usual: `loss.backward()` now also averages the gradients across ranks.
#
# The script below does one DDP step and, on rank 0, one ordinary step of a copy of the
# model on the union of the ranks' shards, then compares gradients and weights. Then it
# trains a few epochs. Each rank writes what it saw to a JSON file.

# %%
DDP_SCRIPT = '''\
"""One DDP step, checked against one ordinary step on the whole batch; then a few epochs."""
import copy
import json
import os
import sys

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

GLOBAL_BATCH = 16  # examples per step, summed over all ranks (the effective batch size)


def main(out_dir):
    local_rank = int(os.environ["LOCAL_RANK"])  # this process's number on its machine
    per_machine = int(os.environ["LOCAL_WORLD_SIZE"])  # processes on this machine
    use_cuda = torch.cuda.is_available() and torch.cuda.device_count() >= per_machine
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)  # before the group: each process its own GPU
    dist.init_process_group("nccl" if use_cuda else "gloo",
                            device_id=device if use_cuda else None)
    rank, world_size = dist.get_rank(), dist.get_world_size()

    torch.manual_seed(0)  # the same data and initial weights on every rank
    inputs, targets = torch.randn(64, 10), torch.randint(0, 3, (64,))
    dataset = TensorDataset(inputs, targets)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3)).to(device)
    single = copy.deepcopy(model)  # for the one-process comparison
    ddp = DDP(model, device_ids=[local_rank] if use_cuda else None)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.5)

    sampler = DistributedSampler(dataset, shuffle=True, seed=0)  # rank, world from the group
    loader = DataLoader(dataset, batch_size=GLOBAL_BATCH // world_size, sampler=sampler)
    sampler.set_epoch(0)
    my_indices = list(sampler)[: GLOBAL_BATCH // world_size]  # this rank's first batch
    x, y = next(iter(loader))
    optimizer.zero_grad()
    loss = F.cross_entropy(ddp(x.to(device)), y.to(device))
    loss.backward()  # computes this rank's gradient, then all-reduces (averages) it
    ddp_grads = [p.grad.detach().clone() for p in model.parameters()]

    # Gradient accumulation: the same batch in two halves, one all-reduce. Inside
    # no_sync() backward only adds to the local .grad; the next backward all-reduces.
    half = len(x) // 2
    optimizer.zero_grad()
    with ddp.no_sync():
        (F.cross_entropy(ddp(x[:half].to(device)), y[:half].to(device)) / 2).backward()
    (F.cross_entropy(ddp(x[half:].to(device)), y[half:].to(device)) / 2).backward()
    accumulation_difference = max((p.grad - g).abs().max().item()
                                  for p, g in zip(model.parameters(), ddp_grads))
    optimizer.step()

    everyone = [None] * world_size
    dist.all_gather_object(everyone, my_indices)  # which indices each rank used
    report = {"rank": rank, "world_size": world_size, "backend": dist.get_backend(),
              "device": str(device), "indices": my_indices, "local_loss": loss.item(),
              "accumulation_difference": accumulation_difference}
    if rank == 0:  # one ordinary step on the union of the shards, in this one process
        union = torch.tensor([i for shard in everyone for i in shard])
        single_opt = torch.optim.SGD(single.parameters(), lr=0.5)
        F.cross_entropy(single(inputs[union].to(device)), targets[union].to(device)).backward()
        report["grad_difference"] = max((g - p.grad).abs().max().item()
                                        for g, p in zip(ddp_grads, single.parameters()))
        single_opt.step()
        report["weight_difference"] = max((a - b).abs().max().item() for a, b in
                                          zip(model.parameters(), single.parameters()))

    losses = []
    for epoch in range(1, 6):  # a few epochs: a new shuffle each time
        sampler.set_epoch(epoch)
        total = torch.zeros((), device=device)
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(ddp(x.to(device)), y.to(device))
            loss.backward()
            optimizer.step()
            total += loss.detach()
        dist.all_reduce(total)  # sum over ranks
        losses.append(total.item() / (len(loader) * world_size))
    report["epoch_losses"] = losses

    # Evaluation on 63 examples. DistributedSampler pads them to a multiple of the world
    # size, so some are counted twice; dealing range(rank, 63, W) counts each once.
    held_x, held_y = torch.randn(63, 10), torch.randint(0, 3, (63,))
    padded = list(DistributedSampler(TensorDataset(held_x, held_y), shuffle=False))
    exact = list(range(rank, len(held_y), world_size))
    for name, indices in (("eval_padded", padded), ("eval_exact", exact)):
        with torch.no_grad():
            predicted = ddp.module(held_x[indices].to(device)).argmax(dim=1).cpu()
        counts = torch.tensor([(predicted == held_y[indices]).sum().item(), len(indices)],
                              dtype=torch.float64, device=device)  # (correct, seen)
        dist.all_reduce(counts)  # sums over ranks
        report[name] = counts.tolist()

    # Save once, on rank 0, the model without its DDP wrapper (ddp.module): its keys
    # lack the "module." prefix, so a script without DDP can load the file.
    report["ddp_key"], report["module_key"] = next(iter(ddp.state_dict())), \
        next(iter(ddp.module.state_dict()))
    if rank == 0:
        torch.save(ddp.module.state_dict(), os.path.join(out_dir, "model.pt"))
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(report, f)
    dist.barrier()  # leave together: no rank tears down while another still talks to it
    del ddp
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
'''  # i18n

work = Path(tempfile.mkdtemp(prefix="ddp-demo-"))
script = work / "ddp_step.py"
script.write_text(DDP_SCRIPT)
print("wrote", script, f"({len(DDP_SCRIPT.splitlines())} lines)")  # i18n

# %% [markdown]
# Now launch it with two processes. With two CUDA GPUs or more, each process takes its
# own GPU and they talk over `nccl`; otherwise (a CPU only, or a single GPU, which `nccl`
# will not let two processes share) both run on the CPU over `gloo`. `--standalone` runs
# the meeting point on this machine. The `torchrun` command is the script form of `python -m torch.distributed.run`;
# we use whichever belongs to this notebook's Python. A time limit protects the notebook
# if a process hangs.

# %%
torchrun = shutil.which("torchrun")
if torchrun and Path(torchrun).parent == Path(sys.executable).parent:
    launcher = [torchrun]
else:
    launcher = [sys.executable, "-m", "torch.distributed.run"]
nproc = 2
arguments = ["--standalone", f"--nproc-per-node={nproc}", str(script), str(work)]
command = [*launcher, *arguments]
print("$", "torchrun" if launcher == [torchrun] else "python -m torch.distributed.run",
      shlex.join(arguments))
start = time.perf_counter()
env = {**os.environ, "OMP_NUM_THREADS": "1"}
launched = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)
print(f"exit code {launched.returncode} after {time.perf_counter() - start:.1f} s")  # i18n
if launched.returncode != 0:  # show what went wrong: the workers' errors, not every line
    important = [line for line in launched.stderr.splitlines()
                 if any(word in line for word in ("Error", "error:", "what()", "exitcode"))]
    print("\n".join(important[-15:]) or launched.stderr[-2000:])

# %%
reports = [json.loads((work / f"rank{r}.json").read_text()) for r in range(nproc)]
first = reports[0]
print(f"backend {first['backend']}, world size {first['world_size']}, "  # i18n
      f"devices {[r['device'] for r in reports]}")  # i18n
per_rank = len(first["indices"])
for r in reports:
    print(f"rank {r['rank']}: indices {r['indices']}, loss on its shard {r['local_loss']:.4f}")  # i18n
overlap = set(reports[0]["indices"]) & set(reports[1]["indices"])
shared = sorted(overlap) if overlap else "none"  # i18n
print(f"indices in both shards: {shared} | effective batch size: "  # i18n
      f"{per_rank} per rank x {first['world_size']} ranks = {per_rank * first['world_size']}")  # i18n
print(f"DDP vs one process on the whole batch: gradients differ by at most "  # i18n
      f"{first['grad_difference']:.1e}, weights after the step by {first['weight_difference']:.1e}")  # i18n
print("mean loss per epoch:",  # i18n
      " ".join(f"{v:.3f}" for v in first["epoch_losses"]))
ddp_grad_difference = first["grad_difference"]
assert ddp_grad_difference < 1e-5 and first["weight_difference"] < 1e-5
assert first["accumulation_difference"] < 1e-5

# %% [markdown]
# Each rank saw different examples, the loss on each shard differs, and yet after the
# all-reduce the gradients match one process working on all 16 examples, to float32
# rounding: the same mathematics as one large batch. That is what this demo shows,
# **correctness, not speed**: both processes share this machine's CPU, so they are no
# faster than one. With $W$ GPUs, each computes its shard at the same time, and the
# throughput approaches $W$ times one GPU's, minus the time the all-reduce is not
# hidden behind the backward pass (a fast interconnect such as NVLink hides most of
# it). Keep in mind what changes with $W$: the effective batch size grows, so learning
# rates are often scaled up with it.
#
# ### What else a real DDP script does
#
# The script did three more things, each a classic source of bugs:
# - **Gradient accumulation with `no_sync`.** To reach a large effective batch with
#   little memory, a rank runs several micro-batches before each optimizer step. An
#   all-reduce after every micro-batch would be wasted: inside `with ddp.no_sync():`
#   the backward pass only adds to the local `.grad`, and the next backward outside it
#   all-reduces the sum once. The script split its batch in two halves this way (each
#   loss divided by 2, so the sum is the mean) and compared with the one-step gradient.
# - **Evaluation without double counting.** `DistributedSampler` pads the data so every
#   rank gets the same number of examples. For training that is harmless; for a test
#   score it counts some examples twice. The script evaluated 63 examples both ways:
#   with the sampler, and with the unpadded deal `range(rank, n, W)` (the shards may
#   differ by one, which is fine: evaluation all-reduces only once, at the end).
# - **Saving once, from rank 0, through `ddp.module`.** Every rank holds the same
#   weights, so one rank writes the file (the others must not write the same path at the
#   same time); `dist.barrier()` makes them wait until it is written. Save
#   `ddp.module.state_dict()`: the wrapper's own `state_dict()` puts `module.` in
#   front of every key, and a model without DDP cannot load that.

# %%
print(f"no_sync: two half batches vs one batch, gradients differ by at most "  # i18n
      f"{first['accumulation_difference']:.1e}")  # i18n
for key, label in [("eval_padded",
                    "with DistributedSampler:"),  # i18n
                   ("eval_exact",
                    "dealt without padding:  ")]:  # i18n
    correct, seen = first[key]
    print(label, f"{seen:.0f} examples counted for 63, accuracy {correct / seen:.3f}")  # i18n
print(f"first key of ddp.state_dict(): {first['ddp_key']!r}, "  # i18n
      f"of ddp.module.state_dict(): {first['module_key']!r}")  # i18n
saved = torch.load(work / "model.pt", weights_only=True)
plain = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3))
print("a model without DDP loads the file:", plain.load_state_dict(saved))  # i18n

# %% [markdown]
# **Batch normalization across ranks.** A `BatchNorm` layer normalizes with the mean and
# variance of *its* batch, so under DDP each rank uses its own shard's statistics: with
# small per-rank batches they are noisy. `nn.SyncBatchNorm` computes them over all
# ranks instead (one more all-reduce per layer). Convert the model before wrapping it
# in DDP; `SyncBatchNorm` needs GPUs to run in a process group, so here we only show the
# conversion:

# %%
with_norm = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 3))
synced = nn.SyncBatchNorm.convert_sync_batchnorm(with_norm)  # then DDP(synced, ...)
print([type(layer).__name__ for layer in synced])

# %% [markdown]
# ### On several machines
#
# Nothing in the script changes. `torchrun` runs once on **every** machine (a *node*),
# with the number of nodes, a shared job id and one address all nodes can reach:
#
# ```bash
# # on each of 2 machines with 8 GPUs each: world size 16
# torchrun --nnodes=2 --nproc-per-node=8 \
#          --rdzv-backend=c10d --rdzv-endpoint=node0.example.org:29500 \
#          --rdzv-id=job42 train.py
# ```
#
# On a cluster with Slurm, a batch script starts one `torchrun` per node with `srun`.
# Here is one for the script above, written next to it; on a cluster you would submit
# it with `sbatch train.sbatch` (nothing is submitted here):

# %%
SBATCH_SCRIPT = f"""\
#!/bin/bash
#SBATCH --job-name=ddp-demo
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1        # one torchrun per node; it starts the workers
#SBATCH --gpus-per-node=8
#SBATCH --time=00:10:00
head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
mkdir -p results
srun torchrun --nnodes="$SLURM_NNODES" --nproc-per-node=8 \\
     --rdzv-backend=c10d --rdzv-endpoint="$head:29500" --rdzv-id="$SLURM_JOB_ID" \\
     {script.name} results/
"""  # i18n
(work / "train.sbatch").write_text(SBATCH_SCRIPT)
print(SBATCH_SCRIPT)

# %% [markdown]
# ### When the model does not fit: FSDP
#
# DDP keeps a full copy of the weights, gradients and optimizer state on every device.
# When that no longer fits, **fully sharded data parallelism** splits all three across
# ranks and gathers each layer's weights only while it computes. In current PyTorch
# (2.6 or newer) it is the function `fully_shard` (FSDP2), applied to each block and then
# to the whole model; PyTorch plans to deprecate the older wrapper class
# `FullyShardedDataParallel` (FSDP1), so start with `fully_shard`. This is not run here: it needs several GPUs to be worth it.
#
# ```python
# from torch.distributed.fsdp import fully_shard
#
# # in a script started by torchrun, after dist.init_process_group(...)
# model = Transformer()                  # built as usual
# for block in model.layers:
#     fully_shard(block)                 # each block's parameters sharded across ranks
# fully_shard(model)                     # the rest (embeddings, head)
# optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)   # after sharding
# # the training loop is unchanged
# ```
#
# Reach for DDP while the model fits on one device (it is simpler and usually faster),
# for FSDP when it does not.
#
# ## 6. What each technique bought here
#
# Measured in this notebook, on this machine:

# %%
cpu32, cpu16 = amp_results[("CPU", "float32")], amp_results[("CPU", "bfloat16 autocast")]
rows = []
# Each speed is already a median; compare them at one size, the largest measured.
cpu_top = speeds["CPU, 1 thread"][-1]  # i18n
rows.append(("matmul on the CPU, 1 thread", f"{cpu_top:.1f} GFLOP/s at n = {sizes[-1]}",  # i18n
             "-"))
if len(cpu_threads) > 1:
    one, every = speeds["CPU, 1 thread"][-1], speeds[f"CPU, {cpu_threads[-1]} threads"][-1]  # i18n
    rows.append((f"{cpu_threads[-1]} CPU threads instead of 1", f"{every / one:.1f} x at n = "  # i18n
                 f"{sizes[-1]}", "every core busy"))  # i18n
if "GPU, float32" in speeds:  # like with like: float32 against float32, at one size # i18n
    gpu32_top, gpu16_top = speeds["GPU, float32"][-1], speeds["GPU, bfloat16"][-1]  # i18n
    rows.append(("float32 matmul on the GPU", f"{gpu32_top / cpu_top:.0f} x the CPU "  # i18n
                 f"at n = {sizes[-1]}", "copies to the GPU; async timing"))  # i18n
    rows.append(("bfloat16 matmul on the GPU", f"{gpu16_top / gpu32_top:.1f} x GPU float32 "  # i18n
                 f"at n = {sizes[-1]}", "7 mantissa bits"))  # i18n
rows.append(("bfloat16 autocast, CPU (MNIST MLP)",  # i18n
             f"{cpu16[0] / cpu32[0]:.2f} x the time, accuracy {cpu16[1]:.3f} vs {cpu32[1]:.3f}",  # i18n
             "rounding; casts"))  # i18n
if ("GPU", "float16 autocast + GradScaler") in amp_results:
    gpu32 = amp_results[("GPU", "float32")]
    gpu16 = amp_results[("GPU", "float16 autocast + GradScaler")]
    rows.append(("float16 + GradScaler, GPU (MNIST MLP)",  # i18n
                 f"{gpu16[0] / gpu32[0]:.2f} x the time, accuracy {gpu16[1]:.3f} vs "  # i18n
                 f"{gpu32[1]:.3f}", "a scaler; skipped steps"))  # i18n
rows.append((f"DDP, {nproc} processes ({first['backend']})",  # i18n
             f"same gradients as 1 process (to {ddp_grad_difference:.0e})",  # i18n
             "a launcher; one process per device"))  # i18n
print("technique                              measured here                                cost")  # i18n
for technique, measured, cost in rows:
    print(f"{technique:38s} {measured:44s} {cost}")

# %% [markdown]
# ## Summary
# - Pick the device once (`torch.accelerator`), move the model before building the
#   optimizer, move every batch inside the loop; mixed devices raise an error.
#   `non_blocking=True` from pinned memory frees the CPU; overlapping a copy with
#   computation also needs a second CUDA stream.
# - GPUs run asynchronously: synchronise (`torch.accelerator.synchronize()`) before
#   reading a clock, warm up, take the median, or let `torch.utils.benchmark.Timer` do
#   it; CUDA events time the GPU itself, `torch.profiler` says which operations take the
#   time. Avoid `.item()` inside the loop. `torch.compile` fuses operations, on a CPU too.
# - Matrix multiplication speed grows with size until the hardware is saturated. Feed the
#   device with `num_workers` (a dataset class in a `.py` file) and `pin_memory`.
# - `torch.autocast` runs matrix work in float16 or bfloat16 and keeps sensitive
#   operations in float32. float16 has a small range: use `torch.amp.GradScaler`, in
#   the order scale, backward, unscale, clip, step, update. bfloat16 needs no scaler and
#   runs natively from compute capability 8.0 (`including_emulation=False`). TF32
#   (`torch.set_float32_matmul_precision("high")`) speeds up float32 matrix products.
#   `torch.cuda.amp.*` is the legacy spelling.
# - Training memory: 16 bytes per parameter with Adam, plus activations; out of memory,
#   try a smaller batch with accumulation, mixed precision, activation checkpointing.
# - Data parallelism: one process per device, each on its own shard
#   (`DistributedSampler`, with `set_epoch`), gradients averaged by an all-reduce, so one
#   step equals one step on the whole batch. Use `DistributedDataParallel` with
#   `torchrun` (`nccl` on GPUs, `gloo` on CPUs), not `DataParallel`; `no_sync` for
#   accumulation, evaluation without the sampler's padding, `SyncBatchNorm` for small
#   per-rank batches, and save `ddp.module` on rank 0. FSDP's `fully_shard` when the
#   model does not fit.
#
# **Next:** chapter 06, deployment: saving models safely and exporting them.

# %%
q.summary()
