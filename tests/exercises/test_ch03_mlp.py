"""Exercises of chapter 03, each with a right, a blank, a missing and wrong answers."""

import functools

import torch
import torch.nn.functional as F
from exercise_harness import Case, chinese_test, standard_tests
from torch import nn
from torch.func import grad as derivative  # names captured before any check runs
from torch.func import jvp as directional
from torch.func import vmap
from torch.special import logsumexp as captured_logsumexp
from torch.utils.data import Dataset

from labkit.check import Outcome, run_check
from labkit.exercises.ch03_mlp import (
    Accuracy,
    ActivationGrads,
    BatchLoss,
    BceFix,
    CrossEntropy,
    MlpForward,
    MnistMlpModule,
    MnistTransform,
    SigmoidMseGrad,
    TrainEpoch,
    TrainStep,
    WindowDataset,
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


# --- accuracy ------------------------------------------------------------------------


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


def accuracy_marks_labels(logits, labels):
    """Marks the misses in the caller's labels, as `x[~mask] = ...` does."""
    hit = logits.argmax(dim=1) == labels
    labels[~hit] = -1
    return (labels >= 0).float().mean().item()


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
    Case(Accuracy, right={"accuracy": accuracy}, wrong=[
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).sum().item()},
         "`accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: 100 * accuracy(logits, labels)},
         "`accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: (logits.max(dim=1).values == labels)
          .float().mean().item()}, "`accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).float().mean()},
         "the type of the value `accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).float()},
         "the type of the value `accuracy(logits, labels)`"),
        ({"accuracy": lambda logits, labels: (logits.exp_().argmax(dim=1) == labels)
          .float().mean().item()}, "changed its argument `logits` in place"),
        ({"accuracy": accuracy_marks_labels}, "changed its argument `labels` in place"),
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).sum().item() / 4},
         "`accuracy(logits, labels)`"),
    ], raising=[
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=0) == labels)
          .float().mean().item()}, "RuntimeError"),
        # torch 2.14 raises RuntimeError here and 2.15 NotImplementedError: same words.
        ({"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels).mean()},
         "could not infer output dtype"),
    ]),
]

# --- window_dataset ------------------------------------------------------------------


def _window(length=lambda n, w: n - w, window=lambda s, i, w: s[i:i + w],
            target=lambda s, i, w: s[i + w], pair=lambda x, y: (x, y)):
    class WindowDataset(Dataset):
        def __init__(self, series, width):
            self.series, self.width = series, width

        def __len__(self):
            return length(len(self.series), self.width)

        def __getitem__(self, i):
            return pair(window(self.series, i, self.width), target(self.series, i, self.width))
    return WindowDataset


class PrecomputedWindows:
    """Also right: not a Dataset subclass, the windows built once with unfold."""

    def __init__(self, series, width):
        self.windows = series[:-1].unfold(0, width, 1)  # (n - width, width)
        self.targets = series[width:]

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        return self.windows[i], self.targets[i]


class NoLen(Dataset):
    def __init__(self, series, width):
        self.series, self.width = series, width

    def __getitem__(self, i):
        return self.series[i:i + self.width], self.series[i + self.width]


class CentresSeriesInPlace(Dataset):
    """Subtracts the mean from the caller's series, then windows what is left."""

    def __init__(self, series, width):
        self.series, self.width = series.sub_(series.mean()), width

    def __len__(self):
        return len(self.series) - self.width

    def __getitem__(self, i):
        return self.series[i:i + self.width], self.series[i + self.width]


# --- mnist_transform ---------------------------------------------------------------


def _v2_transform(scale=True, normalize=False):
    from torchvision.transforms import v2

    steps = [v2.ToImage(), v2.ToDtype(torch.float32, scale=scale)]
    if normalize:
        steps.append(v2.Normalize((0.1307,), (0.3081,)))
    return v2.Compose(steps)


def _v1(name, *args):
    from torchvision import transforms

    return getattr(transforms, name)(*args)


def pixels_as_float_no_channel(image):
    import numpy as np
    return torch.tensor(np.array(image), dtype=torch.float32) / 255  # (H, W): no channel


def pixels_hard_coded_28(image):
    import numpy as np
    return torch.tensor(np.array(image), dtype=torch.float32).reshape(1, 28, 28) / 255


def marks_the_image(image):
    """Draws on the caller's image (in place), then converts it."""
    image.putpixel((0, 0), 255)
    return _v1("ToTensor")(image)


