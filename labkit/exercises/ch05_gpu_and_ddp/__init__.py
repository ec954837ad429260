"""Exercises of chapter 05, GPUs, mixed precision and data parallelism.

The probes at the bottom run on the learner's side: they build the objects an exercise
needs (a simulated asynchronous device, a model with its optimizer and scaler, a
three-process ``gloo`` group), call the learner's function and return plain data. All
comparisons happen in the checks.
"""

from __future__ import annotations

import math
import operator
import statistics

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from labkit import gloo_group, timing
from labkit.check import Exercise, NotAttempted, expect
from labkit.check.host import NotCallable
from labkit.check.signals import LearnerError, is_stub_error
from labkit.i18n import N_, _

# --- to_device -------------------------------------------------------------------------


def _skeleton(value, *, values: bool):
    """A plain description of a (nested) batch: containers by type, tensors by
    device, dtype and shape (and values on real devices), other leaves as they are."""
    if isinstance(value, torch.Tensor):
        data = value.detach().cpu() if values and value.device.type != "meta" else None
        return {"tensor": (value.device.type, value.dtype, tuple(value.shape), data)}
    if type(value) is dict:
        return {"dict": {k: _skeleton(v, values=values) for k, v in value.items()}}
    if type(value) in (list, tuple):
        return {type(value).__name__: [_skeleton(v, values=values) for v in value]}
    if value is None or type(value) in (bool, int, float, str):
        return {"leaf": value}
    return {"other": type(value).__name__}


def _path_text(path: str) -> str:
    return f"batch{path}" if path else "batch"


def _first_difference(found, expected, path=""):
    """(where, what was expected, what was found, whether the first hint fits) of the
    first difference, or None."""
    (kind, inner), = expected.items()
    found_kind = next(iter(found)) if type(found) is dict and len(found) >= 1 else "?"
    names = {"tensor": N_("a tensor"), "dict": N_("a `dict`"), "list": N_("a `list`"),
             "tuple": N_("a `tuple`"), "leaf": N_("the same value"),
             "other": N_("the same object")}
    if found_kind != kind:
        wanted = (_("`{value!r}`, unchanged").format(value=inner) if kind == "leaf"
                  else _(names[kind]))
        return (path, wanted, _(names.get(found_kind, N_("something else"))),
                kind in ("dict", "list", "tuple"))
    if kind == "tensor":
        device, dtype, shape, data = inner
        f_device, f_dtype, f_shape, f_data = found["tensor"]
        if f_device != device:
            return (path, _("a tensor on `{device}`").format(device=device),
                    _("a tensor on `{device}`").format(device=f_device), True)
        if f_dtype != dtype or f_shape != shape:
            return (path, _("dtype {dtype} and shape {shape}").format(dtype=dtype, shape=shape),
                    _("dtype {dtype} and shape {shape}").format(dtype=f_dtype, shape=f_shape),
                    False)
        if data is not None and (f_data is None or not torch.equal(f_data, data)):
            return path, _("the same values"), _("different values"), False
        return None
    if kind == "leaf":
        if found["leaf"] != inner or type(found["leaf"]) is not type(inner):
            return (path, _("`{value!r}`, unchanged").format(value=inner),
                    f"`{found['leaf']!r}`", False)
        return None
    if kind == "other":
        return None if found["other"] == inner else (
            path, _("a `{name}`").format(name=inner), found["other"], True)
    f_inner = found[kind]
    if kind == "dict":
        if list(f_inner) != list(inner):
            return (path, _("the keys {keys}").format(keys=list(inner)),
                    _("the keys {keys}").format(keys=list(f_inner)), False)
        items = [(f"[{k!r}]", f_inner[k], inner[k]) for k in inner]
    else:
        if len(f_inner) != len(inner):
            return (path, _("{count} items").format(count=len(inner)),
                    _("{count} items").format(count=len(f_inner)), False)
        items = [(f"[{i}]", f, e) for i, (f, e) in enumerate(zip(f_inner, inner, strict=True))]
    for step, f, e in items:
        difference = _first_difference(f, e, path + step)
        if difference:
            return difference
    return None


