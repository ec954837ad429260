"""Exercise: spot the two bugs of a loop with an optimizer and a scheduler."""

from __future__ import annotations

import torch
from torch import nn

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import describe
from labkit.i18n import N_, _


def given_train(model, batches, epochs, lr=0.1):
    """The notebook's given training loop, both bugs included."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _epoch in range(epochs):
        for x, y in batches:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()  # halve the learning rate every epoch
    return model


def _train(model, batches, epochs, lr, *, zero_grad: bool, per_epoch: bool):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _epoch in range(epochs):
        for x, y in batches:
            if zero_grad:
                optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            if not per_epoch:
                scheduler.step()
        if per_epoch:
            scheduler.step()
    return model


# The model is trained in place; the batches must come back as they were.
CONTRACT = Contract(writes=(0,))


def train_probe(train, start: dict, batches, epochs: int, lr: float, spec: dict) -> dict:
    """The learner's ``train`` on a fresh ``nn.Linear(3, 2)`` holding ``start``: the
    guarded reply, the model's weights afterwards, and whether that model came back."""
    model = _linear_model(start)
    reply, _args, value = probes.guarded(train, (model, batches, epochs), {"lr": lr}, spec)
    if "value" in reply:
        reply["value"] = None  # the check reads the model it built, not what came back
        reply["returned"] = ("model" if value is model else "none" if value is None
                             else describe(value))
        reply["state"] = probes.state(model)
    return reply


def _linear_model(seed_state: dict) -> nn.Linear:
    model = nn.Linear(3, 2)
    model.load_state_dict(seed_state)
    return model


def _same_state(a: dict, b: dict) -> bool:
    try:
        return set(a) == set(b) and all(
            torch.allclose(torch.as_tensor(a[k]).double(), b[k].double(), atol=1e-6)
            for k in b)
    except (TypeError, RuntimeError):
        return False


class FixTrainLoop(Exercise):
    name = "train"
    title = N_("Spot the bugs: a loop with an optimizer and a scheduler")
    hints = (
        N_("Two bugs. What does `backward()` do to `.grad` when nobody resets it? And how "
           "often does `scheduler.step()` run, compared with what its comment promises?"),
        N_("Call `optimizer.zero_grad()` before each `backward()`, and move "
           "`scheduler.step()` out of the batch loop, to the end of each epoch."),
    )
    solution = '''\
def train(model, batches, epochs, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loss_fn = nn.MSELoss()
    for _epoch in range(epochs):
        for x, y in batches:
            optimizer.zero_grad()                 # bug 1: reset the gradients
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()                          # bug 2: once per epoch, not per batch
    return model'''

    def check(self, train):
        # Drawn from the check's generator, not by nn.Linear's own initialisation: a
        # `train` that trains a fresh nn.Linear(3, 2) instead of `model` must not start
        # from the same weights by chance (the learner's side is seeded too).
        start = {"weight": 0.5 * self.randn(2, 3), "bias": 0.5 * self.randn(2)}
        batches = [(self.randn(8, 3), self.randn(8, 2))
                   for _batch in range(int(self.randint(2, 5)))]
        epochs, lr = int(self.randint(3, 5)), self.pick((0.02, 0.05, 0.08))
        call = f"train(model, batches, epochs={epochs}, lr={lr})"
        during = _("`{call}` on an `nn.Linear(3, 2)` and {count} batches").format(
            call=call, count=len(batches))
        reply = self.probe(train_probe, train, start, batches, epochs, lr, CONTRACT.spec(),
                           during=during)
        CONTRACT.judge(reply, during)
        found = reply["state"]

        def weights(**bugs):
            return _train(_linear_model(start), batches, epochs, lr, **bugs).state_dict()

        if _same_state(found, weights(zero_grad=False, per_epoch=False)):
            raise NotAttempted(_("`train` still gives the same weights as the given code. "
                                 "Find the two bugs, fix them, run the cell, then check "
                                 "again."))
        returned = reply["returned"]
        expect.that(returned == "model", checked=_("what `{call}` returns").format(call=call),
                    expected=_("the trained model: the `model` it was given"),
                    found=describe(None) if returned == "none" else returned,
                    hint=_("Return `model` at the end, as the given code does.")
                    if returned == "none" else
                    _("Train and return the `model` you are given, not a new one."))
        checked = _("the weights after `{call}`").format(call=call)
        expect.that(not _same_state(found, start), checked=checked,
                    expected=_("weights that moved during training"),
                    found=_("the starting weights, unchanged"),
                    hint=_("Nothing was learned: is `optimizer.zero_grad()` between "
                           "`backward()` and `step()`? It must come before `backward()`."))
        expect.that(not _same_state(found, weights(zero_grad=True, per_epoch=False)),
                    checked=checked, expected=_("a learning rate halved once per epoch"),
                    found=_("weights trained with the rate halved after every batch"),
                    hint=_("`scheduler.step()` belongs after the batch loop, once per epoch."))
        expect.that(not _same_state(found, weights(zero_grad=False, per_epoch=True)),
                    checked=checked, expected=_("a fresh gradient at every step"),
                    found=_("weights trained with gradients that add up from step to step"),
                    hint=_("Call `optimizer.zero_grad()` before each `backward()`."))
        reference = weights(zero_grad=True, per_epoch=True)
        for key, value in reference.items():
            expect.close(found.get(key), value,
                         subject=_("`{key}` after `{call}`").format(key=key, call=call), hint=_(
                "Train and return the `model` you are given, not a new one; keep the given "
                "optimizer, its learning rate `lr`, the scheduler and the loss, and change "
                "only the two bugs."))
