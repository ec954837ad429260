"""Exercises of chapter 03, Multilayer perceptrons."""

from __future__ import annotations

import re
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.describe import describe, shape_text
from labkit.exercises.ch02_autograd import invoke, run

NO_AUTOGRAD = {"no_grad": True, "rule_out": ("autograd",),
               "rule_text": "the formula alone, without autograd"}


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
    title = "Derivatives of sigmoid, tanh and ReLU"
    hints = (
        "Compute the activation first, then use it: sigma'(x) = sigma(x) (1 - sigma(x)) and "
        "tanh'(x) = 1 - tanh(x)^2. The formulas are in terms of the output, not of `x`.",
        "For ReLU, `(x > 0)` gives a bool tensor; turn it into numbers with `.float()` "
        "(or `.to(x.dtype)`).",
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
             "sigma'(x) = sigma(x) (1 - sigma(x)), with sigma(x) = torch.sigmoid(x)."),
            ("tanh_grad", tanh_grad, torch.tanh,
             "tanh'(x) = 1 - tanh(x)^2, with tanh(x) = torch.tanh(x)."),
            ("relu_grad", relu_grad, torch.relu,
             "1 where x > 0, else 0 (PyTorch also uses 0 at x = 0), as floats."),
        )
        for name, learner_fn, function, hint in functions:
            for x in inputs:
                call = f"{name}(x)"
                found = run(self, learner_fn, x, during=f"`{call}` for x of shape "
                            f"{shape_text(x.shape)}", **NO_AUTOGRAD)
                expect.close(found, _autograd_derivative(function, x), name=call, hint=hint)


