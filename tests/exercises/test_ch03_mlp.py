"""Exercises of chapter 03, each with a right, a blank, a missing and wrong answers."""


import torch
import torch.nn.functional as F
from exercise_harness import Case, chinese_test, standard_tests
from torch import nn
from torch.func import grad as derivative  # names captured before any check runs
from torch.func import jvp as directional
from torch.func import vmap

from labkit.check import Outcome, run_check
from labkit.exercises.ch03_mlp import (
    ActivationGrads,
    BceFix,
    MlpForward,
    MnistMlpModule,
    PerClassAccuracy,
    TrainStep,
)


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


def tanh_grad_in_place(x):
    t = x.tanh_()  # the caller's x now holds tanh(x)
    return 1 - t**2


def tanh_grad_by_jvp(x):
    """Forward-mode autograd through a name captured early: the exact derivative."""
    return directional(torch.tanh, (x,), (torch.ones_like(x),))[1]


def sigmoid_grad_by_func(x):
    """torch.func.grad, captured early, mapped over the entries."""
    return vmap(derivative(torch.sigmoid))(x.flatten()).view_as(x)


FIXED_SIGMOID_GRADS = sigmoid_grad(torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0]))


def sigmoid_grad_table(x):
    """Right for the one input a fixed check would use, and for nothing else."""
    return FIXED_SIGMOID_GRADS.clone()


def relu_grad_heaviside(x):
    """Also right: the step function, 0 at x = 0."""
    return torch.heaviside(x, torch.zeros_like(x))


def sigmoid_grad_from_exp(x):
    """Also right: e^-x / (1 + e^-x)^2."""
    e = torch.exp(-x)
    return e / (1 + e) ** 2

# --- mlp_forward -----------------------------------------------------------------------


def mlp_forward(x, W1, b1, W2, b2):
    return torch.relu(x @ W1.T + b1) @ W2.T + b2


def mlp_forward_addmm(x, W1, b1, W2, b2):
    """Also right: addmm, and ReLU in place on a tensor of its own."""
    h = torch.addmm(b1, x, W1.t()).relu_()
    return F.linear(h, W2, b2)


def mlp_forward_with_layers(x, W1, b1, W2, b2):
    """nn.Linear layers (float32, as built) loaded with the weights: wrong for float64."""
    fc1, fc2 = nn.Linear(W1.shape[1], W1.shape[0]), nn.Linear(W2.shape[1], W2.shape[0])
    with torch.no_grad():
        for layer, W, b in [(fc1, W1, b1), (fc2, W2, b2)]:
            layer.weight.copy_(W)
            layer.bias.copy_(b)
    return fc2(torch.relu(fc1(x)))


def mlp_forward_batch_of_4(x, W1, b1, W2, b2):
    """A batch size written in: right for the first check a fixed test would make."""
    return torch.relu(x.view(4, -1) @ W1.T + b1) @ W2.T + b2


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


class NormalisesInPlace(MnistMLP):
    """Normalises the caller's images in place before the layers."""

    def forward(self, x):
        return super().forward(x.sub_(0.1307).div_(0.3081))


class Decoy(nn.Module):
    """The right layers registered, and another, unregistered network doing the work."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)
        object.__setattr__(self, "hidden", sequential_mlp())  # not counted, not listed

    def forward(self, x):
        return self.hidden(x)


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


def ignores_optimizer(model, X, y, loss_fn, optimizer):
    """Its own update with lr = 0.1, whatever the optimizer it is given says."""
    model.train()
    model.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    return loss.item()


def plain_update_with_its_lr(model, X, y, loss_fn, optimizer):
    """Reads the optimizer's learning rate, ignores its momentum and weight decay."""
    lr = optimizer.param_groups[0]["lr"]
    model.train()
    model.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()


def new_optimizer_every_step(model, X, y, loss_fn, optimizer):
    own = torch.optim.SGD(model.parameters(), lr=0.1)
    return train_step(model, X, y, loss_fn, own)


def normalises_inputs_in_place(model, X, y, loss_fn, optimizer):
    X.sub_(X.mean(dim=0))
    return train_step(model, X, y, loss_fn, optimizer)


def returns_float_of_loss(model, X, y, loss_fn, optimizer):
    """Also right: float(loss) instead of loss.item()."""
    model.train()
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return float(loss)


# --- per_class_accuracy ----------------------------------------------------------------


def per_class_accuracy(logits, labels, num_classes):
    hit = (logits.argmax(dim=1) == labels).float()
    seen = torch.bincount(labels, minlength=num_classes).float()
    right = torch.bincount(labels, weights=hit, minlength=num_classes).float()
    return right / seen


