"""Exercises of chapter 04, Convolutional networks."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn, optim

from labkit.check import Exercise, NotAttempted, expect
from labkit.check.describe import cut
from labkit.check.signals import LearnerError

# The held-out accuracy `model` must reach in the last exercise.
ACCURACY_THRESHOLD = 0.95


class Conv2dLoops(Exercise):
    name = "conv2d_loops"
    title = "Convolution with two loops"
    hints = (
        "The output has `H - kH + 1` rows and `W - kW + 1` columns. Loop over them; "
        "output[i, j] is the sum of the image patch at (i, j) times the kernel.",
        "`patch = image[i:i + kH, j:j + kW]`, then `out[i, j] = (patch * kernel).sum()`. "
        "Do not flip the kernel: PyTorch computes cross-correlation.",
    )
    solution = '''\
def conv2d_loops(image, kernel):
    H, W = image.shape
    kH, kW = kernel.shape
    out = torch.zeros(H - kH + 1, W - kW + 1)
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = (image[i:i + kH, j:j + kW] * kernel).sum()
    return out'''

    def check(self, conv2d_loops):
        cases = [
            (torch.arange(9.0).reshape(3, 3), torch.tensor([[1.0, 0.0], [0.0, -1.0]])),
            (self.randn(5, 6), self.randn(2, 3)),  # a kernel that is not square
            (self.randn(4, 4), self.randn(4, 4)),  # the kernel covers the whole image
            (self.randn(int(self.randint(6, 10)), int(self.randint(6, 10))), self.randn(3, 3)),
        ]
        for image, kernel in cases:
            during = (f"`conv2d_loops(image, kernel)` with an image of shape "
                      f"{tuple(image.shape)} and a kernel of shape {tuple(kernel.shape)}")
            found = self.call(conv2d_loops, image, kernel, during=during)
            expected = F.conv2d(image[None, None], kernel[None, None])[0, 0]  # (H', W')
            flipped = F.conv2d(image[None, None], kernel.flip(0, 1)[None, None])[0, 0]
            hint = None
            if (isinstance(found, torch.Tensor) and found.shape == expected.shape
                    and not torch.allclose(expected, flipped, atol=1e-4)
                    and torch.allclose(found.float(), flipped, atol=1e-4)):
                hint = ("Your result is the textbook convolution with the kernel flipped; "
                        "`F.conv2d` does not flip it: use `kernel[m, n]` as it is.")
            expect.close(found, expected, name="conv2d_loops(image, kernel)", atol=1e-4,
                         hint=hint or "Compare with `F.conv2d(image[None, None], "
                                      "kernel[None, None])[0, 0]` on a small example.")


class ConvParams(Exercise):
    name = "conv_params"
    title = "Parameters of a convolution layer"
    hints = (
        "Each output channel has one kernel of size `kernel_size x kernel_size` for every "
        "input channel, plus one bias.",
        "`out_channels * in_channels * kernel_size ** 2`, plus `out_channels` with a bias.",
    )
    solution = '''\
def conv_params(in_channels, out_channels, kernel_size, bias=True):
    weights = out_channels * in_channels * kernel_size * kernel_size
    return weights + (out_channels if bias else 0)'''

    def check(self, conv_params):
        cases = [(1, 6, 5, True), (6, 16, 5, True), (3, 32, 3, False)]
        cases.append((int(self.randint(1, 65)), int(self.randint(1, 65)),
                      int(self.randint(1, 8)), bool(self.randint(0, 2))))
        for c_in, c_out, k, bias in cases:
            layer = nn.Conv2d(c_in, c_out, k, bias=bias)
            reference = sum(p.numel() for p in layer.parameters())
            call = f"conv_params({c_in}, {c_out}, {k}, bias={bias})"
            found = self.call(conv_params, c_in, c_out, k, bias=bias, during=f"`{call}`")
            expect.equal(found, reference, name=call,
                         hint=None if bias else "With `bias=False` the layer has no bias.")


class ConvOutputSize(Exercise):
    name = "conv_output_size"
    title = "The output size of a convolution"
    hints = (
        "A dilated kernel spans `dilation * (kernel_size - 1) + 1` pixels; padding adds "
        "`padding` pixels on both sides.",
        "`(size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1`: `//` "
        "rounds down, as PyTorch does.",
    )
    solution = '''\
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1'''

    def check(self, conv_output_size):
        cases = [
            (28, 5, 1, 0, 1), (28, 3, 1, 1, 1), (32, 3, 2, 1, 1), (28, 3, 1, 0, 2),
            (7, 3, 2, 0, 1), (10, 4, 3, 2, 2),
        ]
        for _ in range(3):
            kernel = int(self.randint(1, 6))
            dilation = int(self.randint(1, 4))
            size = int(self.randint(dilation * (kernel - 1) + 1, 40))
            cases.append((size, kernel, int(self.randint(1, 4)), int(self.randint(0, 3)),
                          dilation))
        for size, kernel, stride, padding, dilation in cases:
            call = (f"conv_output_size({size}, kernel_size={kernel}, stride={stride}, "
                    f"padding={padding}, dilation={dilation})")
            found = self.call(conv_output_size, size, kernel_size=kernel, stride=stride,
                              padding=padding, dilation=dilation, during=f"`{call}`")
            expect.is_type(found, int, name=call,
                           hint="Round down with `//` (floor division) to get an `int`.")
            layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
            reference = layer(torch.zeros(1, 1, size, size)).shape[-1]  # what PyTorch does
            expect.equal(found, reference, name=call)


class GivenSeedNet(nn.Module):
    """The network of the seed text, exactly as the notebook gives it (flatten size wrong)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


