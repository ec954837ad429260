"""Exercise: a checkpoint that resumes training bit for bit, and loads safely."""

from __future__ import annotations

import operator
import os

import torch
import torch.nn.functional as F  # noqa: N812

from labkit.check import Exercise, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import describe
from labkit.check.signals import is_stub_error
from labkit.exercises.ch06_deployment.files import (
    NO_FILE,
    Trap,
    plain_errors,
    scratch_folder,
    unsafe_text,
    weights_only_error,
)
from labkit.exercises.ch06_deployment.models import DropoutNet
from labkit.i18n import N_, _, ngettext

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


# save_checkpoint only reads the model (its gradients are cleared first: they are not part
# of a checkpoint); load_checkpoint restores the model it is given.
SAVE, LOAD = Contract(), Contract(writes=(1,))


def resume_probe(save_checkpoint, load_checkpoint, x, y, seed: int, stop: int,
                 save_spec: dict, load_spec: dict) -> dict:
    """Train without a stop, then with a save after `stop` epochs and a resume into fresh
    objects; return the states of both runs (plain data) and the guarded replies of the
    learner's two calls."""
    classes = int(y.max()) + 1
    with scratch_folder() as folder, plain_errors():
        path = os.path.join(folder, "checkpoint.pt")

        torch.manual_seed(seed)
        model, optimizer, scheduler = _setup(x.shape[1], classes)
        for _epoch in range(EPOCHS):
            _train_epoch(model, optimizer, scheduler, x, y)
        straight = {k: v.detach().clone() for k, v in model.state_dict().items()}

        torch.manual_seed(seed)
        model, optimizer, scheduler = _setup(x.shape[1], classes)
        for _epoch in range(stop):
            _train_epoch(model, optimizer, scheduler, x, y)
        at_save = _snapshot(model, optimizer, scheduler)
        model.zero_grad(set_to_none=True)
        saved, _args, _value = probes.guarded(save_checkpoint,
                                              (path, model, optimizer, scheduler, stop), {},
                                              save_spec)
        reply = {"save": saved}
        if not os.path.exists(path):
            return {**reply, "unsafe_file": NO_FILE}
        with torch.random.fork_rng(devices=[]):
            unsafe = weights_only_error(path)
        if unsafe is not None:
            return {**reply, "unsafe_file": unsafe}

        # As after a restart: new objects, other weights, another random state.
        torch.manual_seed(seed + 1000)
        model, optimizer, scheduler = _setup(x.shape[1], classes)
        torch.rand(7)
        loaded, _args, start = probes.guarded(load_checkpoint,
                                              (path, model, optimizer, scheduler), {},
                                              load_spec)
        after_load = _snapshot(model, optimizer, scheduler)
        loaded["value"] = None  # what it returned is described below
        try:  # an int, or anything `range` takes as one (a 0-d integer tensor, say)
            start = describe(start) if isinstance(start, bool) else operator.index(start)
        except TypeError:
            start = describe(start)
        reply.update(load=loaded, straight=straight, at_save=at_save, after_load=after_load,
                     start=start)
        if isinstance(start, str) or not 0 <= start <= EPOCHS:
            return reply  # the check reports the value; training on from it makes no sense
        for _epoch in range(start, EPOCHS):
            _train_epoch(model, optimizer, scheduler, x, y)
        reply["resumed"] = {k: v.detach().clone() for k, v in model.state_dict().items()}

        # The same checkpoint with code hidden in it, as a downloaded one could be.
        evil = os.path.join(folder, "downloaded.pt")
        marker = os.path.join(folder, "payload-ran.txt")
        torch.save({**torch.load(path, weights_only=True), "note": Trap(marker, "hello")}, evil)
        model, optimizer, scheduler = _setup(x.shape[1], classes)
        try:
            probes.guarded(load_checkpoint, (evil, model, optimizer, scheduler), {}, load_spec)
        except Exception as err:  # noqa: BLE001 - refusing the file is right
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
                               int(self.randint(0, 10_000)), stop, SAVE.spec(), LOAD.spec(),
                               during=during)
            SAVE.judge(reply["save"], "`save_checkpoint(path, model, optimizer, scheduler, "
                                      "epoch)`")
            if "load" in reply:
                LOAD.judge(reply["load"], "`load_checkpoint(path, model, optimizer, "
                                          "scheduler)`")
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
                         subject=_("`{name}` after resuming").format(name=name), atol=0, rtol=0,
                         hint=_("A resumed run must match the run without a stop bit "
                                "for bit."))
        expect.that(not reply["payload_ran"],
                    checked=_("`load_checkpoint` on a checkpoint with code hidden in it"),
                    expected=_("the code in the file never runs"),
                    found=_("the code in the file ran while loading"),
                    hint=_("Load with `torch.load(path, weights_only=True)`: a checkpoint "
                           "from elsewhere can hold code, and only the weights-only loader "
                           "refuses to run it."))