def per_class_by_loop(logits, labels, num_classes):
    predicted = logits.argmax(dim=1)
    return torch.stack([(predicted[labels == k] == k).float().mean()
                        for k in range(num_classes)])


def per_class_by_one_hot(logits, labels, num_classes):
    one_hot = F.one_hot(labels, num_classes).float()  # (B, K)
    hit = (logits.argmax(dim=1) == labels).float()  # (B,)
    return (hit @ one_hot) / one_hot.sum(dim=0)


def per_class_precision(logits, labels, num_classes):
    """The fraction of the predictions of class k that are right: the other ratio."""
    predicted = logits.argmax(dim=1)
    return torch.stack([(labels[predicted == k] == k).float().mean()
                        for k in range(num_classes)])


def per_class_over_batch(logits, labels, num_classes):
    """Hits of class k over the whole batch, not over the examples of class k."""
    hit = (logits.argmax(dim=1) == labels).float()
    return torch.bincount(labels, weights=hit, minlength=num_classes).float() / len(labels)


def per_class_zero_when_absent(logits, labels, num_classes):
    return per_class_accuracy(logits, labels, num_classes).nan_to_num(0.0)


def per_class_sorts_labels(logits, labels, num_classes):
    """Sorts the caller's labels in place on the way."""
    labels.copy_(labels.sort().values)
    return per_class_accuracy(logits, labels, num_classes)


def per_class_without_minlength(logits, labels, num_classes):
    hit = (logits.argmax(dim=1) == labels).float()
    return torch.bincount(labels, weights=hit) / torch.bincount(labels).float()


def per_class_hard_coded(logits, labels, num_classes):
    return per_class_accuracy(logits, labels, 10)


CASES = [
    Case(ActivationGrads, right=GRADS, wrong=[
        ({"sigmoid_grad": lambda x: x * (1 - x)}, "the values of `sigmoid_grad(x)`"),
        ({"sigmoid_grad": torch.sigmoid}, "the values of `sigmoid_grad(x)`"),
        ({"tanh_grad": lambda x: 1 - x**2}, "the values of `tanh_grad(x)`"),
        ({"tanh_grad": lambda x: 1 - torch.tanh(x)}, "the values of `tanh_grad(x)`"),
        ({"sigmoid_grad": sigmoid_grad_by_autograd}, "without autograd"),
        ({"tanh_grad": tanh_grad_by_autograd}, "`torch.autograd.grad`, from autograd"),
        ({"sigmoid_grad": sigmoid_grad_in_place}, "changed its argument `x` in place"),
        ({"relu_grad": relu_grad_in_place}, "changed its argument `x` in place"),
        ({"relu_grad": lambda x: x > 0}, "the dtype of `relu_grad(x)`"),
        ({"relu_grad": lambda x: (x >= 0).float()}, "the values of `relu_grad(x)`"),
        ({"relu_grad": torch.relu}, "the values of `relu_grad(x)`"),
        ({"tanh_grad": tanh_grad_in_place}, "changed its argument `x` in place"),
        ({"tanh_grad": tanh_grad_by_jvp}, "`torch.func.jvp`, from autograd"),
        ({"sigmoid_grad": sigmoid_grad_by_func}, "`torch.func.grad`, from autograd"),
        ({"sigmoid_grad": sigmoid_grad_table}, "the shape of `sigmoid_grad(x)`"),
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
         "changed its argument `W1` in place"),
    ], raising=[
        ({"mlp_forward": mlp_forward_with_layers}, "same dtype"),
        ({"mlp_forward": mlp_forward_batch_of_4}, "RuntimeError"),
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
        ({"MnistMLP": NormalisesInPlace}, "changed its argument `x` in place"),
        ({"MnistMLP": Decoy}, "the values of `model(x)`"),
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
        ({"loss_fn": lambda out, t: nn.BCELoss()(out.sigmoid_(), t)},
         "changed its argument `out` in place"),
        ({"loss_fn": lambda out, t: nn.BCEWithLogitsLoss()(out, t).detach()},
         "whether you could call `backward()`"),
        ({"loss_fn": lambda out, t: torch.tensor(nn.BCEWithLogitsLoss()(out, t).item())},
         "whether you could call `backward()`"),
    ], raising=[
        ({"loss_fn": lambda out, t: nn.BCELoss()(out, t)}, "between 0 and 1"),
    ]),
    Case(TrainStep, right={"train_step": train_step}, wrong=[
        ({"train_step": no_zero_grad}, "the values of `model.hidden.weight`"),
        ({"train_step": no_step}, "unchanged parameters"),
        ({"train_step": zero_grad_too_late}, "unchanged parameters"),
        ({"train_step": returns_tensor},
         "the type of the value `train_step(model, X, y, loss_fn, optimizer)`"),
        ({"train_step": loss_after_step}, "`train_step(...)`"),
        ({"train_step": no_train_mode}, "training mode, so that dropout is active"),
        ({"train_step": swapped_loss_arguments}, "`train_step(...)`"),
        ({"train_step": two_forward_passes}, "`train_step(...)`"),
        ({"train_step": ignores_optimizer}, "the values of `model.hidden.weight`"),
        ({"train_step": plain_update_with_its_lr}, "the values of `model."),
        ({"train_step": new_optimizer_every_step}, "the values of `model."),
        ({"train_step": normalises_inputs_in_place}, "changed its argument `X` in place"),
        ({"train_step": lambda *args: torch.tensor(train_step(*args))},
         "the type of the value `train_step("),
    ]),
    Case(PerClassAccuracy, right={"per_class_accuracy": per_class_accuracy}, wrong=[
        ({"per_class_accuracy": per_class_precision}, "the values of `per_class_accuracy("),
        ({"per_class_accuracy": per_class_over_batch}, "the values of `per_class_accuracy("),
        ({"per_class_accuracy": per_class_zero_when_absent}, "nan at index 3"),
        ({"per_class_accuracy": per_class_sorts_labels}, "changed its argument `labels` in place"),
        ({"per_class_accuracy": per_class_without_minlength},
         "the shape of `per_class_accuracy("),
        ({"per_class_accuracy": per_class_hard_coded}, "the shape of `per_class_accuracy("),
        ({"per_class_accuracy": lambda logits, labels, num_classes: torch.full(
            (num_classes,), (logits.argmax(dim=1) == labels).float().mean().item())},
         "the values of `per_class_accuracy("),
    ], raising=[
        ({"per_class_accuracy": lambda logits, labels, num_classes: torch.bincount(
            labels, weights=logits.argmax(dim=0) == labels)}, "RuntimeError"),
    ]),
]