def _error_of(fn, *args, **kwargs) -> BaseException | None:
    """The exception `fn(*args)` raises, or None (the given buggy code, run by the check)."""
    try:
        fn(*args, **kwargs)
    except Exception as err:
        return err
    return None


def _same_error(a: BaseException | None, b: BaseException | None) -> bool:
    return a is not None and b is not None and type(a) is type(b) and str(a) == str(b)


def _short(err: BaseException) -> str:
    return f"`{type(err).__name__}: {cut(str(err), 90)}`"


class SeedNet(Exercise):
    name = "seed_net"
    title = "Spot the bug: the flatten size"
    hints = (
        "Print `x.shape` right before `self.fc1`: `in_features` must equal the number of "
        "values per image there.",
        "28 -> 26 -> 24 after two 3 x 3 convolutions, 12 after the pooling: "
        "`nn.Linear(64 * 12 * 12, 128)`.",
    )
    solution = '''\
class SeedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(64 * 12 * 12, 128)  # was 64 * 6 * 6
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)'''

    def check(self, SeedNet):
        net = self.call(SeedNet, during="`SeedNet()`")
        expect.is_type(net, nn.Module, name="SeedNet()")
        for batch in (2, int(self.randint(3, 7))):
            x = self.randn(batch, 1, 28, 28)  # (B, 1, 28, 28): a batch of MNIST-sized images
            during = f"`SeedNet()(x)` with x of shape {tuple(x.shape)}"
            given = _error_of(GivenSeedNet(), x)
            try:
                with torch.no_grad():
                    out = self.call(net, x, during=during)
            except LearnerError as signal:
                if _same_error(signal.error, given):
                    raise NotAttempted(
                        f"`SeedNet` still fails like the given code, with {_short(given)}. "
                        "Fix the bug, run the cell, then check again.") from None
                raise
            expect.tensor(out, name="SeedNet()(x)", shape=(batch, 10),
                          hint="One row of 10 class scores per image: flatten with "
                               "`torch.flatten(x, 1)`, never with `view(-1, ...)`.")
        net.eval()
        with torch.no_grad():
            single = self.call(net, x[:1], during="`SeedNet()(x[:1])`")  # (1, 10)
            together = self.call(net, x, during=during)[:1]  # (1, 10)
        expect.close(single, together, name="SeedNet()(x[:1])", atol=1e-4,
                     hint="The scores of an image alone must equal its scores inside the "
                          "batch: they must not depend on the other images.")


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
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            outputs = model_class(inputs)
            loss = loss_fn(outputs, labels)
            loss.backward()
            optimizer.step()
    return model