def pixels_by_numpy(image):
    """Also right: through NumPy, by hand."""
    import numpy as np
    return torch.from_numpy(np.array(image)).float().div(255).unsqueeze(0)


# --- train_epoch ---------------------------------------------------------------------


def _epoch(condition, divide=lambda every, i: every, reset=True, log_last=False):
    def train_epoch(model, loader, loss_fn, optimizer, every=100):
        logged, running_loss = [], 0.0
        for i, (inputs, labels) in enumerate(loader):
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
            if condition(i, every):
                logged.append(loss.item() if log_last else running_loss / divide(every, i))
                print(f"[batch {i + 1}] loss: {logged[-1]:.3f}")
                if reset:
                    running_loss = 0.0
        return logged
    return train_epoch


def given_train_epoch(model, loader, loss_fn, optimizer, every=100):
    logged = []
    running_loss = 0.0
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 2000 == 1999:  # print every 2000 mini-batches
            logged.append(running_loss / 2000)
            print(f"[batch {i + 1}] loss: {running_loss / 2000:.3f}")
            running_loss = 0.0
    return logged


right_epoch = _epoch(lambda i, every: (i + 1) % every == 0)


def epoch_no_step(model, loader, loss_fn, optimizer, every=100):
    logged, running = [], 0.0
    for i, (inputs, labels) in enumerate(loader):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        running += loss.item()
        if (i + 1) % every == 0:
            logged.append(running / every)
            running = 0.0
    return logged


def _epoch_logging(log, show, every_fixed=None):
    """The fixed loop, with what it logs and prints made by ``log`` and ``show``."""
    def train_epoch(model, loader, loss_fn, optimizer, every=100):
        logged, running_loss = [], 0.0
        for i, (inputs, labels) in enumerate(loader):
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            optimizer.step()
            running_loss = running_loss + log(loss)
            if (i + 1) % every == 0:
                logged.append(running_loss / every)
                show(i, running_loss, every)
                running_loss = 0.0
        return logged
    return train_epoch


def _print_average(i, running_loss, every):
    print(f"[batch {i + 1:5d}] loss: {running_loss / every:.3f}")


# running_loss += loss: every step's graph stays alive in what it logs.
epoch_sums_tensors = _epoch_logging(lambda loss: loss, _print_average)
# Tensors without a graph are still not the Python numbers the loop logs.
epoch_logs_tensors = _epoch_logging(lambda loss: loss.detach(), _print_average)
# Logs the right values; the print was left as given, or left out, or printed too often.
epoch_prints_given_average = _epoch_logging(
    lambda loss: loss.item(), lambda i, running, every: print(f"loss: {running / 2000:.3f}"))
epoch_prints_nothing = _epoch_logging(lambda loss: loss.item(), lambda i, running, every: None)
epoch_prints_twice = _epoch_logging(
    lambda loss: loss.item(),
    lambda i, running, every: print(f"{running / every:.3f}\n{running / every:.3f}"))
# Also right: another print format.
epoch_prints_its_own_way = _epoch_logging(
    lambda loss: loss.item(),
    lambda i, running, every: print(f"after {i + 1} batches the mean loss is "
                                    f"{running / every:.5f}"))


def epoch_returns_nothing(model, loader, loss_fn, optimizer, every=100):
    """Prints at the right moments but returns nothing."""
    right_epoch(model, loader, loss_fn, optimizer, every)


# --- cross_entropy -------------------------------------------------------------------


