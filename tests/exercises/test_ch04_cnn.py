"""Exercises of chapter 04, each with a right, a blank, a missing and wrong answers."""

import math

import torch
import torch.nn.functional as F
import torchvision
from exercise_harness import SEEDS, Case, chinese_test, standard_tests
from PIL import Image
from torch import nn, optim
from torch.nn import Conv2d as Layer
from torch.nn.functional import conv2d as corr
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
    held_out_digits,
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


def captured_alias(image, kernel):
    """The library's convolution under another name, and a loop that does nothing."""
    for _row in range(image.shape[0]):
        pass
    return corr(image[None, None], kernel[None, None])[0, 0]


def low_level(image, kernel):
    return torch.convolution(image[None, None], kernel[None, None], None, [1, 1], [0, 0],
                             [1, 1], False, [0, 0], 1)[0, 0]


def unfolded(image, kernel):
    (kH, kW) = kernel.shape
    return (image.unfold(0, kH, 1).unfold(1, kW, 1) * kernel).sum(dim=(2, 3))


def aten_conv(image, kernel):
    return torch.ops.aten.conv2d(image[None, None], kernel[None, None])[0, 0]


def fake_loop(image, kernel):
    """A loop over nothing, then the sum over the kernel's entries of shifted images: no
    loop over the output positions."""
    sum(0 for _ in [])
    (H, W), (kH, kW) = image.shape, kernel.shape
    return sum(image[m:m + H - kH + 1, n:n + W - kW + 1] * kernel[m, n]
               for m in range(kH) for n in range(kW))


def into_the_image(image, kernel):
    """Writes the output into a view of the caller's image."""
    (H, W), (kH, kW) = image.shape, kernel.shape
    out = image[:H - kH + 1, :W - kW + 1]
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = (image[i:i + kH, j:j + kW] * kernel).sum()
    return out


def output_for_2x2(image, kernel):
    """An output shape fixed for a 2 x 2 kernel."""
    H, W = image.shape
    kH, kW = kernel.shape
    out = torch.zeros(H - 1, W - 1)
    for i in range(H - kH + 1):
        for j in range(W - kW + 1):
            out[i, j] = (image[i:i + kH, j:j + kW] * kernel).sum()
    return out


def zero_padded(image, kernel):
    return F.conv2d(image[None, None], kernel[None, None], padding=1)[0, 0]


# --- conv_params ---------------------------------------------------------------------
def conv_params(in_channels, out_channels, kernel_size, bias=True):
    return out_channels * in_channels * kernel_size**2 + (out_channels if bias else 0)


def params_of_a_layer(in_channels, out_channels, kernel_size, bias=True):
    layer = nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)
    return sum(p.numel() for p in layer.parameters())


def params_of_a_captured_layer(in_channels, out_channels, kernel_size, bias=True):
    return sum(p.numel() for p in Layer(in_channels, out_channels, kernel_size, bias=bias)
               .parameters())