class TrainModel(Exercise):
    name = "train_model"
    title = "Spot the bugs: class or instance?"
    hints = (
        "`model_class` is the class; `model = model_class()` is the network. Which of the "
        "two should see the inputs, and whose parameters should the optimizer update?",
        "Use `model(inputs)`, and build the optimizer with `model.parameters()`.",
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

    def _loader(self) -> list:
        """Four batches of 8 tiny images; the label says which third is brightest."""
        batches = []
        for _ in range(4):
            x = self.randn(8, 1, 8, 8)  # (B, 1, 8, 8)
            thirds = torch.stack([x[:, 0, :, :3].mean((1, 2)), x[:, 0, :, 3:5].mean((1, 2)),
                                  x[:, 0, :, 5:].mean((1, 2))], dim=1)  # (B, 3)
            batches.append((x, thirds.argmax(dim=1)))
        return batches

    def check(self, train_model):
        loader = self._loader()
        call = "`train_model(TinyNet, loader, epochs=5)`"
        given = _error_of(given_train_model, TinyNet, copy.deepcopy(loader), epochs=5)
        try:
            model = self.call(train_model, TinyNet, copy.deepcopy(loader), epochs=5,
                              during=call)
        except LearnerError as signal:
            if _same_error(signal.error, given):
                raise NotAttempted(
                    f"`train_model` still fails like the given code, with {_short(given)}. "
                    "Fix the bugs, run the cell, then check again.") from None
            raise
        expect.is_type(model, TinyNet, name=call.strip("`"),
                       hint="Return the model you trained, an instance of `model_class`.")
        changed = any(not torch.equal(p.detach(), first)
                      for p, first in zip(model.parameters(), model.initial, strict=True))
        expect.that(changed, checked=f"the weights of the model returned by {call}",
                    expected="weights that changed during training",
                    found="the weights it was created with",
                    hint="The optimizer updates the parameters it was given: pass it "
                         "`model.parameters()` of the model you train and return.")
        fresh = TinyNet()
        with torch.no_grad():
            for p, first in zip(fresh.parameters(), model.initial, strict=True):
                p.copy_(first)
        before, after = _mean_loss(fresh, loader), _mean_loss(model, loader)
        expect.that(after < before, checked=f"the loss of the model returned by {call}",
                    expected=f"below its loss before training ({before:.4f})",
                    found=f"{after:.4f}",
                    hint="Each step: zero the gradients, compute the loss of `model(inputs)`, "
                         "call `backward()`, then `optimizer.step()`.")


def _mean_loss(model: nn.Module, loader) -> float:
    with torch.no_grad():
        losses = [F.cross_entropy(model(x), y) for x, y in loader]
    return float(torch.stack(losses).mean())


class CnnAccuracy(Exercise):
    name = "cnn_accuracy"
    title = "Your CNN on held-out digits"
    points = 2
    hints = (
        "Start from the chapter's `CNN`, or stack three blocks of 3 x 3 convolution, "
        "batch norm, ReLU and 2 x 2 max pooling, then one `nn.Linear`.",
        "Train with `fit(model, train_loader, loss_fn=nn.CrossEntropyLoss(), "
        "optimizer=torch.optim.Adam(model.parameters(), lr=2e-3), epochs=15)`.",
    )
    solution = '''\
torch.manual_seed(0)


def block(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(), nn.MaxPool2d(2)]


model = nn.Sequential(*block(1, 16), *block(16, 32), *block(32, 64),  # (B, 64, 3, 3)
                      nn.Flatten(), nn.Linear(64 * 3 * 3, 10))
fit(model, train_loader, loss_fn=nn.CrossEntropyLoss(),
    optimizer=torch.optim.Adam(model.parameters(), lr=2e-3), epochs=15)
print(f"test accuracy: {evaluate(model, test_loader)['accuracy']:.2%}")'''

    def check(self, model, test_transform):
        import torchvision
        from torch.utils.data import DataLoader

        from labkit.data import ensure_mnist
        from labkit.train import evaluate

        expect.is_type(model, nn.Module, name="model")
        expect.that(callable(test_transform), checked="`test_transform`",
                    expected="a transform that turns a PIL image into a tensor",
                    found=f"a `{type(test_transform).__name__}`",
                    hint="Use the `test_transform` defined earlier in the notebook.")
        test_set = torchvision.datasets.MNIST(ensure_mnist(verbose=False), train=False,
                                              transform=test_transform)
        loader = DataLoader(test_set, batch_size=500)  # in order, no shuffling
        images = torch.stack([test_set[i][0] for i in range(2)])  # (2, 1, 28, 28)
        param = next(model.parameters(), None)
        if param is not None:
            images = images.to(param.device)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                out = self.call(model, images, during="`model(images)` for 2 test images")
        finally:
            model.train(was_training)
        expect.tensor(out, name="model(images)", shape=(2, 10),
                      hint="The model must return 10 class scores per image.")
        result = self.call(evaluate, model, loader,
                           during=f"evaluating `model` on the {len(test_set):,} test images")
        n = result["examples"]
        expect.that(result["accuracy"] >= ACCURACY_THRESHOLD,
                    checked=f"the accuracy of `model` on the {n:,} held-out test images",
                    expected=f"at least {ACCURACY_THRESHOLD:.0%}",
                    found=f"{result['accuracy']:.1%}",
                    hint="Train a few more epochs, or add a convolution block.")


EXERCISES = [Conv2dLoops, ConvParams, ConvOutputSize, SeedNet, TrainModel, CnnAccuracy]
