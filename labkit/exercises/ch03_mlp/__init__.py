"""Exercises of chapter 03, Multilayer perceptrons."""

from __future__ import annotations

import re
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.describe import describe, shape_text
from labkit.check.signals import LearnerError
from labkit.exercises.legacy import invoke, run
from labkit.i18n import N_, _

NO_AUTOGRAD_TEXT = N_("the formula alone, without autograd")
NO_AUTOGRAD = {"no_grad": True, "rule_out": ("autograd",), "rule_text": NO_AUTOGRAD_TEXT}


def no_autograd() -> dict:
    """``NO_AUTOGRAD`` with its text in the learner's language."""
    return {**NO_AUTOGRAD, "rule_text": _(NO_AUTOGRAD_TEXT)}


# --- probes: they run where the learner's objects live and return plain data ---------

def predict_probe(model, x, *, what: str):
    """``model(x)`` in eval mode without gradients (``probes.predict``); its errors are
    the learner's."""
    return invoke(probes.predict, (model, x), {}, what)


def step_model() -> nn.Module:
    """The small model `train_step` trains: dropout makes the training mode matter."""
    return nn.Sequential(OrderedDict(hidden=nn.Linear(3, 5), act=nn.ReLU(),
                                     drop=nn.Dropout(0.5), out=nn.Linear(5, 1)))


