"""Exercises of chapter 05, each with a right, a blank, a missing and wrong answers."""

import math
import statistics
import time
from time import perf_counter

import torch
import torch.nn.functional as F  # noqa: N812
from exercise_harness import Case, chinese_test, solution_names, standard_tests

from labkit.check import Outcome, run_check
from labkit.exercises.ch05_gpu_and_ddp import (
    AmpPlan,
    AmpStep,
    AverageGradients,
    ShardIndices,
    TimeIt,
    ToDevice,
    reference_shard,
)

# --- to_device -------------------------------------------------------------------------


def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(v, device) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device) for v in batch)
    return batch


def to_device_generator_for_namedtuples(batch, device):
    """The first edition's answer: a namedtuple takes no generator."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device_generator_for_namedtuples(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device_generator_for_namedtuples(v, device) for v in batch)
    return batch


def to_device_plain_tuples(batch, device):
    """Every tuple rebuilt as a plain tuple: a namedtuple loses its class."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device_plain_tuples(v, device) for k, v in batch.items()}
    if isinstance(batch, list):
        return [to_device_plain_tuples(v, device) for v in batch]
    if isinstance(batch, tuple):
        return tuple(to_device_plain_tuples(v, device) for v in batch)
    return batch


def to_device_always_meta(batch, device):
    """The device the check used, written in."""
    return to_device(batch, "meta")


def to_device_list_slice(batch, device):
    """Lists rebuilt in place, with a slice assignment."""
    if isinstance(batch, list):
        batch[:] = [to_device_list_slice(v, device) for v in batch]
        return batch
    if isinstance(batch, dict):
        return {k: to_device_list_slice(v, device) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device_list_slice(v, device) for v in batch))
    if isinstance(batch, tuple):
        return tuple(to_device_list_slice(v, device) for v in batch)
    return batch.to(device) if isinstance(batch, torch.Tensor) else batch


def to_device_with_match(batch, device):
    """A correct alternative: structural pattern matching, tuples rebuilt explicitly."""
    match batch:
        case torch.Tensor():
            return batch.to(device, non_blocking=True)
        case dict():
            return {k: to_device_with_match(v, device) for k, v in batch.items()}
        case list():
            return [to_device_with_match(v, device) for v in batch]
        case tuple() if hasattr(batch, "_replace"):
            return batch._replace(**{k: to_device_with_match(v, device)
                                     for k, v in batch._asdict().items()})
        case tuple():
            return tuple(to_device_with_match(v, device) for v in batch)
        case _:
            return batch