# --- conv_output_size ----------------------------------------------------------------
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def rounded(size, kernel_size, stride=1, padding=0, dilation=1):
    return round((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1


def ceiled(size, kernel_size, stride=1, padding=0, dilation=1):
    return math.ceil((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1


def measured(size, kernel_size, stride=1, padding=0, dilation=1):
    layer = nn.Conv2d(1, 1, kernel_size, stride=stride, padding=padding, dilation=dilation)
    return layer(torch.zeros(1, 1, size, size)).shape[-1]


def measured_by_pooling(size, kernel_size, stride=1, padding=0, dilation=1):
    """Measures a max pooling instead: it refuses more padding than half its kernel."""
    return F.max_pool2d(torch.zeros(1, 1, size, size), kernel_size, stride, padding,
                        dilation).shape[-1]


def measured_on_meta(size, kernel_size, stride=1, padding=0, dilation=1):
    x = torch.empty(1, 1, size, size, device="meta")
    return F.conv2d(x, torch.empty(1, 1, kernel_size, kernel_size, device="meta"),
                    stride=stride, padding=padding, dilation=dilation).shape[-1]


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


class NormalisesInPlace(FixedSeedNet):
    """Centres the caller's images in place."""

    def forward(self, x):
        x -= 0.13
        return super().forward(x)


class SkipsConv2(GivenSeedNet):
    """Builds conv2 but skips it, and sizes fc1 for what is left: no longer the network."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(32 * 13 * 13, 128)

    def forward(self, x):
        x = torch.flatten(F.max_pool2d(F.relu(self.conv1(x)), 2, 2), 1)  # (B, 32 * 13 * 13)
        return self.fc2(F.relu(self.fc1(x)))


class BatchOfTwo(FixedSeedNet):
    """Flattens for a batch of two images."""

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2, 2)
        return self.fc2(F.relu(self.fc1(x.view(2, 64 * 12 * 12))))


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


def normalises_in_place(model_class, loader, epochs=1):
    model = model_class()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    for _ in range(epochs):
        for inputs, labels in loader:
            inputs -= inputs.mean()  # changes the caller's batch, once per epoch
            optimizer.zero_grad()
            F.cross_entropy(model(inputs), labels).backward()
            optimizer.step()
    return model


def three_epochs(model_class, loader, epochs=1):
    """The number of epochs of the first run, fixed."""
    return _train(model_class, loader, 3, passes=3)


def skips_small_batches(model_class, loader, epochs=1):
    model = model_class()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    for _ in range(epochs):
        for inputs, labels in loader:
            if len(inputs) < 2:  # a batch norm habit, here dropping data
                continue
            optimizer.zero_grad()
            F.cross_entropy(model(inputs), labels).backward()
            optimizer.step()
    return model


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
TEST_SET = torchvision.datasets.MNIST(ensure_mnist(verbose=False), train=False)


def _prepared(images):
    """TEST_TRANSFORM on each uint8 image, as the check prepares them: (N, 1, 28, 28)."""
    return torch.stack([TEST_TRANSFORM(Image.fromarray(image.numpy())) for image in images])


class Lookup(nn.Module):
    """Memorises the test set: the label of the nearest test image (a convolution in use
    in front), except a wrong label for every `wrong_every`-th image."""

    def __init__(self, wrong_every=0):
        super().__init__()
        labels = torch.as_tensor(TEST_SET.targets).clone()
        if wrong_every:
            labels[::wrong_every] = (labels[::wrong_every] + 1) % 10
        self.register_buffer("images", _prepared(TEST_SET.data).flatten(1))  # (N, 784)
        self.register_buffer("labels", labels)  # (N,)
        self.identity = nn.Conv2d(1, 1, 1, bias=False)  # changes nothing, but is used
        nn.init.ones_(self.identity.weight)

    def forward(self, x):  # (B, 1, 28, 28) -> (B, 10): minus the distance to each class
        distances = torch.cdist(self.identity(x).flatten(1), self.images)  # (B, N)
        scores = torch.full((len(x), 10), -torch.inf)
        return scores.scatter_reduce(1, self.labels.expand(len(x), -1), -distances, "amax")


class LookupNoConv(Lookup):
    """Knows every answer, but is no CNN."""

    def __init__(self):
        super().__init__()
        del self.identity
        self.identity = nn.Identity()


class InFileOrder(nn.Module):
    """Answers the test labels in the order of the test file, batch after batch."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)
        self.register_buffer("labels", torch.as_tensor(TEST_SET.targets))
        self.seen = 0

    def forward(self, x):
        labels = self.labels[(self.seen + torch.arange(len(x))) % len(self.labels)]
        self.seen = (self.seen + len(x)) % len(self.labels)
        nudge = self.conv(x).mean(dim=(1, 2, 3))[:, None]  # (B, 1)
        return F.one_hot(labels, 10).float() + 1e-3 * nudge


_ANSWERS = {}


def _answers(seed: int) -> dict:
    """The labels of the images the check shows for `seed`, by their prepared bytes, and
    the bytes in the order the check shows them."""
    if seed not in _ANSWERS:
        moved, order = held_out_digits(TEST_SET.data, seed)
        prepared = _prepared(moved[order])
        keys = [image.numpy().tobytes() for image in prepared]
        labels = torch.as_tensor(TEST_SET.targets)[order].tolist()
        _ANSWERS[seed] = (dict(zip(keys, labels, strict=True)), keys)
    return _ANSWERS[seed]


class Oracle(nn.Module):
    """A stand-in for a well-trained CNN, cheap to build: it knows the label of every image
    the check shows for the test seeds, and gets exactly `1 - right` of them wrong (the
    first ones shown). A convolution in use moves its scores a little."""

    def __init__(self, right=1.0, use_conv=True, seeds=SEEDS):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)
        self.use_conv = use_conv
        self.table, wrong = {}, {}
        for seed in seeds:
            table, keys = _answers(seed)
            self.table.update(table)
            count = round((1 - right) * len(keys))
            wrong.update({key: (table[key] + 1) % 10 for key in keys[:count]})
        self.table.update(wrong)  # last: a wrong answer for one seed is wrong for all

    def forward(self, x):  # (B, 1, 28, 28) -> (B, 10)
        labels = torch.tensor([self.table.get(image.numpy().tobytes(), 0) for image in x])
        scores = 10 * F.one_hot(labels, 10).float()
        if self.use_conv:
            scores = scores + 1e-3 * self.conv(x).mean(dim=(1, 2, 3))[:, None]
        return scores


class ClampsInput(Oracle):
    """Right answers, but it clamps the caller's batch in place."""

    def forward(self, x):
        x.clamp_(min=0)
        return super().forward(x)


def untrained_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 26 * 26, 10))


CONV = "from the library's convolution"

CASES = [
    Case(Conv2dLoops, right={"conv2d_loops": conv2d_loops}, wrong=[
        ({"conv2d_loops": true_convolution}, "the kernel flipped"),
        ({"conv2d_loops": off_by_one}, "the shape of"),
        ({"conv2d_loops": zero_padded}, CONV),
        ({"conv2d_loops": strided_no_loop}, "`torch.ops.aten.as_strided`"),
        ({"conv2d_loops": with_conv_layer}, "`torch.nn.modules.conv.Conv2d`"),
        ({"conv2d_loops": captured_alias}, "`torch.ops.aten.convolution`"),
        ({"conv2d_loops": low_level}, CONV),
        ({"conv2d_loops": unfolded}, "`torch.ops.aten.unfold`"),
        ({"conv2d_loops": aten_conv}, CONV),
        ({"conv2d_loops": fake_loop}, "loops that visit every position"),
        ({"conv2d_loops": into_the_image}, "changed its argument `image` in place"),
        ({"conv2d_loops": output_for_2x2}, "the shape of"),
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
        ({"conv_params": params_of_a_layer}, "`torch.nn.modules.conv.Conv2d`"),
        ({"conv_params": params_of_a_captured_layer}, CONV),
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
        ({"conv_output_size": measured}, CONV),
        ({"conv_output_size": measured_on_meta}, CONV),
    ], raising=[
        ({"conv_output_size": measured_by_pooling}, "pad should be at most half"),
    ]),
    Case(SeedNet, right={"SeedNet": FixedSeedNet}, wrong=[
        ({"SeedNet": ViewFlatten}, "the shape of `SeedNet()(x)`"),
        ({"SeedNet": MixesBatch}, "the values of `SeedNet()(x[:1])`"),
        ({"SeedNet": SigmoidSeedNet}, "the values of `SeedNet()(x)`"),
        ({"SeedNet": NoActivationSeedNet}, "the values of `SeedNet()(x)`"),
        ({"SeedNet": SoftmaxSeedNet}, "the values of `SeedNet()(x)`"),
        ({"SeedNet": DropoutSeedNet}, "`SeedNet()(x"),
        ({"SeedNet": AvgPoolSeedNet}, "the values of `SeedNet()(x)`"),
        ({"SeedNet": NormalisesInPlace}, "changed its argument `x` in place"),
        ({"SeedNet": SkipsConv2}, "`conv2` (Conv2d), built but never changing the output"),
    ], raising=[
        ({"SeedNet": NoPooling}, "mat1 and mat2 shapes cannot be multiplied"),
        ({"SeedNet": BatchOfTwo}, "is invalid for input of size"),
    ]),
    Case(TrainModel, right={"train_model": train_model}, wrong=[
        ({"train_model": other_optimizer}, "weights that changed during training"),
        ({"train_model": no_return}, "the type of `train_model(TinyNet, loader, epochs=3)`"),
        ({"train_model": gradient_ascent}, "below its loss before training"),
        ({"train_model": no_zero_grad}, "one Adam optimizer (lr=0.001) made once"),
        ({"train_model": optimizer_every_batch}, "one Adam optimizer (lr=0.001) made once"),
        ({"train_model": one_epoch}, "one Adam optimizer (lr=0.001) made once"),
        ({"train_model": sgd_instead}, "one Adam optimizer (lr=0.001) made once"),
        ({"train_model": normalises_in_place}, "changed its argument `loader[0][0]` in place"),
        ({"train_model": three_epochs}, "one Adam optimizer (lr=0.001) made once"),
        ({"train_model": skips_small_batches}, "one Adam optimizer (lr=0.001) made once"),
    ]),
    Case(CnnAccuracy, right={"model": Oracle(), "test_transform": TEST_TRANSFORM},
         solution_skip="the solution trains a CNN on MNIST for about a minute; the solved "
                       "notebook runs it under nbval", wrong=[
        ({"model": untrained_cnn()}, "at least 95%"),
        ({"model": Lookup(wrong_every=10)}, "the accuracy of `model`"),
        # memorising the test labels: by the nearest test image, or in the file's order
        ({"model": Lookup()}, "at least 95%"),
        ({"model": InFileOrder()}, "at least 95%"),
        ({"model": Oracle(right=0.949)}, "at least 95%"),  # one image short of the bar
        # an MLP that would score, beside a convolution it never uses
        ({"model": Oracle(use_conv=False)}, "a convolutional network"),
        ({"model": ClampsInput()}, "changed its argument `x` in place"),
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


def row_by_row(image, kernel):
    """Also right: one loop over the output rows, each row from shifted slices."""
    (H, W), (kH, kW) = image.shape, kernel.shape
    out = torch.zeros(H - kH + 1, W - kW + 1)
    for i in range(H - kH + 1):
        out[i] = sum(image[i + m, n:n + W - kW + 1] * kernel[m, n]
                     for m in range(kH) for n in range(kW))
    return out


class FlattenLayer(GivenSeedNet):
    """Also right: an `nn.Flatten` layer and `reshape`."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64 * 12 * 12, 128)
        self.flatten = nn.Flatten()

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2, 2)
        return self.fc2(F.relu(self.fc1(self.flatten(x).reshape(x.size(0), -1))))


def test_more_correct_answers_pass():
    """Do other correct answers a learner might write pass?"""
    answers = [
        (Conv2dLoops, {"conv2d_loops": row_by_row}),
        (SeedNet, {"SeedNet": FlattenLayer}),
        (ConvParams, {"conv_params": lambda c_in, c_out, k, bias=True:
                      c_out * (c_in * k**2 + int(bias))}),
        (ConvOutputSize, {"conv_output_size": lambda size, kernel_size, stride=1, padding=0,
                          dilation=1: math.floor((size + 2 * padding - dilation
                                                  * (kernel_size - 1) - 1) / stride) + 1}),
    ]
    for exercise, answer in answers:
        for seed in (0, 1, 12345):
            result = run_check(exercise(), answer, seed=seed)
            assert result.passed, result.text()


def test_a_score_exactly_at_the_bar_passes_and_stays_hidden():
    """Do exactly 95 % pass (whole counts, no float rounding), and does one image fewer
    fail without the message giving the score away?"""
    assert len(TEST_SET) == 1000  # the offline subset: 950 right is exactly 95 %
    for seed in SEEDS:
        passed = run_check(CnnAccuracy(), {"model": Oracle(right=0.95, seeds=(seed,)),
                                           "test_transform": TEST_TRANSFORM}, seed=seed)
        assert passed.passed, passed.text()
        failed = run_check(CnnAccuracy(), {"model": Oracle(right=0.949, seeds=(seed,)),
                                           "test_transform": TEST_TRANSFORM}, seed=seed)
        assert failed.outcome is Outcome.INCORRECT, failed.text()
        for score in ("949", "94.9", "0.949"):
            assert score not in failed.text()


def test_held_out_images_are_moved_copies_shown_in_a_drawn_order():
    """Is every held-out image a test image moved by one pixel along both axes, none of
    them a test image itself, in an order and directions that change with the seed?"""
    images = TEST_SET.data  # uint8 (N, 28, 28)
    moved, order = held_out_digits(images, 0)
    assert sorted(order.tolist()) == list(range(len(images)))
    padded = F.pad(images, (1, 1, 1, 1))
    shifted = {(dy, dx): padded[:, 1 - dy:29 - dy, 1 - dx:29 - dx]
               for dy in (-1, 1) for dx in (-1, 1)}
    matches = torch.stack([(moved == s).flatten(1).all(1) for s in shifted.values()])
    assert matches.any(0).all()  # each one is a diagonal move of its own test image
    test_images = {image.numpy().tobytes() for image in images}
    assert not any(image.numpy().tobytes() in test_images for image in moved)
    other_moved, other_order = held_out_digits(images, 1)
    assert not torch.equal(order, other_order) and not torch.equal(moved, other_moved)


def test_images_are_prepared_as_the_transform_prepares_each_one():
    """Whether the learner's transform takes a whole batch (v2), takes PIL images only
    (v1), or gives a batch something else, are the images those it gives one by one?"""
    from torchvision import transforms as v1

    from labkit.exercises.ch04_cnn.cnn_accuracy import prepare_images

    def odd_with_batches(image):
        if isinstance(image, torch.Tensor):
            return torch.zeros(len(image), 1, 28, 28)
        return TEST_TRANSFORM(image)

    images = TEST_SET.data[:12]
    for transform in [TEST_TRANSFORM, odd_with_batches,
                      v1.Compose([v1.ToTensor(), v1.Normalize((0.13,), (0.31,))])]:
        one_by_one = torch.stack([transform(Image.fromarray(i.numpy())) for i in images])
        assert torch.equal(prepare_images(transform, images, {"no_grad": True}), one_by_one)
