"""Exercise: spot the bug, a loss print that never fires (and what the loop logs)."""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F
from torch import nn

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.contract import Contract
from labkit.check.describe import cut
from labkit.i18n import N_, _

# The epoch trains the model (argument 0); the values it logs hold no graph; what it
# prints is kept and compared with what it logs.
CONTRACT = Contract(writes=(0,), no_graph=True, printed=True)
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?")


def make_optimizer(parameters, settings: dict) -> torch.optim.Optimizer:
    return torch.optim.SGD(parameters, lr=settings["lr"], momentum=settings["momentum"])


def train_epoch_probe(train_epoch, state, inputs, labels, sizes, settings, every,
                      spec: dict) -> dict:
    """The learner's ``train_epoch`` once, through ``probes.guarded``, over a
    ``DataLoader`` that serves ``inputs`` and ``labels`` in order, in batches of the given
    ``sizes``, with a small linear model, cross-entropy and SGD; the weights after it are
    added to the reply."""
    from torch.utils.data import DataLoader, TensorDataset

    groups, start = [], 0
    for size in sizes:
        groups.append(list(range(start, start + size)))
        start += size
    loader = DataLoader(TensorDataset(inputs, labels), batch_sampler=groups)
    model = nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
    model.load_state_dict(state)
    optimizer = make_optimizer(model.parameters(), settings)
    reply = probes.guarded(train_epoch, (model, loader, nn.CrossEntropyLoss(), optimizer),
                           {"every": every}, spec)[0]
    reply["state"] = probes.state(model)
    return reply


def reference_epoch(model, inputs, labels, sizes, settings, every) -> list[float]:
    """The averages the fixed loop logs, computed here on the same batches."""
    optimizer = make_optimizer(model.parameters(), settings)
    expected, running = [], 0.0
    batches = zip(inputs.split(sizes), labels.split(sizes), strict=True)
    for i, (X, y) in enumerate(batches):
        optimizer.zero_grad()
        with torch.enable_grad():
            loss = F.cross_entropy(model(X), y)
            loss.backward()
        optimizer.step()
        running += loss.item()
        if (i + 1) % every == 0:
            expected.append(running / every)
            running = 0.0
    return expected


def shows(line: str, value: float) -> bool:
    """True if ``line`` shows ``value`` as a decimal number, to the digits it prints."""
    for match in _NUMBER.finditer(line):
        text = match.group()
        mantissa, _e, exponent = text.lower().partition("e")
        digits = len(mantissa.partition(".")[2])
        scale = 10.0 ** int(exponent or 0)
        if abs(float(text) - value) <= 0.5 * 10.0**-digits * scale + 1e-6 * (1 + abs(value)):
            return True
    return False


class TrainEpoch(Exercise):
    name = "train_epoch"
    title = N_("Spot the bug: a loss print that never fires")
    hints = (
        N_("How many batches does the loop see? `i` goes from 0 to `len(loader) - 1`, so a "
           "condition that needs `i == 1999` never holds with fewer than 2000 batches."),
        N_("Use `every`: `if (i + 1) % every == 0:`, and average over those `every` batches: "
           "`running_loss / every`."),
    )
    solution = '''\
def train_epoch(model, loader, loss_fn, optimizer, every=100):
    logged = []
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if (i + 1) % every == 0:  # after every `every` batches
            logged.append(running_loss / every)
            print(f"[batch {i + 1:5d}] loss: {running_loss / every:.3f}")
            running_loss = 0.0
    return logged'''

    def check(self, train_epoch):
        settings = {"lr": round(0.02 + 0.3 * float(torch.rand(1, generator=self.rng)), 3),
                    "momentum": self.pick([0.0, 0.5, 0.9])}
        # (batches, every): first a loader of over 100 batches, where the given loop logs
        # nothing while a condition on 100 batches would, with a few batches left over
        # at the end; then small ones.
        every = int(self.randint(6, 12))
        long = every * int(self.randint(100 // every + 1, 130 // every)) + int(
            self.randint(1, every))
        configurations = [(long, every), (10, 3), (5, 1), (7, 7),
                          (int(self.randint(8, 15)), int(self.randint(2, 5))), (3, 5)]
        for n_batches, every in configurations:
            model = nn.Linear(4, 3)
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            sizes = self.randint(1, 7, n_batches).tolist()  # batches of 1 to 6 rows
            inputs, labels = self.randn(sum(sizes), 4), self.randint(0, 3, sum(sizes))
            during = _("`train_epoch(model, loader, loss_fn, optimizer, every={every})` on a "
                       "loader of {n_batches} batches").format(every=every, n_batches=n_batches)
            reply = self.probe(train_epoch_probe, train_epoch, state, inputs, labels, sizes,
                               settings, every, CONTRACT.spec(), during=during)
            logged = CONTRACT.judge(reply, during)
            printed = reply["report"].get("printed", "")
            expected = reference_epoch(model, inputs, labels, sizes, settings, every)
            if expected and logged == [] and not printed.strip():
                raise NotAttempted(_(
                    "`train_epoch` still logs and prints nothing on a loader of {n_batches} "
                    "batches, as the given loop does: its condition `i % 2000 == 1999` never "
                    "holds with fewer than 2000 batches. Fix the condition, run the cell, "
                    "then check again.").format(n_batches=n_batches))
            self._judge(logged, printed, reply["state"], model, expected, every, during)

    def _judge(self, logged, printed, state, model, expected, every, during) -> None:
        expect.is_type(logged, list, name="train_epoch(...)",
                       hint=_("Return the list `logged` of the averages you printed."))
        expect.that(len(logged) == len(expected),
                    checked=_("how many averages {during} logs").format(during=during),
                    expected=_("{count} (one after every {every} batches)").format(
                        count=len(expected), every=every),
                    found=str(len(logged)), hint=_(self.hints[1]))
        for k, value in enumerate(logged):
            expect.is_type(value, float, name=f"train_epoch(...)[{k}]",
                           hint=_("Log Python numbers: add up `loss.item()`, not `loss`."))
        for key, value in model.state_dict().items():
            expect.close(state[key], value.detach(), name=f"model.{key}",
                         hint=_("After {during}: every batch needs its zero_grad, "
                                "backward and step, as in the given loop.")
                         .format(during=during))
        expect.close(torch.tensor(logged, dtype=torch.float64),
                     torch.tensor(expected, dtype=torch.float64),
                     name="train_epoch(...)", atol=1e-5, rtol=1e-4,
                     hint=_("Each value is the mean loss of the last `every` batches: add "
                            "`loss.item()` up, divide by `every`, then reset the sum "
                            "to 0."))
        lines = [line for line in printed.splitlines() if line.strip()]
        expect.that(len(lines) == len(expected),
                    checked=_("the lines {during} prints").format(during=during),
                    expected=_("{count} (one per logged average)").format(
                        count=len(expected)),
                    found=str(len(lines)),
                    hint=_("Print each average when you log it, and nothing else."))
        for k, (line, value) in enumerate(zip(lines, expected, strict=True)):
            expect.that(shows(line, value),
                        checked=_("printed line {number} of {during}").format(
                            number=k + 1, during=during),
                        expected=_("the average it logs, {value:.4f}").format(value=value),
                        found="`" + cut(line.replace("`", "'"), 80) + "`",
                        hint=_("Print the same average you append to `logged`."))