def reference_to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {k: reference_to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(reference_to_device(v, device) for v in batch)
    return batch


class ToDevice(Exercise):
    name = "to_device"
    title = N_("Move a nested batch to a device")
    hints = (
        N_("Look at the type of `batch`: a tensor is moved with `.to(device)`; a dict, list "
           "or tuple is rebuilt with `to_device` applied to each item (recursion); anything "
           "else is returned as it is."),
        N_("`{k: to_device(v, device) for k, v in batch.items()}` for a dict, and "
           "`type(batch)(to_device(v, device) for v in batch)` for a list or tuple."),
    )
    solution = '''\
def to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch  # numbers, strings, None: kept as they are'''

    def _batches(self):
        images, labels = self.randn(2, 1, 4, 4), self.randint(0, 10, 2)
        return [
            (N_("a tensor"), self.randn(3)),
            (N_("a dict"), {"image": images, "label": labels, "ids": [3, 7], "name": "batch-0",
                        "weight": 0.5, "extra": None}),
            (N_("an (inputs, targets) tuple"), (images, labels)),
            (N_("a list of nested containers"),
             [(images, labels), {"mask": self.randn(2, 3) > 0,
                                 "lengths": [self.randint(1, 5, 2), self.randn(1)]},
              5, [], {"steps": [[self.randn(2)]]}]),
        ]

    def check(self, to_device):
        for words, batch in self._batches():
            words = _(words)
            for device in ("meta", torch.device("meta"), "cpu"):
                shown = repr(device) if isinstance(device, str) else "torch.device('meta')"
                call = f"to_device(batch, {shown})"
                found = self.probe(moved, to_device, batch, device,
                                   during=_("`{call}` for {words}").format(call=call,
                                                                            words=words))
                expected = _skeleton(reference_to_device(batch, device), values=True)
                difference = _first_difference(found["result"], expected)
                if difference:
                    where, wanted, got, hinted = difference
                    hint = self.hints[0] if hinted else None
                    expect.that(False, checked=_("`{where}` in the result of `{call}` for "
                                                 "{words}").format(where=_path_text(where),
                                                                   call=call, words=words),
                                expected=wanted, found=got, hint=hint)
                if device != "cpu":
                    expect.that(found["input_unchanged"],
                                checked=_("the input batch after `{call}` for {words}").format(
                                    call=call, words=words),
                                expected=_("the input left as it was (return a new batch)"),
                                found=_("tensors of the input replaced by moved ones"),
                                hint=_("Build new dicts and lists instead of assigning into "
                                       "the ones you were given."))


# --- time_it ---------------------------------------------------------------------------


class TimeIt(Exercise):
    name = "time_it"
    title = N_("A timing function that is right on a GPU")
    hints = (
        N_("Three parts: call `fn()` `warmup` times without timing; then, `repeats` times: "
           "synchronise, read the clock, call `fn()`, synchronise, read the clock; return "
           "the median of the differences. Synchronise only when "
           "`device.type == \"cuda\"`."),
        N_("`statistics.median(times)` gives the median; `time.perf_counter()` is the "
           "clock."),
    )
    solution = '''\
def time_it(fn, device, *, warmup=2, repeats=5):
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)'''

    def _durations(self, warmup: int, repeats: int) -> list[float]:
        slow = [0.4 + 0.1 * float(v) for v in torch.rand(warmup, generator=self.rng)]
        timed = [0.010 + 0.01 * float(v) for v in torch.rand(repeats, generator=self.rng)]
        timed[int(self.randint(0, repeats, 1))] = 0.25  # one run disturbed by something else
        return slow + timed

    def check(self, time_it):
        for device_type, warmup, repeats in [("cpu", 2, 5), ("cuda", 3, 7), ("cuda", 1, 5)]:
            durations = self._durations(warmup, repeats)
            call = f"time_it(fn, torch.device({device_type!r}), warmup={warmup}, " \
                   f"repeats={repeats})"
            during = (_("`{call}` on a simulated GPU, where `fn()` returns at once and the "
                        "work runs until the next `torch.cuda.synchronize()`")
                      if device_type == "cuda" else _("`{call}` on the CPU")).format(call=call)
            found = self.probe(timing.simulated_timing, time_it, device_type, durations, warmup,
                               repeats, during=during)
            events, result = found["events"], found["result"]
            expect.is_type(result, (int, float), name=call)
            calls = events.count("call")
            expect.that(calls == warmup + repeats,
                        checked=_("how often `{call}` called `fn`").format(call=call),
                        expected=_("{total} calls ({warmup} warm-up, {repeats} timed)").format(
                            total=warmup + repeats, warmup=warmup, repeats=repeats),
                        found=_("{calls} calls").format(calls=calls), hint=self.hints[0])
            expect.that("clock" in events, checked=_("the clock in `{call}`").format(call=call),
                        expected=_("readings of `time.perf_counter()` around each timed call"),
                        found=_("no reading of `time.perf_counter()` (or another wall clock)"),
                        hint=_("`time.perf_counter()` is the clock for timing; "
                               "`time.process_time()` counts only this process's CPU time, "
                               "not the time spent waiting for a GPU."))
            first_clock = events.index("clock")
            before = events[:first_clock].count("call")
            expect.that(before == warmup,
                        checked=_("the warm-up of `{call}`").format(call=call),
                        expected=_("{warmup} untimed calls of `fn()` before the first clock "
                                   "reading").format(warmup=warmup),
                        found=f"{before}", hint=self.hints[0])
            timed = durations[warmup:]
            if device_type == "cuda":
                self._check_sync(events, call)
            median = statistics.median(timed)
            if not math.isclose(result, median, rel_tol=1e-6):
                wrong = {N_("the mean"): statistics.fmean(timed), N_("the minimum"): min(timed),
                         N_("the total"): sum(timed), N_("the median of every call, warm-up "
                                                         "included"): statistics.median(durations)}
                named = next((k for k, v in wrong.items()
                              if math.isclose(result, v, rel_tol=1e-6)), None)
                expect.that(False, checked=_("the value of `{call}`").format(call=call),
                            expected=_("the median of the {repeats} timed runs, "
                                       "{median:.6f} s").format(repeats=repeats, median=median),
                            found=(_("{result:.6f} s, {named}").format(result=result,
                                                                        named=_(named))
                                   if named else f"{result:.6f} s"),
                            hint=_("The median ignores the one disturbed run; the mean does "
                                   "not.") if named == "the mean" else self.hints[1])

    def _check_sync(self, events, call):
        pending = False
        for event in events:
            if event == "call":
                pending = True
            elif event == "sync":
                pending = False
            elif event == "clock" and pending:
                expect.that(False, checked=_("the order of calls in `{call}`").format(call=call),
                            expected=_("`torch.cuda.synchronize()` between every `fn()` and "
                                       "the next clock reading"),
                            found=_("a clock reading while the GPU was still working"),
                            hint=_("On a GPU `fn()` only queues work; synchronise before each "
                                   "clock reading so the time includes that work."))


# --- amp_step --------------------------------------------------------------------------


def _amp_model() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))


