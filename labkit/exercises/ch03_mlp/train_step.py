"""Exercise: one training step by hand, with the model, loss and optimizer it is given."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from labkit.check import Exercise, expect, probes, verdicts
from labkit.check.contract import Contract
from labkit.i18n import N_, _

# The step updates the model (argument 0) and returns a Python number; X and y stay as
# they were. The optimizer is not a tensor container: its state is judged by the weights.
CONTRACT = Contract(writes=(0,))


def step_model() -> nn.Module:
    """The small model `train_step` trains: dropout makes the training mode matter."""
    return nn.Sequential(OrderedDict(hidden=nn.Linear(3, 5), act=nn.ReLU(),
                                     drop=nn.Dropout(0.5), out=nn.Linear(5, 1)))


def make_optimizer(parameters, settings: dict) -> torch.optim.Optimizer:
    """SGD with the learning rate, momentum and weight decay the check drew."""
    return torch.optim.SGD(parameters, lr=settings["lr"], momentum=settings["momentum"],
                           weight_decay=settings["weight_decay"])


def train_step_probe(train_step, state, batches, settings, seeds, spec: dict) -> list[dict]:
    """Build the model and optimizer here, hand them to the learner's ``train_step`` once
    per batch through ``probes.guarded``, and add to each reply whether the model was in
    training mode and its weights afterwards.

    The model starts in eval mode, as after an evaluation; the dropout masks of each
    call come from ``seeds``, so the check can replay the same step.
    """
    model = step_model()
    model.load_state_dict(state)
    optimizer = make_optimizer(model.parameters(), settings)
    loss_fn = nn.BCEWithLogitsLoss()
    replies = []
    for (X, y), seed in zip(batches, seeds, strict=True):
        model.eval()
        torch.manual_seed(seed)
        reply = probes.guarded(train_step, (model, X, y, loss_fn, optimizer), {}, spec)[0]
        replies.append(reply)
        if "value" not in reply:
            break
        reply["training"] = probes.is_training(model)
        reply["state"] = probes.state(model)
    return replies


class TrainStep(Exercise):
    name = "train_step"
    title = N_("One training step by hand")
    hints = (
        N_("Five steps: training mode, reset the gradients, compute the loss, back-propagate, "
           "update."),
        N_("`model.train()`, `optimizer.zero_grad()`, `loss = loss_fn(model(X), y)`, "
           "`loss.backward()`, `optimizer.step()`, then `return loss.item()`."),
    )
    solution = '''\
def train_step(model, X, y, loss_fn, optimizer):
    model.train()  # dropout and batch norm behave as in training
    optimizer.zero_grad()  # forget the gradients of the previous step
    loss = loss_fn(model(X), y)  # forward pass and loss
    loss.backward()  # d(loss)/d(parameter) into each .grad
    optimizer.step()  # move each parameter against its gradient
    return loss.item()'''

    def check(self, train_step):
        # Drawn, so that an update written out with a fixed learning rate (or without the
        # optimizer's momentum) cannot match what the given optimizer does.
        settings = {"lr": round(0.02 + 0.4 * float(torch.rand(1, generator=self.rng)), 3),
                    "momentum": self.pick([0.5, 0.8, 0.9]),
                    "weight_decay": self.pick([0.0, 0.01])}
        model = step_model()  # the check's process is seeded: the same weights every time
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        batches = [(self.randn(8, 3), self.randint(0, 2, 8, 1).float()),
                   (self.randn(1, 3), self.randint(0, 2, 1, 1).float()),
                   (self.randn(6, 3), self.randint(0, 2, 6, 1).float())]
        seeds = [int(self.randint(0, 2**31 - 1)) for _batch in batches]
        during = _("`train_step(model, X, y, loss_fn, optimizer)`, called once per batch on a "
                   "small model with dropout, `nn.BCEWithLogitsLoss()` and SGD (lr={lr}, "
                   "momentum={momentum})").format(**settings)
        replies = self.probe(train_step_probe, train_step, state, batches, settings, seeds,
                             CONTRACT.spec(), during=during)

        # The reference: the same steps replayed here, in training mode.
        optimizer = make_optimizer(model.parameters(), settings)
        loss_fn = nn.BCEWithLogitsLoss()
        before = state
        for call, ((X, y), seed, reply) in enumerate(zip(batches, seeds, replies, strict=False),
                                                    start=1):
            found = CONTRACT.judge(reply, during)
            verdicts.returns(reply["report"], float, during, hint=_(
                "Return `loss.item()`: a plain Python number, so the graph behind the loss "
                "can be freed."))
            model.train()
            torch.manual_seed(seed)
            optimizer.zero_grad()
            with torch.enable_grad():
                ref_loss = loss_fn(model(X), y)
                ref_loss.backward()
            optimizer.step()
            which = _("call {call} of `train_step`, on a batch of {size}").format(
                call=call, size=len(X))
            if not reply["training"] and abs(found - ref_loss.item()) > 1e-5:
                expect.that(False, checked=_("the model's mode during {which}").format(
                                which=which),
                            expected=_("training mode, so that dropout is active"),
                            found=_("the model left in evaluation mode"),
                            hint=_("Call `model.train()` first: the model may come from an "
                                   "evaluation, in eval mode."))
            expect.close(found, ref_loss.item(), name="train_step(...)",
                         hint=_("In {which}: return the loss computed before the update, "
                                "`loss_fn(model(X), y)`, with the model's output first.")
                         .format(which=which))
            after = reply["state"]
            changed = any(not torch.equal(after[k], before[k]) for k in before)
            expect.that(changed,
                        checked=_("the model's parameters after {which}").format(which=which),
                        expected=_("parameters updated by one step"),
                        found=_("unchanged parameters"),
                        hint=_("Call `optimizer.step()` after `loss.backward()`, and "
                               "`optimizer.zero_grad()` before `loss.backward()`."))
            for name, p in model.state_dict().items():
                expect.close(after[name], p, name=f"model.{name}",
                             hint=_("After {which}: update with the optimizer you are given "
                                    "(`optimizer.step()`), which knows its own learning rate "
                                    "and momentum. Gradients add up: call "
                                    "`optimizer.zero_grad()` at every step, before "
                                    "`loss.backward()`.").format(which=which))
            before = after
