"""Exercises of chapter 03, Multilayer perceptrons."""

from __future__ import annotations

import copy
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from labkit.check import Exercise, NotAttempted, expect
from labkit.check.describe import shape_text


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
        inputs = [torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0]), 3 * self.randn(4, 6)]
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
                found = self.call(learner_fn, x, during=f"`{call}` for x of shape "
                                  f"{shape_text(x.shape)}")
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
            found = self.call(mlp_forward, x, W1, b1, W2, b2,
                              during=f"`mlp_forward(x, W1, b1, W2, b2)` with x of shape "
                              f"{shape_text(x.shape)}, W1 {shape_text(W1.shape)} and W2 "
                              f"{shape_text(W2.shape)}")
            expected = F.linear(torch.relu(F.linear(x, W1, b1)), W2, b2)  # what nn.Linear does
            expect.close(found, expected, name="mlp_forward(x, W1, b1, W2, b2)",
                         hint="Compare with two `nn.Linear` layers and a ReLU between them: "
                              "`torch.relu(x @ W1.T + b1) @ W2.T + b2`.")


MNIST_LAYERS = [(784, 128), (128, 64), (64, 10)]
MNIST_PARAMS = sum((n_in + 1) * n_out for n_in, n_out in MNIST_LAYERS)  # 109,386


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
        model = self.call(MnistMLP, during="`MnistMLP()`")
        expect.is_type(model, nn.Module, name="MnistMLP()",
                       hint="Subclass `nn.Module` and call `super().__init__()` first.")
        batch = int(self.randint(2, 9))
        x = self.randn(batch, 1, 28, 28)
        during = f"`model(x)` for a batch x of shape {shape_text(x.shape)}"
        out = self.call(model, x, during=during)
        expect.tensor(out, name="model(x)", shape=(batch, 10),
                      hint="One row of 10 class scores per image.")
        layers = [(m.in_features, m.out_features) for m in model.modules()
                  if isinstance(m, nn.Linear)]
        expect.that(layers == MNIST_LAYERS,
                    checked="the `nn.Linear` layers of `MnistMLP()`, as (in, out) in order",
                    expected=str(MNIST_LAYERS), found=str(layers))
        expect.param_count(model, MNIST_PARAMS, name="MnistMLP()",
                           hint="Every `nn.Linear` needs its bias (the default).")
        # A model without activations is linear: f(2x) - f(0) = 2 (f(x) - f(0)).
        zero = self.call(model, torch.zeros_like(x), during=during)
        double = self.call(model, 2 * x, during=during)
        linear = torch.allclose(double - zero, 2 * (out - zero), atol=1e-4, rtol=1e-3)
        expect.that(not linear, checked="whether `MnistMLP()` is more than a linear map",
                    expected="a ReLU after the first and the second linear layer",
                    found="a model that is linear in its input",
                    hint="Without activations, the three layers collapse into one.")
        probabilities = bool((out >= 0).all()) and torch.allclose(
            out.sum(dim=1), torch.ones(batch), atol=1e-4)
        expect.that(not probabilities, checked="the outputs of `MnistMLP()`",
                    expected="raw scores (logits) from the last linear layer",
                    found="rows that sum to 1, as after a softmax",
                    hint="`nn.CrossEntropyLoss` applies the softmax itself; return logits.")


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
        expect.that(not isinstance(loss_fn, type), checked="`loss_fn`",
                    expected="a loss object, e.g. `nn.BCEWithLogitsLoss()`",
                    found=f"the class `{getattr(loss_fn, '__name__', '?')}` itself",
                    hint="Add the parentheses: create the loss, then call it.")
        if type(loss_fn) is nn.BCELoss:
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
        ]
        for logits, targets in cases:
            during = (f"`loss_fn(logits, targets)` for logits of shape "
                      f"{shape_text(logits.shape)} (any real numbers) and 0/1 targets")
            found = self.call(loss_fn, logits, targets, during=during)
            expect.close(found, F.binary_cross_entropy_with_logits(logits, targets),
                         name="loss_fn(logits, targets)",
                         hint="The binary cross-entropy of sigmoid(logits), averaged over "
                              "the batch: `nn.BCEWithLogitsLoss()` computes exactly that.")


class TrainStep(Exercise):
    name = "train_step"
    title = "One training step by hand"
    hints = (
        "Four steps: reset the gradients, compute the loss, back-propagate, update.",
        "`optimizer.zero_grad()`, `loss = loss_fn(model(X), y)`, `loss.backward()`, "
        "`optimizer.step()`, then `return loss.item()`.",
    )
    solution = '''\
def train_step(model, X, y, loss_fn, optimizer):
    optimizer.zero_grad()  # forget the gradients of the previous step
    loss = loss_fn(model(X), y)  # forward pass and loss
    loss.backward()  # d(loss)/d(parameter) into each .grad
    optimizer.step()  # move each parameter against its gradient
    return loss.item()'''

    def check(self, train_step):
        reference = nn.Sequential(OrderedDict(
            hidden=nn.Linear(3, 5), act=nn.ReLU(), out=nn.Linear(5, 1)))
        model = copy.deepcopy(reference)
        X, y = self.randn(8, 3), self.randn(8, 1)
        loss_fn = nn.MSELoss()
        # Left-over gradients, as after an earlier step: a step must not add to them.
        for p in [*reference.parameters(), *model.parameters()]:
            p.grad = torch.ones_like(p)
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

        during = "`train_step(model, X, y, loss_fn, optimizer)` on a small model"
        found = self.call(train_step, model, X, y, loss_fn, optimizer, during=during)

        ref_optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
        ref_optimizer.zero_grad()
        ref_loss = loss_fn(reference(X), y)
        ref_loss.backward()
        ref_optimizer.step()

        expect.is_type(found, float, name="train_step(...)",
                       hint="Return `loss.item()`: a plain Python number, so the graph "
                            "behind the loss can be freed.")
        expect.close(found, ref_loss.item(), name="train_step(...)",
                     hint="Return the loss computed before the update.")
        changed = any(not torch.equal(p, before[name]) for name, p in model.named_parameters())
        expect.that(changed, checked="the model's parameters after `train_step(...)`",
                    expected="parameters updated by one step", found="unchanged parameters",
                    hint="Call `optimizer.step()` after `loss.backward()`, and "
                         "`optimizer.zero_grad()` before `loss.backward()`.")
        ref_params = dict(reference.named_parameters())
        for name, p in model.named_parameters():
            expect.close(p, ref_params[name], name=f"model.{name}",
                         hint="Gradients add up: call `optimizer.zero_grad()` before "
                              "`loss.backward()`.")


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
        ]
        for x, labels in cases:
            during = (f"`accuracy(logits, labels)` for logits of shape {shape_text(x.shape)} "
                      f"and labels of shape {shape_text(labels.shape)}")
            found = self.call(accuracy, x, labels, during=during)
            expected = (x.argmax(dim=1) == labels).float().mean().item()
            expect.close(found, expected, name="accuracy(logits, labels)",
                         hint="A fraction between 0 and 1: correct predictions over the "
                              "batch size.")


EXERCISES = [ActivationGrads, MlpForward, MnistMlpModule, BceFix, TrainStep, Accuracy]