def _amp_reference(model, x, y, optimizer, scaler, *, amp_dtype, max_norm, variant="right"):
    """One step; ``variant`` names a known mistake, to recognise it in a learner's answer."""
    if variant != "stale":
        optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype,
                        enabled=variant != "no-autocast"):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    if variant == "clip-first":
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        scaler.unscale_(optimizer)
    elif variant != "no-clip":
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    if variant == "two-steps":
        optimizer.step()
    scaler.update()
    return loss.item()


class AmpStep(Exercise):
    name = "amp_step"
    title = N_("A mixed-precision training step with GradScaler")
    hints = (
        N_("The order: `optimizer.zero_grad()`; forward and loss under `torch.autocast`; "
           "`scaler.scale(loss).backward()`; `scaler.unscale_(optimizer)`; clip; "
           "`scaler.step(optimizer)`; `scaler.update()`."),
        N_("Clip after `scaler.unscale_(optimizer)`, or `max_norm` applies to gradients that "
           "are still multiplied by the scale."),
    )
    solution = '''\
def amp_step(model, x, y, optimizer, scaler, *, amp_dtype, max_norm):
    optimizer.zero_grad()
    with torch.autocast(device_type=x.device.type, dtype=amp_dtype):
        loss = F.cross_entropy(model(x), y)        # forward in low precision
    scaler.scale(loss).backward()                  # gradients of loss * scale
    scaler.unscale_(optimizer)                     # divide them by the scale, in place
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)                         # skipped if a gradient is inf or NaN
    scaler.update()                                # grow or shrink the scale
    return loss.item()'''

    def _run_reference(self, state, x, y, setup, variant="right"):
        model = _amp_model()
        model.load_state_dict(state)
        optimizer, scaler = _amp_optimizer(model, setup)
        _stale_grads(model)
        loss = _amp_reference(model, x, y, optimizer, scaler, amp_dtype=torch.bfloat16,
                              max_norm=setup["max_norm"], variant=variant)
        return {"weights": {k: v.detach().clone() for k, v in model.state_dict().items()},
                "scale": scaler.get_scale(), "loss": loss}

    def check(self, amp_step):
        torch.manual_seed(self.seed)
        state = {k: v.detach().clone() for k, v in _amp_model().state_dict().items()}
        x, y = self.randn(6, 8) * 2, self.randint(0, 4, 6)
        call = "amp_step(model, x, y, optimizer, scaler, amp_dtype=torch.bfloat16, max_norm=...)"
        normal = {"init_scale": 2.0 ** 12, "max_norm": 0.05, "lr": 0.5}
        overflow = {"init_scale": 2.0 ** 120, "max_norm": 0.05, "lr": 0.5}
        for setup, inputs, words in [(normal, x, _("an ordinary batch")),
                                     (overflow, x * 1e6, _("a batch whose scaled gradients "
                                                           "overflow to inf"))]:
            checked = _("`{call}` on {words}").format(call=call, words=words)
            found = self.probe(amp_step_state, amp_step, state, inputs, y, setup,
                               during=checked)
            expected = self._run_reference(state, inputs, y, setup)
            expect.that(found["autocast"],
                        checked=_("the forward pass in {checked}").format(checked=checked),
                        expected=_("the model called inside `torch.autocast(...)`"),
                        found=_("the model called in full precision") if found["calls"]
                        else _("the model never called"), hint=self.hints[0])
            scale = found["scale"]
            if setup is overflow:
                finite = all(bool(torch.isfinite(w).all()) for w in found["weights"].values())
                unchanged = finite and all(torch.equal(found["weights"][k], v)
                                           for k, v in state.items())
                expect.that(unchanged,
                            checked=_("the weights after {checked}").format(checked=checked),
                            expected=_("the step skipped, weights unchanged"),
                            found=_("weights that changed") if finite
                            else _("weights that changed to inf or NaN"),
                            hint=_("`scaler.step(optimizer)` skips the step when a gradient "
                                   "is inf or NaN; `optimizer.step()` does not."))
            expect.that(scale == expected["scale"],
                        checked=_("`scaler.get_scale()` after {checked} (initial scale "
                                  "{init_scale:g})").format(checked=checked,
                                                            init_scale=setup["init_scale"]),
                        expected=f"{expected['scale']:g}", found=f"{scale:g}",
                        hint=_("`scaler.update()` once per step, after "
                               "`scaler.step(optimizer)`, halves the scale after an overflow "
                               "and doubles it after enough good steps."))
            if setup is normal:
                self._compare_weights(found, expected, state, x, y, setup, checked)
                expect.close(found["loss"], expected["loss"],
                             name=_("the value returned by {call}").format(call=call),
                             atol=1e-4, rtol=1e-3,
                             hint=_("Return the loss itself, `loss.item()`, not the scaled "
                                    "loss."))

    def _compare_weights(self, found, expected, state, x, y, setup, checked):
        def same(result):
            return all(torch.allclose(found["weights"][k].float(), v.float(), atol=1e-6,
                                      rtol=1e-4) for k, v in result["weights"].items())

        if same(expected):
            return
        mistakes = {
            "clip-first": N_("gradients clipped before `scaler.unscale_(optimizer)`"),
            "no-clip": N_("gradients not clipped"),
            "stale": N_("old gradients added to the new ones (no `optimizer.zero_grad()`)"),
            "two-steps": N_("two optimizer steps (`scaler.step(optimizer)` already calls "
                            "`optimizer.step()`)"),
        }
        named = next((variant for variant in mistakes
                      if same(self._run_reference(state, x, y, setup, variant))), None)
        expect.that(False, checked=_("the weights after {checked}").format(checked=checked),
                    expected=_("the weights of one correct step (zero_grad, scale, backward, "
                               "unscale_, clip, step, update)"),
                    found=_(mistakes[named]) if named else _("other weights"),
                    hint=self.hints[1] if named == "clip-first" else self.hints[0])