def train_step_probe(train_step, state, batches, lr, seeds, *, what: str) -> list[dict]:
    """Build the model and optimizer here, hand them to the learner's ``train_step`` once
    per batch, and report what each call returned and left behind.

    The model starts in eval mode, as after an evaluation; the dropout masks of each
    call come from ``seeds``, so the check can replay the same step.
    """
    model = step_model()
    model.load_state_dict(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    reports = []
    for (X, y), seed in zip(batches, seeds, strict=True):
        model.eval()
        torch.manual_seed(seed)
        loss = invoke(train_step, (model, X, y, loss_fn, optimizer), {}, what)
        reports.append({"loss": loss, "training": probes.is_training(model),
                        "state": probes.state(model)})
    return reports


# --- exercises -------------------------------------------------------------------------

def _autograd_derivative(function, x: torch.Tensor) -> torch.Tensor:
    """f'(x) for an element-wise f, by autograd: the reference the learner's formula meets."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(function(x).sum(), x)
    return grad


class ActivationGrads(Exercise):
    name = "activation_grads"
    title = N_("Derivatives of sigmoid, tanh and ReLU")
    hints = (
        N_("Compute the activation first, then use it: sigma'(x) = sigma(x) (1 - sigma(x)) and "
           "tanh'(x) = 1 - tanh(x)^2. The formulas are in terms of the output, not of `x`."),
        N_("For ReLU, `(x > 0)` gives a bool tensor; turn it into numbers with `.float()` "
           "(or `.to(x.dtype)`)."),
    )
    solution = '''\
def sigmoid_grad(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    return 1 - torch.tanh(x) ** 2


def relu_grad(x):
    return (x > 0).to(x.dtype)'''

    def check(self, sigmoid_grad, tanh_grad, relu_grad):
        inputs = [torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0]), 3 * self.randn(4, 6),
                  self.randn(1)]
        functions = (
            ("sigmoid_grad", sigmoid_grad, torch.sigmoid,
             N_("sigma'(x) = sigma(x) (1 - sigma(x)), with sigma(x) = torch.sigmoid(x).")),
            ("tanh_grad", tanh_grad, torch.tanh,
             N_("tanh'(x) = 1 - tanh(x)^2, with tanh(x) = torch.tanh(x).")),
            ("relu_grad", relu_grad, torch.relu,
             N_("1 where x > 0, else 0 (PyTorch also uses 0 at x = 0), as floats.")),
        )
        for name, learner_fn, function, hint in functions:
            for x in inputs:
                call = f"{name}(x)"
                during = _("`{call}` for x of shape {shape}").format(
                    call=call, shape=shape_text(x.shape))
                found = run(self, learner_fn, x, during=during, **no_autograd())
                expect.close(found, _autograd_derivative(function, x), name=call,
                             hint=_(hint))


class MlpForward(Exercise):
    name = "mlp_forward"
    title = N_("An MLP forward pass with plain tensor operations")
    hints = (
        N_("`nn.Linear` keeps its weight as (out_features, in_features) and computes "
           "`x @ W.T + b` for a batch of rows `x`."),
        N_("Two layers with a ReLU between them: `torch.relu(x @ W1.T + b1) @ W2.T + b2`."),
    )
    solution = '''\
def mlp_forward(x, W1, b1, W2, b2):
    h = torch.relu(x @ W1.T + b1)  # (B, H)
    return h @ W2.T + b2  # (B, O)'''

    def check(self, mlp_forward):
        # (batch, inputs, hidden, outputs); the square case comes first so a missing
        # transpose shows up as wrong values rather than as a shape error.
        sizes = [(4, 3, 3, 3), (1, 2, 5, 1),
                 (int(self.randint(2, 9)), int(self.randint(2, 7)), int(self.randint(2, 9)),
                  int(self.randint(1, 5)))]
        for batch, n_in, n_hidden, n_out in sizes:
            x = self.randn(batch, n_in)
            W1, b1 = self.randn(n_hidden, n_in), self.randn(n_hidden)
            W2, b2 = self.randn(n_out, n_hidden), self.randn(n_out)
            during = _("`mlp_forward(x, W1, b1, W2, b2)` with x of shape {x_shape}, "
                       "W1 {w1_shape} and W2 {w2_shape}").format(
                x_shape=shape_text(x.shape), w1_shape=shape_text(W1.shape),
                w2_shape=shape_text(W2.shape))
            found = run(self, mlp_forward, x, W1, b1, W2, b2, during=during)
            expected = F.linear(torch.relu(F.linear(x, W1, b1)), W2, b2)  # what nn.Linear does
            expect.close(found, expected, name="mlp_forward(x, W1, b1, W2, b2)",
                         hint=_("Compare with two `nn.Linear` layers and a ReLU between "
                                "them: `torch.relu(x @ W1.T + b1) @ W2.T + b2`."))


MNIST_LAYERS = [(784, 128), (128, 64), (64, 10)]
MNIST_PARAMS = sum((n_in + 1) * n_out for n_in, n_out in MNIST_LAYERS)  # 109,386
_LINEAR = re.compile(r"in_features=(\d+), out_features=(\d+)")


def linear_layers(layers: list[dict]) -> list[tuple[int, int]]:
    """(in, out) of every `nn.Linear` in a `probes.layers` list, in registration order."""
    found = []
    for layer in layers:
        match = _LINEAR.search(layer["extra"]) if layer["type"] == "Linear" else None
        if match:
            found.append((int(match[1]), int(match[2])))
    return found


def by_shape(state: dict, shape: tuple[int, ...], kind: str) -> torch.Tensor | None:
    """The tensor of ``state`` whose name ends in ``kind`` and whose shape is ``shape``."""
    for key, value in state.items():
        if key.endswith(kind) and tuple(value.shape) == tuple(shape):
            return value
    return None


class MnistMlpModule(Exercise):
    name = "mnist_mlp"
    title = N_("An nn.Module with a given architecture")
    hints = (
        N_("In `__init__`, call `super().__init__()`, then create `nn.Flatten()` and three "
           "`nn.Linear` layers: 784 -> 128 -> 64 -> 10."),
        N_("In `forward`: flatten, then linear, ReLU, linear, ReLU, linear. Return the last "
           "layer's output as it is (no softmax)."),
    )
    solution = '''\
class MnistMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):  # (B, 1, 28, 28)
        x = self.flatten(x)  # (B, 784)
        x = torch.relu(self.fc1(x))  # (B, 128)
        x = torch.relu(self.fc2(x))  # (B, 64)
        return self.fc3(x)  # (B, 10) logits'''

    def check(self, MnistMLP):  # noqa: N803 - the learner's class name
        model = run(self, MnistMLP, during="`MnistMLP()`")
        expect.that(self.is_instance(model, nn.Module), checked=_("the type of `MnistMLP()`"),
                    expected=_("an `nn.Module`"), found=describe(model),
                    hint=_("Subclass `nn.Module` and call `super().__init__()` first."))
        outputs = []
        for batch in (1, int(self.randint(2, 9))):
            x = self.randn(batch, 1, 28, 28)
            during = _("`model(x)` for a batch x of shape {shape}").format(
                shape=shape_text(x.shape))
            out = self.probe(predict_probe, model, x, what=during, during=during)
            expect.tensor(out, name="model(x)", shape=(batch, 10),
                          hint=_("One row of 10 class scores per image."))
            outputs.append((x, out))
        layers = linear_layers(self.probe(probes.layers, model,
                                          during=_("listing the layers")))
        # Declared in any order; the computation below checks the order they are used in.
        expect.that(sorted(layers) == sorted(MNIST_LAYERS),
                    checked=_("the `nn.Linear` layers of `MnistMLP()`, as (in, out)"),
                    expected=str(MNIST_LAYERS), found=str(layers))
        count = self.probe(probes.param_count, model, during=_("counting the parameters"))
        expect.that(count == MNIST_PARAMS,
                    checked=_("the number of parameters of `MnistMLP()`"),
                    expected=f"{MNIST_PARAMS:,}", found=f"{count:,}",
                    hint=_("Every `nn.Linear` needs its bias (the default)."))
        # The computation, recomputed here from the model's own weights.
        state = self.probe(probes.state, model, during=_("reading the weights"))
        weights = [(by_shape(state, (n_out, n_in), "weight"), by_shape(state, (n_out,), "bias"))
                   for n_in, n_out in MNIST_LAYERS]
        expect.that(all(w is not None and b is not None for w, b in weights),
                    checked=_("the weights of `MnistMLP()`"),
                    expected=_("a weight and a bias for each of the three linear layers"),
                    found=_("some missing"), hint=_(self.hints[0]))
        for x, out in outputs:
            h = x.flatten(1)
            plain = x.flatten(1)
            for i, (w, b) in enumerate(weights):
                h, plain = F.linear(h, w, b), F.linear(plain, w, b)
                if i < 2:
                    h = torch.relu(h)
            linear = torch.allclose(out, plain, atol=1e-4, rtol=1e-3)
            expect.that(not linear,
                        checked=_("whether `MnistMLP()` is more than a linear map"),
                        expected=_("a ReLU after the first and the second linear layer"),
                        found=_("a model that is linear in its input"),
                        hint=_("Without activations, the three layers collapse into one."))
            probabilities = bool((out >= 0).all()) and torch.allclose(
                out.sum(dim=1), torch.ones(len(out)), atol=1e-4)
            expect.that(not probabilities, checked=_("the outputs of `MnistMLP()`"),
                        expected=_("raw scores (logits) from the last linear layer"),
                        found=_("rows that sum to 1, as after a softmax"),
                        hint=_("`nn.CrossEntropyLoss` applies the softmax itself; "
                               "return logits."))
            expect.close(out, h, name="model(x)", atol=1e-3, rtol=1e-2,  # TF32 on a GPU
                         hint=_("The check recomputes your model from its own weights: "
                                "flatten, fc1, ReLU, fc2, ReLU, fc3, and nothing else (no "
                                "other activation, no dropout in eval mode, no softmax)."))


class BceFix(Exercise):
    name = "bce_fix"
    title = N_("Spot the bug: BCELoss on raw outputs")
    hints = (
        N_("The model's last layer is `nn.Linear`, so its outputs are any real numbers "
           "(logits), while `nn.BCELoss` expects probabilities in [0, 1]."),
        N_("Use `nn.BCEWithLogitsLoss()`: a sigmoid and the binary cross-entropy in one, "
           "numerically stable step."),
    )
    solution = "loss_fn = nn.BCEWithLogitsLoss()"

    def check(self, loss_fn):
        kind = self.probe(probes.kind, loss_fn, during=_("looking at `loss_fn`"))
        expect.that(not kind["is_class"], checked="`loss_fn`",
                    expected=_("a loss object, e.g. `nn.BCEWithLogitsLoss()`"),
                    found=_("the class `{name}` itself").format(
                        name=kind["mro"][0].rsplit(".", 1)[-1]),
                    hint=_("Add the parentheses: create the loss, then call it."))
        if kind["mro"][0] == "torch.nn.modules.loss.BCELoss":
            raise NotAttempted(_(
                "`loss_fn` is still the given `nn.BCELoss()`, which expects probabilities, "
                "but the model returns raw scores. Fix `loss_fn`, run the cell, then check "
                "again."
            ))
        batch = int(self.randint(3, 9))
        cases = [
            (torch.tensor([[-4.0], [-1.0], [0.0], [2.0], [4.0]]),
             torch.tensor([[0.0], [1.0], [1.0], [0.0], [1.0]])),
            (3 * self.randn(batch, 1), self.randint(0, 2, batch, 1).float()),
            # Confident and right: a hand-written log(sigmoid) formula gives 0 * log(0) = nan.
            (torch.tensor([[40.0], [-40.0], [1.0]]), torch.tensor([[1.0], [0.0], [1.0]])),
            (self.randn(1, 1), torch.ones(1, 1)),
        ]
        for logits, targets in cases:
            during = _("`loss_fn(logits, targets)` for logits of shape {shape} (any real "
                       "numbers) and 0/1 targets").format(shape=shape_text(logits.shape))
            found = run(self, loss_fn, logits, targets, during=during)
            expect.close(found, F.binary_cross_entropy_with_logits(logits, targets),
                         name="loss_fn(logits, targets)",
                         hint=_("The binary cross-entropy of sigmoid(logits), averaged over "
                                "the batch: `nn.BCEWithLogitsLoss()` computes exactly that."))


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
        lr = 0.1
        model = step_model()  # the check's process is seeded: the same weights every time
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        batches = [(self.randn(8, 3), self.randint(0, 2, 8, 1).float()),
                   (self.randn(1, 3), self.randint(0, 2, 1, 1).float()),
                   (self.randn(6, 3), self.randint(0, 2, 6, 1).float())]
        seeds = [int(self.randint(0, 2**31 - 1)) for _batch in batches]
        during = _("`train_step(model, X, y, loss_fn, optimizer)`, called once per batch on a "
                   "small model with dropout, `nn.BCEWithLogitsLoss()` and SGD")
        reports = self.probe(train_step_probe, train_step, state, batches, lr, seeds,
                             what=during, during=during)

        # The reference: the same steps replayed here, in training mode.
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)
        loss_fn = nn.BCEWithLogitsLoss()
        before = state
        for call, ((X, y), seed, report) in enumerate(zip(batches, seeds, reports,
                                                          strict=True), start=1):
            model.train()
            torch.manual_seed(seed)
            optimizer.zero_grad()
            with torch.enable_grad():
                ref_loss = loss_fn(model(X), y)
                ref_loss.backward()
            optimizer.step()
            found = report["loss"]
            which = _("call {call} of `train_step`, on a batch of {size}").format(
                call=call, size=len(X))
            expect.is_type(found, float, name="train_step(...)",
                           hint=_("Return `loss.item()`: a plain Python number, so the graph "
                                  "behind the loss can be freed."))
            if not report["training"] and abs(found - ref_loss.item()) > 1e-5:
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
            after = report["state"]
            changed = any(not torch.equal(after[k], before[k]) for k in before)
            expect.that(changed,
                        checked=_("the model's parameters after {which}").format(which=which),
                        expected=_("parameters updated by one step"),
                        found=_("unchanged parameters"),
                        hint=_("Call `optimizer.step()` after `loss.backward()`, and "
                               "`optimizer.zero_grad()` before `loss.backward()`."))
            for name, p in model.state_dict().items():
                expect.close(after[name], p, name=f"model.{name}",
                             hint=_("After {which}. Gradients add up: call "
                                    "`optimizer.zero_grad()` at every step, before "
                                    "`loss.backward()`.").format(which=which))
            before = after


class Accuracy(Exercise):
    name = "accuracy"
    title = N_("Accuracy from logits")
    hints = (
        N_("The predicted class is the index of the largest logit in each row: "
           "`logits.argmax(dim=1)`."),
        N_("Compare with `labels`, turn the bools into floats and average: "
           "`(pred == labels).float().mean().item()`."),
    )
    solution = '''\
def accuracy(logits, labels):
    predictions = logits.argmax(dim=1)  # (B, K) -> (B,)
    return (predictions == labels).float().mean().item()'''

    def check(self, accuracy):
        logits = torch.tensor([[2.0, 0.1, -1.0], [0.0, 3.0, 1.0], [0.5, 0.2, 0.9],
                               [1.0, 4.0, 2.0]])  # predicts 0, 1, 2, 1
        batch, classes = int(self.randint(5, 40)), int(self.randint(2, 11))
        random_logits = self.randn(batch, classes)
        cases = [
            (logits, torch.tensor([0, 1, 0, 2])),  # half right
            (logits, torch.tensor([0, 1, 2, 1])),  # all right
            (logits, torch.tensor([1, 0, 0, 0])),  # all wrong
            (random_logits, self.randint(0, classes, batch)),
            (self.randn(1, classes), self.randint(0, classes, 1)),
        ]
        for x, labels in cases:
            during = _("`accuracy(logits, labels)` for logits of shape {logits_shape} and "
                       "labels of shape {labels_shape}").format(
                logits_shape=shape_text(x.shape), labels_shape=shape_text(labels.shape))
            found = run(self, accuracy, x, labels, during=during)
            expected = (x.argmax(dim=1) == labels).float().mean().item()
            expect.is_type(found, (float, int), name="accuracy(logits, labels)",
                           hint=_("Return a Python number: `.item()` turns a one-element "
                                  "tensor into one."))
            expect.close(found, expected, name="accuracy(logits, labels)",
                         hint=_("A fraction between 0 and 1: correct predictions over the "
                                "batch size."))


EXERCISES = [ActivationGrads, MlpForward, MnistMlpModule, BceFix, TrainStep, Accuracy]


# --- section 9 on: data loading, the evaluation loop, softmax and cross-entropy -------

def window_texts(what: str) -> dict:
    """What `window_probe` calls each step, in the learner's language (made by the check,
    which knows the language, before the probe runs)."""
    return {"len": _("`len(dataset)` {what}").format(what=what),
            "item": _("`dataset[{i}]` {what}"),  # filled in with i by the probe
            "batch": _("the first batch of `DataLoader(dataset, batch_size=4)` {what}")
            .format(what=what)}


def window_probe(cls, series, width, *, what: str, texts: dict | None = None) -> dict:
    """Build the learner's dataset on ``series``; report its length and, when that is
    right (n - width), every item and the first batch a ``DataLoader`` makes of it.
    ``texts`` (``window_texts(what)``) name each step in an error."""
    from torch.utils.data import DataLoader

    texts = texts or window_texts(what)
    dataset = invoke(cls, (series, width), {}, f"`WindowDataset(series, width={width})`")
    length = invoke(len, (dataset,), {}, texts["len"])
    if type(length) is not int or length != len(series) - width:
        return {"len": length}
    items = [invoke(dataset.__getitem__, (i,), {}, texts["item"].format(i=i, what=what))
             for i in range(length)]
    batch = None
    if length:
        batch = invoke(lambda: next(iter(DataLoader(dataset, batch_size=4))), (), {},
                       texts["batch"])
    return {"len": length, "items": items, "batch": batch}


class WindowDataset(Exercise):
    name = "window_dataset"
    title = N_("A dataset written by hand")
    hints = (
        N_("A window of `width` values needs `width + 1` values in all (the window and the "
           "next one), so a series of n values has n - width items."),
        N_("`__len__` returns `len(self.series) - self.width`; `__getitem__(i)` returns "
           "`self.series[i : i + self.width], self.series[i + self.width]`."),
    )
    solution = '''\
from torch.utils.data import Dataset


class WindowDataset(Dataset):
    def __init__(self, series, width):
        self.series, self.width = series, width

    def __len__(self):
        return len(self.series) - self.width

    def __getitem__(self, i):
        return self.series[i : i + self.width], self.series[i + self.width]'''

    def check(self, WindowDataset):  # noqa: N803 - the learner's class name
        n = int(self.randint(8, 21))
        cases = [(torch.arange(10.0), 3), (self.randn(n), int(self.randint(1, 5))),
                 (self.randn(5), 4), (self.randn(6), 1)]
        for series, width in cases:
            what = _("for a series of {n} values and width={width}").format(
                n=len(series), width=width)
            texts = window_texts(what)
            reply = self.probe(window_probe, WindowDataset, series, width, what=what,
                               texts=texts,
                               during=_("`WindowDataset(series, width={width})` {what}")
                               .format(width=width, what=what))
            length = len(series) - width
            found = reply["len"]
            expect.that(type(found) is int and found == length,
                        checked=texts["len"], expected=str(length),
                        found=describe(found), hint=_(self.hints[0]))
            for i, item in enumerate(reply["items"]):
                expect.that(type(item) in (tuple, list) and len(item) == 2,
                            checked=texts["item"].format(i=i, what=what),
                            expected=_("a pair (window, target)"),
                            found=describe(item), hint=_("`return window, target`."))
                x, y = item
                expect.close(x, series[i:i + width], name=f"dataset[{i}][0]",
                             hint=_("Item i's window is `series[i : i + width]` (here "
                                    "{what}).").format(what=what))
                expect.close(y, series[i + width], name=f"dataset[{i}][1]",
                             hint=_("Item i's target is the value right after its window, "
                                    "`series[i + width]`, a 0-d tensor (here {what}).")
                             .format(what=what))
            if length:
                x, y = reply["batch"]
                rows = min(4, length)
                expect.close(x, torch.stack([series[i:i + width] for i in range(rows)]),
                             name=_("the windows of the first batch"))
                expect.close(y, series[width:width + rows],
                             name=_("the targets of the first batch"))


def transform_probe(transform, pixels: list, *, what: str) -> dict:
    """Each ``(H, W)`` uint8 tensor of ``pixels`` as a grey PIL image (what MNIST stores),
    passed through the learner's ``transform``; then the batch a ``DataLoader`` would
    make of all but the first (the images of one size), or the error it raises."""
    from PIL import Image
    from torch.utils.data import default_collate

    items = [invoke(transform, (Image.fromarray(p.numpy(), mode="L"),), {}, what)
             for p in pixels]
    try:
        batch = default_collate([(item, 0) for item in items[1:]])[0]
    except (TypeError, RuntimeError) as err:
        return {"items": items, "collate_error": f"{type(err).__name__}: {err}"}
    return {"items": items, "batch": batch}


class MnistTransform(Exercise):
    name = "mnist_transform"
    title = N_("Spot the bug: an MNIST loader without a transform")
    hints = (
        N_("The dataset hands out PIL images, and the `DataLoader` can only stack tensors, "
           "numbers and containers of them into a batch."),
        N_("Pass a transform that turns the image into a float tensor in [0, 1]: "
           "`transforms.ToTensor()`, or in transforms v2 `v2.Compose([v2.ToImage(), "
           "v2.ToDtype(torch.float32, scale=True)])`."),
    )
    solution = '''\
from torchvision.transforms import v2

mnist_transform = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])'''

    def check(self, mnist_transform):
        if mnist_transform is None:
            raise NotAttempted(_(
                "`mnist_transform` is still `None`, as in the seed text: the dataset then "
                "hands out PIL images, which the `DataLoader` cannot put in a batch. Set a "
                "transform, run the cell, then check again."))
        pixels = [torch.tensor([[0, 255, 128], [64, 1, 254]], dtype=torch.uint8),
                  self.randint(0, 256, 28, 28).to(torch.uint8),
                  self.randint(0, 256, 28, 28).to(torch.uint8)]
        during = _("`mnist_transform(image)` for grey PIL images (one of 2x3 pixels, two of "
                   "28x28), then batching the results as a `DataLoader` does")
        reply = self.probe(transform_probe, mnist_transform, pixels, what=during,
                           during=during)
        hint = _("MNIST pixels are 0..255; the model expects a float tensor of shape "
                 "(1, H, W) with values in [0, 1]: `transforms.ToTensor()` or "
                 "`v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])`.")
        for p, item in zip(pixels, reply["items"], strict=True):
            expected = p.to(torch.float32).div(255).unsqueeze(0)  # (1, H, W) in [0, 1]
            name = _("mnist_transform(image of {height}x{width} pixels)").format(
                height=p.shape[0], width=p.shape[1])
            expect.close(item, expected, name=name, atol=1e-6, hint=hint)
        expect.that("collate_error" not in reply,
                    checked=_("batching the transformed images"),
                    expected=_("a batch tensor"), found=reply.get("collate_error", ""))


def train_epoch_probe(train_epoch, state, batches, lr, every, *, what: str) -> dict:
    """The learner's ``train_epoch`` once over a ``DataLoader`` that serves ``batches`` (a
    list of (X, y) pairs) in order, with a small linear model, cross-entropy and SGD: what
    it returned, what it printed, and the weights after it."""
    import contextlib
    import io

    from torch.utils.data import DataLoader, TensorDataset

    groups, start = [], 0
    for X, _y in batches:
        groups.append(list(range(start, start + len(X))))
        start += len(X)
    dataset = TensorDataset(torch.cat([X for X, _y in batches]),
                            torch.cat([y for _X, y in batches]))
    loader = DataLoader(dataset, batch_sampler=groups)  # the same batches, in order
    model = nn.Linear(state["weight"].shape[1], state["weight"].shape[0])
    model.load_state_dict(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        logged = invoke(train_epoch, (model, loader, nn.CrossEntropyLoss(), optimizer),
                        {"every": every}, what)
    return {"logged": logged, "printed": printed.getvalue(), "state": probes.state(model)}


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
        source = self.probe(probes.source, train_epoch, during=_("reading `train_epoch`"))
        given = source is None or "% 2000 == 1999" in source
        sizes = [(10, 3), (5, 1), (7, 7), (int(self.randint(8, 15)), int(self.randint(2, 5))),
                 (3, 5)]
        lr = 0.1
        for n_batches, every in sizes:
            model = nn.Linear(4, 3)
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            batches = [(self.randn(int(self.randint(1, 7)), 4), None) for _i in range(n_batches)]
            batches = [(X, self.randint(0, 3, len(X))) for X, _none in batches]
            during = _("`train_epoch(model, loader, loss_fn, optimizer, every={every})` on a "
                       "loader of {n_batches} batches").format(every=every, n_batches=n_batches)
            reply = self.probe(train_epoch_probe, train_epoch, state, batches, lr, every,
                               what=during, during=during)
            # The reference: the same epoch, run here.
            optimizer = torch.optim.SGD(model.parameters(), lr=lr)
            expected, running = [], 0.0
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
            logged = reply["logged"]
            if given and expected and logged == []:
                raise NotAttempted(_(
                    "`train_epoch` still logs only when `i % 2000 == 1999`, which a loader "
                    "of fewer than 2000 batches never reaches. Fix the condition, run the "
                    "cell, then check again."))
            expect.is_type(logged, list, name="train_epoch(...)",
                           hint=_("Return the list `logged` of the averages you printed."))
            expect.that(len(logged) == len(expected),
                        checked=_("how many averages {during} logs").format(during=during),
                        expected=_("{count} (one after every {every} batches)").format(
                            count=len(expected), every=every),
                        found=str(len(logged)), hint=_(self.hints[1]))
            for key, value in model.state_dict().items():
                expect.close(reply["state"][key], value.detach(), name=f"model.{key}",
                             hint=_("After {during}: every batch needs its zero_grad, "
                                    "backward and step, as in the given loop.")
                             .format(during=during))
            expect.close(torch.tensor([float(v) for v in logged], dtype=torch.float64),
                         torch.tensor(expected, dtype=torch.float64),
                         name="train_epoch(...)", atol=1e-5, rtol=1e-4,
                         hint=_("Each value is the mean loss of the last `every` batches: add "
                                "`loss.item()` up, divide by `every`, then reset the sum "
                                "to 0."))


RULED_OUT = {"cross_entropy": "`F.cross_entropy`", "cross_entropy_loss": "`F.cross_entropy`",
             "log_softmax": "`log_softmax`", "_log_softmax": "`log_softmax`",
             "logsumexp": "`logsumexp`"}


class _RuledOut(Exception):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def _ruled_out_mode():
    """A mode that sees every torch function call, however the learner bound its name
    (`F.cross_entropy`, `from torch import logsumexp`, `x.log_softmax(1)`), and refuses
    the library's cross-entropy, log-softmax and log-sum-exp."""
    from torch.overrides import TorchFunctionMode

    class RuleOut(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            words = RULED_OUT.get(getattr(func, "__name__", ""))
            if words is not None:
                raise _RuledOut(words)
            return func(*args, **(kwargs or {}))

    return RuleOut()


def cross_entropy_probe(fn, logits, labels, *, what: str) -> dict:
    """``fn(logits, labels)`` with the library's cross-entropy, log-softmax and
    log-sum-exp ruled out; whether the call changed its inputs."""
    before = (logits.clone(), labels.clone())
    try:
        with _ruled_out_mode():
            value = invoke(fn, (logits, labels), {}, what)
    except _RuledOut as err:
        return {"ruled_out": err.what}
    except LearnerError as err:
        if err.type_name == "_RuledOut":  # raised inside a library layer the learner called
            return {"ruled_out": err.message}
        raise
    changed = not (torch.equal(before[0], logits) and torch.equal(before[1], labels))
    return {"value": value, "changed": changed}


class CrossEntropy(Exercise):
    name = "cross_entropy"
    title = N_("Cross-entropy from scratch, with the log-sum-exp trick")
    hints = (
        N_("Per row: loss = logsumexp(z) - z[label], with "
           "logsumexp(z) = m + log(sum(exp(z - m))) and m the largest logit of that row. "
           "Average over the rows."),
        N_("`m = logits.max(dim=1, keepdim=True).values`; `lse = m.squeeze(1) + "
           "(logits - m).exp().sum(dim=1).log()`; pick the true class with "
           "`logits[torch.arange(len(labels)), labels]` (or `gather`)."),
    )
    solution = '''\
def my_cross_entropy(logits, labels):
    m = logits.max(dim=1, keepdim=True).values  # (B, 1) the largest logit of each row
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()  # (B,) log sum exp, stable
    picked = logits[torch.arange(len(labels)), labels]  # (B,) the true class's logit
    return (lse - picked).mean()'''

    def check(self, my_cross_entropy):
        batch, classes = int(self.randint(2, 17)), int(self.randint(2, 11))
        cases = [
            (torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]]), torch.tensor([0, 2])),
            (3 * self.randn(batch, classes), self.randint(0, classes, batch)),
            (self.randn(1, 5), self.randint(0, 5, 1)),
            # Huge logits, rows on very different scales, true classes far below the max.
            (torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, -999.0, -1000.5],
                           [1000.0, 1000.0, 1000.0], [-1000.0, 1000.0, 3.0]]),
             torch.tensor([2, 0, 1, 0])),
            (self.randn(batch, classes, dtype=torch.float64), self.randint(0, classes, batch)),
        ]
        for logits, labels in cases:
            during = _("`my_cross_entropy(logits, labels)` for logits of shape {shape} "
                       "({dtype}, values from {low:g} to {high:g})").format(
                shape=shape_text(logits.shape), dtype=str(logits.dtype),
                low=logits.min().item(), high=logits.max().item())
            reply = self.probe(cross_entropy_probe, my_cross_entropy, logits, labels, what=during,
                               during=during)
            if "ruled_out" in reply:
                expect.that(False,
                            checked=_("how {during} computes its result").format(during=during),
                            expected=_("the formula written out, with the max subtracted "
                                       "by hand"),
                            found=_("a call to {tool}").format(tool=reply["ruled_out"]),
                            hint=_("The library's cross-entropy, log-softmax and logsumexp "
                                   "are ruled out here: write the log-sum-exp trick "
                                   "yourself."))
            expect.that(not reply["changed"],
                        checked=_("the arguments after {during}").format(during=during),
                        expected=_("the arguments left unchanged"),
                        found=_("changed in place"),
                        hint=_("`logits - m` makes a new tensor; `logits -= m` changes the "
                               "caller's logits."))
            expect.close(reply["value"], F.cross_entropy(logits, labels),
                         name="my_cross_entropy(logits, labels)",
                         hint=_("The mean over the batch of logsumexp(row) - row[label], "
                                "with each row's own max subtracted before `exp` and added "
                                "back after `log`."))