def to_device_one_level(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(v.to(device) if isinstance(v, torch.Tensor) else v for v in batch)
    return batch


def to_device_lists_only(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device_lists_only(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [to_device_lists_only(v, device) for v in batch]
    return batch


def to_device_in_place(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        for k in batch:
            batch[k] = to_device_in_place(batch[k], device)
        return batch
    if isinstance(batch, list):
        for i, v in enumerate(batch):
            batch[i] = to_device_in_place(v, device)
        return batch
    if isinstance(batch, tuple):
        return type(batch)(*(to_device_in_place(v, device) for v in batch))
    return batch


def to_device_numbers_too(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: to_device_numbers_too(v, device) for k, v in batch.items()}
    if isinstance(batch, list):
        return [to_device_numbers_too(v, device) for v in batch]
    if isinstance(batch, tuple):
        return type(batch)(*(to_device_numbers_too(v, device) for v in batch))
    return torch.as_tensor(batch).to(device) if isinstance(batch, (int, float)) else batch


def to_device_float(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device, torch.float32)
    if isinstance(batch, dict):
        return {k: to_device_float(v, device) for k, v in batch.items()}
    if isinstance(batch, list):
        return [to_device_float(v, device) for v in batch]
    if isinstance(batch, tuple):
        return type(batch)(*(to_device_float(v, device) for v in batch))
    return batch


# --- amp_plan --------------------------------------------------------------------------


def amp_plan(device_type, capability):
    if device_type == "cuda" and capability < (8, 0):
        return torch.float16, True
    return torch.bfloat16, False


def amp_plan_major_only(device_type, capability):
    """Correct too: the major version decides, since Ampere starts at 8.0."""
    if device_type != "cpu" and capability[0] < 8:
        return (torch.float16, True)
    return (torch.bfloat16, False)


def amp_plan_greater_than_8(device_type, capability):
    """Misses the A100 (8.0): `> 8` where `>= 8` is meant."""
    if device_type == "cuda" and capability[0] > 8:
        return torch.bfloat16, False
    if device_type == "cuda":
        return torch.float16, True
    return torch.bfloat16, False


def amp_plan_float16_without_scaler(device_type, capability):
    if device_type == "cuda" and capability < (8, 0):
        return torch.float16, False
    return torch.bfloat16, False


def amp_plan_float16_on_cpu(device_type, capability):
    if device_type == "cpu" or capability < (8, 0):
        return torch.float16, True
    return torch.bfloat16, False


def amp_plan_names(device_type, capability):
    dtype, scaler = amp_plan(device_type, capability)
    return str(dtype).removeprefix("torch."), scaler


def amp_plan_asks_the_machine(device_type, capability):
    """Asks this machine instead of reading the arguments (a CPU here: never bfloat16)."""
    if device_type == "cuda" and not torch.cuda.is_available():
        return torch.float16, True
    return torch.bfloat16, False


# --- time_it ---------------------------------------------------------------------------


def time_it(fn, device, *, warmup=2, repeats=5):
    def sync():
        if device.type != "cpu":
            torch.accelerator.synchronize(device)

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_it_cuda_spelling(fn, device, *, warmup=2, repeats=5):
    """Correct too: the CUDA-only spelling of the synchronisation."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_it_always_sync_accelerator(fn, device, *, warmup=2, repeats=5):
    """Synchronises the accelerator even on the CPU: fails on a machine without one."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        torch.accelerator.synchronize()
        start = time.perf_counter()
        fn()
        torch.accelerator.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_it_alternative(fn, device, *, warmup=2, repeats=5):
    """Correct too: imported clock, accelerator API, torch's median on an odd count."""
    for _ in range(warmup):
        fn()
    if device.type != "cpu":
        torch.accelerator.synchronize()
    times = []
    for _ in range(repeats):
        start = perf_counter()
        fn()
        if device.type != "cpu":
            torch.accelerator.synchronize()
        times.append(perf_counter() - start)
    return torch.tensor(times, dtype=torch.float64).median().item()


def time_it_no_warmup(fn, device, *, warmup=2, repeats=5):
    times = []
    for _ in range(warmup + repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_it_mean(fn, device, *, warmup=2, repeats=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sum(times) / len(times)


def time_it_milliseconds(fn, device, *, warmup=2, repeats=5):
    return 1000 * time_it(fn, device, warmup=warmup, repeats=repeats)


def time_it_no_return(fn, device, *, warmup=2, repeats=5):
    time_it(fn, device, warmup=warmup, repeats=repeats)


def time_it_no_sync(fn, device, *, warmup=2, repeats=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_it_sync_after_only(fn, device, *, warmup=2, repeats=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_it_always_sync(fn, device, *, warmup=2, repeats=5):
    """Calls torch.cuda.synchronize() even on the CPU: fails on a machine without CUDA."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_it_process_time(fn, device, *, warmup=2, repeats=5):
    """CPU time of this process: misses the time spent waiting for a GPU."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.process_time()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.process_time() - start)
    return statistics.median(times)


def time_it_minimum(fn, device, *, warmup=2, repeats=5):
    return min(time_it_each(fn, device, warmup=warmup, repeats=repeats))


def time_it_each(fn, device, *, warmup=2, repeats=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def time_it_fixed_counts(fn, device, *, warmup=2, repeats=5):
    """The default counts, written in."""
    return time_it(fn, device, warmup=2, repeats=5)


def time_it_tensor(fn, device, *, warmup=2, repeats=5):
    """The median as a tensor, not a number."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return torch.tensor(times).median()


def time_it_total_over_repeats(fn, device, *, warmup=2, repeats=5):
    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


# --- amp_step --------------------------------------------------------------------------


def amp_step(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


def amp_step_alternative(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    """Correct too: set_to_none, torch.amp.autocast, float() of the loss."""
    optimizer.zero_grad(set_to_none=True)
    with torch.amp.autocast(x.device.type, dtype=amp_dtype):
        logits = model(x)
    loss = F.cross_entropy(logits.float(), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(list(model.parameters()), max_norm=max_norm)
    scaler.step(optimizer)
    scaler.update()
    return float(loss.detach())


def _make(order):
    def step(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
        loss = None
        for action in order:
            if action == "zero":
                optimizer.zero_grad()
            elif action == "forward":
                with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
                    loss = F.cross_entropy(model(x), y)
            elif action == "forward32":
                loss = F.cross_entropy(model(x), y)
            elif action == "backward":
                scaler.scale(loss).backward()
            elif action == "plain-backward":
                loss.backward()
            elif action == "unscale":
                scaler.unscale_(optimizer)
            elif action == "clip":
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            elif action == "step":
                scaler.step(optimizer)
            elif action == "optimizer-step":
                optimizer.step()
            elif action == "update":
                scaler.update()
        return loss.item()
    return step


amp_clip_before_unscale = _make(["zero", "forward", "backward", "clip", "unscale", "step",
                                 "update"])
amp_no_clip = _make(["zero", "forward", "backward", "unscale", "step", "update"])
amp_no_unscale = _make(["zero", "forward", "backward", "clip", "step", "update"])
amp_no_update = _make(["zero", "forward", "backward", "unscale", "clip", "step"])
amp_optimizer_step = _make(["zero", "forward", "backward", "unscale", "clip",
                            "optimizer-step", "update"])
amp_no_scale = _make(["zero", "forward", "plain-backward", "unscale", "clip", "step", "update"])
amp_no_zero_grad = _make(["forward", "backward", "unscale", "clip", "step", "update"])
amp_no_autocast = _make(["zero", "forward32", "backward", "unscale", "clip", "step", "update"])
amp_update_before_step = _make(["zero", "forward", "backward", "update", "step"])


def amp_fixed_float16(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    """float16 written in, whatever `amp_dtype` says."""
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=torch.float16):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


amp_two_steps = _make(["zero", "forward", "backward", "unscale", "clip", "step",
                       "optimizer-step", "update"])
amp_update_twice = _make(["zero", "forward", "backward", "unscale", "clip", "step", "update",
                          "update"])


def amp_returns_scaled(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)
    scaled = scaler.scale(loss)
    scaled.backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return scaled.item()


def amp_hard_coded(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    """The device and dtype this laptop has, written in."""
    optimizer.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


def amp_cpu_written_in(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    """The given dtype, but the device type written in."""
    optimizer.zero_grad()
    with torch.autocast("cpu", dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


def amp_moves_to_cpu(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    """Runs on the CPU whatever the batch's device: the device written in another way."""
    x, y = x.to("cpu"), y.to("cpu")
    return amp_cpu_written_in(model, x, y, optimizer, scaler, amp_dtype=amp_dtype,
                              max_norm=max_norm)


def amp_returns_loss_tensor(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    """Returns the loss tensor, graph and all, not a number."""
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return loss


def amp_own_optimizer(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    """Ignores the given optimizer: its own SGD, with a learning rate written in."""
    return amp_step(model, x, y, torch.optim.SGD(model.parameters(), lr=0.5), scaler,
                    amp_dtype=amp_dtype, max_norm=max_norm)


def amp_clamps_inputs(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    """Clamps the caller's batch in place, "against overflow"."""
    x.clamp_(-100, 100)
    return amp_step(model, x, y, optimizer, scaler, amp_dtype=amp_dtype, max_norm=max_norm)


# --- shard_indices ---------------------------------------------------------------------


def shard_indices(n, rank, world_size):
    num_samples = math.ceil(n / world_size)
    total = num_samples * world_size
    indices = list(range(n))
    indices = (indices * math.ceil(total / n))[:total]
    return indices[rank:total:world_size]


def shard_indices_tensor(n, rank, world_size):
    """Correct too: a tensor, padding with a modulo."""
    total = math.ceil(n / world_size) * world_size
    return torch.arange(total)[rank::world_size] % n


def shard_indices_pad_with_last(n, rank, world_size):
    total = math.ceil(n / world_size) * world_size
    return (list(range(n)) + [n - 1] * (total - n))[rank::world_size]


def shard_indices_pad_once(n, rank, world_size):
    """Pads with `indices[:padding]`: too short when the padding is longer than n."""
    total = math.ceil(n / world_size) * world_size
    indices = list(range(n))
    indices += indices[:total - n]
    return indices[rank::world_size]


def shard_indices_drop_tail(n, rank, world_size):
    return list(range(n // world_size * world_size))[rank::world_size]


def shard_indices_range(n, rank, world_size):
    """A `range` without the padding's wrap-around: right only when W divides n."""
    return range(rank, math.ceil(n / world_size) * world_size, world_size)


def shard_indices_range_modulo(n, rank, world_size):
    """Correct too: a tuple, built from a range wrapped with %."""
    return tuple(i % n for i in range(rank, math.ceil(n / world_size) * world_size,
                                      world_size))


def shard_indices_two_ranks(n, rank, world_size):
    """Written for the two ranks of a laptop demo."""
    return shard_indices(n, rank, 2)


def shard_indices_floats(n, rank, world_size):
    return [float(i) for i in shard_indices(n, rank, world_size)]


# --- average_gradients -----------------------------------------------------------------
# The check runs these in two fresh processes, from their source text, where `dist`
# means torch.distributed.


def average_gradients(model):
    world_size = dist.get_world_size()  # noqa: F821 - defined where the check runs it
    for p in model.parameters():
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)  # noqa: F821
        p.grad /= world_size


def average_gradients_sum_only(model):
    for p in model.parameters():
        dist.all_reduce(p.grad)  # noqa: F821


def average_gradients_weights_only(model):
    for name, p in model.named_parameters():
        if name.endswith("weight"):
            dist.all_reduce(p.grad)  # noqa: F821
            p.grad /= dist.get_world_size()  # noqa: F821


def average_gradients_to_rank0(model):
    for p in model.parameters():
        dist.reduce(p.grad, dst=0)  # noqa: F821
        p.grad /= dist.get_world_size()  # noqa: F821


def average_gradients_fixed_two(model):
    for p in model.parameters():
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)  # noqa: F821
        p.grad /= 2


def average_gradients_fixed_three(model):
    """Right when the group has three ranks, as the first edition's check always had."""
    for p in model.parameters():
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)  # noqa: F821
        p.grad /= 3


def average_gradients_on_a_copy(model):
    for p in model.parameters():
        total = p.grad.clone()
        dist.all_reduce(total)  # noqa: F821
        total /= dist.get_world_size()  # noqa: F821 - never written back to p.grad


def average_gradients_avg(model):
    for p in model.parameters():
        dist.all_reduce(p.grad, op=dist.ReduceOp.AVG)  # noqa: F821


CASES = [
    Case(ToDevice, right={"to_device": to_device}, wrong=[
        ({"to_device": to_device_one_level}, "a tensor on `meta`"),
        ({"to_device": to_device_lists_only}, "a `tuple`"),
        ({"to_device": to_device_in_place}, "changed its argument `batch['image']` in place"),
        ({"to_device": to_device_plain_tuples}, "a `Pair` (a namedtuple)"),
        ({"to_device": to_device_always_meta}, "a tensor on `cpu`"),
        ({"to_device": to_device_list_slice}, "changed its argument `batch[0][0]` in place"),
        ({"to_device": to_device_numbers_too}, "unchanged"),
        ({"to_device": to_device_float}, "dtype torch.int64"),
        ({"to_device": lambda batch, device: batch}, "a tensor on `meta`"),
    ], raising=[
        ({"to_device": to_device_generator_for_namedtuples}, "missing 1 required positional"),
    ]),
    Case(AmpPlan, right={"amp_plan": amp_plan}, wrong=[
        ({"amp_plan": lambda device_type, capability: (torch.bfloat16, False)}, "emulated"),
        ({"amp_plan": lambda device_type, capability: (torch.bfloat16, True)}, "no scaler"),
        ({"amp_plan": amp_plan_greater_than_8}, "capability 8.0 or more"),
        ({"amp_plan": amp_plan_float16_without_scaler}, "(float16, True)"),
        ({"amp_plan": amp_plan_float16_on_cpu}, "(bfloat16, False)"),
        ({"amp_plan": amp_plan_names}, "a pair (dtype, needs a scaler)"),
        ({"amp_plan": amp_plan_asks_the_machine}, "capability 8.0 or more"),
    ]),
    Case(TimeIt, right={"time_it": time_it}, wrong=[
        ({"time_it": time_it_no_warmup}, "warm-up"),
        ({"time_it": time_it_mean}, "the mean"),
        ({"time_it": time_it_milliseconds}, "the median of the"),
        ({"time_it": time_it_fixed_counts}, "calls ("),
        ({"time_it": time_it_tensor}, "`float`"),
        ({"time_it": time_it_no_return}, "`NoneType`"),
        ({"time_it": time_it_no_sync}, "synchronize"),
        ({"time_it": time_it_sync_after_only}, "still working"),
        ({"time_it": time_it_process_time}, "no reading of `time.perf_counter()`"),
        ({"time_it": time_it_minimum}, "the minimum"),
        ({"time_it": time_it_total_over_repeats}, "the mean"),
    ], raising=[
        ({"time_it": time_it_always_sync}, "RuntimeError"),
        ({"time_it": time_it_always_sync_accelerator}, "RuntimeError"),
    ]),
    Case(AmpStep, right={"amp_step": amp_step}, wrong=[
        ({"amp_step": amp_clip_before_unscale}, "clipped before `scaler.unscale_"),
        ({"amp_step": amp_no_update}, "`scaler.get_scale()`"),
        ({"amp_step": amp_no_clip}, "gradients not clipped"),
        ({"amp_step": amp_no_unscale}, "clipped before `scaler.unscale_"),
        ({"amp_step": amp_optimizer_step}, "`optimizer.step()` does not"),
        ({"amp_step": amp_no_zero_grad}, "no `optimizer.zero_grad()`"),
        ({"amp_step": amp_no_autocast}, "in full precision"),
        ({"amp_step": amp_returns_scaled}, "not the scaled loss"),
        ({"amp_step": amp_fixed_float16}, "autocast with dtype `float16`"),
        ({"amp_step": amp_hard_coded}, "autocast with dtype `bfloat16`"),
        ({"amp_step": amp_cpu_written_in}, "autocast for `cpu`, written in"),
        ({"amp_step": amp_moves_to_cpu}, "an error before the model ran"),
        ({"amp_step": amp_returns_loss_tensor}, "`float`"),
        ({"amp_step": amp_own_optimizer}, "other weights"),
        ({"amp_step": amp_clamps_inputs}, "changed its argument `x` in place"),
        ({"amp_step": amp_two_steps}, "two optimizer steps"),
    ], raising=[
        ({"amp_step": amp_update_twice}, "No inf checks were recorded prior to update"),
        ({"amp_step": amp_update_before_step}, "AssertionError"),
        ({"amp_step": amp_no_scale}, "did not use scaler.scale"),
    ]),
    Case(ShardIndices, right={"shard_indices": shard_indices}, wrong=[
        ({"shard_indices": lambda n, rank, world_size: list(range(n))[rank::world_size]},
         "padding repeats"),
        ({"shard_indices": lambda n, rank, world_size:  # contiguous blocks, padded
          [(rank * math.ceil(n / world_size) + i) % n for i in range(math.ceil(n / world_size))]},
         "like cards"),
        ({"shard_indices": lambda n, rank, world_size: shard_indices(n, rank, world_size)[:-1]
          if n % world_size else shard_indices(n, rank, world_size)}, "the number of indices"),
        ({"shard_indices": shard_indices_pad_with_last}, "like cards"),
        ({"shard_indices": shard_indices_pad_once}, "the number of indices"),
        ({"shard_indices": shard_indices_drop_tail}, "the number of indices"),
        ({"shard_indices": shard_indices_range}, "like cards"),
        ({"shard_indices": shard_indices_floats}, "holding a `float`"),
        ({"shard_indices": shard_indices_two_ranks}, "shard_indices("),
    ]),
    Case(AverageGradients, right={"average_gradients": average_gradients}, wrong=[
        ({"average_gradients": average_gradients_sum_only}, "Divide by the world size"),
        ({"average_gradients": average_gradients_weights_only}, "`0.bias.grad` on rank 0"),
        ({"average_gradients": average_gradients_to_rank0}, "on rank 1"),
        ({"average_gradients": average_gradients_fixed_two}, "not by a fixed number"),
        ({"average_gradients": average_gradients_on_a_copy}, "on rank 0"),
        ({"average_gradients": average_gradients_fixed_three}, "not by a fixed number"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(
    CASES, names=solution_names(math=math, statistics=statistics, time=time))
test_chinese = chinese_test(CASES)


def test_alternatives_pass():
    """Do correct answers written differently pass too?"""
    for exercise, answers in [(ToDevice, {"to_device": to_device_with_match}),
                              (AmpPlan, {"amp_plan": amp_plan_major_only}),
                              (TimeIt, {"time_it": time_it_alternative}),
                              (TimeIt, {"time_it": time_it_cuda_spelling}),
                              (AmpStep, {"amp_step": amp_step_alternative}),
                              (ShardIndices, {"shard_indices": shard_indices_tensor}),
                              (ShardIndices, {"shard_indices": shard_indices_range_modulo}),
                              (AverageGradients, {"average_gradients": average_gradients_avg})]:
        result = run_check(exercise(), answers, seed=3)
        assert result.outcome is Outcome.PASSED, result.text()


def test_shard_reference_pads_like_the_sampler():
    """Does the reference pad by repeating from the start, as DistributedSampler does?"""
    assert reference_shard(3, 4, 5) == [1]  # [0, 1, 2] padded to [0, 1, 2, 0, 1]
    assert [reference_shard(10, r, 3) for r in range(3)] == [[0, 3, 6, 9], [1, 4, 7, 0],
                                                               [2, 5, 8, 1]]


def test_stub_is_not_attempted_without_starting_processes():
    """Is the untouched stub reported at once, before any process starts?"""
    def average_gradients(model):
        raise NotImplementedError()

    start = time.perf_counter()
    result = run_check(AverageGradients(), {"average_gradients": average_gradients}, seed=0)
    assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
    assert time.perf_counter() - start < 2


def test_not_callable_is_incorrect():
    """Is a number where a function belongs reported as incorrect, not as a checker bug?"""
    for exercise, name in [(ToDevice, "to_device"), (TimeIt, "time_it"), (AmpStep, "amp_step"),
                           (ShardIndices, "shard_indices"),
                           (AverageGradients, "average_gradients")]:
        result = run_check(exercise(), {name: 5}, seed=0)
        assert result.outcome is Outcome.INCORRECT, result.text()
        assert "something callable" in result.text()


def average_gradients_rank0_only(model):
    if dist.get_rank() == 0:  # noqa: F821
        for p in model.parameters():
            dist.all_reduce(p.grad)  # noqa: F821


def test_deadlock_is_explained():
    """Does a collective that only one rank calls end with an explanation, in bounded time?"""
    result = run_check(AverageGradients(), {"average_gradients": average_gradients_rank0_only},
                      seed=0)
    assert result.outcome is Outcome.LEARNER_ERROR, result.text()
    assert "same collectives" in result.text()