(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES)
test_chinese = chinese_test(CASES)


def test_sequential_factory_is_also_right():
    """Is an nn.Sequential with the same architecture accepted for `MnistMLP`, and a
    module whose layers are declared in another order than forward uses them?"""
    assert run_check(MnistMlpModule(), {"MnistMLP": sequential_mlp}, seed=3).passed
    for seed in (0, 1):
        result = run_check(MnistMlpModule(), {"MnistMLP": DeclaredBackwards}, seed=seed)
        assert result.passed, result.text()


def test_sigmoid_then_bce_is_also_right():
    """Is `BCELoss` after an explicit sigmoid accepted, as the chapter says it is?"""
    fixed = lambda out, t: nn.BCELoss()(torch.sigmoid(out), t)  # noqa: E731
    for seed in (0, 1, 2):
        assert run_check(BceFix(), {"loss_fn": fixed}, seed=seed).passed


def test_given_buggy_loss_is_not_attempted():
    """Does the untouched seed code (`nn.BCELoss()`) say "not attempted"?"""
    result = run_check(BceFix(), {"loss_fn": nn.BCELoss()}, seed=0)
    assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
    assert "`nn.BCELoss()`" in result.text()


def test_tutorial_order_is_also_right():
    """Is `zero_grad()` after `step()` (the order of many tutorials) accepted?"""
    for seed in (0, 1, 2):
        assert run_check(TrainStep(), {"train_step": zero_grad_last}, seed=seed).passed



def test_correct_alternatives_pass():
    """Do other correct answers pass: other formulas for the derivatives, addmm, the
    functional loss, `float(loss)`, a loop over the classes and a mask per class?"""
    alternatives = [
        (ActivationGrads, {"relu_grad": relu_grad_heaviside}),
        (ActivationGrads, {"relu_grad": lambda x: torch.where(x > 0, 1.0, 0.0)}),
        (ActivationGrads, {"sigmoid_grad": sigmoid_grad_from_exp,
                           "tanh_grad": lambda x: 1 / torch.cosh(x) ** 2}),
        (MlpForward, {"mlp_forward": mlp_forward_addmm}),
        (BceFix, {"loss_fn": F.binary_cross_entropy_with_logits}),
        (TrainStep, {"train_step": returns_float_of_loss}),
        (PerClassAccuracy, {"per_class_accuracy": per_class_by_loop}),
        (PerClassAccuracy, {"per_class_accuracy": per_class_by_one_hot}),
    ]
    right = {case.exercise: case.right for case in CASES}
    for exercise, answers in alternatives:
        for seed in (0, 1):
            result = run_check(exercise(), {**right[exercise], **answers}, seed=seed)
            assert result.passed, result.text()