# --- shard_indices ---------------------------------------------------------------------


def reference_shard(n: int, rank: int, world_size: int) -> list[int]:
    from torch.utils.data.distributed import DistributedSampler

    return list(DistributedSampler(range(n), num_replicas=world_size, rank=rank,
                                   shuffle=False))


class ShardIndices(Exercise):
    name = "shard_indices"
    title = N_("Which examples each rank gets")
    hints = (
        N_("Every rank gets `num_samples = math.ceil(n / world_size)` indices. Pad "
           "`list(range(n))` to `num_samples * world_size` by repeating it from the start, "
           "then rank `r` takes every `world_size`-th index starting at `r`."),
        N_("`indices = list(range(n)); total = math.ceil(n / world_size) * world_size; "
           "indices = (indices * math.ceil(total / n))[:total]; "
           "return indices[rank::world_size]`"),
    )
    solution = '''\
def shard_indices(n, rank, world_size):
    num_samples = math.ceil(n / world_size)        # the same for every rank
    total = num_samples * world_size
    indices = list(range(n))
    indices = (indices * math.ceil(total / n))[:total]  # pad by repeating from the start
    return indices[rank:total:world_size]          # every world_size-th, from rank'''

    def check(self, shard_indices):
        n_random = int(self.randint(5, 40, 1))
        w_random = int(self.randint(2, 6, 1))
        cases = [(10, 3), (7, 4), (16, 4), (3, 5), (1, 1), (2, 7), (n_random, w_random)]
        for n, world_size in cases:
            for rank in range(world_size):
                call = f"shard_indices({n}, rank={rank}, world_size={world_size})"
                answer = self.probe(index_list, shard_indices, n, rank, world_size,
                                    during=f"`{call}`")
                if "item" in answer:
                    kind = _("a `{type}` holding a `{item}`").format(type=answer["type"],
                                                                      item=answer["item"])
                else:
                    kind = _("a `{type}`").format(type=answer.get("type"))
                expect.that("indices" in answer,
                            checked=_("the type of `{call}`").format(call=call),
                            expected=_("a list of integers"), found=kind, hint=self.hints[0])
                found = answer["indices"]
                expected = reference_shard(n, rank, world_size)
                if found == expected:
                    continue
                if len(found) != len(expected):
                    expect.that(False,
                                checked=_("the number of indices of `{call}`").format(call=call),
                                expected=_("{count} = ceil({n} / {world_size}), the same on "
                                           "every rank (padding repeats indices from the "
                                           "start)").format(count=len(expected), n=n,
                                                            world_size=world_size),
                                found=f"{len(found)}", hint=self.hints[0])
                expect.that(False, checked=f"`{call}`", expected=f"{expected}",
                            found=f"{found}",
                            hint=_("`DistributedSampler` deals indices out like cards: rank r "
                                   "gets r, r + world_size, r + 2 * world_size, ..."))