class SigmoidMseGrad(Exercise):
    name = "sigmoid_mse_grad"
    title = N_("Spot the bug: is the gradient always output - label?")
    hints = (
        N_("Chain rule: L = 1/2 sum (s - t)^2 with s = sigmoid(z), so dL/dz = dL/ds * ds/dz."),
        N_("dL/ds = s - t and ds/dz = s (1 - s): return `(s - t) * s * (1 - s)`."),
    )
    solution = '''\
def sigmoid_mse_grad(z, t):
    s = torch.sigmoid(z)
    return (s - t) * s * (1 - s)'''

    def check(self, sigmoid_mse_grad):
        cases = [
            (torch.tensor([-3.0, -1.0, 0.0, 2.0, 4.0]), torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])),
            (3 * self.randn(4, 3), self.randint(0, 2, 4, 3).float()),
            (self.randn(1), torch.rand(1, generator=self.rng)),
        ]
        for z, t in cases:
            during = _("`sigmoid_mse_grad(z, t)` for z of shape {shape} and targets t of the "
                       "same shape").format(shape=shape_text(z.shape))
            found = run(self, sigmoid_mse_grad, z, t, during=during, **no_autograd())
            given = torch.sigmoid(z) - t
            if isinstance(found, torch.Tensor) and found.shape == given.shape and \
                    torch.allclose(found.to(given.dtype), given, atol=1e-6):
                raise NotAttempted(_(
                    "`sigmoid_mse_grad` still returns `sigmoid(z) - t`, the seed text's "
                    "\"output - label\": that is the gradient for the cross-entropy loss, "
                    "not for this squared error. Fix it, run the cell, then check again."))
            zz = z.detach().clone().requires_grad_(True)
            with torch.enable_grad():
                (reference,) = torch.autograd.grad(
                    0.5 * ((torch.sigmoid(zz) - t) ** 2).sum(), zz)
            expect.close(found, reference, name="sigmoid_mse_grad(z, t)",
                         hint=_("dL/dz = (s - t) * s * (1 - s) with s = sigmoid(z): the "
                                "squared error keeps the sigmoid's slope in the gradient."))


