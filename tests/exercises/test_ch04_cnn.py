"""Exercises of chapter 04, each with a right, a blank, a missing and wrong answers."""

import math

import torch
import torch.nn.functional as F
import torchvision
from exercise_harness import Case, chinese_test, standard_tests
from torch import nn, optim
from torchvision.transforms import v2

from labkit.check import Outcome, run_check
from labkit.data import ensure_mnist
from labkit.exercises.ch04_cnn import (
    ACCURACY_THRESHOLD,
    CnnAccuracy,
    Conv2dLoops,
    ConvOutputSize,
    ConvParams,
    GivenSeedNet,
    SeedNet,
    TrainModel,
    given_train_model,
)


# --- conv2d_loops --------------------------------------------------------------------
def conv2d_loops(image, kernel):
    H, W = image.shape
    kH, kW = kernel.shape
    out = torch.zeros(H - kH + 1, W - kW + 1)
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = (image[i:i + kH, j:j + kW] * kernel).sum()
    return out


def true_convolution(image, kernel):
    """The textbook convolution: the kernel is flipped first."""
    return conv2d_loops(image, kernel.flip(0, 1))


def off_by_one(image, kernel):
    return conv2d_loops(image, kernel)[:-1, :-1]


def strided_no_loop(image, kernel):
    """Right values, but no loop: all patches at once with as_strided."""
    (H, W), (kH, kW) = image.shape, kernel.shape
    patches = image.contiguous().as_strided(
        (H - kH + 1, W - kW + 1, kH, kW), (W, 1, W, 1))
    return (patches * kernel).sum(dim=(2, 3))


def patch_sum(image, kernel, i, j):
    kH, kW = kernel.shape
    return (image[i:i + kH, j:j + kW] * kernel).sum()


def fill(out, image, kernel):
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = patch_sum(image, kernel, i, j)
    return out


def loops_in_helper(image, kernel):
    """Also right: the loops sit in a helper function."""
    return fill(torch.zeros(image.shape[0] - kernel.shape[0] + 1,
                            image.shape[1] - kernel.shape[1] + 1), image, kernel)


def with_conv_layer(image, kernel):
    layer = nn.Conv2d(1, 1, kernel.shape, bias=False)
    with torch.no_grad():
        layer.weight.copy_(kernel[None, None])
        return layer(image[None, None])[0, 0]


def zero_padded(image, kernel):
    return F.conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]


# --- conv_params ---------------------------------------------------------------------
def conv_params(in_channels, out_channels, kernel_size, bias=True):
    return out_channels * in_channels * kernel_size**2 + (out_channels if bias else 0)


# --- conv_output_size ----------------------------------------------------------------
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def rounded(size, kernel_size, stride=1, padding=0, dilation=1):
    return round((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1


def ceiled(size, kernel_size, stride=1, padding=0, dilation=1):
    return math.ceil((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1


# --- seed_net ------------------------------------------------------------------------
class FixedSeedNet(GivenSeedNet):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64 * 12 * 12, 128)


class MorePooling(GivenSeedNet):
    """Also right: pool down to 6 x 6 so that 64 * 6 * 6 fits."""

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = torch.flatten(F.max_pool2d(x, 4, 4), 1)  # (B, 64 * 6 * 6)
        return self.fc2(F.relu(self.fc1(x)))


class ViewFlatten(GivenSeedNet):
    """view(-1, 64 * 6 * 6) hides the bug: 4 rows per image."""

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2, 2)
        x = x.view(-1, 64 * 6 * 6)
        return self.fc2(F.relu(self.fc1(x)))


class MixesBatch(FixedSeedNet):
    """Subtracts the batch mean: an image's scores depend on the other images."""

    def forward(self, x):
        return super().forward(x - x.mean(0, keepdim=True))


class Activations(FixedSeedNet):
    """The fixed sizes, with `act` in place of the ReLUs and `last` on the logits."""

    act = staticmethod(F.relu)
    last = None

    def forward(self, x):
        x = F.max_pool2d(self.act(self.conv2(self.act(self.conv1(x)))), 2, 2)
        x = self.fc2(self.act(self.fc1(torch.flatten(x, 1))))
        return x if self.last is None else self.last(x)


class SigmoidSeedNet(Activations):
    act = staticmethod(torch.sigmoid)


class NoActivationSeedNet(Activations):
    act = staticmethod(lambda h: h)


class SoftmaxSeedNet(Activations):
    last = staticmethod(lambda z: torch.softmax(z, dim=1))


class DropoutSeedNet(Activations):
    """F.dropout is on unless told otherwise: it stays on in eval mode."""

    act = staticmethod(lambda h: F.dropout(F.relu(h), 0.25))


class AvgPoolSeedNet(FixedSeedNet):
    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2, 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class NoPooling(GivenSeedNet):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64 * 24 * 24, 128)  # forgot that the pooling halves 24


# --- train_model ---------------------------------------------------------------------
def train_model(model_class, loader, epochs=1):
    model = model_class()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), labels)
            loss.backward()
            optimizer.step()
    return model


