"""Exercises of chapter 03, each with a right, a blank, a missing and wrong answers."""

import torch
import torch.nn.functional as F
from exercise_harness import Case, standard_tests
from torch import nn

from labkit.check import Outcome, evaluate
from labkit.exercises.ch03_mlp import (
    Accuracy,
    ActivationGrads,
    BceFix,
    MlpForward,
    MnistMlpModule,
    TrainStep,
)

# --- activation_grads ---------------------------------------------------------------


def sigmoid_grad(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


def tanh_grad(x):
    return 1 - torch.tanh(x) ** 2


def relu_grad(x):
    return (x > 0).to(x.dtype)


GRADS = {"sigmoid_grad": sigmoid_grad, "tanh_grad": tanh_grad, "relu_grad": relu_grad}


def sigmoid_grad_by_autograd(x):
    x = x.clone().requires_grad_(True)
    torch.sigmoid(x).sum().backward()
    return x.grad


def sigmoid_grad_in_place(x):
    s = x.sigmoid_()  # overwrites the caller's x
    return s * (1 - s)


def relu_grad_in_place(x):
    positive = x > 0
    x[positive] = 1.0
    x[~positive] = 0.0
    return x


def tanh_grad_by_autograd(x):
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(torch.tanh(x).sum(), x)
    return grad

# --- mlp_forward -----------------------------------------------------------------------


def mlp_forward(x, W1, b1, W2, b2):
    return torch.relu(x @ W1.T + b1) @ W2.T + b2


# --- mnist_mlp -----------------------------------------------------------------------


class MnistMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 10)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def sequential_mlp():
    """Also right: a factory that returns the same architecture as nn.Sequential."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64),
                         nn.ReLU(), nn.Linear(64, 10))


def no_relu():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.Linear(128, 64),
                         nn.Linear(64, 10))


def with_softmax():
    return nn.Sequential(*sequential_mlp(), nn.Softmax(dim=1))


def swapped_hidden():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 128),
                         nn.ReLU(), nn.Linear(128, 10))


def no_bias():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128, bias=False), nn.ReLU(),
                         nn.Linear(128, 64, bias=False), nn.ReLU(), nn.Linear(64, 10))


def no_flatten():
    return nn.Sequential(*list(sequential_mlp())[1:])


class Chain(nn.Module):
    """The right layers, with `act` between them and `last` applied to the logits."""

    def __init__(self, act=torch.relu, second=None, last=None):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)
        self.act, self.second, self.last = act, second or act, last

    def forward(self, x):
        x = self.second(self.fc2(self.act(self.fc1(x.flatten(1)))))
        x = self.fc3(x)
        return x if self.last is None else self.last(x)


class DeclaredBackwards(nn.Module):
    """Also right: the layers declared in another order than forward uses them."""

    def __init__(self):
        super().__init__()
        self.out = nn.Linear(64, 10)
        self.hidden = nn.Linear(128, 64)
        self.first = nn.Linear(784, 128)

    def forward(self, x):
        return self.out(torch.relu(self.hidden(torch.relu(self.first(x.flatten(1))))))


class NoSuperInit(nn.Module):
    def __init__(self):
        self.fc1 = nn.Linear(784, 10)  # raises: super().__init__() was never called


def naive_bce(logits, targets):
    """The formula typed in: log(sigmoid) underflows, and 0 * log(0) is nan at +-40."""
    p = torch.sigmoid(logits)
    return -(targets * torch.log(p) + (1 - targets) * torch.log(1 - p)).mean()


# --- train_step ----------------------------------------------------------------------


def train_step(model, X, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def zero_grad_last(model, X, y, loss_fn, optimizer):
    """Also right: the tutorial order, zero_grad() after the step."""
    model.train()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def no_zero_grad(model, X, y, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def no_step(model, X, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    return loss.item()


def zero_grad_too_late(model, X, y, loss_fn, optimizer):
    model.train()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def returns_tensor(model, X, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss


def loss_after_step(model, X, y, loss_fn, optimizer):
    train_step(model, X, y, loss_fn, optimizer)
    return loss_fn(model(X), y).item()


def no_train_mode(model, X, y, loss_fn, optimizer):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def swapped_loss_arguments(model, X, y, loss_fn, optimizer):
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(y, model(X))
    loss.backward()
    optimizer.step()
    return loss.item()


def two_forward_passes(model, X, y, loss_fn, optimizer):
    """Computes the loss twice: the step uses other dropout masks than the loss it returns."""
    model.train()
    optimizer.zero_grad()
    loss_fn(model(X), y).backward()
    optimizer.step()
    return loss_fn(model(X), y).item()


# --- accuracy ------------------------------------------------------------------------


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


CASES = [
    Case(ActivationGrads, right=GRADS, wrong=[
        ({"sigmoid_grad": lambda x: x * (1 - x)}, "the values of `sigmoid_grad(x)`"),
        ({"sigmoid_grad": torch.sigmoid}, "the values of `sigmoid_grad(x)`"),
        ({"tanh_grad": lambda x: 1 - x**2}, "the values of `tanh_grad(x)`"),
        ({"tanh_grad": lambda x: 1 - torch.tanh(x)}, "the values of `tanh_grad(x)`"),
        ({"sigmoid_grad": sigmoid_grad_by_autograd}, "without autograd"),
        ({"tanh_grad": tanh_grad_by_autograd}, "a call to `torch.autograd.grad`"),
        ({"sigmoid_grad": sigmoid_grad_in_place}, "argument 1 changed in place"),
        ({"relu_grad": relu_grad_in_place}, "argument 1 changed in place"),
        ({"relu_grad": lambda x: x > 0}, "the dtype of `relu_grad(x)`"),
        ({"relu_grad": lambda x: (x >= 0).float()}, "the values of `relu_grad(x)`"),
        ({"relu_grad": torch.relu}, "the values of `relu_grad(x)`"),
    ], raising=[
        ({"tanh_grad": lambda x: 1 - tanh(x) ** 2}, "NameError"),  # noqa: F821
    ]),
    Case(MlpForward, right={"mlp_forward": mlp_forward}, wrong=[
        ({"mlp_forward": lambda x, W1, b1, W2, b2: torch.relu(x @ W1 + b1) @ W2 + b2},
         "the values of `mlp_forward(x, W1, b1, W2, b2)`"),
        ({"mlp_forward": lambda x, W1, b1, W2, b2: (x @ W1.T + b1) @ W2.T + b2},
         "the values of `mlp_forward(x, W1, b1, W2, b2)`"),
        ({"mlp_forward": lambda x, W1, b1, W2, b2: torch.relu(
            torch.relu(x @ W1.T + b1) @ W2.T + b2)},
         "the values of `mlp_forward(x, W1, b1, W2, b2)`"),
        ({"mlp_forward": lambda x, W1, b1, W2, b2: torch.sigmoid(x @ W1.T + b1) @ W2.T + b2},
         "the values of `mlp_forward(x, W1, b1, W2, b2)`"),
        ({"mlp_forward": lambda x, W1, b1, W2, b2: torch.relu(x @ W1.t_() + b1) @ W2.T + b2},
         "argument 2 changed in place"),
    ]),
    Case(MnistMlpModule, right={"MnistMLP": MnistMLP}, wrong=[
        ({"MnistMLP": no_relu}, "more than a linear map"),
        ({"MnistMLP": with_softmax}, "raw scores (logits)"),
        ({"MnistMLP": swapped_hidden}, "the `nn.Linear` layers of `MnistMLP()`"),
        ({"MnistMLP": no_bias}, "the number of parameters of `MnistMLP()`"),
        ({"MnistMLP": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 1))},
         "the shape of `model(x)`"),
        ({"MnistMLP": lambda: "a model"}, "the type of `MnistMLP()`"),
        ({"MnistMLP": lambda: Chain(act=torch.sigmoid)}, "the values of `model(x)`"),
        ({"MnistMLP": lambda: Chain(act=torch.tanh)}, "the values of `model(x)`"),
        ({"MnistMLP": lambda: Chain(second=lambda h: h)}, "the values of `model(x)`"),
        ({"MnistMLP": lambda: Chain(last=torch.relu)}, "the values of `model(x)`"),
        ({"MnistMLP": lambda: Chain(last=lambda z: torch.log_softmax(z, dim=1))},
         "the values of `model(x)`"),
        ({"MnistMLP": lambda: Chain(act=lambda h: F.dropout(torch.relu(h), 0.2))},
         "the values of `model(x)`"),
    ], raising=[
        ({"MnistMLP": no_flatten}, "RuntimeError"),
        ({"MnistMLP": NoSuperInit}, "AttributeError"),
    ]),
    Case(BceFix, right={"loss_fn": nn.BCEWithLogitsLoss()}, wrong=[
        ({"loss_fn": nn.MSELoss()}, "the values of `loss_fn(logits, targets)`"),
        ({"loss_fn": nn.CrossEntropyLoss()}, "the values of `loss_fn(logits, targets)`"),
        ({"loss_fn": lambda out, t: nn.BCEWithLogitsLoss()(torch.sigmoid(out), t)},
         "the values of `loss_fn(logits, targets)`"),
        ({"loss_fn": lambda out, t: nn.BCELoss()(out.clamp(0, 1), t)},
         "the values of `loss_fn(logits, targets)`"),
        ({"loss_fn": nn.BCEWithLogitsLoss(reduction="sum")},
         "the values of `loss_fn(logits, targets)`"),
        ({"loss_fn": nn.BCEWithLogitsLoss}, "the class `BCEWithLogitsLoss` itself"),
        ({"loss_fn": naive_bce}, "the values of `loss_fn(logits, targets)`"),
    ], raising=[
        ({"loss_fn": lambda out, t: nn.BCELoss()(out, t)}, "between 0 and 1"),
    ]),
    Case(TrainStep, right={"train_step": train_step}, wrong=[
        ({"train_step": no_zero_grad}, "the values of `model.hidden.weight`"),
        ({"train_step": no_step}, "unchanged parameters"),
        ({"train_step": zero_grad_too_late}, "unchanged parameters"),
        ({"train_step": returns_tensor}, "the type of `train_step(...)`"),
        ({"train_step": loss_after_step}, "`train_step(...)`"),
        ({"train_step": no_train_mode}, "training mode, so that dropout is active"),
        ({"train_step": swapped_loss_arguments}, "`train_step(...)`"),
        ({"train_step": two_forward_passes}, "`train_step(...)`"),
    ]),
    Case(Accuracy, right={"accuracy": accuracy}, wrong=[
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).sum().item()},
         "`accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: 100 * accuracy(logits, labels)},
         "`accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: (logits.max(dim=1).values == labels)
          .float().mean().item()}, "`accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).float().mean()},
         "the type of `accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).float()},
         "the type of `accuracy(logits, labels)`"),
    ], raising=[
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=0) == labels)
          .float().mean().item()}, "RuntimeError"),
        # torch 2.14 raises RuntimeError here and 2.15 NotImplementedError: same words.
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).mean()},
         "could not infer output dtype"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES)


def test_sequential_factory_is_also_right():
    """Is an nn.Sequential with the same architecture accepted for `MnistMLP`, and a
    module whose layers are declared in another order than forward uses them?"""
    assert evaluate(MnistMlpModule(), {"MnistMLP": sequential_mlp}, seed=3).passed
    for seed in (0, 1):
        result = evaluate(MnistMlpModule(), {"MnistMLP": DeclaredBackwards}, seed=seed)
        assert result.passed, result.text()


def test_sigmoid_then_bce_is_also_right():
    """Is `BCELoss` after an explicit sigmoid accepted, as the chapter says it is?"""
    fixed = lambda out, t: nn.BCELoss()(torch.sigmoid(out), t)  # noqa: E731
    for seed in (0, 1, 2):
        assert evaluate(BceFix(), {"loss_fn": fixed}, seed=seed).passed


def test_given_buggy_loss_is_not_attempted():
    """Does the untouched seed code (`nn.BCELoss()`) say "not attempted"?"""
    result = evaluate(BceFix(), {"loss_fn": nn.BCELoss()}, seed=0)
    assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
    assert "`nn.BCELoss()`" in result.text()


def test_tutorial_order_is_also_right():
    """Is `zero_grad()` after `step()` (the order of many tutorials) accepted?"""
    for seed in (0, 1, 2):
        assert evaluate(TrainStep(), {"train_step": zero_grad_last}, seed=seed).passed
