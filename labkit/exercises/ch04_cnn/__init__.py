"""Exercises of chapter 04, Convolutional networks."""

from __future__ import annotations

import ast
import inspect

import torch
import torch.nn.functional as F
from torch import nn, optim

from labkit.check import Exercise, NotAttempted, expect, probes
from labkit.check.describe import cut, describe, shape_text
from labkit.check.signals import LearnerError
from labkit.exercises.legacy import invoke, run
from labkit.i18n import N_, _
from labkit.models import model_device

# The held-out accuracy `model` must reach in the last exercise.
ACCURACY_THRESHOLD = 0.95


# --- probes: they run where the learner's objects live and return plain data ---------

def sources(fn, depth: int = 2) -> dict[str, str]:
    """The source of ``fn`` and of the functions it calls by a global name (its helpers),
    by name; functions without source (builtins, torch) are left out."""
    found: dict[str, str] = {}
    todo = [(getattr(fn, "__name__", "fn"), fn, 0)]
    while todo:
        name, function, level = todo.pop()
        if name in found:
            continue
        text = probes.source(function)
        if text is None:
            continue
        found[name] = text
        if level >= depth:
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        names = getattr(function, "__globals__", {})
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                target = names.get(node.func.id)
                module = getattr(target, "__module__", None) or ""
                if inspect.isfunction(target) and not module.startswith(("torch", "labkit")):
                    todo.append((node.func.id, target, level + 1))
    return found


def model_call(model, x, *, what: str):
    """``model(x)`` without gradients, in the mode the model is in, ``x`` on the model's
    device."""
    x = x.to(model_device(model))
    with torch.no_grad():
        return invoke(model, (x,), {}, what)


def model_predict(model, x, *, what: str):
    """``model(x)`` in eval mode without gradients (``probes.predict``)."""
    return invoke(probes.predict, (model, x), {}, what)


def trained_weights(model) -> dict:
    """The weights a `TinyNet` was created with, and the ones it has now."""
    return {"initial": [p.detach().clone() for p in model.initial],
            "now": [p.detach().clone() for p in model.parameters()]}


def _images(transform, images, what):
    from PIL import Image

    return torch.stack([invoke(transform, (Image.fromarray(image.numpy()),), {}, what)
                        for image in images])


def transform_twice(transform, images, *, what: str):
    """``transform`` applied twice to each of ``images`` (uint8, (N, 28, 28), as in the
    MNIST files), to see whether it always gives the same result."""
    return _images(transform, images, what), _images(transform, images, what)


def predict_images(model, transform, images, *, what: str, batch_size: int = 500):
    """The logits of ``model`` for ``images`` (uint8, (N, 28, 28)), each prepared with the
    learner's ``transform``, in eval mode. The probe never sees the labels."""
    logits = []
    for start in range(0, len(images), batch_size):
        batch = _images(transform, images[start:start + batch_size], what)
        logits.append(invoke(probes.predict, (model, batch), {}, what))
    return torch.cat(logits)


# --- exercises -------------------------------------------------------------------------

_LOOPS = (ast.For, ast.While, ast.comprehension)


def has_loop(texts: dict[str, str]) -> bool:
    for text in texts.values():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        if any(isinstance(node, _LOOPS) for node in ast.walk(tree)):
            return True
    return False


class Conv2dLoops(Exercise):
    name = "conv2d_loops"
    title = N_("Convolution with two loops")
    hints = (
        N_("The output has `H - kH + 1` rows and `W - kW + 1` columns. Loop over them; "
           "output[i, j] is the sum of the image patch at (i, j) times the kernel."),
        N_("`patch = image[i:i + kH, j:j + kW]`, then `out[i, j] = (patch * kernel).sum()`. "
           "Do not flip the kernel: PyTorch computes cross-correlation."),
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
            (self.randn(1, 5), self.randn(1, 2)),  # one row
        ]
        for image, kernel in cases:
            during = _("`conv2d_loops(image, kernel)` with an image of shape "
                       "{image_shape} and a kernel of shape {kernel_shape}").format(
                           image_shape=tuple(image.shape), kernel_shape=tuple(kernel.shape))
            found = run(self, conv2d_loops, image, kernel, during=during, rule_out=("conv",),
                        rule_text=_("your own loops, without PyTorch's convolution or unfold"))
            expected = F.conv2d(image[None, None], kernel[None, None])[0, 0]  # (H', W')
            flipped = F.conv2d(image[None, None], kernel.flip(0, 1)[None, None])[0, 0]
            hint = None
            if (isinstance(found, torch.Tensor) and found.shape == expected.shape
                    and not torch.allclose(expected, flipped, atol=1e-4)
                    and torch.allclose(found.float(), flipped, atol=1e-4)):
                hint = _("Your result is the textbook convolution with the kernel flipped; "
                         "`F.conv2d` does not flip it: use `kernel[m, n]` as it is.")
            expect.close(found, expected, name="conv2d_loops(image, kernel)", atol=1e-4,
                         hint=hint or _("Compare with `F.conv2d(image[None, None], "
                                        "kernel[None, None])[0, 0]` on a small example."))
        texts = self.probe(sources, conv2d_loops, during=_("reading the code of `conv2d_loops`"))
        expect.that(not texts or has_loop(texts), checked=_("the code of `conv2d_loops`"),
                    expected=_("Python loops over the output positions, as the exercise asks"),
                    found=_("no loop"), hint=self.hints[0])