def other_optimizer(model_class, loader, epochs=1):
    """Half fixed: the optimizer still updates another instance."""
    model = model_class()
    optimizer = optim.Adam(model_class().parameters(), lr=0.001)
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(inputs), labels).backward()
            optimizer.step()
    return model


def _train(model_class, loader, epochs, *, zero_grad=True, new_optimizer=False,
           passes=None):
    model = model_class()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    for _ in range(epochs if passes is None else passes):
        for inputs, labels in loader:
            if new_optimizer:
                optimizer = optim.Adam(model.parameters(), lr=0.001)
            if zero_grad:
                optimizer.zero_grad()
            F.cross_entropy(model(inputs), labels).backward()
            optimizer.step()
    return model


def no_zero_grad(model_class, loader, epochs=1):
    return _train(model_class, loader, epochs, zero_grad=False)


def optimizer_every_batch(model_class, loader, epochs=1):
    return _train(model_class, loader, epochs, new_optimizer=True)


def one_epoch(model_class, loader, epochs=1):
    return _train(model_class, loader, epochs, passes=1)


def sgd_instead(model_class, loader, epochs=1):
    model = model_class()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(inputs), labels).backward()
            optimizer.step()
    return model


def no_return(model_class, loader, epochs=1):
    train_model(model_class, loader, epochs)


def gradient_ascent(model_class, loader, epochs=1):
    model = model_class()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    for _ in range(epochs):
        for inputs, labels in loader:
            optimizer.zero_grad()
            (-F.cross_entropy(model(inputs), labels)).backward()
            optimizer.step()
    return model


# --- cnn_accuracy --------------------------------------------------------------------
TEST_TRANSFORM = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True),
                             v2.Normalize((0.13,), (0.31,))])


class Lookup(nn.Module):
    """Knows the answer for every test image (finds it by nearest neighbour), except that
    it gives a wrong label for every `wrong_every`-th image."""

    def __init__(self, wrong_every=0):
        super().__init__()
        test_set = torchvision.datasets.MNIST(ensure_mnist(verbose=False), train=False,
                                              transform=TEST_TRANSFORM)
        images = torch.stack([test_set[i][0] for i in range(len(test_set))])
        labels = torch.as_tensor(test_set.targets)
        if wrong_every:
            labels[::wrong_every] = (labels[::wrong_every] + 1) % 10
        self.register_buffer("images", images.flatten(1))  # (N, 784)
        self.register_buffer("labels", labels)  # (N,)
        self.identity = nn.Conv2d(1, 1, 1, bias=False)  # a convolution that changes nothing
        nn.init.ones_(self.identity.weight)

    def forward(self, x):  # (B, 1, 28, 28) -> (B, 10)
        nearest = torch.cdist(self.identity(x).flatten(1), self.images).argmin(dim=1)  # (B,)
        return F.one_hot(self.labels[nearest], 10).float()


class LookupNoConv(Lookup):
    """Knows every answer, but is no CNN."""

    def __init__(self):
        super().__init__()
        del self.identity
        self.identity = nn.Identity()


def untrained_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 26 * 26, 10))


