"""Exercises of chapter 06, Deployment.

The checks run the learner's functions on models and data of their own, inside probes
(the module-level functions below), and get back plain tensors and numbers; every
comparison happens in ``check``.
"""

from __future__ import annotations

import operator
import os
import re
import tempfile
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from labkit.check import Exercise, NotAttempted, expect
from labkit.check.describe import cut, describe
from labkit.check.host import call_learner
from labkit.check.signals import is_stub_error
from labkit.i18n import N_, _, ngettext

# --- small models the checks build -------------------------------------------------


class DropoutNet(nn.Module):
    """A tiny classifier with dropout, so that resuming needs the random state too."""

    def __init__(self, features: int, hidden: int, classes: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Dropout(0.3),
                                 nn.Linear(hidden, classes))

    def forward(self, x):  # (B, features) -> (B, classes)
        return self.net(x)


class ConvNet(nn.Module):
    """A small convolutional classifier for the export check."""

    def __init__(self, channels: int, side: int, classes: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, 4, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * (side // 2) ** 2, classes)

    def forward(self, x):  # (B, C, S, S) -> (B, classes)
        x = F.max_pool2d(F.relu(self.norm(self.conv(x))), 2)  # (B, 4, S/2, S/2)
        return self.fc(torch.flatten(x, 1))


class MixedNet(nn.Module):
    """Parameters and buffers of several dtypes, for the size check."""

    def __init__(self, a: int, b: int, vocab: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, a).to(torch.bfloat16)  # 2 bytes per element
        self.fc1 = nn.Linear(a, b)  # float32: 4 bytes
        self.norm = nn.BatchNorm1d(b)  # float32 buffers and an int64 counter
        self.fc2 = nn.Linear(b, 3).half()  # float16: 2 bytes
        self.scale = nn.Parameter(torch.ones(b, dtype=torch.float64))  # 8 bytes
        self.register_buffer("lookup", torch.arange(vocab, dtype=torch.uint8))  # 1 byte

    def forward(self, tokens):  # (B,) -> (B, 3)
        h = self.fc1(self.embed(tokens).float())
        return self.fc2((self.norm(h) * self.scale).half())


def true_size(model: nn.Module) -> int:
    """Bytes of every parameter and buffer, each counted once."""
    tensors = {id(t): t for t in [*model.parameters(), *model.buffers()]}
    return sum(t.numel() * t.element_size() for t in tensors.values())


# --- error text from torch.load ---------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # terminal colour codes, which torch.load's error has


def load_failure(err: BaseException) -> str:
    """The reason a load failed, in one short line: for a weights-only load, the line that
    names the type it refused (``Unsupported global: GLOBAL ...``)."""
    text = _ANSI.sub("", str(err))
    for line in text.splitlines():
        if "Unsupported global" in line:
            reason = line.strip().removeprefix("WeightsUnpickler error: ").split(". ")[0]
            return f"{type(err).__name__}: {cut(reason, 200)}"
    return f"{type(err).__name__}: {cut(text, 200)}"


def _weights_only_error(path: str) -> str | None:
    """None if ``torch.load(path, weights_only=True)`` reads the file, else why not."""
    try:
        torch.load(path, weights_only=True)
    except Exception as err:
        return load_failure(err)
    return None


NO_FILE = "no file"  # a probe's reply: the learner's function wrote nothing at `path`


def unsafe_text(unsafe: str) -> str:
    """Why a written file is not a weights-only file, as a sentence for the learner."""
    if unsafe == NO_FILE:
        return _("no file was written at `path`")
    return _("it raises {error}").format(error=unsafe)


def _scratch_folder() -> tempfile.TemporaryDirectory:
    """A temporary folder under $TMPDIR as it is now: in the grader's child process that
    is the one folder it may write to, even if `tempfile` chose /tmp before it was set."""
    return tempfile.TemporaryDirectory(prefix="labkit-check-",
                                       dir=os.environ.get("TMPDIR") or None)


@contextmanager
def _plain_errors():
    """Let a learner's error go through, its message short and free of colour codes."""
    try:
        yield
    except Exception as err:
        message = err.args[0] if err.args and isinstance(err.args[0], str) else None
        if message is not None and ("\x1b[" in message or "Weights only load failed" in message):
            err.args = (load_failure(err).split(": ", 1)[1], *err.args[1:])
        raise


# --- checkpoints -------------------------------------------------------------------

EPOCHS = 5
BATCH = 8


def _setup(features: int, classes: int):
    model = DropoutNet(features, 16, classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    return model, optimizer, scheduler


def _train_epoch(model, optimizer, scheduler, x, y):
    model.train()
    order = torch.randperm(len(x))  # the shuffle draws from the global random generator
    for start in range(0, len(x), BATCH):
        idx = order[start:start + BATCH]
        optimizer.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        optimizer.step()
    scheduler.step()


def _snapshot(model, optimizer, scheduler) -> dict:
    state = optimizer.state_dict()["state"]
    return {
        "model": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "optimizer": {int(k): {n: (v.clone() if isinstance(v, torch.Tensor) else v)
                               for n, v in s.items()} for k, s in state.items()},
        "lr": float(optimizer.param_groups[0]["lr"]),
        "last_epoch": int(scheduler.last_epoch),
        "rng": torch.get_rng_state(),
    }


def resume_probe(save_checkpoint, load_checkpoint, x, y, seed: int, stop: int) -> dict:
    """Train without a stop, then with a save after `stop` epochs and a resume into fresh
    objects; return the states of both runs (plain data)."""
    classes = int(y.max()) + 1
    with _scratch_folder() as folder, _plain_errors():
        path = os.path.join(folder, "checkpoint.pt")

        torch.manual_seed(seed)
        model, optimizer, scheduler = _setup(x.shape[1], classes)
        for _ in range(EPOCHS):
            _train_epoch(model, optimizer, scheduler, x, y)
        straight = {k: v.detach().clone() for k, v in model.state_dict().items()}

        torch.manual_seed(seed)
        model, optimizer, scheduler = _setup(x.shape[1], classes)
        for _ in range(stop):
            _train_epoch(model, optimizer, scheduler, x, y)
        at_save = _snapshot(model, optimizer, scheduler)
        call_learner(save_checkpoint, path, model, optimizer, scheduler, stop)
        if not os.path.exists(path):
            return {"unsafe_file": NO_FILE}
        with torch.random.fork_rng(devices=[]):
            unsafe = _weights_only_error(path)
        if unsafe is not None:
            return {"unsafe_file": unsafe}

        # As after a restart: new objects, other weights, another random state.
        torch.manual_seed(seed + 1000)
        model, optimizer, scheduler = _setup(x.shape[1], classes)
        torch.rand(7)
        start = call_learner(load_checkpoint, path, model, optimizer, scheduler)
        after_load = _snapshot(model, optimizer, scheduler)
        try:  # an int, or anything `range` takes as one (a 0-d integer tensor, say)
            start = describe(start) if isinstance(start, bool) else operator.index(start)
        except TypeError:
            start = describe(start)
        reply = {"straight": straight, "at_save": at_save, "after_load": after_load,
                 "start": start}
        if isinstance(start, str) or not 0 <= start <= EPOCHS:
            return reply  # the check reports the value; training on from it makes no sense
        for _ in range(start, EPOCHS):
            _train_epoch(model, optimizer, scheduler, x, y)
        reply["resumed"] = {k: v.detach().clone() for k, v in model.state_dict().items()}

        # The same checkpoint with code hidden in it, as a downloaded one could be.
        evil = os.path.join(folder, "downloaded.pt")
        marker = os.path.join(folder, "payload-ran.txt")
        torch.save({**torch.load(path, weights_only=True), "note": _Trap(marker, "hello")}, evil)
        model, optimizer, scheduler = _setup(x.shape[1], classes)
        try:
            load_checkpoint(evil, model, optimizer, scheduler)
        except Exception as err:
            if is_stub_error(err):
                raise
        reply["payload_ran"] = os.path.exists(marker)
        return reply


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


class Checkpoint(Exercise):
    name = "checkpoint"
    title = N_("A checkpoint that resumes exactly")
    hints = (
        N_("Training depends on five things: the weights, the optimizer's state (Adam's running "
           "averages), the scheduler's position, the epoch, and the random generator "
           "(shuffling, dropout). Save all five; restore all five."),
        N_("`torch.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict(), "
           "'scheduler': scheduler.state_dict(), 'epoch': epoch, 'rng': torch.get_rng_state()}, "
           "path)`; in `load_checkpoint`, `load_state_dict` each part, "
           "`torch.set_rng_state(...)` and `return checkpoint['epoch']`."),
    )
    solution = '''\
def save_checkpoint(path, model, optimizer, scheduler, epoch):
    torch.save({"model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "rng": torch.get_rng_state()}, path)


def load_checkpoint(path, model, optimizer, scheduler):
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"])
    return checkpoint["epoch"]'''

    def check(self, save_checkpoint, load_checkpoint):
        features, classes = int(self.randint(3, 7)), int(self.randint(2, 5))
        n = int(self.randint(20, 33))
        x, y = self.randn(n, features), self.randint(0, classes, n)
        y[:classes] = torch.arange(classes)  # every class appears
        for stop in (1, 3):
            during = _("a run of {epochs} epochs saved after epoch {stop} with "
                       "`save_checkpoint` and resumed with `load_checkpoint`").format(
                           epochs=EPOCHS, stop=stop)
            reply = self.probe(resume_probe, save_checkpoint, load_checkpoint, x, y,
                               int(self.randint(0, 10_000)), stop, during=during)
            self._compare(reply, stop)

    def _compare(self, reply, stop):
        if "unsafe_file" in reply:
            expect.that(False, checked=_("the file `save_checkpoint(path, ...)` writes"),
                        expected=_("a checkpoint that `torch.load(path, weights_only=True)` "
                                   "reads: state_dicts, tensors, numbers and dictionaries"),
                        found=unsafe_text(reply["unsafe_file"]),
                        hint=_("Save `state_dict()`s and `torch.get_rng_state()`, not the "
                               "objects themselves."))
        start = reply["start"]
        found = start if isinstance(start, str) else f"`{start!r}`"
        if found == describe(None):
            found = _("`None`: the function returns nothing")
        expect.that(type(start) is int and start == stop,
                    checked=ngettext(
                        "what `load_checkpoint` returns for a checkpoint saved after {n} "
                        "finished epoch",
                        "what `load_checkpoint` returns for a checkpoint saved after {n} "
                        "finished epochs", stop).format(n=stop),
                    expected=_("`{stop}`, the `epoch` passed to `save_checkpoint`").format(
                        stop=stop),
                    found=found,
                    hint=_("Save `epoch` in the checkpoint and return it: training goes on "
                           "with `for epoch in range(start, epochs)`."))
        saved, loaded = reply["at_save"], reply["after_load"]
        steps = [
            ("model", _("the model's weights and buffers"), _("the weights that were saved"),
             _("Save `model.state_dict()` and restore it with `model.load_state_dict(...)`.")),
            ("optimizer",
             _("the optimizer's state (Adam's running averages of the gradients)"),
             _("the state it had when it was saved"),
             _("Save `optimizer.state_dict()` too: without it Adam starts its averages from "
               "zero and the loss jumps.")),
            ("last_epoch", _("the scheduler's position (`scheduler.last_epoch`)"),
             f"`{saved['last_epoch']}`",
             _("Save `scheduler.state_dict()` and load it back: a fresh scheduler starts its "
               "schedule again.")),
            ("rng", _("the random generator (`torch.get_rng_state()`)"),
             _("the state it had when the checkpoint was saved"),
             _("Shuffling and dropout draw random numbers: save `torch.get_rng_state()` and "
               "restore it with `torch.set_rng_state(...)`.")),
        ]
        for key, checked, expected, hint in steps:
            if not _same(saved[key], loaded[key]):
                if key == "last_epoch":
                    found = f"`{loaded[key]}`"
                elif key == "optimizer" and not loaded[key]:
                    found = _("something else (empty)")
                else:
                    found = _("something else")
                expect.that(False,
                            checked=_("{checked} right after `load_checkpoint`").format(
                                checked=checked),
                            expected=expected, found=found, hint=hint)
        straight, resumed = reply["straight"], reply["resumed"]
        for name, value in straight.items():
            expect.close(resumed.get(name), value,
                         name=_("{name} after resuming").format(name=name), atol=0, rtol=0,
                         hint=_("A resumed run must match the run without a stop bit "
                                "for bit."))
        expect.that(not reply["payload_ran"],
                    checked=_("`load_checkpoint` on a checkpoint with code hidden in it"),
                    expected=_("the code in the file never runs"),
                    found=_("the code in the file ran while loading"),
                    hint=_("Load with `torch.load(path, weights_only=True)`: a checkpoint "
                           "from elsewhere can hold code, and only the weights-only loader "
                           "refuses to run it."))


# --- export ------------------------------------------------------------------------


def run_exported(program, inputs: list) -> list:
    """``program.module()(x)`` for each input; an error comes back as its text."""
    module = program.module()
    outputs = []
    for x in inputs:
        try:
            with torch.no_grad():
                outputs.append(module(x))
        except Exception as err:  # a shape guard of the exported program
            outputs.append(f"{type(err).__name__}: {cut(str(err).strip().splitlines()[0], 90)}")
    return outputs


class ExportDynamic(Exercise):
    name = "export_dynamic_batch"
    title = N_("Export with a dynamic batch size")
    hints = (
        N_("Without `dynamic_shapes`, `torch.export` fixes every size to the example's: the "
           "program then refuses any other batch size."),
        N_("`batch = torch.export.Dim('batch')`, then `torch.export.export(model, (example,), "
           "dynamic_shapes={'x': {0: batch}})`: the key is the name of the argument of "
           "`forward`. `dynamic_shapes=({0: batch},)` works too."),
    )
    solution = '''\
def export_dynamic_batch(model, example):
    batch = torch.export.Dim("batch")
    return torch.export.export(model.eval(), (example,), dynamic_shapes={"x": {0: batch}})'''

    def check(self, export_dynamic_batch):
        channels, side = int(self.randint(1, 4)), 2 * int(self.randint(3, 6))
        torch.manual_seed(int(self.randint(0, 10_000)))
        model = ConvNet(channels, side, int(self.randint(2, 6))).eval()
        example = self.randn(int(self.randint(2, 6)), channels, side, side)
        program = self.call(export_dynamic_batch, model, example,
                            during=_("`export_dynamic_batch(model, example)` with an example "
                                     "of shape {shape}").format(shape=tuple(example.shape)))
        expect.that(self.is_instance(program, torch.export.ExportedProgram),
                    checked=_("what `export_dynamic_batch` returns"),
                    expected=_("a `torch.export.ExportedProgram`"), found=describe(program),
                    hint=_("Return what `torch.export.export(...)` returns, not `.module()`."))
        inputs = [self.randn(b, channels, side, side) for b in (1, 7, len(example))]
        outputs = self.probe(run_exported, program, inputs,
                             during=_("the exported program, run on batches of 1 and 7"))
        with torch.no_grad():
            for x, found in zip(inputs, outputs, strict=True):
                name = _("the exported program on a batch of shape {shape}").format(
                    shape=tuple(x.shape))
                hint = _("{hint} Mark dimension 0 as dynamic.").format(hint=_(self.hints[0]))
                if isinstance(found, str) and ("<=" in found or ">=" in found):
                    hint = _("The batch dimension is dynamic but bounded: leave out `min` and "
                             "`max` of `torch.export.Dim`, so any batch size runs.")
                expect.that(not isinstance(found, str), checked=name,
                            expected=_("it runs"),
                            found=_("it raised `{error}`").format(error=found), hint=hint)
                expect.close(found, model(x), name=name, atol=1e-4, rtol=1e-4,
                             hint=_("Export the model in eval mode, as it is."))


# --- parity ------------------------------------------------------------------------


class Parity(Exercise):
    name = "compare_outputs"
    title = N_("Parity with a tolerance")
    hints = (
        N_("An element passes when `|candidate - reference| <= atol + rtol * |reference|`, as "
           "in `torch.allclose`. The worst element is the one that goes furthest past its own "
           "allowance: the largest `|candidate - reference| - (atol + rtol * |reference|)`."),
        N_("`diff = (candidate - reference).abs()`, `excess = diff - (atol + rtol * "
           "reference.abs())`, `ok = bool((excess <= 0).all())`, `worst = tuple(int(i) for i in "
           "torch.unravel_index(excess.argmax(), excess.shape))`, "
           "`return ok, diff.max().item(), worst`."),
    )
    solution = '''\
def compare_outputs(reference, candidate, atol=1e-5, rtol=1e-4):
    diff = (candidate - reference).abs()                  # same shape as the inputs
    excess = diff - (atol + rtol * reference.abs())       # > 0 where an element fails
    ok = bool((excess <= 0).all())
    worst = torch.unravel_index(excess.argmax(), excess.shape)
    return ok, diff.max().item(), tuple(int(i) for i in worst)'''

    def _cases(self):
        cases = []
        # Large values that differ by a tiny relative amount: they pass thanks to rtol.
        ref = self.randn(3, 4) * 1000
        cases.append((ref, ref * (1 + 2e-5), 1e-5, 1e-4))
        # Where the reference is 0, only atol allows a difference.
        ref = self.randn(2, 3, 4)
        ref[1, 2, 3] = 0.0
        cand = ref.clone()
        cand[1, 2, 3] = 5e-6
        cases.append((ref, cand, 1e-5, 1e-4))
        # The largest difference sits on a large element and is allowed; a small element
        # with a smaller difference fails and is the worst.
        ref = self.randn(5, 6) * 0.01
        cand = ref + 1e-7
        i, j = int(self.randint(0, 5)), int(self.randint(0, 6))
        k = (i + 1) % 5
        ref[i, j], cand[i, j] = 500.0, 500.03
        cand[k, j] = ref[k, j] + 0.004
        cases.append((ref, cand, 1e-3, 1e-4))
        # One sample, ten classes, a few elements off.
        ref = self.randn(1, 10)
        cand = ref + self.randn(1, 10) * 1e-3
        cases.append((ref, cand, 1e-4, 1e-3))
        return cases

    def check(self, compare_outputs):
        for ref, cand, atol, rtol in self._cases():
            call = _("compare_outputs(reference, candidate, atol={atol:g}, rtol={rtol:g}) "
                     "for tensors of shape {shape}").format(atol=atol, rtol=rtol,
                                                           shape=tuple(ref.shape))
            found = self.call(compare_outputs, ref, cand, atol=atol, rtol=rtol,
                              during=f"`{call}`")
            expect.that(type(found) in (tuple, list) and len(found) == 3,
                        checked=_("what `{call}` returns").format(call=call),
                        expected=_("three values: `(ok, max_abs_diff, worst_index)`"),
                        found=describe(found))
            ok, max_diff, worst = found
            diff = (cand - ref).abs()
            excess = diff - (atol + rtol * ref.abs())
            want_ok = bool((excess <= 0).all())
            if isinstance(ok, torch.Tensor) and ok.numel() == 1:
                ok = bool(ok)
            expect.that(type(ok) is bool and ok == want_ok,
                        checked=_("`ok` of `{call}`").format(call=call),
                        expected=f"`{want_ok}`", found=describe(ok),
                        hint=_("Each element gets its own allowance, `atol + rtol * "
                               "|reference|`: a relative tolerance lets large values differ "
                               "more, an absolute one keeps values near 0 in check."))
            expect.close(max_diff, diff.max().item(),
                         name=_("max_abs_diff of {call}").format(call=call),
                         atol=1e-9, rtol=1e-6,
                         hint=_("The largest `|candidate - reference|`, an absolute "
                                "difference."))
            if isinstance(worst, torch.Tensor):
                worst = worst.tolist()
            want = tuple(int(i) for i in torch.unravel_index(excess.argmax(), excess.shape))
            is_index = (type(worst) in (tuple, list)
                        and all(type(i) is int for i in worst))
            expect.that(is_index and len(worst) == ref.dim(),
                        checked=_("`worst_index` of `{call}`").format(call=call),
                        expected=_("a tuple with one index per dimension, like "
                                   "`{want}`").format(want=want),
                        found=describe(worst),
                        hint=_("`torch.unravel_index(flat_index, shape)` turns a flat index "
                               "into one index per dimension."))
            expect.that(tuple(worst) == want,
                        checked=_("`worst_index` of `{call}`").format(call=call),
                        expected=_("`{want}`, the element furthest past its "
                                   "allowance").format(want=want),
                        found=f"`{tuple(worst)}`", hint=_(self.hints[0]))


# --- size --------------------------------------------------------------------------


class ModelSize(Exercise):
    name = "model_size_bytes"
    title = N_("How many bytes is a model?")
    hints = (
        N_("A state_dict holds the parameters *and* the buffers (batch norm's running "
           "statistics, for example). Each element takes `tensor.element_size()` bytes: 4 for "
           "float32, 2 for float16 and bfloat16, 8 for int64, 1 for uint8."),
        N_("`sum(t.numel() * t.element_size() for t in [*model.parameters(), "
           "*model.buffers()])`"),
    )
    solution = '''\
def model_size_bytes(model):
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)'''

    def check(self, model_size_bytes):
        for _round in range(2):
            a, b, vocab = (int(self.randint(2, 40)), int(self.randint(2, 40)),
                           int(self.randint(5, 60)))
            model = MixedNet(a, b, vocab)
            dtypes = sorted({str(t.dtype).removeprefix("torch.")
                             for t in [*model.parameters(), *model.buffers()]})
            call = _("model_size_bytes(model) for a model with tensors of dtypes "
                     "{dtypes}").format(dtypes=dtypes)
            found = self.call(model_size_bytes, model, during=f"`{call}`")
            if isinstance(found, torch.Tensor) and found.numel() == 1 and not (
                    found.is_floating_point()):
                found = int(found)
            expect.is_type(found, int, name=call, hint=_("A whole number of bytes."))
            params_only = sum(p.numel() * p.element_size() for p in model.parameters())
            four_bytes = sum(t.numel() * 4 for t in [*model.parameters(), *model.buffers()])
            hint = _(self.hints[0])
            if found == params_only:
                hint = _("That is the parameters alone: add the buffers (`model.buffers()`), "
                         "which a state_dict saves too.")
            elif found == four_bytes:
                hint = _("That assumes 4 bytes per element: use `t.element_size()`, which "
                         "depends on the dtype.")
            expect.equal(found, true_size(model), name=call, hint=hint)


# --- spot the bug: a model file that runs code --------------------------------------


class _Trap:
    """Pickles to a call of `_payload`: what a hostile model file can do."""

    def __init__(self, marker: str, model: nn.Module):
        self.marker, self.model = marker, model

    def __reduce__(self):
        return (_payload, (self.marker, self.model))


def _payload(marker: str, model):
    """Runs while such a file is unpickled. Here it only leaves a file behind."""
    with open(marker, "w") as file:
        file.write("code from the model file ran")
    return model


def given_save_model(model, path):
    """The given code: pickles the whole model object."""
    torch.save(model, path)


def given_load_model(model, path):
    """The given code: unpickles whatever the file holds."""
    loaded = torch.load(path, weights_only=False)
    model.load_state_dict(loaded.state_dict())
    return model.eval()


def safe_files_probe(save_model, load_model, source, target, attacker) -> dict:
    """Round trip through the learner's functions, then a hostile file through load_model."""
    reply = {}
    with _scratch_folder() as folder, _plain_errors():
        path = os.path.join(folder, "model.pt")
        call_learner(save_model, source, path)
        unsafe = _weights_only_error(path) if os.path.exists(path) else NO_FILE
        reply["weights_only_loads"] = unsafe is None
        if unsafe is None:  # the round trip, only for a file that loads safely
            target.train()
            result = call_learner(load_model, target, path)
            reply["returned"] = "the model" if result is target else describe(result)
            reply["state"] = {k: v.detach().clone() for k, v in target.state_dict().items()}
            reply["training"] = any(m.training for m in target.modules())
        else:
            reply["weights_only_error"] = unsafe

        evil = os.path.join(folder, "downloaded.pt")
        marker = os.path.join(folder, "payload-ran.txt")
        torch.save(_Trap(marker, attacker), evil)
        try:
            load_model(target, evil)
            reply["hostile"] = "returned"
        except Exception as err:
            if is_stub_error(err):
                raise
            reply["hostile"] = f"raised {type(err).__name__}"
        reply["payload_ran"] = os.path.exists(marker)
    return reply


class SafeLoading(Exercise):
    name = "safe_model_files"
    title = N_("Spot the bug: a model file that runs code")
    hints = (
        N_("A whole pickled model can only be read by the full unpickler, which runs any "
           "function the file names. Save `model.state_dict()` instead: plain tensors, which "
           "`torch.load(path, weights_only=True)` reads without running anything."),
        N_("`torch.save(model.state_dict(), path)`, and in `load_model`: "
           "`model.load_state_dict(torch.load(path, weights_only=True))`, then "
           "`return model.eval()`."),
    )
    solution = '''\
def save_model(model, path):
    torch.save(model.state_dict(), path)  # tensors only


def load_model(model, path):
    state = torch.load(path, weights_only=True)  # refuses anything but tensors and containers
    model.load_state_dict(state)
    return model.eval()'''

    def check(self, save_model, load_model):
        features = int(self.randint(2, 8))
        torch.manual_seed(int(self.randint(0, 10_000)))
        source, target = DropoutNet(features, 5, 3), DropoutNet(features, 5, 3)
        attacker = DropoutNet(features, 5, 3)
        reply = self.probe(safe_files_probe, save_model, load_model, source, target,
                           attacker, during=_("`save_model` then `load_model`, and "
                                              "`load_model` on a hostile file"))
        given_shape = (not reply["weights_only_loads"] and reply["payload_ran"]
                       and reply["hostile"] == "returned")
        if given_shape:
            raise NotAttempted(_(
                "`save_model` and `load_model` still behave like the given code: the file "
                "holds a whole pickled model, and loading a hostile file runs its code. Fix "
                "both functions, run the cell, then check again."))
        unsafe = reply.get("weights_only_error")
        expect.that(reply["weights_only_loads"],
                    checked=_("the file `save_model(model, path)` writes"),
                    expected=_("a file that `torch.load(path, weights_only=True)` can read"),
                    found=unsafe and unsafe_text(unsafe),
                    hint=_("Save `model.state_dict()`, not the model object."))
        expect.that(not reply["payload_ran"],
                    checked=_("`load_model(model, path)` on a file with code hidden in it"),
                    expected=_("the code in the file never runs"),
                    found=_("the code in the file ran while loading"),
                    hint=_("Only `torch.load(path, weights_only=True)` refuses to run code; "
                           "never fall back to `weights_only=False` for a file you did not "
                           "make."))
        expect.that(reply["hostile"].startswith("raised"),
                    checked=_("`load_model(model, path)` on a file with code hidden in it"),
                    expected=_("an error, so nobody uses a model that was not loaded"),
                    found=_("it returned without complaint"),
                    hint=_("Let the error of `torch.load` go through: do not catch it."))
        expect.that(reply["returned"] == "the model",
                    checked=_("what `load_model(model, path)` returns"),
                    expected=_("the model it was given, with the loaded weights"),
                    found=reply["returned"])
        want = {k: v.detach().clone() for k, v in source.state_dict().items()}
        for name, value in want.items():
            expect.close(reply["state"].get(name), value,
                         name=_("{name} after loading").format(name=name),
                         atol=0, rtol=0, hint=_("Load every weight of the saved model."))
        expect.that(not reply["training"], checked=_("the mode of the loaded model"),
                    expected=_("eval mode, ready for predictions"),
                    found=_("train mode (dropout still active)"),
                    hint=_("End with `return model.eval()`, as the given code did."))


EXERCISES = [Checkpoint, SafeLoading, ExportDynamic, Parity, ModelSize]