class MlpForward(Exercise):
    name = "mlp_forward"
    title = "An MLP forward pass with plain tensor operations"
    hints = (
        "`nn.Linear` keeps its weight as (out_features, in_features) and computes "
        "`x @ W.T + b` for a batch of rows `x`.",
        "Two layers with a ReLU between them: `torch.relu(x @ W1.T + b1) @ W2.T + b2`.",
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
            found = run(self, mlp_forward, x, W1, b1, W2, b2,
                        during=f"`mlp_forward(x, W1, b1, W2, b2)` with x of shape "
                        f"{shape_text(x.shape)}, W1 {shape_text(W1.shape)} and W2 "
                        f"{shape_text(W2.shape)}")
            expected = F.linear(torch.relu(F.linear(x, W1, b1)), W2, b2)  # what nn.Linear does
            expect.close(found, expected, name="mlp_forward(x, W1, b1, W2, b2)",
                         hint="Compare with two `nn.Linear` layers and a ReLU between them: "
                              "`torch.relu(x @ W1.T + b1) @ W2.T + b2`.")


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
    title = "An nn.Module with a given architecture"
    hints = (
        "In `__init__`, call `super().__init__()`, then create `nn.Flatten()` and three "
        "`nn.Linear` layers: 784 -> 128 -> 64 -> 10.",
        "In `forward`: flatten, then linear, ReLU, linear, ReLU, linear. Return the last "
        "layer's output as it is (no softmax).",
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
        expect.that(self.is_instance(model, nn.Module), checked="the type of `MnistMLP()`",
                    expected="an `nn.Module`", found=describe(model),
                    hint="Subclass `nn.Module` and call `super().__init__()` first.")
        outputs = []
        for batch in (1, int(self.randint(2, 9))):
            x = self.randn(batch, 1, 28, 28)
            during = f"`model(x)` for a batch x of shape {shape_text(x.shape)}"
            out = self.probe(predict_probe, model, x, what=during, during=during)
            expect.tensor(out, name="model(x)", shape=(batch, 10),
                          hint="One row of 10 class scores per image.")
            outputs.append((x, out))
        layers = linear_layers(self.probe(probes.layers, model, during="listing the layers"))
        # Declared in any order; the computation below checks the order they are used in.
        expect.that(sorted(layers) == sorted(MNIST_LAYERS),
                    checked="the `nn.Linear` layers of `MnistMLP()`, as (in, out)",
                    expected=str(MNIST_LAYERS), found=str(layers))
        count = self.probe(probes.param_count, model, during="counting the parameters")
        expect.that(count == MNIST_PARAMS,
                    checked="the number of parameters of `MnistMLP()`",
                    expected=f"{MNIST_PARAMS:,}", found=f"{count:,}",
                    hint="Every `nn.Linear` needs its bias (the default).")
        # The computation, recomputed here from the model's own weights.
        state = self.probe(probes.state, model, during="reading the weights")
        weights = [(by_shape(state, (n_out, n_in), "weight"), by_shape(state, (n_out,), "bias"))
                   for n_in, n_out in MNIST_LAYERS]
        expect.that(all(w is not None and b is not None for w, b in weights),
                    checked="the weights of `MnistMLP()`",
                    expected="a weight and a bias for each of the three linear layers",
                    found="some missing", hint=self.hints[0])
        for x, out in outputs:
            h = x.flatten(1)
            plain = x.flatten(1)
            for i, (w, b) in enumerate(weights):
                h, plain = F.linear(h, w, b), F.linear(plain, w, b)
                if i < 2:
                    h = torch.relu(h)
            linear = torch.allclose(out, plain, atol=1e-4, rtol=1e-3)
            expect.that(not linear, checked="whether `MnistMLP()` is more than a linear map",
                        expected="a ReLU after the first and the second linear layer",
                        found="a model that is linear in its input",
                        hint="Without activations, the three layers collapse into one.")
            probabilities = bool((out >= 0).all()) and torch.allclose(
                out.sum(dim=1), torch.ones(len(out)), atol=1e-4)
            expect.that(not probabilities, checked="the outputs of `MnistMLP()`",
                        expected="raw scores (logits) from the last linear layer",
                        found="rows that sum to 1, as after a softmax",
                        hint="`nn.CrossEntropyLoss` applies the softmax itself; return logits.")
            expect.close(out, h, name="model(x)", atol=1e-3, rtol=1e-2,  # TF32 on a GPU
                         hint="The check recomputes your model from its own weights: "
                              "flatten, fc1, ReLU, fc2, ReLU, fc3, and nothing else (no other "
                              "activation, no dropout in eval mode, no softmax).")


class BceFix(Exercise):
    name = "bce_fix"
    title = "Spot the bug: BCELoss on raw outputs"
    hints = (
        "The model's last layer is `nn.Linear`, so its outputs are any real numbers "
        "(logits), while `nn.BCELoss` expects probabilities in [0, 1].",
        "Use `nn.BCEWithLogitsLoss()`: a sigmoid and the binary cross-entropy in one, "
        "numerically stable step.",
    )
    solution = "loss_fn = nn.BCEWithLogitsLoss()"

    def check(self, loss_fn):
        kind = self.probe(probes.kind, loss_fn, during="looking at `loss_fn`")
        expect.that(not kind["is_class"], checked="`loss_fn`",
                    expected="a loss object, e.g. `nn.BCEWithLogitsLoss()`",
                    found=f"the class `{kind['mro'][0].rsplit('.', 1)[-1]}` itself",
                    hint="Add the parentheses: create the loss, then call it.")
        if kind["mro"][0] == "torch.nn.modules.loss.BCELoss":
            raise NotAttempted(
                "`loss_fn` is still the given `nn.BCELoss()`, which expects probabilities, "
                "but the model returns raw scores. Fix `loss_fn`, run the cell, then check "
                "again."
            )
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
            during = (f"`loss_fn(logits, targets)` for logits of shape "
                      f"{shape_text(logits.shape)} (any real numbers) and 0/1 targets")
            found = run(self, loss_fn, logits, targets, during=during)
            expect.close(found, F.binary_cross_entropy_with_logits(logits, targets),
                         name="loss_fn(logits, targets)",
                         hint="The binary cross-entropy of sigmoid(logits), averaged over "
                              "the batch: `nn.BCEWithLogitsLoss()` computes exactly that.")


class TrainStep(Exercise):
    name = "train_step"
    title = "One training step by hand"
    hints = (
        "Five steps: training mode, reset the gradients, compute the loss, back-propagate, "
        "update.",
        "`model.train()`, `optimizer.zero_grad()`, `loss = loss_fn(model(X), y)`, "
        "`loss.backward()`, `optimizer.step()`, then `return loss.item()`.",
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
        seeds = [int(self.randint(0, 2**31 - 1)) for _ in batches]
        during = ("`train_step(model, X, y, loss_fn, optimizer)`, called once per batch on a "
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
            which = f"call {call} of `train_step`, on a batch of {len(X)}"
            expect.is_type(found, float, name="train_step(...)",
                           hint="Return `loss.item()`: a plain Python number, so the graph "
                                "behind the loss can be freed.")
            if not report["training"] and abs(found - ref_loss.item()) > 1e-5:
                expect.that(False, checked=f"the model's mode during {which}",
                            expected="training mode, so that dropout is active",
                            found="the model left in evaluation mode",
                            hint="Call `model.train()` first: the model may come from an "
                                 "evaluation, in eval mode.")
            expect.close(found, ref_loss.item(), name="train_step(...)",
                         hint=f"In {which}: return the loss computed before the update, "
                              "`loss_fn(model(X), y)`, with the model's output first.")
            after = report["state"]
            changed = any(not torch.equal(after[k], before[k]) for k in before)
            expect.that(changed, checked=f"the model's parameters after {which}",
                        expected="parameters updated by one step",
                        found="unchanged parameters",
                        hint="Call `optimizer.step()` after `loss.backward()`, and "
                             "`optimizer.zero_grad()` before `loss.backward()`.")
            for name, p in model.state_dict().items():
                expect.close(after[name], p, name=f"model.{name}",
                             hint=f"After {which}. Gradients add up: call "
                                  "`optimizer.zero_grad()` at every step, before "
                                  "`loss.backward()`.")
            before = after


class Accuracy(Exercise):
    name = "accuracy"
    title = "Accuracy from logits"
    hints = (
        "The predicted class is the index of the largest logit in each row: "
        "`logits.argmax(dim=1)`.",
        "Compare with `labels`, turn the bools into floats and average: "
        "`(pred == labels).float().mean().item()`.",
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
            during = (f"`accuracy(logits, labels)` for logits of shape {shape_text(x.shape)} "
                      f"and labels of shape {shape_text(labels.shape)}")
            found = run(self, accuracy, x, labels, during=during)
            expected = (x.argmax(dim=1) == labels).float().mean().item()
            expect.is_type(found, (float, int), name="accuracy(logits, labels)",
                           hint="Return a Python number: `.item()` turns a one-element "
                                "tensor into one.")
            expect.close(found, expected, name="accuracy(logits, labels)",
                         hint="A fraction between 0 and 1: correct predictions over the "
                              "batch size.")


EXERCISES = [ActivationGrads, MlpForward, MnistMlpModule, BceFix, TrainStep, Accuracy]