CASES = [
    Case(Conv2dLoops, right={"conv2d_loops": conv2d_loops}, wrong=[
        ({"conv2d_loops": true_convolution}, "the kernel flipped"),
        ({"conv2d_loops": off_by_one}, "the shape of"),
        ({"conv2d_loops": zero_padded}, "a call to `F.conv2d`"),
        ({"conv2d_loops": strided_no_loop}, "Python loops over the output positions"),
        ({"conv2d_loops": with_conv_layer}, "a call to `F.conv2d`"),
        ({"conv2d_loops": lambda image, kernel: conv2d_loops(image, kernel) + 1},
         "the values of"),
    ], raising=[
        ({"conv2d_loops": lambda image, kernel: image @ kernel}, "RuntimeError"),
    ]),
    Case(ConvParams, right={"conv_params": conv_params}, wrong=[
        ({"conv_params": lambda c_in, c_out, k, bias=True: c_out * k * k + c_out},
         "conv_params(6, 16, 5, bias=True)"),
        ({"conv_params": lambda c_in, c_out, k, bias=True: c_out * c_in * k * k + c_out},
         "bias=False"),
        ({"conv_params": lambda c_in, c_out, k, bias=True: c_out * c_in * k * k},
         "conv_params(1, 6, 5, bias=True)"),
    ]),
    Case(ConvOutputSize, right={"conv_output_size": conv_output_size}, wrong=[
        ({"conv_output_size": lambda size, kernel_size, stride=1, padding=0, dilation=1:
          (size + 2 * padding - kernel_size) // stride + 1}, "dilation=2"),
        ({"conv_output_size": lambda size, kernel_size, stride=1, padding=0, dilation=1:
          (size - dilation * (kernel_size - 1) - 1) // stride + 1}, "padding=1"),
        ({"conv_output_size": lambda size, kernel_size, stride=1, padding=0, dilation=1:
          (size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1},
         "the type of"),
        ({"conv_output_size": rounded}, "rounds the division by the stride down"),
        ({"conv_output_size": ceiled}, "rounds the division by the stride down"),
    ]),
    Case(SeedNet, right={"SeedNet": FixedSeedNet}, wrong=[
        ({"SeedNet": ViewFlatten}, "the shape of `SeedNet()(x)`"),
        ({"SeedNet": MixesBatch}, "the values of `SeedNet()(x[:1])`"),
        ({"SeedNet": SigmoidSeedNet}, "the values of `SeedNet()(x)`"),
        ({"SeedNet": NoActivationSeedNet}, "the values of `SeedNet()(x)`"),
        ({"SeedNet": SoftmaxSeedNet}, "the values of `SeedNet()(x)`"),
        ({"SeedNet": DropoutSeedNet}, "`SeedNet()(x"),
        ({"SeedNet": AvgPoolSeedNet}, "the values of `SeedNet()(x)`"),
    ], raising=[
        ({"SeedNet": NoPooling}, "mat1 and mat2 shapes cannot be multiplied"),
    ]),
    Case(TrainModel, right={"train_model": train_model}, wrong=[
        ({"train_model": other_optimizer}, "weights that changed during training"),
        ({"train_model": no_return}, "the type of `train_model(TinyNet, loader, epochs=3)`"),
        ({"train_model": gradient_ascent}, "below its loss before training"),
        ({"train_model": no_zero_grad}, "one Adam optimizer (lr=0.001) made once"),
        ({"train_model": optimizer_every_batch}, "one Adam optimizer (lr=0.001) made once"),
        ({"train_model": one_epoch}, "one Adam optimizer (lr=0.001) made once"),
        ({"train_model": sgd_instead}, "one Adam optimizer (lr=0.001) made once"),
    ]),
    Case(CnnAccuracy, right={"model": Lookup(), "test_transform": TEST_TRANSFORM},
         solution_skip="the solution trains a CNN on MNIST for about a minute; the solved "
                       "notebook runs it under nbval", wrong=[
        ({"model": untrained_cnn()}, "at least 95%"),
        ({"model": Lookup(wrong_every=10)}, "the accuracy of `model`"),
        ({"model": nn.Sequential(nn.Flatten(), nn.Linear(784, 1))},
         "the shape of `model(images)`"),
        ({"test_transform": None}, "`test_transform`"),
        ({"model": LookupNoConv()}, "a convolutional network"),
        ({"test_transform": v2.Compose([v2.RandomAffine(degrees=8), TEST_TRANSFORM])},
         "no random augmentation"),
    ], raising=[
        ({"model": nn.Linear(784, 10)}, "RuntimeError"),
    ]),
]

(test_right, test_blank, test_missing, test_wrong, test_checker_bug,
 test_solution) = standard_tests(CASES)
test_chinese = chinese_test(CASES)


def test_given_buggy_code_is_not_attempted():
    """Is the untouched buggy code of a spot-the-bug exercise reported as not attempted?"""
    for exercise, answers in [(SeedNet(), {"SeedNet": GivenSeedNet}),
                              (TrainModel(), {"train_model": given_train_model})]:
        for seed in (0, 1, 12345):
            result = run_check(exercise, answers, seed=seed)
            assert result.outcome is Outcome.NOT_ATTEMPTED, result.text()
            assert "still fails like the given code" in result.text()


def test_other_correct_fixes_pass():
    """Do a different but valid fix (pooling down to 6 x 6) and loops in a helper pass?"""
    for seed in (0, 1, 12345):
        assert run_check(SeedNet(), {"SeedNet": MorePooling}, seed=seed).passed
        result = run_check(Conv2dLoops(), {"conv2d_loops": loops_in_helper}, seed=seed)
        assert result.passed, result.text()


def test_training_check_holds_for_many_seeds():
    """Does the right training code pass, and the half-fixed one fail, for any seed?"""
    for seed in range(30):
        assert run_check(TrainModel(), {"train_model": train_model}, seed=seed).passed
        result = run_check(TrainModel(), {"train_model": other_optimizer}, seed=seed)
        assert result.outcome is Outcome.INCORRECT


def test_threshold_is_stated():
    """Is the threshold the one the notebook states (95 %)?"""
    assert ACCURACY_THRESHOLD == 0.95