def cross_entropy(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return (lse - logits[torch.arange(len(labels)), labels]).mean()


def ce_gather(logits, labels):
    """Also right: gather, and the max kept out of the graph."""
    m = logits.detach().amax(dim=1, keepdim=True)
    log_probs = logits - m - (logits - m).exp().sum(dim=1, keepdim=True).log()
    return -log_probs.gather(1, labels.unsqueeze(1)).mean()


def ce_naive(logits, labels):
    probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    return -probs[torch.arange(len(labels)), labels].log().mean()


def ce_softmax_then_log(logits, labels):
    return -torch.softmax(logits, dim=1)[torch.arange(len(labels)), labels].log().mean()


def ce_global_max(logits, labels):
    m = logits.max()
    lse = m + (logits - m).exp().sum(dim=1).log()
    return (lse - logits[torch.arange(len(labels)), labels]).mean()


def ce_max_not_added_back(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    lse = (logits - m).exp().sum(dim=1).log()
    return (lse - logits[torch.arange(len(labels)), labels]).mean()


def ce_sum(logits, labels):
    return cross_entropy(logits, labels) * len(labels)


def ce_fancy_index_bug(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return (lse - logits[:, labels]).mean()  # (B, B): every label against every row


def ce_in_place(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    logits -= m
    lse = logits.exp().sum(dim=1).log()
    return (lse - logits[torch.arange(len(labels)), labels]).mean()


def ce_per_example(logits, labels):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + (logits - m).exp().sum(dim=1).log()
    return lse - logits[torch.arange(len(labels)), labels]  # (B,): not averaged


def ce_item(logits, labels):
    return cross_entropy(logits, labels).item()


def ce_library(logits, labels):
    return F.cross_entropy(logits, labels)


def ce_log_softmax(logits, labels):
    return F.nll_loss(logits.log_softmax(dim=1), labels)


def ce_logsumexp(logits, labels):
    return (torch.logsumexp(logits, 1) - logits[torch.arange(len(labels)), labels]).mean()


def ce_float32(logits, labels):
    return cross_entropy(logits.float(), labels)


# The library's log-softmax, reached through F.cross_entropy, nn.CrossEntropyLoss, ...
LIBRARY_LOG_SOFTMAX = "`torch.ops.aten._log_softmax`, from the library's cross-entropy"


def _picked(logits, labels):
    return logits[torch.arange(len(labels)), labels]


def ce_special_logsumexp(logits, labels):
    return (torch.special.logsumexp(logits, 1) - _picked(logits, labels)).mean()


def ce_special_log_softmax(logits, labels):
    return -_picked(torch.special.log_softmax(logits, 1), labels).mean()


def ce_aten_logsumexp(logits, labels):
    return (torch.ops.aten.logsumexp(logits, [1]) - _picked(logits, labels)).mean()


def ce_aten_log_softmax(logits, labels):
    return -_picked(torch.ops.aten._log_softmax(logits, 1, False), labels).mean()


def ce_captured_logsumexp(logits, labels):
    return (captured_logsumexp(logits, 1) - _picked(logits, labels)).mean()


def ce_private_entry(logits, labels):
    return torch._C._nn.cross_entropy_loss(logits, labels)


def ce_distribution(logits, labels):
    return -torch.distributions.Categorical(logits=logits).log_prob(labels).mean()


def ce_logcumsumexp(logits, labels):
    return (torch.logcumsumexp(logits, 1)[:, -1] - _picked(logits, labels)).mean()


def ce_logaddexp(logits, labels):
    lse = functools.reduce(torch.logaddexp, logits.unbind(1))
    return (lse - _picked(logits, labels)).mean()


def ce_detached(logits, labels):
    return cross_entropy(logits, labels).detach()


def ce_new_tensor(logits, labels):
    return torch.tensor(cross_entropy(logits, labels).item())


def ce_lse_off_the_graph(logits, labels):
    """The log-sum-exp detached: the right values, a gradient without its softmax part."""
    m = logits.max(dim=1, keepdim=True).values
    lse = (m.squeeze(1) + (logits - m).exp().sum(dim=1).log()).detach()
    return (lse - _picked(logits, labels)).mean()


def ce_lse_by_numpy(logits, labels):
    """The log-sum-exp trick written out in NumPy: off the graph."""
    import numpy as np

    z = logits.detach().numpy()
    m = z.max(axis=1, keepdims=True)
    lse = torch.from_numpy(m[:, 0] + np.log(np.exp(z - m).sum(axis=1)))
    return (lse - _picked(logits, labels)).mean()


def ce_batch_of_2(logits, labels):
    """Divides by the batch size of the first check a fixed test would make."""
    return ce_per_example(logits, labels).sum() / 2


def ce_row_by_row(logits, labels):
    """Also right: a loop over the rows (the exercise does not rule loops out)."""
    losses = []
    for row, label in zip(logits, labels, strict=True):
        m = row.max()
        losses.append(m + (row - m).exp().sum().log() - row[label])
    return torch.stack(losses).mean()


# --- sigmoid_mse_grad ----------------------------------------------------------------


def sigmoid_mse_grad(z, t):
    s = torch.sigmoid(z)
    return (s - t) * s * (1 - s)


def smg_autograd(z, t):
    z = z.clone().requires_grad_(True)
    (0.5 * ((torch.sigmoid(z) - t) ** 2).sum()).backward()
    return z.grad


def smg_in_place(z, t):
    s = z.sigmoid_()  # the caller's z now holds sigmoid(z)
    return (s - t) * s * (1 - s)


def smg_by_func(z, t):
    """torch.func.grad, captured early, mapped over the entries."""
    per_entry = derivative(lambda zi, ti: 0.5 * (torch.sigmoid(zi) - ti) ** 2)
    return vmap(per_entry)(z.flatten(), t.flatten()).view_as(z)


# --- batch_loss ----------------------------------------------------------------------


def given_batch_loss(outputs, labels):
    return nn.functional.cross_entropy_loss(outputs, labels)


CASES += [
    Case(WindowDataset, right={"WindowDataset": _window()}, wrong=[
        ({"WindowDataset": _window(length=lambda n, w: n)}, "`len(dataset)"),
        ({"WindowDataset": _window(length=lambda n, w: n - w + 1)}, "`len(dataset)"),
        ({"WindowDataset": _window(length=lambda n, w: n - w - 1)}, "`len(dataset)"),
        ({"WindowDataset": _window(target=lambda s, i, w: s[i + w - 1])},
         "the values of `dataset[0][1]`"),
        ({"WindowDataset": _window(window=lambda s, i, w: s[i:i + w + 1])},
         "the shape of `dataset[0][0]`"),
        ({"WindowDataset": _window(target=lambda s, i, w: s[i + w:i + w + 1])},
         "the shape of `dataset[0][1]`"),
        ({"WindowDataset": _window(pair=lambda x, y: (y, x))},
         "the shape of `dataset[0][0]`"),
        ({"WindowDataset": _window(window=lambda s, i, w: s[0:w], target=lambda s, i, w: s[w])},
         "the values of `dataset[1][0]`"),
        ({"WindowDataset": _window(pair=lambda x, y: torch.cat([x, y.unsqueeze(0)]))},
         "a pair (window, target)"),
        ({"WindowDataset": _window(window=lambda s, i, w: s[i:i + w].tolist())},
         "the type of `dataset[0][0]`"),
        ({"WindowDataset": CentresSeriesInPlace}, "changed its argument `series` in place"),
        ({"WindowDataset": _window(window=lambda s, i, w: s[i:i + w].float(),
                                   target=lambda s, i, w: s[i + w].float())},
         "the dtype of `dataset[0][0]`"),
        ({"WindowDataset": _window(length=lambda n, w: n - 3, window=lambda s, i, w: s[i:i + 3],
                                   target=lambda s, i, w: s[i + 3])}, "`len(dataset)"),
    ], raising=[
        ({"WindowDataset": NoLen}, "TypeError"),
    ]),
    Case(MnistTransform, right={"mnist_transform": _v2_transform()}, wrong=[
        ({"mnist_transform": _v1("PILToTensor")}, "the dtype of `mnist_transform("),
        ({"mnist_transform": _v2_transform(scale=False)}, "the values of `mnist_transform("),
        ({"mnist_transform": _v2_transform(normalize=True)},
         "the values of `mnist_transform("),
        ({"mnist_transform": pixels_as_float_no_channel}, "the shape of `mnist_transform("),
        ({"mnist_transform": lambda image: image}, "the type of `mnist_transform("),
        ({"mnist_transform": marks_the_image}, "changed its argument `image` in place"),
    ], raising=[
        ({"mnist_transform": pixels_hard_coded_28}, "RuntimeError"),
        ({"mnist_transform": _v1("ToTensor").__class__}, "TypeError"),
    ]),
    Case(TrainEpoch, right={"train_epoch": right_epoch}, wrong=[
        ({"train_epoch": _epoch(lambda i, every: i % every == 0)}, "how many averages"),
        ({"train_epoch": _epoch(lambda i, every: i > 0 and i % every == 0)},
         "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % every == 0,
                                divide=lambda every, i: 2000)}, "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % every == 0, reset=False)},
         "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % every == 0, log_last=True)},
         "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % every == 0,
                                divide=lambda every, i: i + 1)},
         "the values of `train_epoch(...)`"),
        ({"train_epoch": _epoch(lambda i, every: i % 100 == 99)}, "how many averages"),
        ({"train_epoch": epoch_no_step}, "the values of `model.weight`"),
        ({"train_epoch": epoch_returns_nothing}, "the type of `train_epoch(...)`"),
        ({"train_epoch": epoch_sums_tensors}, "it keeps that step's whole graph in memory"),
        ({"train_epoch": epoch_logs_tensors}, "the type of `train_epoch(...)[0]`"),
        ({"train_epoch": epoch_prints_given_average}, "printed line 1 of"),
        ({"train_epoch": epoch_prints_nothing}, "the lines `train_epoch("),
        ({"train_epoch": epoch_prints_twice}, "the lines `train_epoch("),
        ({"train_epoch": _epoch(lambda i, every: (i + 1) % 3 == 0)}, "how many averages"),
    ]),
    Case(CrossEntropy, right={"my_cross_entropy": cross_entropy}, wrong=[
        ({"my_cross_entropy": ce_naive}, "the values of `my_cross_entropy(logits, labels)`"),
        ({"my_cross_entropy": ce_softmax_then_log}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_global_max}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_max_not_added_back}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_sum}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_fancy_index_bug}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_per_example}, "the shape of `my_cross_entropy("),
        ({"my_cross_entropy": ce_item}, "the type of `my_cross_entropy("),
        ({"my_cross_entropy": ce_in_place}, "changed its argument `logits` in place"),
        ({"my_cross_entropy": ce_library}, LIBRARY_LOG_SOFTMAX),
        ({"my_cross_entropy": F.cross_entropy}, LIBRARY_LOG_SOFTMAX),
        ({"my_cross_entropy": nn.CrossEntropyLoss()}, LIBRARY_LOG_SOFTMAX),
        ({"my_cross_entropy": ce_log_softmax}, "`torch.ops.aten._log_softmax`"),
        ({"my_cross_entropy": ce_logsumexp}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_float32}, "the dtype of `my_cross_entropy("),
        ({"my_cross_entropy": ce_special_logsumexp}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_special_log_softmax}, "`torch.ops.aten._log_softmax`"),
        ({"my_cross_entropy": ce_aten_logsumexp}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_aten_log_softmax}, "`torch.ops.aten._log_softmax`"),
        ({"my_cross_entropy": ce_captured_logsumexp}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_private_entry}, LIBRARY_LOG_SOFTMAX),
        ({"my_cross_entropy": ce_distribution}, "`torch.ops.aten.logsumexp`"),
        ({"my_cross_entropy": ce_logcumsumexp}, "`torch.ops.aten.logcumsumexp`"),
        ({"my_cross_entropy": ce_logaddexp}, "`torch.ops.aten.logaddexp`"),
        ({"my_cross_entropy": ce_detached}, "whether you could call `backward()`"),
        ({"my_cross_entropy": ce_new_tensor}, "whether you could call `backward()`"),
        ({"my_cross_entropy": ce_batch_of_2}, "the values of `my_cross_entropy("),
        ({"my_cross_entropy": ce_lse_off_the_graph},
         "the gradient of `my_cross_entropy(logits, labels)`"),
        ({"my_cross_entropy": ce_lse_by_numpy},
         "the gradient of `my_cross_entropy(logits, labels)`"),
    ]),
    Case(SigmoidMseGrad, right={"sigmoid_mse_grad": sigmoid_mse_grad}, wrong=[
        ({"sigmoid_mse_grad": lambda z, t: (z - t) * torch.sigmoid(z)
          * (1 - torch.sigmoid(z))}, "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: (torch.sigmoid(z) - t) * z * (1 - z)},
         "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: -sigmoid_mse_grad(z, t)},
         "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: 2 * sigmoid_mse_grad(z, t)},
         "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: sigmoid_mse_grad(z, t) / z.numel()},
         "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: sigmoid_mse_grad(z, t).sum()},
         "the shape of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": lambda z, t: z - t}, "the values of `sigmoid_mse_grad(z, t)`"),
        ({"sigmoid_mse_grad": smg_autograd}, "`torch.Tensor.backward`, from autograd"),
        ({"sigmoid_mse_grad": smg_in_place}, "changed its argument `z` in place"),
        ({"sigmoid_mse_grad": smg_by_func}, "`torch.func.grad`, from autograd"),
        ({"sigmoid_mse_grad": lambda z, t: sigmoid_mse_grad(z.float(), t.float())},
         "the dtype of `sigmoid_mse_grad(z, t)`"),
    ]),
    Case(BatchLoss, right={"batch_loss": lambda outputs, labels: F.cross_entropy(
        outputs, labels)}, wrong=[
        ({"batch_loss": lambda outputs, labels: F.nll_loss(outputs, labels)},
         "the values of `batch_loss(outputs, labels)`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs, labels,
                                                                reduction="sum")},
         "the values of `batch_loss(outputs, labels)`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs.softmax(dim=1),
                                                                labels)},
         "the values of `batch_loss(outputs, labels)`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs, labels).item()},
         "the type of `batch_loss(outputs, labels)`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs, labels).detach()},
         "whether you could call `backward()`"),
        ({"batch_loss": lambda outputs, labels: torch.tensor(
            F.cross_entropy(outputs, labels).item())}, "whether you could call `backward()`"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(
            outputs.sub_(outputs.amax(dim=1, keepdim=True)), labels)},
         "changed its argument `outputs` in place"),
        ({"batch_loss": lambda outputs, labels: F.cross_entropy(outputs.float(), labels)},
         "the dtype of `batch_loss(outputs, labels)`"),
    ], raising=[
        # The class called with the data: its constructor takes `outputs` as class weights.
        ({"batch_loss": lambda outputs, labels: nn.CrossEntropyLoss(outputs, labels)},
         "Boolean value of Tensor"),
        ({"batch_loss": lambda outputs, labels: nn.functional.crossentropy(outputs, labels)},
         "AttributeError"),
        ({"batch_loss": lambda outputs, labels: F.binary_cross_entropy_with_logits(
            outputs, labels)}, "ValueError"),
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


def test_given_spot_the_bug_code_is_not_attempted():
    """Does each spot-the-bug exercise say "not attempted" for the code the seed texts
    give, unchanged?"""
    given = [(MnistTransform, {"mnist_transform": None}, "`None`"),
             (TrainEpoch, {"train_epoch": given_train_epoch}, "2000"),
             (SigmoidMseGrad, {"sigmoid_mse_grad": lambda z, t: torch.sigmoid(z) - t},
              "output - label"),
             (BatchLoss, {"batch_loss": given_batch_loss}, "cross_entropy_loss")]
    for exercise, answers, fragment in given:
        for seed in (0, 1):
            result = run_check(exercise(), answers, seed=seed)
            assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
            assert fragment in result.text(), result.text()


def test_correct_alternatives_pass():
    """Do other correct answers pass: other formulas for the derivatives, addmm, the
    functional loss, `float(loss)`, other ways to count, ToTensor (v1) and NumPy,
    `i % every == every - 1` and another print format, gather and a detached max, a loop
    over the rows, `nn.CrossEntropyLoss()` and `nll_loss(log_softmax)` for the loss name?"""
    from torchvision.transforms import v2

    alternatives = [
        (ActivationGrads, {"relu_grad": relu_grad_heaviside}),
        (ActivationGrads, {"relu_grad": lambda x: torch.where(x > 0, 1.0, 0.0)}),
        (ActivationGrads, {"sigmoid_grad": sigmoid_grad_from_exp,
                           "tanh_grad": lambda x: 1 / torch.cosh(x) ** 2}),
        (MlpForward, {"mlp_forward": mlp_forward_addmm}),
        (BceFix, {"loss_fn": F.binary_cross_entropy_with_logits}),
        (TrainStep, {"train_step": returns_float_of_loss}),
        (Accuracy, {"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels)
                    .sum().item() / len(labels)}),
        (Accuracy, {"accuracy": lambda logits, labels: (logits.argmax(dim=1) == labels)
                    .double().mean().item()}),
        (WindowDataset, {"WindowDataset": PrecomputedWindows}),
        (MnistTransform, {"mnist_transform": _v1("ToTensor")}),
        (MnistTransform, {"mnist_transform": v2.Compose([
            v2.PILToTensor(), v2.ToDtype(torch.float32, scale=True)])}),
        (MnistTransform, {"mnist_transform": pixels_by_numpy}),
        (TrainEpoch, {"train_epoch": _epoch(lambda i, every: i % every == every - 1)}),
        (TrainEpoch, {"train_epoch": epoch_prints_its_own_way}),
        (CrossEntropy, {"my_cross_entropy": ce_gather}),
        (CrossEntropy, {"my_cross_entropy": ce_row_by_row}),
        (BatchLoss, {"batch_loss": nn.CrossEntropyLoss()}),
        (BatchLoss, {"batch_loss": lambda outputs, labels: F.nll_loss(
            F.log_softmax(outputs, dim=1), labels)}),
    ]
    right = {case.exercise: case.right for case in CASES}
    for exercise, answers in alternatives:
        for seed in (0, 1):
            result = run_check(exercise(), {**right[exercise], **answers}, seed=seed)
            assert result.passed, result.text()