# --- average_gradients -----------------------------------------------------------------


GROUP_SIZE = 3  # processes in the check's gloo group


def _ddp_model() -> nn.Module:
    return nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))


class AverageGradients(Exercise):
    name = "average_gradients"
    title = N_("Average gradients across ranks with all_reduce")
    hints = (
        N_("For every parameter: `dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)` adds the "
           "gradients of all ranks in place, on every rank; then divide by "
           "`dist.get_world_size()`."),
        N_("`all_reduce` works in place on each rank's own tensor: after it, every rank "
           "holds the same sum."),
    )
    solution = '''\
def average_gradients(model):
    world_size = dist.get_world_size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)   # sum over ranks, in place
            p.grad /= world_size'''

    def check(self, average_gradients):
        torch.manual_seed(self.seed)
        model = _ddp_model()
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        # Three ranks, not two: an answer that divides by a fixed 2 must not pass.
        world_size = GROUP_SIZE
        x, y = self.randn(4 * world_size, 5), self.randint(0, 3, 4 * world_size)
        F.cross_entropy(model(x), y).backward()  # the whole batch in one process
        expected = {name: p.grad for name, p in model.named_parameters()}
        found = self.probe(average_in_group, average_gradients, state, x, y,
                           during=_("`average_gradients(model)` on {world_size} processes "
                                    "(gloo), each with its share of the batch").format(
                                        world_size=world_size))
        wrong = {world_size: (_("their sum (the average times the world size)"),
                              _("Divide by the world size after the `all_reduce`.")),
                 world_size / 2: (_("their sum divided by 2, not by the world size "
                                    "({world_size} here)").format(world_size=world_size),
                                  _("Divide by `dist.get_world_size()`, not by a fixed "
                                    "number."))}
        for rank, grads in enumerate(found):
            for name, grad in expected.items():
                got = grads[name]
                checked = _("`{name}.grad` on rank {rank} after "
                            "`average_gradients(model)`").format(name=name, rank=rank)
                expect.tensor(got, name=checked, shape=grad.shape)
                if torch.allclose(got, grad, atol=1e-6, rtol=1e-4):
                    continue
                for factor, (words, hint) in wrong.items():
                    if torch.allclose(got, factor * grad, atol=1e-6, rtol=1e-4):
                        expect.that(False, checked=checked,
                                    expected=_("the average of the {world_size} ranks' "
                                               "gradients").format(world_size=world_size),
                                    found=words, hint=hint)
                expect.close(got, grad, name=checked, atol=1e-6, rtol=1e-4,
                             hint=_("Every rank must end with the same gradient: the mean of "
                                    "the ranks' gradients, for every parameter."))