class ConvParams(Exercise):
    name = "conv_params"
    title = N_("Parameters of a convolution layer")
    hints = (
        N_("Each output channel has one kernel of size `kernel_size x kernel_size` for every "
           "input channel, plus one bias."),
        N_("`out_channels * in_channels * kernel_size ** 2`, plus `out_channels` with a bias."),
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
            found = run(self, conv_params, c_in, c_out, k, bias=bias, during=f"`{call}`")
            expect.equal(found, reference, name=call,
                         hint=None if bias else _("With `bias=False` the layer has no bias."))


class ConvOutputSize(Exercise):
    name = "conv_output_size"
    title = N_("The output size of a convolution")
    hints = (
        N_("A dilated kernel spans `dilation * (kernel_size - 1) + 1` pixels; padding adds "
           "`padding` pixels on both sides."),
        N_("`(size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1`: `//` "
           "rounds down, as PyTorch does."),
    )
    solution = '''\
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1'''

    def check(self, conv_output_size):
        cases = [
            (28, 5, 1, 0, 1), (28, 3, 1, 1, 1), (32, 3, 2, 1, 1), (28, 3, 1, 0, 2),
            (7, 3, 2, 0, 1), (10, 4, 3, 2, 2),
            # (size + 2p - d(k - 1) - 1) / stride has a fraction above one half here, so
            # round() and // differ: 8 / 3, 7 / 4, 5 / 3.
            (11, 3, 3, 0, 1), (9, 2, 4, 0, 1), (6, 3, 3, 1, 1),
        ]
        for _case in range(3):
            kernel = int(self.randint(1, 6))
            dilation = int(self.randint(1, 4))
            size = int(self.randint(dilation * (kernel - 1) + 1, 40))
            cases.append((size, kernel, int(self.randint(1, 4)), int(self.randint(0, 3)),
                          dilation))
        for size, kernel, stride, padding, dilation in cases:
            call = (f"conv_output_size({size}, kernel_size={kernel}, stride={stride}, "
                    f"padding={padding}, dilation={dilation})")
            found = run(self, conv_output_size, size, kernel_size=kernel, stride=stride,
                        padding=padding, dilation=dilation, during=f"`{call}`")
            expect.is_type(found, int, name=call,
                           hint=_("Round down with `//` (floor division) to get an `int`."))
            layer = nn.Conv2d(1, 1, kernel, stride=stride, padding=padding, dilation=dilation)
            reference = layer(torch.zeros(1, 1, size, size)).shape[-1]  # what PyTorch does
            expect.equal(found, reference, name=call,
                         hint=_("PyTorch rounds the division by the stride down (`//`), "
                                "never up or to the nearest whole number."))


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


def _short(err: BaseException) -> str:
    return f"`{type(err).__name__}: {cut(str(err), 90)}`"


def _by_shape(state: dict, test) -> torch.Tensor | None:
    for value in state.values():
        if test(tuple(value.shape)):
            return value
    return None


def seed_net_reference(state: dict, x: torch.Tensor) -> torch.Tensor | None:
    """The seed network's computation from the learner's own weights, or None when they
    do not have the shapes of a fixed seed network. The pooling is whatever makes the
    learner's fc1 fit: 2 x 2 (fc1 takes 64 * 12 * 12) or 4 x 4 (64 * 6 * 6)."""
    conv1_w = _by_shape(state, lambda s: s == (32, 1, 3, 3))
    conv1_b = _by_shape(state, lambda s: s == (32,))
    conv2_w = _by_shape(state, lambda s: s == (64, 32, 3, 3))
    conv2_b = _by_shape(state, lambda s: s == (64,))
    fc1_w = _by_shape(state, lambda s: len(s) == 2 and s[0] == 128)
    fc1_b = _by_shape(state, lambda s: s == (128,))
    fc2_w = _by_shape(state, lambda s: s == (10, 128))
    fc2_b = _by_shape(state, lambda s: s == (10,))
    weights = [conv1_w, conv1_b, conv2_w, conv2_b, fc1_w, fc1_b, fc2_w, fc2_b]
    pools = {64 * 12 * 12: 2, 64 * 6 * 6: 4}
    if any(w is None for w in weights) or fc1_w.shape[1] not in pools:
        return None
    h = F.relu(F.conv2d(F.relu(F.conv2d(x, conv1_w, conv1_b)), conv2_w, conv2_b))
    h = torch.flatten(F.max_pool2d(h, pools[fc1_w.shape[1]]), 1)
    return F.linear(F.relu(F.linear(h, fc1_w, fc1_b)), fc2_w, fc2_b)


class SeedNet(Exercise):
    name = "seed_net"
    title = N_("Spot the bug: the flatten size")
    hints = (
        N_("Print `x.shape` right before `self.fc1`: `in_features` must equal the number of "
           "values per image there."),
        N_("28 -> 26 -> 24 after two 3 x 3 convolutions, 12 after the pooling: "
           "`nn.Linear(64 * 12 * 12, 128)`."),
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

    def check(self, SeedNet):  # noqa: N803 - the learner's class name
        net = run(self, SeedNet, during="`SeedNet()`")
        expect.that(self.is_instance(net, nn.Module), checked=_("the type of `SeedNet()`"),
                    expected=_("an `nn.Module`"), found=describe(net))
        for batch in (2, 1, int(self.randint(3, 7))):
            x = self.randn(batch, 1, 28, 28)  # (B, 1, 28, 28): a batch of MNIST-sized images
            during = _("`SeedNet()(x)` with x of shape {shape}").format(
                shape=shape_text(x.shape))
            given = _error_of(GivenSeedNet(), x)
            try:
                out = self.probe(model_call, net, x, what=during, during=during)
            except LearnerError as signal:
                if signal.same_error(given):
                    raise NotAttempted(_(
                        "`SeedNet` still fails like the given code, with {error}. "
                        "Fix the bug, run the cell, then check again.").format(
                            error=_short(given))) from None
                raise
            expect.tensor(out, name="SeedNet()(x)", shape=(batch, 10),
                          hint=_("One row of 10 class scores per image: flatten with "
                                 "`torch.flatten(x, 1)`, never with `view(-1, ...)`."))
        single = self.probe(model_predict, net, x[:1], what="`SeedNet()(x[:1])`",
                            during=_("`SeedNet()(x[:1])` in eval mode"))  # (1, 10)
        together = self.probe(model_predict, net, x, what=during,
                              during=_("{during} in eval mode").format(
                                  during=during))  # (B, 10)
        expect.close(single, together[:1], name="SeedNet()(x[:1])", atol=1e-4,
                     hint=_("The scores of an image alone must equal its scores inside the "
                            "batch: they must not depend on the other images."))
        state = self.probe(probes.state, net, during=_("reading the weights of `SeedNet()`"))
        expected = seed_net_reference(state, x)
        expect.that(expected is not None, checked=_("the layers of `SeedNet()`"),
                    expected=_("the given layers: conv1 (1 -> 32), conv2 (32 -> 64), both "
                               "3 x 3, fc1 (-> 128) and fc2 (128 -> 10)"),
                    found=_("other layers"),
                    hint=_("Fix the flatten size only; keep the rest of the network."))
        expect.close(together, expected, name="SeedNet()(x)", atol=1e-3, rtol=1e-2,  # TF32 on a GPU
                     hint=_("The check recomputes the given network from your weights: "
                            "conv1, ReLU, conv2, ReLU, max pooling, flatten, fc1, ReLU, fc2. "
                            "Change only what makes the sizes fit."))


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

    def _loader(self) -> list:
        """Four batches of 8 tiny images; the label says which third is brightest."""
        batches = []
        for _batch in range(4):
            x = self.randn(8, 1, 8, 8)  # (B, 1, 8, 8)
            thirds = torch.stack([x[:, 0, :, :3].mean((1, 2)), x[:, 0, :, 3:5].mean((1, 2)),
                                  x[:, 0, :, 5:].mean((1, 2))], dim=1)  # (B, 3)
            batches.append((x, thirds.argmax(dim=1)))
        return batches

    def check(self, train_model):
        loader, epochs = self._loader(), 3
        call = f"`train_model(TinyNet, loader, epochs={epochs})`"
        given = _error_of(given_train_model, TinyNet, loader, epochs=epochs)
        try:
            model = run(self, train_model, TinyNet, loader, epochs=epochs, during=call)
        except LearnerError as signal:
            if signal.same_error(given):
                raise NotAttempted(_(
                    "`train_model` still fails like the given code, with {error}. "
                    "Fix the bugs, run the cell, then check again.").format(
                        error=_short(given))) from None
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
            expect.close(now, ref.detach(), name=f"model.{name}, after training",
                         atol=1e-5, rtol=1e-4,
                         hint=_("The check replays {call} fixed, from the first weights "
                                "of your model: one Adam optimizer (lr=0.001) made once, "
                                "{epochs} epochs over every batch, and `zero_grad()`, loss, "
                                "`backward()`, `step()` for each batch.").format(
                                    call=call, epochs=epochs))


class CnnAccuracy(Exercise):
    name = "cnn_accuracy"
    title = N_("Your CNN on held-out digits")
    points = 2
    hints = (
        N_("Start from the chapter's `CNN`, or stack three blocks of 3 x 3 convolution, "
           "batch norm, ReLU and 2 x 2 max pooling, then one `nn.Linear`."),
        N_("Train with `fit(model, train_loader, loss_fn=nn.CrossEntropyLoss(), "
           "optimizer=torch.optim.Adam(model.parameters(), lr=2e-3), epochs=15, "
           "val_loader=val_loader)` and watch the validation accuracy; the check scores "
           "the test set once."),
    )
    solution = '''\
torch.manual_seed(0)


def block(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(), nn.MaxPool2d(2)]


model = nn.Sequential(*block(1, 16), *block(16, 32), *block(32, 64),  # (B, 64, 3, 3)
                      nn.Flatten(), nn.Linear(64 * 3 * 3, 10))
fit(model, train_loader, loss_fn=nn.CrossEntropyLoss(),
    optimizer=torch.optim.Adam(model.parameters(), lr=2e-3), epochs=15, val_loader=val_loader)
print(f"validation accuracy: {evaluate(model, val_loader)['accuracy']:.2%}")'''

    def check(self, model, test_transform):
        import torchvision

        from labkit.data import ensure_mnist

        expect.that(self.is_instance(model, nn.Module), checked=_("the type of `model`"),
                    expected=_("an `nn.Module`"), found=describe(model))
        kind = self.probe(probes.kind, test_transform, during=_("looking at `test_transform`"))
        expect.that(kind["callable"] and not kind["is_class"], checked="`test_transform`",
                    expected=_("a transform that turns a PIL image into a tensor"),
                    found=_("a `{type}`").format(type=kind["type"]),
                    hint=_("Use the `test_transform` defined earlier in the notebook."))
        test_set = torchvision.datasets.MNIST(ensure_mnist(verbose=False), train=False)
        images, labels = test_set.data, torch.as_tensor(test_set.targets)  # uint8 (N, 28, 28)
        during = _("`test_transform` on 4 test images, twice")
        first, second = self.probe(transform_twice, test_transform, images[:4], what=during,
                                   during=during)
        expect.that(torch.equal(first, second), checked=_("`test_transform`, applied twice"),
                    expected=_("the same tensor both times: no random augmentation on test "
                               "images"), found=_("different tensors"),
                    hint=_("Evaluate with `test_transform`, not with `train_transform`."))
        during = _("`model(test_transform(image))` for 2 test images")
        out = self.probe(predict_images, model, test_transform, images[:2], what=during,
                         during=during)
        expect.tensor(out, name="model(images)", shape=(2, 10),
                      hint=_("The model must return 10 class scores per image."))
        layers = self.probe(probes.layers, model, during=_("listing the layers of `model`"))
        kinds = sorted({layer["type"] for layer in layers if layer["leaf"]})
        expect.that(any(k.startswith("Conv") for k in kinds),
                    checked=_("the layers of `model`"),
                    expected=_("a convolutional network: at least one `nn.Conv2d`"),
                    found=(_("layers {names}").format(names=", ".join(kinds)) if kinds
                           else _("layers none")),
                    hint=_("This chapter's exercise is a CNN: start from convolution blocks."))
        during = _("`model` on the {count:,} test images, prepared with "
                   "`test_transform`").format(count=len(images))
        logits = self.probe(predict_images, model, test_transform, images, what=during,
                            during=during)
        expect.tensor(logits, name="model(images)", shape=(len(images), 10))
        accuracy = (logits.argmax(dim=1) == labels).float().mean().item()
        expect.that(accuracy >= ACCURACY_THRESHOLD,
                    checked=_("the accuracy of `model` on the {count:,} held-out test "
                              "images, scored once").format(count=len(images)),
                    expected=_("at least {threshold:.0%}").format(
                        threshold=ACCURACY_THRESHOLD), found=f"{accuracy:.1%}",
                    hint=_("Tune on `val_loader`: train a few more epochs, or add a "
                           "convolution block, until the validation accuracy is well above "
                           "95 %."))


EXERCISES = [Conv2dLoops, ConvParams, ConvOutputSize, SeedNet, TrainModel, CnnAccuracy]
