"""Exercise: spot the bugs in a training function that mixes a class and an instance."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn, optim

from labkit.check import Exercise, NotAttempted, expect
from labkit.check.describe import describe
from labkit.check.signals import LearnerError
from labkit.exercises.ch04_cnn.calls import error_of, short
from labkit.i18n import N_, _


class TinyNet(nn.Module):
    """A small model the check trains; it remembers its first weights."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 6 * 6, 3)
        self.initial = [p.detach().clone() for p in self.parameters()]

    def forward(self, x):  # (B, 1, 8, 8) -> (B, 3)
        return self.fc(torch.flatten(F.relu(self.conv(x)), 1))


def given_train_model(model_class, loader, epochs=1):
    """The training code of the seed text, as the notebook gives it (two bugs)."""
    model = model_class()
    optimizer = optim.Adam(model_class().parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    for _epoch in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            outputs = model_class(inputs)
            loss = loss_fn(outputs, labels)
            loss.backward()
            optimizer.step()
    return model


def trained_weights(model) -> dict:
    """The weights a `TinyNet` was created with, and the ones it has now."""
    return {"initial": [p.detach().clone() for p in model.initial],
            "now": [p.detach().clone() for p in model.parameters()]}


def _replay(initial: list[torch.Tensor], loader, epochs: int) -> TinyNet:
    """The fixed training loop, from the learner's model's first weights."""
    model = TinyNet()
    with torch.no_grad():
        for p, first in zip(model.parameters(), initial, strict=True):
            p.copy_(first)
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    with torch.enable_grad():
        for _epoch in range(epochs):
            for inputs, labels in loader:
                optimizer.zero_grad()
                F.cross_entropy(model(inputs), labels).backward()
                optimizer.step()
    return model


def _mean_loss(model: nn.Module, loader) -> float:
    with torch.no_grad():
        losses = [F.cross_entropy(model(x), y) for x, y in loader]
    return float(torch.stack(losses).mean())


class TrainModel(Exercise):
    name = "train_model"
    title = N_("Spot the bugs: class or instance?")
    hints = (
        N_("`model_class` is the class; `model = model_class()` is the network. Which of the "
           "two should see the inputs, and whose parameters should the optimizer update?"),
        N_("Use `model(inputs)`, and build the optimizer with `model.parameters()`."),
    )
    solution = '''\
def train_model(model_class, loader, epochs=1):
    model = model_class()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = loss_fn(outputs, labels)
            loss.backward()
            optimizer.step()
    return model'''

    def _loader(self, sizes) -> list:
        """Batches of tiny images, of the given sizes; the label says which third is
        brightest."""
        batches = []
        for size in sizes:
            x = self.randn(size, 1, 8, 8)  # (B, 1, 8, 8)
            thirds = torch.stack([x[:, 0, :, :3].mean((1, 2)), x[:, 0, :, 3:5].mean((1, 2)),
                                  x[:, 0, :, 5:].mean((1, 2))], dim=1)  # (B, 3)
            batches.append((x, thirds.argmax(dim=1)))
        return batches

    def check(self, train_model):
        # Four batches of 8 for 3 epochs, then a number of epochs and batches drawn from
        # the seed, the last batch of one image: counts fixed in the code fail.
        self._train_and_compare(train_model, self._loader([8] * 4), 3)
        sizes = [8] * int(self.randint(2, 5)) + [1]
        self._train_and_compare(train_model, self._loader(sizes), self.pick([1, 2, 4]))

    def _train_and_compare(self, train_model, loader, epochs: int) -> None:
        call = f"`train_model(TinyNet, loader, epochs={epochs})`"
        given = error_of(given_train_model, TinyNet, loader, epochs=epochs)
        try:
            model = self.call(train_model, TinyNet, loader, epochs=epochs, during=call)
        except LearnerError as signal:
            if signal.same_error(given):
                raise NotAttempted(_(
                    "`train_model` still fails like the given code, with {error}. "
                    "Fix the bugs, run the cell, then check again.").format(
                        error=short(given))) from None
            raise
        expect.that(self.is_instance(model, TinyNet),
                    checked=_("the type of {call}").format(call=call),
                    expected=_("the trained model, a `TinyNet`"), found=describe(model),
                    hint=_("Return the model you trained, an instance of `model_class`."))
        weights = self.probe(trained_weights, model, during=_("reading the trained weights"))
        changed = any(not torch.equal(now, first)
                      for now, first in zip(weights["now"], weights["initial"], strict=True))
        expect.that(changed,
                    checked=_("the weights of the model returned by {call}").format(call=call),
                    expected=_("weights that changed during training"),
                    found=_("the weights it was created with"),
                    hint=_("The optimizer updates the parameters it was given: pass it "
                           "`model.parameters()` of the model you train and return."))
        fresh = _replay(weights["initial"], [], 0)  # untrained, from the same first weights
        trained = _replay(weights["initial"], loader, epochs)
        learner = _replay(weights["now"], [], 0)
        before, after = _mean_loss(fresh, loader), _mean_loss(learner, loader)
        expect.that(after < before,
                    checked=_("the loss of the model returned by {call}").format(call=call),
                    expected=_("below its loss before training ({before:.4f})").format(
                        before=before),
                    found=f"{after:.4f}",
                    hint=_("Each step: zero the gradients, compute the loss of "
                           "`model(inputs)`, call `backward()`, then `optimizer.step()`."))
        names = [name for name, _ in trained.named_parameters()]
        for name, now, ref in zip(names, weights["now"], trained.parameters(), strict=True):
            expect.close(now, ref.detach(), atol=1e-5, rtol=1e-4,
                         subject=_("`model.{name}` after training").format(name=name),
                         hint=_("The check replays {call} fixed, from the first weights "
                                "of your model: one Adam optimizer (lr=0.001) made once, "
                                "{epochs} epochs over every batch, and `zero_grad()`, loss, "
                                "`backward()`, `step()` for each batch.").format(
                                    call=call, epochs=epochs))