EXERCISES = [ToDevice, TimeIt, AmpStep, ShardIndices, AverageGradients]


# --- probes (run on the learner's side) ------------------------------------------------


def _needs_callable(fn):
    if not callable(fn):
        raise NotCallable(type(fn).__name__)


def moved(to_device, batch, device) -> dict:
    """Call ``to_device`` and describe its result and the input afterwards."""
    _needs_callable(to_device)
    before = _skeleton(batch, values=False)
    result = to_device(batch, device)
    return {"result": _skeleton(result, values=True),
            "input_unchanged": _skeleton(batch, values=False) == before}


def index_list(shard_indices, n, rank, world_size) -> dict:
    """Call ``shard_indices``; its answer as a list of ints, or the name of its type.
    A list, tuple, range or 1-D integer tensor of integers counts as a list."""
    _needs_callable(shard_indices)
    result = shard_indices(n, rank, world_size)
    if isinstance(result, torch.Tensor) and result.dim() == 1 \
            and not result.is_floating_point() and result.dtype != torch.bool:
        return {"indices": result.tolist()}
    if isinstance(result, (list, tuple, range)):
        values = [_as_int(i) for i in result]
        if None not in values:
            return {"indices": values}
        odd = type(list(result)[values.index(None)]).__name__
        return {"type": type(result).__name__, "item": odd}
    return {"type": type(result).__name__}