def loss_probe(fn, outputs, labels, *, what: str) -> dict:
    """``fn(outputs, labels)``, or ``{"missing": ...}`` if it still reaches for the
    seed text's ``nn.functional.cross_entropy_loss``, which does not exist."""
    try:
        return {"value": invoke(fn, (outputs, labels), {}, what)}
    except AttributeError as err:
        if "cross_entropy_loss" in str(err):
            return {"missing": str(err)}
        raise
    except LearnerError as err:
        if err.type_name == "AttributeError" and "cross_entropy_loss" in err.message:
            return {"missing": err.message}
        raise


class BatchLoss(Exercise):
    name = "batch_loss"
    title = N_("Spot the bug: a loss function that does not exist")
    hints = (
        N_("Read the error: `torch.nn.functional` has no `cross_entropy_loss`. "
           "`dir(nn.functional)` lists what it has."),
        N_("The function is `nn.functional.cross_entropy(outputs, labels)` (or the layer "
           "`nn.CrossEntropyLoss()`, created once, then called)."),
    )
    solution = '''\
def batch_loss(outputs, labels):
    return nn.functional.cross_entropy(outputs, labels)'''

    def check(self, batch_loss):
        batch, classes = int(self.randint(2, 17)), int(self.randint(2, 11))
        cases = [(torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]]), torch.tensor([2, 1])),
                 (3 * self.randn(batch, classes), self.randint(0, classes, batch)),
                 (self.randn(1, 10), self.randint(0, 10, 1))]
        for outputs, labels in cases:
            during = _("`batch_loss(outputs, labels)` for outputs (logits) of shape "
                       "{outputs_shape} and class labels of shape {labels_shape}").format(
                outputs_shape=shape_text(outputs.shape), labels_shape=shape_text(labels.shape))
            reply = self.probe(loss_probe, batch_loss, outputs, labels, what=during,
                               during=during)
            if "missing" in reply:
                raise NotAttempted(_(
                    "`batch_loss` still calls `nn.functional.cross_entropy_loss`, which "
                    "does not exist (AttributeError). Fix the name, run the cell, then "
                    "check again."))
            expect.close(reply["value"], F.cross_entropy(outputs, labels),
                         name="batch_loss(outputs, labels)",
                         hint=_("The mean cross-entropy of the logits, as "
                                "`nn.functional.cross_entropy(outputs, labels)` computes it "
                                "(it applies the log-softmax itself)."))


EXERCISES += [WindowDataset, MnistTransform, TrainEpoch, CrossEntropy, SigmoidMseGrad, BatchLoss]