def _as_int(value):
    """``value`` as an int when it is one (Python, NumPy or a 0-d integer tensor)."""
    if isinstance(value, (bool, float)):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _amp_optimizer(model, setup):
    optimizer = torch.optim.SGD(model.parameters(), lr=setup["lr"])
    scaler = torch.amp.GradScaler("cpu", init_scale=setup["init_scale"], growth_interval=1)
    return optimizer, scaler


def _stale_grads(model):
    for p in model.parameters():
        p.grad = torch.full_like(p, 1000.0)  # left over from an earlier step


def amp_step_state(amp_step, state, x, y, setup) -> dict:
    """One ``amp_step`` on a fresh model, SGD and CPU GradScaler: what changed."""
    _needs_callable(amp_step)
    model = _amp_model()
    model.load_state_dict(state)
    optimizer, scaler = _amp_optimizer(model, setup)
    _stale_grads(model)
    seen = []
    model.register_forward_hook(
        lambda module, args, out: seen.append(torch.is_autocast_enabled(x.device.type)))
    loss = amp_step(model, x, y, optimizer, scaler, amp_dtype=torch.bfloat16,
                    max_norm=setup["max_norm"])
    return {"weights": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "scale": scaler.get_scale(), "loss": loss, "calls": len(seen),
            "autocast": bool(seen) and all(seen)}


def _rank_gradients(rank, world_size, packed, state, x, y):
    """On one rank: its shard's gradients, then the learner's averaging."""
    fn = gloo_group.unship(packed)
    model = _ddp_model()
    model.load_state_dict(state)
    shard = slice(rank * len(x) // world_size, (rank + 1) * len(x) // world_size)
    F.cross_entropy(model(x[shard]), y[shard]).backward()
    fn(model)
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def average_in_group(average_gradients, state, x, y) -> list:
    """Run ``average_gradients`` in a small gloo group; each rank's gradients."""
    _needs_callable(average_gradients)
    tiny = nn.Linear(2, 1)
    tiny(torch.ones(1, 2)).sum().backward()
    try:  # the untouched stub says so at once, without starting any process
        average_gradients(tiny)
    except NotImplementedError as err:
        if is_stub_error(err):
            raise
    except Exception:  # noqa: BLE001, S110 - no process group here; the real run follows
        pass
    try:
        packed = gloo_group.ship(average_gradients)
    except ValueError as err:
        raise LearnerError("ValueError", str(err), "",
                           _("preparing the check on several processes")) from None
    try:
        return gloo_group.run_in_group(_rank_gradients, (packed, state, x, y),
                                       world_size=GROUP_SIZE,
                                       timeout=30, collective_timeout=10)
    except gloo_group.GroupError as err:
        if err.stub:
            raise NotAttempted(_("`average_gradients` still raises NotImplementedError. Write "
                                 "your answer where it says `# YOUR CODE HERE`.")) from None
        where = (_("rank {rank}: {where}").format(rank=err.rank, where=err.where)
                 if err.rank is not None else err.where)
        message = str(err)
        # A rank that never calls the collective either leaves the others waiting (a
        # timeout) or ends first, and gloo then reports the closed connection instead.
        peer_gone = any(words in message for words in (
            "Connection closed by peer", "remote worker", "Connection reset"))
        if "Timed out" in message or err.type_name == "TimeoutError" or peer_gone:
            message = _("a collective operation waited in vain for the other rank. Every "
                        "rank must call the same collectives (`all_reduce`, ...) in the same "
                        "order.")
        raise LearnerError(err.type_name, message, where,
                           _("`average_gradients(model)` on {count} processes").format(
                               count=GROUP_SIZE)) from None
